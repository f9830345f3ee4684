"""Any CRM's CSV files, described by a YAML column mapping.

A mapping names, per canonical table, one or more source files and how each
canonical column is filled::

    ids: plain                 # or "salesforce" to normalise 15/18-character ids
    delimiter: ","             # default for every source (optional)
    encoding: utf-8            # default for every source (optional; detected when absent)
    tables:
      opportunities:
        - file: sales_pipeline.csv
          delimiter: ";"                            # this file's separator (optional)
          encoding: cp1252                          # this file's encoding (optional)
          columns:
            opportunity_id: opportunity_id          # a source column
            stage: deal_stage
            is_won: {column: deal_stage, in: [Won]} # true when the value is in the list
            product: {column: product, replace: {GTXPro: GTX Pro}}
            currency: {value: USD}                  # a constant
            name: {join: [first_name, last_name]}   # columns joined with a space
          distinct: [manager]                       # keep the first row per value (optional)
          attributes: [competitor, rfp]             # extra columns kept as JSON (optional)

Options per source (each may also be given once at the top level as a default):

- ``delimiter``: one character, e.g. ``";"`` for European Excel exports; ``"\t"`` or
  ``tab`` for tab-separated files.  Default ``,``.
- ``encoding``: a Python codec name such as ``utf-8``, ``cp1252`` or ``latin-1``.
  Default: detected (UTF-8 with or without BOM, else cp1252, else Latin-1).  A file
  that is not in the named encoding is refused, naming the line and bytes.

Generated ids: a file without an id column can have its primary key generated with
``{generate: true}`` (only on the table's primary key, e.g.
``opportunity_id: {generate: true}``).  The id is ``<file stem>:<line>``, e.g.
``deals:2`` for the first data row of ``deals.csv``: deterministic, so re-importing
the same file gives the same ids (editing the file above a row moves its line, and
with it its id).

Attributes (``accounts`` and ``opportunities`` only): ``attributes:`` lists source
columns to keep in the table's ``attributes`` column as a JSON object of text values,
either as a list (the key is the column name) or as a mapping ``{key: column}``::

    attributes: {competitor: Competitor__c, rfp: "RFP?"}

Blank values are left out; a row with no values has an empty (null) ``attributes``.
Unknown keys and bad values are refused with a :class:`ConfigError` that names the
YAML key.  See ``mappings/maven_crm.yaml`` for a worked example.
"""

from __future__ import annotations

import codecs
import json
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
_SOURCE_KEYS = {"file", "columns", "distinct", "delimiter", "encoding", "attributes"}
_TOP_KEYS = {"ids", "tables", "delimiter", "encoding"}
_ATTRIBUTE_TABLES = ("accounts", "opportunities")


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
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        fail(unknown[0], f"unknown key; known: {', '.join(sorted(_TOP_KEYS))}")
    if doc.get("ids", "plain") not in ("plain", "salesforce"):
        fail("ids", "must be 'plain' or 'salesforce'")
    for key in ("delimiter", "encoding"):
        if key in doc:
            doc[key] = _check_option(key, doc[key], key, fail)
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
            unknown = sorted(set(src) - _SOURCE_KEYS)
            if unknown:
                fail(f"{where}.{unknown[0]}", f"unknown key; known: {', '.join(sorted(_SOURCE_KEYS))}")
            for key in ("delimiter", "encoding"):
                if key in src:
                    src[key] = _check_option(key, src[key], f"{where}.{key}", fail)
            if "attributes" in src:
                src["attributes"] = _check_attributes(table, src, f"{where}.attributes", fail)
            known = set(TABLES[table].column_names)
            for col, rule in src["columns"].items():
                if col not in known:
                    fail(f"{where}.columns.{col}", f"not a column of {table}; known: {', '.join(sorted(known))}")
                if isinstance(rule, dict) and "generate" in rule:
                    if col != TABLES[table].primary_key:
                        fail(f"{where}.columns.{col}", f"generate: only the primary key ({TABLES[table].primary_key}) can be generated")
                    if rule != {"generate": True}:
                        fail(f"{where}.columns.{col}", "write {generate: true} (from the file name and line number)")
                elif isinstance(rule, dict):
                    extra = set(rule) - _RULE_KEYS
                    if extra or not (rule.keys() & {"column", "value", "join"}):
                        fail(f"{where}.columns.{col}", f"a rule needs one of column/value/join, with optional in/replace; got {sorted(rule)}")
                elif not isinstance(rule, str):
                    fail(f"{where}.columns.{col}", "expected a source column name or a rule")
            missing = [c for c in TABLES[table].required if c not in src["columns"]]
            if missing:
                fail(where, f"required columns not mapped: {', '.join(missing)}")


def _check_option(key: str, value: Any, where: str, fail: Any) -> str:
    if key == "delimiter":
        if value in ("tab", "\\t"):
            value = "\t"
        if not isinstance(value, str) or len(value) != 1 or value in ('"', "\n", "\r"):
            fail(where, f"expected one character such as ',' or ';' (or tab), got {value!r}")
        return value
    if not isinstance(value, str):
        fail(where, f"expected an encoding name such as utf-8, cp1252 or latin-1, got {value!r}")
    try:
        codecs.lookup(value)
    except LookupError:
        fail(where, f"unknown encoding {value!r}; use e.g. utf-8, cp1252 or latin-1")
    return value


