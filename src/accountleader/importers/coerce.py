"""Turn text columns into canonical types, vectorised, finding every bad value.

Each parser takes a text array and returns ``(typed, bad)`` where ``bad`` marks
cells that held text but could not be read.  Only on the error path do we look at
individual rows (to report line numbers), so clean files stay fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..domain.arrow_types import ARROW_TYPES, arrow_schema
from ..domain.salesforce_ids import to_18
from ..domain.schema import SALESFORCE_NULL_ID, Column, Table
from ..errors import Problem
from .rawtable import RawTable

Array = pa.ChunkedArray | pa.Array
#: Schema metadata key on built tables: JSON {canonical column: source column(s)}, for the import report.
COLUMNS_USED_KEY = b"accountleader.columns"

# Formats Salesforce (Data Export, Data Loader, reports in US locale) and Fivetran write,
# tried in order after the ISO "T" and a zero UTC offset have been normalised away.
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
#: "No end" dates Salesforce orgs write where a date is unknown (also with a time part).
_SENTINEL_DATES = r"^\s*((9999|4000)-12-31([T ].*)?|12/31/(9999|4000)( .*)?|31\.12\.(9999|4000)( .*)?)\s*$"
_TRUE = ["true", "1", "yes", "y", "t"]
_FALSE = ["false", "0", "no", "n", "f"]
_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
_INTEGER = r"^[-+]?\d+(\.0*)?$"


@dataclass(frozen=True)
class Derived:
    """A canonical column computed from several source columns (before type coercion)."""

    source: str  # what to name in error messages
    compute: Callable[[RawTable], Array]


ColumnSource = str | Derived


def _blank_to_null(s: Array) -> Array:
    """Trimmed text, blanks as null. A column with nothing to trim and no blank comes back as
    it is: the canonical column then shares the file's text buffers instead of copying them."""
    trimmed = pc.utf8_trim_whitespace(s)
    lengths = pc.binary_length(s)
    if pc.sum(pc.binary_length(trimmed)).as_py() == pc.sum(lengths).as_py() and not pc.any(pc.equal(lengths, 0)).as_py():
        return s
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def parse_ids(s: Array, *, salesforce: bool) -> tuple[Array, Array]:
    s = _blank_to_null(s)
    if salesforce:
        null_id = pc.is_in(s, value_set=pa.array([SALESFORCE_NULL_ID, SALESFORCE_NULL_ID[:15]]))
        if pc.any(null_id).as_py():
            s = pc.if_else(null_id, pa.scalar(None, pa.string()), s)
        short = pc.equal(pc.utf8_length(s), 15)
        if pc.any(short).as_py():
            uniques = pc.unique(pc.filter(s, short)).to_pylist()
            mapping = {u: to_18(u) for u in uniques}
            keys = pa.array(list(mapping))
            vals = pa.array(list(mapping.values()))
            idx = pc.index_in(s, value_set=keys)
            s = pc.if_else(short, pc.take(vals, pc.fill_null(idx, 0)), s)
    return s, _no_bad(s)


def _no_bad(s: Array) -> Array:
    """An all-false mask: text columns and ids cannot be unreadable."""
    return pa.array(np.zeros(len(s), dtype=bool))


def parse_strings(s: Array) -> tuple[Array, Array]:
    s = _blank_to_null(s)
    return s, _no_bad(s)


def parse_floats(s: Array) -> tuple[Array, Array]:
    s = _blank_to_null(s)
    cleaned = pc.replace_substring_regex(s, r"^[$€£]|,", "")
    ok = pc.match_substring_regex(cleaned, _NUMBER)
    bad = pc.and_(pc.is_valid(s), pc.invert(pc.fill_null(ok, False)))
    good = pc.if_else(bad, pa.scalar(None, pa.string()), cleaned)
    return pc.cast(good, pa.float64()), bad


def parse_ints(s: Array) -> tuple[Array, Array]:
    s = _blank_to_null(s)
    cleaned = pc.replace_substring(s, ",", "")
    ok = pc.match_substring_regex(cleaned, _INTEGER)
    bad = pc.and_(pc.is_valid(s), pc.invert(pc.fill_null(ok, False)))
    good = pc.if_else(bad, pa.scalar(None, pa.string()), pc.replace_substring_regex(cleaned, r"\.0*$", ""))
    return pc.cast(good, pa.int64()), bad


