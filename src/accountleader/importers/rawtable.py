"""Read one CSV or Parquet file into an all-text Arrow table, remembering where rows came from.

Values stay text here; `coerce.py` turns them into canonical types so that every bad
value can be reported with its file, line, column and the text as written.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..config import limits
from ..errors import Problem
from .source import SourceFile, too_large

_UTF8_BOM = b"\xef\xbb\xbf"
_pool_chosen = False


def lean_memory_pool() -> None:
    """Let Arrow allocate from jemalloc, handing freed pages back to the system at once.

    An import builds and drops many large temporary arrays, file after file; Arrow's default
    pool (mimalloc) keeps what they freed, so the process's peak grew with every file, and
    DuckDB (its own allocator) could not reuse that memory when the tables were written.
    Set once per process, on the first file read; where jemalloc is not built in, nothing changes.
    """
    global _pool_chosen
    if _pool_chosen:
        return
    _pool_chosen = True
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowNotImplementedError):  # pragma: no cover - a build without jemalloc
        return
    pa.set_memory_pool(pool)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1252, else Latin-1.

    Salesforce writes UTF-8; Excel round-trips on Windows write cp1252; a few legacy
    exports are true Latin-1 (cp1252 leaves five bytes undefined, Latin-1 none).
    """
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


@dataclass
class RawTable:
    """An input file as text columns, with what is needed to point at a bad cell.

    A *view* (``raw.view(...)``) keeps some rows of its base file (e.g. without deleted
    rows); ``base_rows`` maps each of its rows back to the row of the file as read, so
    line numbers stay right however the rows were filtered.

    The file's bytes are not kept: line numbers are only needed to report a problem, and
    then the file is read again (``_reload``).  Once its canonical rows are built,
    :meth:`release` drops the text columns too, so an import holds one file's text at a time.
    """

    file: str
    table: pa.Table
    encoding: str
    is_csv: bool
    problems: list[Problem] = field(default_factory=list)
    _data: bytes | None = None
    _lines: list[int] | None = None
    base_rows: pa.Array | None = None  # row of the file as read, per row of this view
    _base: RawTable | None = None
    delimiter: str = ","
    # the UTF-8 bytes Arrow parsed, read again on the error path (see _physical_lines)
    _reload: Callable[[], bytes] | None = None
    _shape: tuple[int, int] | None = None  # (rows, columns) of the file as read, kept by release()

    @property
    def headers(self) -> list[str]:
        return self.table.column_names

    @property
    def num_rows(self) -> int:
        return self._shape[0] if self._shape is not None else self.table.num_rows

    @property
    def num_columns(self) -> int:
        return self._shape[1] if self._shape is not None else self.table.num_columns

    def release(self) -> None:
        """Drop the text columns (the header stays): what is left only points at lines.

        Called once a file's canonical rows are built; a problem found later (a duplicate id
        across files, a required value missing) still gets its line, by reading the file again.
        """
        if self._shape is None:
            self._shape = (self.table.num_rows, self.table.num_columns)
        self.table = self.table.schema.empty_table()
        self._data = None

    def has(self, column: str) -> bool:
        return column in self.table.column_names

    def view(self, rows: pa.Array | pa.ChunkedArray) -> RawTable:
        """The rows selected by a boolean mask or a list of row indices, keeping line numbers."""
        if isinstance(rows, pa.ChunkedArray):
            rows = rows.combine_chunks()
        if pa.types.is_boolean(rows.type):
            rows = pc.indices_nonzero(pc.fill_null(rows, False))
        rows = rows.cast(pa.int64())
        base = self._base or self
        base_rows = rows if self.base_rows is None else pc.take(self.base_rows, rows)
        return RawTable(
            self.file,
            self.table.take(rows),
            self.encoding,
            self.is_csv,
            self.problems,
            base_rows=base_rows,
            _base=base,
            delimiter=self.delimiter,
        )

    def row_ids(self) -> pa.Array:
        """For each row, its 0-based row in the file as read (used as the ``_row`` provenance)."""
        if self.base_rows is not None:
            return self.base_rows
        return pa.array(np.arange(self.table.num_rows, dtype=np.int64))

    def line_of(self, row: int) -> int:
        """The 1-based physical line where data row ``row`` (0-based) starts; only computed on error."""
        if self._base is not None:
            assert self.base_rows is not None
            return self._base.line_of(self.base_rows[row].as_py())
        if not self.is_csv:
            return row + 2  # header counts as line 1, as in a spreadsheet view
        lines = self._physical_lines()
        if row < len(lines):
            return lines[row]
        return row + 2

    def _physical_lines(self) -> list[int]:
        if self._lines is None:
            data = self._data
            if data is None and self._reload is not None:
                try:
                    data = self._reload()
                except Exception:  # noqa: BLE001 - the file went away mid-import: fall back to row + 2
                    data = b""
            self._lines, _ = _scan_records(data or b"", self.encoding, self.num_columns, self.delimiter)
        return self._lines

    def line_numbers(self) -> pa.Array:
        """The physical line of every row of this view (1-based, the header is line 1).

        Used for ids generated from the file and line, so they are stable across runs.
        """
        base = self._base or self
        n_base = base.num_rows
        lines = base._physical_lines() if base.is_csv else []
        if len(lines) != n_base:  # Parquet, or a file the csv module reads differently
            lines = list(range(2, n_base + 2))
        arr = pa.array(lines, pa.int64())
        return arr if self.base_rows is None else pc.take(arr, self.base_rows)


