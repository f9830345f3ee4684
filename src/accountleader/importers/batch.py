"""An import in progress: canonical tables plus every problem and warning found.

`finish()` runs the checks that span rows and tables (required values, duplicate
ids, history load artefacts, out-of-sequence deals, dangling references, currency
conversion) and either returns clean tables or raises :class:`ImportRejected`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..domain.schema import TABLES
from ..errors import ImportRejected, Problem
from .coerce import COLUMNS_USED_KEY, empty_table
from .rawtable import RawTable

PROBLEM_CAP = 100
#: A text column of a table this long with this few distinct values (a kind, a status, a
#: direction) is handed to the writer dictionary-encoded: a byte a row instead of its text
#: (the database stores it as text all the same).
COMPACT_ROWS = 65_536
COMPACT_VALUES = 127
_SMALL_DICTIONARY = pa.dictionary(pa.int8(), pa.string())


@dataclass
class ImportBatch:
    source: str
    kind: str  # salesforce | fivetran | csv | hubspot
    tables: dict[str, pa.Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files_read: dict[str, int] = field(default_factory=dict)
    files_ignored: list[str] = field(default_factory=list)
    raws: dict[str, RawTable] = field(default_factory=dict)
    # The import report: per file and table fed, rows and {canonical column: source column(s)}.
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.problems) >= PROBLEM_CAP

    def add(self, name: str, table: pa.Table) -> None:
        """Append rows to a canonical table (activities come from three files)."""
        self._record_source(name, table)
        if name in self.tables:
            self.tables[name] = pa.concat_tables([self.tables[name], table], promote_options="permissive")
        else:
            self.tables[name] = table

    def _record_source(self, name: str, table: pa.Table) -> None:
        meta = table.schema.metadata or {}
        if COLUMNS_USED_KEY not in meta or "_file" not in table.column_names or table.num_rows == 0:
            return
        file = table.column("_file")[0].as_py()
        columns = json.loads(meta[COLUMNS_USED_KEY])
        for entry in self.sources:
            if entry["file"] == file and entry["table"] == name:  # one file read twice for one table
                entry["rows"] += table.num_rows
                entry["columns"].update(columns)
                return
        self.sources.append({"file": file, "table": name, "rows": table.num_rows, "columns": columns})

    def line_of(self, file: str, row: int) -> int:
        raw = self.raws.get(file)
        return raw.line_of(row) if raw else row + 2

    def finish(self) -> dict[str, pa.Table]:
        for name in TABLES:
            if name not in self.tables:
                empty = empty_table(TABLES[name])
                empty = empty.append_column("_file", pa.array([], pa.string()).dictionary_encode())
                self.tables[name] = empty.append_column("_row", pa.array([], pa.int64()))
        for name, spec in TABLES.items():
            self._check_required(name)
            self._check_unique(name, spec.primary_key)
        if self.problems:
            raise ImportRejected(problems=self.problems[:PROBLEM_CAP], truncated=len(self.problems) > PROBLEM_CAP)
        self._dedupe_history()
        self._flag_out_of_sequence()
        self._convert_currency()
        self._check_references()
        # Past this point nothing points at a file's line: drop the provenance columns and the
        # line maps, so the import does not carry them while the tables are written.
        self.tables = {name: _compact(t.drop_columns(["_file", "_row"])) for name, t in self.tables.items()}
        self.raws.clear()
        return dict(self.tables)

    # -- checks -------------------------------------------------------------------------------

    def _problem_rows(
        self, table: pa.Table, mask: pa.Array, column: str, reason: str, value_col: str | None, *, skip_reported: bool = False
    ) -> None:
        # A value that could not be read is already reported; do not report it again as missing.
        reported = {(p.file, p.line) for p in self.problems} if skip_reported else set()
        idx = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
        for i in idx:
            if len(self.problems) > PROBLEM_CAP:
                break
            file = table.column("_file")[i].as_py()
            row = table.column("_row")[i].as_py()
            line = self.line_of(file, row)
            if (file, line) in reported:
                continue
            value = table.column(value_col)[i].as_py() if value_col else None
            self.problems.append(Problem(file, line, column, None if value is None else str(value), reason))

    def _check_required(self, name: str) -> None:
        t = self.tables[name]
        for col in TABLES[name].required:
            mask = pc.is_null(t.column(col))
            if t.num_rows and pc.any(mask).as_py():
                self._problem_rows(t, mask, col, f"required value missing ({name}.{col})", None, skip_reported=True)

    def _check_unique(self, name: str, key: str) -> None:
        t = self.tables[name]
        if t.num_rows == 0:
            return
        # Counting distinct ids holds only the hash table; the counts per id (a copy of every
        # id) are built only when some id repeats.
        nulls = t.column(key).null_count
        if nulls == 0 and _all_distinct(t.column(key)):
            return
        if nulls <= 1 and pc.count_distinct(t.column(key), mode="only_valid").as_py() == t.num_rows - nulls:
            return
        counts = pc.value_counts(t.column(key))
        dup_values = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        if len(dup_values) == 0:
            return
        mask = pc.is_in(t.column(key), value_set=dup_values)
        self._problem_rows(t, mask, key, f"duplicate id: appears more than once in {name}", key)

    def _dedupe_history(self) -> None:
        """Several history rows for one deal at the same instant are a load artefact: keep the last."""
        t = self.tables["opportunity_history"]
        if t.num_rows == 0:
            return
        # Arrow cannot sort dictionary columns: sort on the file name as plain text.
        keys = pa.table(
            {
                "opportunity_id": t.column("opportunity_id"),
                "changed_at": t.column("changed_at"),
                "_file": pc.cast(t.column("_file"), pa.string()),
                "_row": t.column("_row"),
            }
        )
        order = pc.sort_indices(keys, sort_keys=[(k, "ascending") for k in keys.column_names])
        t = t.take(order)
        opp = t.column("opportunity_id")
        at = t.column("changed_at")
        same_next = pc.and_(
            pc.equal(opp.slice(0, len(opp) - 1), opp.slice(1)),
            pc.equal(at.slice(0, len(at) - 1), at.slice(1)),
        )
        drop = pa.concat_arrays([pc.fill_null(same_next, False).combine_chunks(), pa.array([False])])
        dropped = pc.sum(drop).as_py() or 0
        if dropped:
            n_opps = len(pc.unique(pc.filter(opp, drop)))
            self.warnings.append(
                f"opportunity_history: {dropped} rows share a timestamp with a later row for the same deal "
                f"({n_opps} deals); kept the last of each"
            )
        self.tables["opportunity_history"] = t.filter(pc.invert(drop))

    def _flag_out_of_sequence(self) -> None:
        t = self.tables["opportunities"]
        if t.num_rows == 0:
            return
        created_day = pc.cast(t.column("created_at"), pa.date32())
        bad = pc.fill_null(pc.less(t.column("close_date"), created_day), False)
        n = pc.sum(bad).as_py() or 0
        if n:
            flag = pc.if_else(bad, "closed_before_created", t.column("quality_flag"))
            t = t.set_column(t.schema.get_field_index("quality_flag"), "quality_flag", flag)
            self.tables["opportunities"] = t
            self.warnings.append(
                f"opportunities: {n} deals close before they were created; kept and flagged "
                "quality_flag='closed_before_created' (excluded from day counts)"
            )

    def _convert_currency(self) -> None:
        rates = self.tables["currency_rates"]
        opps = self.tables["opportunities"]
        if rates.num_rows == 0 or opps.num_rows == 0:
            return
        idx = pc.index_in(opps.column("currency"), value_set=rates.column("iso_code"))
        rate = pc.take(rates.column("conversion_rate"), idx)
        converted = pc.divide(opps.column("amount"), rate)
        unknown = pc.and_(pc.is_valid(opps.column("currency")), pc.is_null(idx))
        n_unknown = pc.sum(unknown).as_py() or 0
        if n_unknown:
            codes = sorted(set(pc.filter(opps.column("currency"), unknown).to_pylist()))
            self.warnings.append(f"opportunities: {n_unknown} amounts in currencies with no rate ({', '.join(codes)}); left unconverted")
        pos = opps.schema.get_field_index("amount_corporate")
        self.tables["opportunities"] = opps.set_column(pos, "amount_corporate", converted)

    def _check_references(self) -> None:
        for name, spec in TABLES.items():
            t = self.tables[name]
            if t.num_rows == 0:
                continue
            for col in spec.columns:
                if not col.references:
                    continue
                target_name, target_col = col.references.split(".")
                target = self.tables[target_name]
                if target.num_rows == 0:
                    continue
                values = t.column(col.name)
                dangling = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=target.column(target_col))))
                n = pc.sum(dangling).as_py() or 0
                if n:
                    example = pc.filter(values, dangling)[0].as_py()
                    self.warnings.append(
                        f"{name}.{col.name}: {n} rows refer to {target_name} not in the import (e.g. {example})"
                    )


def _compact(t: pa.Table) -> pa.Table:
    """``t`` with its few-valued text columns dictionary-encoded (see :data:`COMPACT_ROWS`)."""
    if t.num_rows < COMPACT_ROWS:
        return t
    for i, f in enumerate(t.schema):
        if not pa.types.is_string(f.type):
            continue
        col = t.column(i)
        if (pc.count_distinct(col.slice(0, 4096)).as_py() or 0) > COMPACT_VALUES:  # names, subjects: many values
            continue
        encoded = pc.dictionary_encode(col)  # one dictionary for every chunk
        if encoded.num_chunks and len(encoded.chunk(0).dictionary) <= COMPACT_VALUES:
            t = t.set_column(i, pa.field(f.name, _SMALL_DICTIONARY, f.nullable, f.metadata), encoded.cast(_SMALL_DICTIONARY))
    return t


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _all_distinct(col: pa.ChunkedArray) -> bool:
    """True when the ids certainly all differ, read from a 64-bit hash of each (8 bytes an id).

    For ids of one width (Salesforce's 18 characters) and no nulls: each id's bytes are hashed
    (FNV-1a) in place and the hashes sorted. No two equal hashes proves every id distinct;
    otherwise (or for ids of mixed widths) False sends the caller to the exact count, which holds
    a copy of every id in a hash table (what this spares an import of a million activities).
    """
    hashes: list[np.ndarray] = []
    width: int | None = None
    for chunk in col.chunks:
        if len(chunk) == 0:
            continue
        if chunk.null_count or not pa.types.is_string(chunk.type):
            return False
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        w = int(offsets[1] - offsets[0])
        if width is None:
            width = w
        if w != width or w == 0 or int(offsets[-1] - offsets[0]) != w * len(chunk):
            return False
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(len(chunk), w)
        h = np.full(len(chunk), _FNV_OFFSET, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(w):
                np.bitwise_xor(h, data[:, j], out=h, casting="unsafe")
                np.multiply(h, _FNV_PRIME, out=h)
        hashes.append(h)
    if not hashes:
        return True
    every = np.concatenate(hashes) if len(hashes) > 1 else hashes[0]
    del hashes
    every.sort()
    return not bool(np.any(every[1:] == every[:-1]))