def parse_bools(s: Array) -> tuple[Array, Array]:
    s = pc.utf8_lower(_blank_to_null(s))
    is_true = pc.is_in(s, value_set=pa.array(_TRUE))
    is_false = pc.is_in(s, value_set=pa.array(_FALSE))
    bad = pc.and_(pc.is_valid(s), pc.invert(pc.or_(is_true, is_false)))
    out = pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))
    return out, bad


_OFFSET = r"^(?P<base>.*\d:\d\d(?::\d\d)?)(?:\.\d+)?(?P<sign>[+-])(?P<hh>\d\d):?(?P<mm>\d\d)$"


_UTC = pa.timestamp("us", tz="UTC")
_NAIVE = pa.timestamp("us")
_PLAUSIBLE = (pa.scalar(datetime(1900, 1, 1), _NAIVE), pa.scalar(datetime(2200, 12, 31, 23, 59, 59), _NAIVE))


def _iso_fast_path(s: Array) -> Array | None:
    """Arrow's own ISO-8601 cast: the whole column at C speed when every value is ISO.

    Salesforce's API and Data Export write ``2024-03-01T14:05:00.000Z`` (or ``+0000``)
    everywhere, so this is the common case; a column with any other form returns None
    and goes through the format-by-format path below.
    """
    for typ in (_UTC, _NAIVE):
        try:
            out = pc.cast(s, typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        # UTC wall-clock time, in whole seconds like the format-by-format path (and Salesforce)
        out = pc.floor_temporal(out.cast(_NAIVE), unit="second")
        lo, hi = pc.min_max(out).values()
        if lo.is_valid and (lo.as_py() < _PLAUSIBLE[0].as_py() or hi.as_py() > _PLAUSIBLE[1].as_py()):
            return None  # let the slow path mark the implausible values
        return out
    return None


def parse_timestamps(s: Array) -> tuple[Array, Array]:
    fast = _iso_fast_path(s)
    if fast is not None:
        return fast, _no_bad(s)
    s = _blank_to_null(s)
    if isinstance(s, pa.ChunkedArray):
        s = s.combine_chunks()
    norm = pc.replace_substring_regex(s, r"^(\d{4}-\d{2}-\d{2})T", r"\1 ")
    norm = pc.replace_substring_regex(norm, r"(\.\d+)?(Z|[+-]00:?00| UTC)?$", "")
    result: Array | None = None
    for fmt in TIMESTAMP_FORMATS:
        parsed = pc.strptime(norm, format=fmt, unit="us", error_is_null=True)
        result = parsed if result is None else pc.coalesce(result, parsed)
        if pc.all(pc.or_(pc.is_valid(result), pc.is_null(s))).as_py():
            break
    assert result is not None
    unread = pc.and_(pc.is_valid(s), pc.is_null(result))
    if pc.any(unread).as_py():
        result = _with_utc_offsets(result, norm, unread)
    year = pc.year(result)
    plausible = pc.and_(pc.greater_equal(year, 1900), pc.less_equal(year, 2200))
    result = pc.if_else(pc.fill_null(plausible, False), result, pa.scalar(None, pa.timestamp("us")))
    bad = pc.and_(pc.is_valid(s), pc.is_null(result))
    return result, bad


def _with_utc_offsets(result: pa.Array, norm: pa.Array, unread: pa.Array) -> pa.Array:
    """Read values with a non-zero UTC offset (``2024-03-01T09:05:00.000-0500``) as UTC.

    Only the values the plain formats could not read are looked at, so clean files pay nothing.
    """
    idx = pc.indices_nonzero(unread)
    parts = pc.extract_regex(pc.take(norm, idx), _OFFSET)
    base = pc.struct_field(parts, "base")
    local: pa.Array | None = None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M"):
        parsed = pc.strptime(base, format=fmt, unit="us", error_is_null=True)
        local = parsed if local is None else pc.coalesce(local, parsed)
    assert local is not None
    minutes = pc.add(
        pc.multiply(pc.cast(pc.struct_field(parts, "hh"), pa.int64()), 60), pc.cast(pc.struct_field(parts, "mm"), pa.int64())
    )
    sign = pc.if_else(pc.equal(pc.struct_field(parts, "sign"), "-"), -1, 1)
    offset = pc.cast(pc.multiply(pc.multiply(minutes, sign), 60_000_000), pa.duration("us"))
    utc = pc.subtract(local, offset)
    return pc.replace_with_mask(result, unread, utc)


def parse_dates(s: Array) -> tuple[Array, Array]:
    ts, bad = parse_timestamps(s)
    return pc.cast(ts, pa.date32()), bad


def sentinel_dates(s: Array, bad: Array) -> Array:
    """Which unreadable cells are ``9999-12-31`` / ``4000-12-31`` (Salesforce's "no end").

    Only looked for among values that could not be read (those years are past any
    plausible date), so clean columns pay nothing.
    """
    return pc.fill_null(pc.and_(bad, pc.match_substring_regex(s, _SENTINEL_DATES)), False)


def parse_column(col: Column, s: Array, *, salesforce_ids: bool) -> tuple[Array, Array]:
    if col.type == "id":
        return parse_ids(s, salesforce=salesforce_ids)
    if col.type == "string":
        return parse_strings(s)
    if col.type == "float":
        return parse_floats(s)
    if col.type == "int":
        return parse_ints(s)
    if col.type == "bool":
        return parse_bools(s)
    if col.type == "timestamp":
        return parse_timestamps(s)
    if col.type == "date":
        return parse_dates(s)
    raise AssertionError(f"unknown column type {col.type}")


def empty_table(table: Table) -> pa.Table:
    return arrow_schema(table).empty_table()


_EXPECTS = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "timestamp": "a date-time such as 2024-03-01T14:05:00.000Z",
    "date": "a date such as 2024-03-01",
}