def _scan_records(
    data: bytes, encoding: str, ncols: int, delimiter: str = ","
) -> tuple[list[int], list[tuple[int, list[str]]]]:
    """Walk the CSV as Python's csv module reads it: where each good row starts, and the bad rows.

    A good row has as many fields as the header; blank lines are skipped (as Arrow does);
    rows with another number of fields are the ones Arrow rejected.  Physical lines are
    counted, so a quoted value spanning lines moves later rows down.
    """
    text = data.decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    good: list[int] = []
    bad: list[tuple[int, list[str]]] = []
    prev_end = 0
    first = True
    for record in reader:
        start = prev_end + 1
        prev_end = reader.line_num
        if first:
            first = False
            continue
        if not record:
            continue
        if len(record) == ncols:
            good.append(start)
        else:
            bad.append((start, record))
    return good, bad


def read_raw(src: SourceFile, *, delimiter: str | None = None, encoding: str | None = None) -> RawTable:
    """Read a file as text columns. Malformed rows become problems, not exceptions.

    ``delimiter`` (default ``,``) and ``encoding`` (default: detected, see
    :func:`detect_encoding`) come from a mapping when the file needs them, e.g. a
    ``;``-separated cp1252 export from a European Excel.

    The file's bytes are dropped as soon as Arrow has parsed them (they are read again
    only to find the line of a problem), so a big file costs its text columns, not twice that.
    """
    lean_memory_pool()
    delimiter = delimiter or ","
    caps = limits()
    if src.suffix == ".csv" and src.path is not None and (encoding is None or codecs.lookup(encoding).name.startswith("utf-8")):
        from_file = _read_csv_file(src, src.path, delimiter)
        if from_file is not None:
            return from_file
    data = src.read_bytes()
    if src.suffix == ".parquet":
        meta = pq.ParquetFile(pa.BufferReader(data)).metadata  # the shape, before any page is unpacked
        _check_shape(src.name, meta.num_rows, meta.num_columns, caps.max_rows, caps.max_columns)
        table = pq.read_table(pa.BufferReader(data))
        del data
        cols = [_as_text(table.column(i)) for i in range(table.num_columns)]
        return RawTable(src.name, pa.table(dict(zip(table.column_names, cols, strict=True))), "parquet", False)

    if not data or data.isspace():
        return RawTable(src.name, pa.table({}), "utf-8", True, [Problem(src.name, 1, None, None, "file is empty")])
    # Arrow checks UTF-8 as it reads, so a clean file is not decoded twice; a file that is
    # not UTF-8 (an Excel round trip in cp1252, a legacy Latin-1 export) is converted and re-read.
    shown_encoding = "utf-8-sig" if data.startswith(_UTF8_BOM) else "utf-8"
    converted: str | None = None  # the encoding the bytes were converted to UTF-8 from
    if encoding is not None and not codecs.lookup(encoding).name.startswith("utf-8"):
        try:
            data, shown_encoding = _from(data, encoding), encoding
            converted = encoding
        except UnicodeDecodeError as exc:
            return _undecodable(src.name, data, encoding, exc)
    elif encoding is not None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _undecodable(src.name, data, encoding, exc)
    elif not _header_is_utf8(data):
        data, shown_encoding = _to_utf8(data)
        converted = None if shown_encoding.startswith("utf-8") else shown_encoding
    _check_shape(src.name, 0, len(_read_header(data, delimiter)), caps.max_rows, caps.max_columns)
    problems: list[Problem] = []
    for attempt in (1, 2):
        try:
            table = _read_csv(data, src.name, problems, delimiter)
            break
        except pa.ArrowInvalid as exc:
            if attempt == 1 and encoding is None and "invalid UTF8" in str(exc):
                data, shown_encoding = _to_utf8(data)
                converted = None if shown_encoding.startswith("utf-8") else shown_encoding
                problems.clear()
                continue
            message = str(exc).split("\n")[0]
            return RawTable(src.name, pa.table({}), shown_encoding, True, [Problem(src.name, None, None, None, f"not a readable CSV file: {message}")])
    return _csv_read(src, table, problems, shown_encoding, converted, delimiter, lambda: data)


