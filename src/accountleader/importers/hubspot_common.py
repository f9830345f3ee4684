"""Helpers shared by the two HubSpot layouts (Fivetran tables and CRM export CSVs)."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from ..domain.schema import TABLES
from ..errors import Problem
from .batch import PROBLEM_CAP, ImportBatch
from .coerce import ColumnSource, Derived, build_table, parse_floats
from .rawtable import RawTable, read_raw
from .source import SourceFile

Array = pa.ChunkedArray | pa.Array
Compute = Callable[[RawTable], Array]

_NULL = pa.scalar(None, pa.string())
# Stage labels that say what a closed stage means, in the languages seen in real orgs.
WON_LABEL = r"(?i)\bwon\b|ganad|gewonnen|gagn|vinto|signed|firmad"
LOST_LABEL = r"(?i)\blost\b|perdid|verloren|perdu|perso|disqualif|descartad"


def blank_to_null(col: Array) -> Array:
    col = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(col, ""), _NULL, col)


def first(raw: RawTable, *names: str) -> Array | None:
    """The first non-blank value among the named columns that the file has (None when it has none)."""
    out: Array | None = None
    for name in names:
        if raw.has(name):
            col = blank_to_null(raw.table.column(name))
            out = col if out is None else pc.coalesce(out, col)
    return out


def present(raw: RawTable, *names: str) -> list[str]:
    return [n for n in names if raw.has(n)]


def nulls(raw: RawTable) -> Array:
    return pa.nulls(raw.table.num_rows, pa.string())


def pick(*names: str) -> ColumnSource | None:
    """A column rule: the first non-blank value among ``names`` (reported as the names present)."""
    return Derived(" / ".join(names), lambda r: or_nulls(first(r, *names), r))


def or_nulls(col: Array | None, raw: RawTable) -> Array:
    return nulls(raw) if col is None else col


def derived(shown: str, compute: Compute) -> Derived:
    return Derived(shown, compute)


def lookup(keys: Array, key_col: Array, value_col: Array) -> Array:
    """For each key, the value of the first row of (key_col, value_col) with that key (a left join)."""
    if isinstance(key_col, pa.ChunkedArray):
        key_col = key_col.combine_chunks()
    if isinstance(value_col, pa.ChunkedArray):
        value_col = value_col.combine_chunks()
    valid = pc.and_(pc.is_valid(key_col), pc.is_valid(value_col))
    key_col, value_col = pc.filter(key_col, valid), pc.filter(value_col, valid)
    uniq = pc.unique(key_col)
    first_rows = pc.index_in(uniq, value_set=key_col)
    idx = pc.index_in(keys, value_set=uniq)
    return pc.take(pc.take(value_col, first_rows), idx)


def multi_valued(key_col: Array) -> int:
    """How many keys appear on more than one row (e.g. engagements linked to several contacts)."""
    if len(key_col) == 0:
        return 0
    counts = pc.value_counts(pc.drop_null(key_col))
    return int(pc.sum(pc.greater(counts.field("counts"), 1)).as_py() or 0)


def truthy(col: Array | None) -> Array | None:
    if col is None:
        return None
    low = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    return pc.if_else(
        pc.is_in(low, value_set=pa.array(["true", "1", "yes", "t"])),
        True,
        pc.if_else(pc.is_in(low, value_set=pa.array(["false", "0", "no", "f"])), False, pa.scalar(None, pa.bool_())),
    )


def bool_text(col: Array) -> Array:
    return pc.if_else(col, "true", pc.if_else(pc.is_valid(col), "false", _NULL))


def matches(col: Array, pattern: str) -> Array:
    return pc.fill_null(pc.match_substring_regex(col, pattern), False)


def read_source(batch: ImportBatch, src: SourceFile) -> RawTable:
    """Read a file once into the batch (its problems count; its rows are reported as read)."""
    if src.name in batch.raws:
        return batch.raws[src.name]
    raw = read_raw(src)
    batch.raws[src.name] = raw
    batch.problems.extend(raw.problems)
    batch.files_read[src.name] = raw.table.num_rows
    return raw


def drop_flagged(raw: RawTable, batch: ImportBatch, *flags: str) -> RawTable:
    """Drop rows with any of the flags (``is_deleted``, ``_fivetran_deleted``, ``archived``) true."""
    for flag in flags:
        mask = truthy(raw.table.column(flag)) if raw.has(flag) else None
        if mask is None:
            continue
        mask = pc.fill_null(mask, False)
        n = int(pc.sum(mask).as_py() or 0)
        if n:
            batch.warnings.append(f"{raw.file}: skipped {n} rows with {flag}=true")
            raw = raw.view(pc.invert(mask))
            batch.files_read[raw.file] = raw.table.num_rows
    return raw


def distinct_rows(raw: RawTable, key: Array) -> RawTable:
    """The first row for each value of ``key`` (exact duplicate association rows, history versions)."""
    if isinstance(key, pa.ChunkedArray):
        key = key.combine_chunks()
    first_rows = pc.index_in(pc.unique(key), value_set=key)
    keep = pc.sort_indices(first_rows)
    rows = pc.take(first_rows, keep)
    if len(rows) == raw.table.num_rows:
        return raw
    return raw.view(rows)


def add_table(batch: ImportBatch, table: str, raw: RawTable, mapping: dict[str, ColumnSource | None]) -> None:
    cols = {k: _shown_as_present(v, raw) for k, v in mapping.items() if v is not None}
    batch.add(table, build_table(raw, TABLES[table], cols, salesforce_ids=False, problems=batch.problems, cap=PROBLEM_CAP))
    # columns read through another file (a deal's stage meaning) or built from several: named as written
    for entry in batch.sources:
        if entry["file"] == raw.file and entry["table"] == table:
            for col, rule in cols.items():
                if col in entry["columns"] or not isinstance(rule, Derived):
                    continue
                parts = [p for p in rule.source.split(" / ") if "." in p or " + " in p or raw.has(p)]
                if any("." in p or " + " in p for p in parts):
                    entry["columns"][col] = " / ".join(parts)


def stage_meaning(labels: Array, probability: Array | None, is_closed: Array | None, is_won: Array | None) -> tuple[Array, Array]:
    """(is_closed, is_won) of stages: the CRM's flags where given, else the label and probability.

    Won: the CRM says won, or a closed stage with probability 1.0 (100 %), or a label
    that says won.  Closed: the CRM says closed, or the label says won or lost.
    """
    n = len(labels)
    label_won = matches(labels, WON_LABEL)
    label_lost = matches(labels, LOST_LABEL)
    closed = is_closed if is_closed is not None else pa.nulls(n, pa.bool_())
    closed = pc.coalesce(closed, pc.or_(label_won, label_lost))
    prob_won = pc.fill_null(pc.greater_equal(probability, 0.999), False) if probability is not None else pa.array([False] * n)
    won = is_won if is_won is not None else pa.nulls(n, pa.bool_())
    won = pc.or_(pc.fill_null(won, False), pc.and_(pc.fill_null(closed, False), pc.or_(prob_won, label_won)))
    return pc.fill_null(closed, False), pc.and_(won, pc.fill_null(closed, False))


def _shown_as_present(rule: ColumnSource, raw: RawTable) -> ColumnSource:
    """Name only the candidate columns this file has, so errors point at the column really read."""
    if not isinstance(rule, Derived):
        return rule
    parts = rule.source.split(" / ")
    here = [p for p in parts if raw.has(p)]
    if here and len(here) < len(parts):
        return Derived(" / ".join(here), rule.compute)
    return rule


def numbers(batch: ImportBatch, raw: RawTable, column: str, text: Array | None = None) -> Array:
    """A column read as numbers; text that is not a number is a problem naming file, line and value."""
    col = raw.table.column(column) if text is None else text
    values, bad = parse_floats(col)
    for i in pc.indices_nonzero(pc.fill_null(bad, False)).to_pylist()[:PROBLEM_CAP]:
        batch.problems.append(Problem(raw.file, raw.line_of(i), column, col[i].as_py(), "expected a number"))
    return values


def percent(values: Array) -> Array:
    """A probability as HubSpot stores it (0 to 1) in percent, as text for the canonical column."""
    return pc.cast(pc.multiply(values, 100.0), pa.string())
