"""Any CRM's CSV files, described by a YAML column mapping.

A mapping names, per canonical table, one or more source files and how each
canonical column is filled::

    ids: plain                 # or "salesforce" to normalise 15/18-character ids
    tables:
      opportunities:
        - file: sales_pipeline.csv
          columns:
            opportunity_id: opportunity_id          # a source column
            stage: deal_stage
            is_won: {column: deal_stage, in: [Won]} # true when the value is in the list
            product: {column: product, replace: {GTXPro: GTX Pro}}
            currency: {value: USD}                  # a constant
            name: {join: [first_name, last_name]}   # columns joined with a space
          distinct: [manager]                       # keep the first row per value (optional)

See ``mappings/maven_crm.yaml`` for a worked example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from ..domain.schema import TABLES
from ..errors import ConfigError, InputError, Problem
from .batch import PROBLEM_CAP, ImportBatch
from .coerce import ColumnSource, Derived, build_table
from .normalize import add_user_functions, opportunity_type
from .objectreader import Progress
from .rawtable import RawTable, read_raw
from .source import Source

BUILTIN_MAPPINGS = Path(__file__).parent / "mappings"
_RULE_KEYS = {"column", "value", "in", "replace", "join"}


def load_mapping(path: Path) -> dict[str, Any]:
    if not path.exists() and (BUILTIN_MAPPINGS / f"{path}.yaml").exists():
        path = BUILTIN_MAPPINGS / f"{path}.yaml"
    if not path.exists():
        raise ConfigError(f"mapping file {path} not found (built-in mappings: {', '.join(builtin_mappings())})")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    _validate(doc, path)
    return doc


def builtin_mappings() -> list[str]:
    return sorted(p.stem for p in BUILTIN_MAPPINGS.glob("*.yaml"))


def _validate(doc: Any, path: Path) -> None:
    def fail(where: str, msg: str) -> None:
        raise ConfigError(f"{path}: {where}: {msg}")

    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        fail("top level", "expected a mapping with a 'tables' section")
    if doc.get("ids", "plain") not in ("plain", "salesforce"):
        fail("ids", "must be 'plain' or 'salesforce'")
    for table, sources in doc["tables"].items():
        if table not in TABLES:
            fail(f"tables.{table}", f"unknown table; known: {', '.join(TABLES)}")
        if isinstance(sources, dict):
            sources = [sources]
            doc["tables"][table] = sources
        if not isinstance(sources, list) or not sources:
            fail(f"tables.{table}", "expected a list of sources")
        for i, src in enumerate(sources):
            where = f"tables.{table}[{i}]"
            if not isinstance(src, dict) or "file" not in src or not isinstance(src.get("columns"), dict):
                fail(where, "each source needs 'file' and 'columns'")
            known = set(TABLES[table].column_names)
            for col, rule in src["columns"].items():
                if col not in known:
                    fail(f"{where}.columns.{col}", f"not a column of {table}; known: {', '.join(sorted(known))}")
                if isinstance(rule, dict):
                    extra = set(rule) - _RULE_KEYS
                    if extra or not (rule.keys() & {"column", "value", "join"}):
                        fail(f"{where}.columns.{col}", f"a rule needs one of column/value/join, with optional in/replace; got {sorted(rule)}")
                elif not isinstance(rule, str):
                    fail(f"{where}.columns.{col}", "expected a source column name or a rule")
            missing = [c for c in TABLES[table].required if c not in src["columns"]]
            if missing:
                fail(where, f"required columns not mapped: {', '.join(missing)}")


def _apply_rule(raw: RawTable, rule: Any, n: int) -> pa.ChunkedArray | pa.Array:
    if isinstance(rule, str):
        return raw.table.column(rule)
    if "value" in rule:
        return pa.array([None if rule["value"] is None else str(rule["value"])] * n, pa.string())
    if "join" in rule:
        parts = [pc.fill_null(raw.table.column(c), "") for c in rule["join"]]
        return pc.utf8_trim_whitespace(pc.binary_join_element_wise(*parts, " "))
    col = raw.table.column(rule["column"])
    if "replace" in rule:
        keys = pa.array([str(k) for k in rule["replace"]])
        vals = pa.array([str(v) for v in rule["replace"].values()])
        idx = pc.index_in(col, value_set=keys)
        col = pc.if_else(pc.is_valid(idx), pc.take(vals, pc.fill_null(idx, 0)), col)
    if "in" in rule:
        hit = pc.is_in(col, value_set=pa.array([str(v) for v in rule["in"]]))
        col = pc.if_else(pc.fill_null(hit, False), "true", "false")
    return col


def _columns_used(rule: Any) -> list[str]:
    if isinstance(rule, str):
        return [rule]
    if "column" in rule:
        return [rule["column"]]
    return list(rule.get("join", []))


def read_mapped_csv(path: Path, mapping_path: Path, *, progress: Progress | None = None) -> tuple[ImportBatch, dict[str, pa.Table]]:
    mapping = load_mapping(mapping_path)
    base = Path(path)
    source = Source(base)
    batch = ImportBatch(source=str(path), kind="csv")
    salesforce_ids = mapping.get("ids", "plain") == "salesforce"
    items = [(t, s) for t, sources in mapping["tables"].items() for s in sources]
    used: set[str] = set()
    for i, (table, src) in enumerate(items):
        if progress:
            progress(f"reading {src['file']}", i / len(items))
        f = source.get(Path(src["file"]).stem)
        if f is None:
            raise InputError(f"{base}: file {src['file']!r} named in the mapping was not found", file=src["file"])
        used.add(f.name)
        raw = batch.raws.get(f.name) or read_raw(f)
        if f.name not in batch.raws:
            batch.raws[f.name] = raw
            batch.problems.extend(raw.problems)
            batch.files_read[f.name] = raw.table.num_rows
        missing = sorted({c for rule in src["columns"].values() for c in _columns_used(rule) if not raw.has(c)})
        if missing:
            for c in missing:
                batch.problems.append(Problem(raw.file, 1, c, None, "column named in the mapping is missing from the header"))
            continue
        view = _distinct(raw, src.get("distinct"))
        n = view.table.num_rows
        cols: dict[str, ColumnSource] = {}
        for col, rule in src["columns"].items():
            shown = ", ".join(_columns_used(rule)) or col
            if table == "opportunities" and col == "type":
                cols[col] = Derived(shown, lambda r, rl=rule, k=n: opportunity_type(_apply_rule(r, rl, k)))
            elif isinstance(rule, str):
                cols[col] = rule
            else:
                cols[col] = Derived(shown, lambda r, rl=rule, k=n: _apply_rule(r, rl, k))
        batch.add(table, build_table(view, TABLES[table], cols, salesforce_ids=salesforce_ids, problems=batch.problems, cap=PROBLEM_CAP))
    batch.files_ignored = sorted(f.name for f in source.files.values() if f.name not in used)
    if "users" in batch.tables:
        batch.tables["users"] = add_user_functions(batch.tables["users"], batch.tables.get("opportunities"))
    return batch, batch.finish()


def _distinct(raw: RawTable, columns: list[str] | None) -> RawTable:
    """Keep the first row for each value of ``columns`` (e.g. one row per manager)."""
    if not columns:
        return raw
    t = raw.table
    key = pc.binary_join_element_wise(*[pc.fill_null(t.column(c), "") for c in columns], "\x1f")
    first = pc.index_in(pc.unique(key), value_set=key)
    keep = pc.filter(first, pc.is_valid(first))
    kept = pc.sort_indices(keep)
    return raw.view(pc.take(keep, kept))