def _csv_read(
    src: SourceFile, table: pa.Table, problems: list[Problem], shown_encoding: str, converted: str | None,
    delimiter: str, data: Callable[[], bytes],
) -> RawTable:
    """The RawTable of a parsed CSV; ``data`` gives the bytes Arrow read (only asked for when rows were bad)."""
    caps = limits()
    _check_shape(src.name, table.num_rows, table.num_columns, caps.max_rows, caps.max_columns)
    read_encoding = "utf-8-sig" if shown_encoding == "utf-8-sig" else "utf-8"
    lines: list[int] | None = None
    if problems:
        # Arrow does not know line numbers when values may hold newlines: find the rows again.
        lines, bad = _scan_records(data(), read_encoding, table.num_columns, delimiter)
        if len(bad) == len(problems):
            problems[:] = [
                Problem(src.name, line, None, ",".join(fields)[:80], f"expected {table.num_columns} columns, found {len(fields)}")
                for line, fields in bad
            ]
    raw = RawTable(
        src.name, table, read_encoding, True, problems, _lines=lines, delimiter=delimiter,
        _reload=lambda: _reread(src, converted),
    )
    raw.shown_encoding = shown_encoding  # type: ignore[attr-defined]
    return raw


_HEAD = 1 << 20


def _read_csv_file(src: SourceFile, path: Path, delimiter: str) -> RawTable | None:
    """A UTF-8 CSV on disk, parsed by Arrow straight from the file: its bytes are never held whole.

    None sends the file down the in-memory path of :func:`read_raw`: a small file, a blank one,
    one that cannot be opened, or one that is not UTF-8 (converted there).
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
            if len(head) < _HEAD:
                return None
            quoted = b'"' in head
            while not quoted and (chunk := fh.read(4 << 20)):
                quoted = b'"' in chunk
    except OSError:
        return None
    if head.isspace() or not _header_is_utf8(head):
        return None
    caps = limits()
    header = _read_header(head, delimiter)
    _check_shape(src.name, 0, len(header), caps.max_rows, caps.max_columns)
    shown_encoding = "utf-8-sig" if head.startswith(_UTF8_BOM) else "utf-8"
    del head
    problems: list[Problem] = []
    try:
        table = _parse_csv(str(path), src.name, problems, delimiter, header=header, quoted=quoted)
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc):
            return None
        message = str(exc).split("\n")[0]
        return RawTable(src.name, pa.table({}), shown_encoding, True, [Problem(src.name, None, None, None, f"not a readable CSV file: {message}")])
    except OSError:
        return None
    return _csv_read(src, table, problems, shown_encoding, None, delimiter, src.read_bytes)


def _from(data: bytes, encoding: str) -> bytes:
    return data.removeprefix(_UTF8_BOM).decode(encoding).encode("utf-8")


def _reread(src: SourceFile, converted: str | None) -> bytes:
    """The file's bytes again, as Arrow parsed them (converted to UTF-8 the same way)."""
    data = src.read_bytes()
    return data if converted is None else _from(data, converted)