def build_table(
    raw: RawTable,
    table: Table,
    mapping: dict[str, ColumnSource],
    *,
    salesforce_ids: bool,
    problems: list[Problem],
    cap: int,
    warnings: list[str] | None = None,
) -> pa.Table:
    """Build one canonical table from one raw file.

    Adds two provenance columns, ``_file`` and ``_row``, used for later checks and
    dropped before the table is stored.  Sentinel "no end" dates (``9999-12-31``,
    ``4000-12-31``) are read as empty, one warning per file and column in ``warnings``.
    """
    n = raw.table.num_rows
    missing = [c for c in table.required if c in mapping and isinstance(mapping[c], str) and not raw.has(mapping[c])]  # type: ignore[arg-type]
    for canon in missing:
        problems.append(
            Problem(raw.file, 1, str(mapping[canon]), None, f"required column {mapping[canon]!r} is missing from the header")
        )
    if missing:
        return empty_table(table)
    columns: dict[str, Array] = {}
    used: dict[str, str] = {}  # canonical column -> source column(s) present in the file (the import report)
    for col in table.columns:
        source = mapping.get(col.name)
        if source is None or (isinstance(source, str) and not raw.has(source)):
            columns[col.name] = pa.nulls(n, ARROW_TYPES[col.type])
            continue
        if isinstance(source, Derived):
            text = source.compute(raw)
            shown = source.source
        else:
            text = raw.table.column(source)
            shown = source
        present = [shown] if raw.has(shown) else [f for f in re.split(r" / |, ", shown) if raw.has(f)]
        if present:
            used[col.name] = ", ".join(present)
        typed, bad = parse_column(col, text, salesforce_ids=salesforce_ids)
        if col.type in ("timestamp", "date") and pc.any(bad).as_py():
            sentinel = sentinel_dates(text, bad)  # read as empty (the parse left them null)
            n_sentinel = pc.sum(sentinel).as_py() or 0
            if n_sentinel:
                bad = pc.and_(bad, pc.invert(sentinel))
                if warnings is not None:
                    warnings.append(
                        f"{raw.file}: {n_sentinel} values of {shown} are 9999-12-31 or 4000-12-31 (no date); read as empty"
                    )
        if pc.any(bad).as_py():
            _report_bad(raw, shown, text, bad, _EXPECTS.get(col.type, col.type), problems, cap)
        if col.enum is not None:
            outside = pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed, value_set=pa.array(col.enum))))
            if pc.any(outside).as_py():
                _report_bad(raw, shown, text, outside, "one of " + ", ".join(col.enum), problems, cap)
        columns[col.name] = typed
    out = pa.table({c.name: columns[c.name] for c in table.columns}, schema=arrow_schema(table))
    file_col = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([raw.file], pa.string()))
    out = out.append_column("_file", file_col)
    out = out.append_column("_row", raw.row_ids())
    return out.replace_schema_metadata({COLUMNS_USED_KEY: json.dumps(used)})


def _report_bad(
    raw: RawTable, column: str, text: Array, bad: Array, expected: str, problems: list[Problem], cap: int
) -> None:
    rows = pc.indices_nonzero(pc.fill_null(bad, False)).to_pylist()
    for r in rows[: max(0, cap - len(problems)) + 1]:
        value = text[r].as_py() if isinstance(text, pa.ChunkedArray | pa.Array) else None
        problems.append(Problem(raw.file, raw.line_of(r), column, value, f"expected {expected}"))