def _check_attributes(table: str, src: dict[str, Any], where: str, fail: Any) -> dict[str, str]:
    """``attributes`` as a list of columns or a {key: column} mapping -> {key: column}."""
    if table not in _ATTRIBUTE_TABLES:
        fail(where, f"only {' and '.join(_ATTRIBUTE_TABLES)} keep attributes")
    if "attributes" in src["columns"]:
        fail(where, "give either columns.attributes or attributes, not both")
    value = src["attributes"]
    if isinstance(value, list) and value and all(isinstance(c, str) for c in value):
        return {c: c for c in value}
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(c, str) for k, c in value.items()):
        return dict(value)
    fail(where, "expected a list of source columns or a mapping {name: source column}")
    raise AssertionError  # fail raises


def _attributes_json(raw: RawTable, attributes: dict[str, str]) -> pa.Array:
    """One JSON object of the non-blank text values per row (null when all are blank)."""
    cols = {key: raw.table.column(col).to_pylist() for key, col in attributes.items()}
    out: list[str | None] = []
    for i in range(raw.table.num_rows):
        values = {k: v.strip() for k, vals in cols.items() if (v := vals[i]) is not None and v.strip()}
        out.append(json.dumps(values, ensure_ascii=False, sort_keys=False) if values else None)
    return pa.array(out, pa.string())


def _generated_ids(raw: RawTable, stem: str) -> pa.Array:
    """``<stem>:<line>`` for every row: stable across runs of the same file."""
    lines = pc.cast(raw.line_numbers(), pa.string())
    return pc.binary_join_element_wise(pa.array([stem] * len(lines), pa.string()), lines, ":")


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


def _source_files(source: Source) -> str:
    names = sorted(f.name for f in source.files.values())
    return ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "") if names else "no CSV or Parquet files"


def read_mapped_csv(path: Path, mapping_path: Path, *, progress: Progress | None = None) -> tuple[ImportBatch, dict[str, pa.Table]]:
    mapping = load_mapping(mapping_path)
    base = Path(path)
    source = Source(base)
    batch = ImportBatch(source=str(path), kind="csv")
    salesforce_ids = mapping.get("ids", "plain") == "salesforce"
    items = [(t, s) for t, sources in mapping["tables"].items() for s in sources]
    used: set[str] = set()
    raws: dict[tuple[str, str | None, str | None], RawTable] = {}
    for i, (table, src) in enumerate(items):
        if progress:
            progress(f"reading {src['file']}", i / len(items))
        f = source.get(Path(src["file"]).stem)
        if f is None:
            raise InputError(
                f"{base}: file {src['file']!r} named in the mapping was not found; the source has: {_source_files(source)}",
                file=src["file"],
            )
        used.add(f.name)
        delimiter = src.get("delimiter", mapping.get("delimiter"))
        encoding = src.get("encoding", mapping.get("encoding"))
        cached = raws.get((f.name, delimiter, encoding))
        raw = cached or read_raw(f, delimiter=delimiter, encoding=encoding)
        if cached is None:
            raws[(f.name, delimiter, encoding)] = raw
            batch.raws[f.name] = raw
            batch.problems.extend(raw.problems)
            batch.files_read[f.name] = raw.table.num_rows
        if not raw.table.num_columns:
            continue  # unreadable: the problem is already reported
        attributes: dict[str, str] = src.get("attributes", {})
        named = {c for rule in src["columns"].values() for c in _columns_used(rule)} | set(attributes.values())
        missing = sorted(c for c in named if not raw.has(c))
        if missing and len(raw.headers) == 1 and delimiter is None and any(d in raw.headers[0] for d in ";\t|"):
            batch.problems.append(
                Problem(raw.file, 1, None, raw.headers[0][:80], "the header is one column: set `delimiter` in the mapping (e.g. \";\")")
            )
            continue
        if missing:
            for c in missing:
                batch.problems.append(Problem(raw.file, 1, c, None, "column named in the mapping is missing from the header"))
            continue
        view = _distinct(raw, src.get("distinct"))
        n = view.table.num_rows
        cols: dict[str, ColumnSource] = {}
        for col, rule in src["columns"].items():
            shown = ", ".join(_columns_used(rule)) or col
            if isinstance(rule, dict) and rule.get("generate"):
                cols[col] = Derived(f"{col} (generated)", lambda r, st=Path(src["file"]).stem: _generated_ids(r, st))
            elif table == "opportunities" and col == "type":
                cols[col] = Derived(shown, lambda r, rl=rule, k=n: opportunity_type(_apply_rule(r, rl, k)))
            elif isinstance(rule, str):
                cols[col] = rule
            else:
                cols[col] = Derived(shown, lambda r, rl=rule, k=n: _apply_rule(r, rl, k))
        if attributes:
            cols["attributes"] = Derived(", ".join(attributes.values()), lambda r, a=attributes: _attributes_json(r, a))
        batch.add(table, build_table(view, TABLES[table], cols, salesforce_ids=salesforce_ids, problems=batch.problems, cap=PROBLEM_CAP))
        _report_rules(batch, raw.file, table, src["columns"])
    batch.files_ignored = sorted(f.name for f in source.files.values() if f.name not in used)
    if "users" in batch.tables:
        batch.tables["users"] = add_user_functions(batch.tables["users"], batch.tables.get("opportunities"))
    return batch, batch.finish()


def _report_rules(batch: ImportBatch, file: str, table: str, columns: dict[str, Any]) -> None:
    """Name generated ids and constants in the import report (they have no source column)."""
    for entry in batch.sources:
        if entry["file"] == file and entry["table"] == table:
            for col, rule in columns.items():
                if isinstance(rule, dict) and rule.get("generate"):
                    entry["columns"][col] = "(generated from file and line)"
                elif isinstance(rule, dict) and "value" in rule:
                    entry["columns"][col] = f"(constant {rule['value']!r})"


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
