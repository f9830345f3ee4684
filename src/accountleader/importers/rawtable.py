"""Read one CSV or Parquet file into an all-text Arrow table, remembering where rows came from.

Values stay text here; `coerce.py` turns them into canonical types so that every bad
value can be reported with its file, line, column and the text as written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import Problem
from .source import SourceFile

_UTF8_BOM = b"\xef\xbb\xbf"


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
    """An input file as text columns, with what is needed to point at a bad cell."""

    file: str
    table: pa.Table
    encoding: str
    is_csv: bool
    problems: list[Problem] = field(default_factory=list)
    _data: bytes | None = None
    _lines: list[int] | None = None

    @property
    def headers(self) -> list[str]:
        return self.table.column_names

    def has(self, column: str) -> bool:
        return column in self.table.column_names

    def line_of(self, row: int) -> int:
        """The 1-based line where data row ``row`` (0-based) starts; only computed on error."""
        if not self.is_csv:
            return row + 2  # header counts as line 1, as in a spreadsheet view
        if self._lines is None:
            assert self._data is not None
            text = self._data.decode(self.encoding, errors="replace")
            reader = csv.reader(io.StringIO(text, newline=""))
            starts: list[int] = []
            prev_end = 0
            for _ in reader:
                starts.append(prev_end + 1)
                prev_end = reader.line_num
            self._lines = starts[1:]  # drop the header row
        if row < len(self._lines):
            return self._lines[row]
        return row + 2


def read_raw(src: SourceFile) -> RawTable:
    """Read a file as text columns. Malformed rows become problems, not exceptions."""
    data = src.read_bytes()
    if src.suffix == ".parquet":
        table = pq.read_table(io.BytesIO(data))
        cols = [_as_text(table.column(i)) for i in range(table.num_columns)]
        return RawTable(src.name, pa.table(dict(zip(table.column_names, cols, strict=True))), "parquet", False)

    encoding = detect_encoding(data)
    if encoding not in ("utf-8", "utf-8-sig"):
        data = data.decode(encoding).encode("utf-8")
        shown_encoding = encoding
        encoding = "utf-8"
    else:
        shown_encoding = encoding
    problems: list[Problem] = []

    def on_bad_row(row: pacsv.InvalidRow) -> str:
        problems.append(
            Problem(
                src.name,
                row.number,
                None,
                (row.text or "")[:80],
                f"expected {row.expected_columns} columns, found {row.actual_columns}",
            )
        )
        return "skip"

    if not data.strip():
        return RawTable(src.name, pa.table({}), shown_encoding, True, [Problem(src.name, 1, None, None, "file is empty")])
    header = _read_header(data)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_bad_row),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc).split("\n")[0]
        return RawTable(src.name, pa.table({}), shown_encoding, True, [Problem(src.name, None, None, None, f"not a readable CSV file: {message}")])
    raw = RawTable(src.name, table, shown_encoding, True, problems, _data=data)
    raw.encoding = "utf-8-sig" if shown_encoding == "utf-8-sig" else "utf-8"
    raw.shown_encoding = shown_encoding  # type: ignore[attr-defined]
    return raw


def _read_header(data: bytes) -> list[str]:
    first = data[:65536].decode("utf-8-sig", errors="replace")
    row = next(csv.reader(io.StringIO(first, newline="")), [])
    return row


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col
    if pa.types.is_timestamp(col.type):
        return pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_boolean(col.type):
        return pc.if_else(col, "true", "false")
    return pc.cast(col, pa.string())