def _check_shape(name: str, rows: int, columns: int, max_rows: int, max_columns: int) -> None:
    if columns > max_columns:
        raise too_large(name, f"has {columns:,} columns, past the cap of {max_columns:,} (ACCOUNTLEADER_MAX_COLUMNS)")
    if rows > max_rows:
        raise too_large(name, f"has {rows:,} data rows, past the cap of {max_rows:,} (ACCOUNTLEADER_MAX_ROWS)")


def _undecodable(name: str, data: bytes, encoding: str, exc: UnicodeDecodeError) -> RawTable:
    """A file that is not in the encoding its mapping names: one problem naming line and bytes."""
    line = data.count(b"\n", 0, exc.start) + 1
    value = data[exc.start : exc.end].hex(" ")
    reason = f"not valid {encoding} (byte {exc.start}); set the mapping's encoding to the file's (e.g. cp1252, latin-1)"
    return RawTable(name, pa.table({}), encoding, True, [Problem(name, line, None, value, reason)])


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    """Re-encode a file that is not valid UTF-8 (cp1252 or Latin-1) as UTF-8."""
    body = data.removeprefix(_UTF8_BOM)
    encoding = detect_encoding(body)
    if encoding.startswith("utf-8"):
        return data, encoding
    return _from(body, encoding), encoding


def _header_is_utf8(data: bytes) -> bool:
    end = data.find(b"\n", 0, 1 << 20)
    head = data[: end if end != -1 else 1 << 20]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut at the 1 MiB limit
    return True


def _read_csv(data: bytes, name: str, problems: list[Problem], delimiter: str = ",") -> pa.Table:
    # zero-copy: Arrow's threads parse it without the GIL
    return _parse_csv(pa.BufferReader(data), name, problems, delimiter, header=_read_header(data, delimiter), quoted=b'"' in data)


def _parse_csv(
    source: pa.NativeFile | str, name: str, problems: list[Problem], delimiter: str, *, header: list[str], quoted: bool
) -> pa.Table:
    def on_bad_row(row: pacsv.InvalidRow) -> str:
        problems.append(
            Problem(name, row.number, None, (row.text or "")[:80], f"expected {row.expected_columns} columns, found {row.actual_columns}")
        )
        return "skip"

    return pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(block_size=8 << 20),
        parse_options=pacsv.ParseOptions(
            # Quoted values may hold line breaks; a file without any quote cannot, and
            # reads faster when Arrow may split it anywhere.
            delimiter=delimiter,
            newlines_in_values=quoted,
            invalid_row_handler=on_bad_row,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )


def _read_header(data: bytes, delimiter: str = ",") -> list[str]:
    first = data[:65536].decode("utf-8-sig", errors="replace")
    row = next(csv.reader(io.StringIO(first, newline=""), delimiter=delimiter), [])
    return row


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col
    if pa.types.is_timestamp(col.type):
        return pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_boolean(col.type):
        return pc.if_else(col, "true", "false")
    return pc.cast(col, pa.string())
