"""docs/data-model.md names every table and every column, and nothing that no longer exists.

The expected tables are the canonical ones (``domain/schema.py``), the result contract
(``RESULT_TABLES``) with the further columns analyze writes after it (``RESULT_EXTRA_COLUMNS``)
and the ``as_of`` stamp, the supporting result tables (``SUPPORTING_TABLES``) and ``_meta``.
The doc is read as Markdown here, not regenerated, so a hand edit that drops or invents a table
or column fails too.  The slow test checks those descriptions against what analyze really
writes, on an analysed demo company.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accountleader.domain.datamodel_doc import (
    AS_OF_COLUMN,
    CRM_META_KEYS,
    META_TABLE,
    RESULTS_META_KEYS,
)
from accountleader.domain.results import (
    RESULT_EXTRA_COLUMNS,
    RESULT_KEYS,
    RESULT_TABLES,
    SUPPORTING_TABLES,
)
from accountleader.domain.schema import TABLES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "data-model.md"

Columns = list[tuple[str, str]]


def documented_tables(text: str) -> dict[str, Columns]:
    """Per ``## `table``` heading: the (column, type) rows of the first ``| column |`` table under it."""
    tables: dict[str, Columns] = {}
    current: str | None = None
    state = "before"
    for line in text.splitlines():
        heading = re.match(r"^## `([^`]+)`\s*$", line)
        if heading:
            current, state = heading.group(1), "before"
            assert current not in tables, f"docs/data-model.md documents table {current!r} twice"
            tables[current] = []
            continue
        if line.startswith("#"):
            current = None
            continue
        if current is None or state == "done":
            continue
        if state == "before":
            if line.startswith("| column |"):
                state = "in"
            continue
        if line.startswith("|---"):
            continue
        row = re.match(r"^\| `([^`]+)` \| (\w+) \|", line)
        if row:
            tables[current].append((row.group(1), row.group(2)))
        else:
            state = "done"
    return tables


def _columns(columns) -> Columns:  # type: ignore[no-untyped-def]
    return [(c.name, c.type) for c in columns]


def expected_tables() -> dict[str, Columns]:
    """Every table the doc must describe, with its columns in order."""
    out: dict[str, Columns] = {t.name: _columns(t.columns) for t in TABLES.values()}
    out[META_TABLE] = [("key", "string"), ("value", "string")]
    stamp = [(AS_OF_COLUMN.name, AS_OF_COLUMN.type)]
    for t in RESULT_TABLES.values():
        out[t.name] = _columns(t.columns) + _columns(RESULT_EXTRA_COLUMNS.get(t.name, ())) + stamp
    for t in SUPPORTING_TABLES.values():
        out[t.name] = _columns(t.columns) + stamp
    return out


def _differences(expected: dict[str, Columns], found: dict[str, Columns], where: str) -> list[str]:
    problems = []
    missing = sorted(set(expected) - set(found))
    stale = sorted(set(found) - set(expected))
    if missing:
        problems.append(f"tables missing from {where}: {missing}")
    if stale:
        problems.append(f"tables in {where} that no longer exist: {stale}")
    for name in sorted(set(expected) & set(found)):
        want, got = expected[name], found[name]
        if want == got:
            continue
        want_names, got_names = [c for c, _ in want], [c for c, _ in got]
        gone = [c for c in want_names if c not in got_names]
        extra = [c for c in got_names if c not in want_names]
        if gone:
            problems.append(f"{name}: columns missing from {where}: {gone}")
        if extra:
            problems.append(f"{name}: columns in {where} that no longer exist: {extra}")
        if not gone and not extra:
            if want_names != got_names:
                problems.append(f"{name}: columns in another order in {where}: {got_names}")
            else:
                types = [(c, w, g) for (c, w), (_, g) in zip(want, got, strict=True) if w != g]
                problems.append(f"{name}: (column, described type, {where} type): {types}")
    return problems


def test_every_table_and_column_is_in_the_data_model_doc() -> None:
    problems = _differences(expected_tables(), documented_tables(DOC.read_text(encoding="utf-8")), "docs/data-model.md")
    assert not problems, "docs/data-model.md is out of step with the contracts " \
        "(run `accountleader docs data-model > docs/data-model.md`):\n" + "\n".join(problems)


def test_the_doc_check_sees_a_missing_and_a_stale_column() -> None:
    """The parser is not vacuous: dropping a column row, or renaming one, is caught."""
    text = DOC.read_text(encoding="utf-8")
    expected = expected_tables()
    dropped = text.replace("| `win_rate_amount` | float |", "| win_rate_amount | float |", 1)
    renamed = text.replace("| `gap` | string |", "| `gap_kind` | string |", 1)
    no_table = text.replace("## `pending_quotes`", "## pending quotes", 1)
    assert any("win_rate_amount" in p for p in _differences(expected, documented_tables(dropped), "doc"))
    assert any("gap_kind" in p for p in _differences(expected, documented_tables(renamed), "doc"))
    assert any("pending_quotes" in p for p in _differences(expected, documented_tables(no_table), "doc"))


def test_every_result_column_has_a_meaning_and_every_result_table_a_grain_and_key() -> None:
    result_tables = {**RESULT_TABLES, **SUPPORTING_TABLES}
    assert set(RESULT_KEYS) == set(result_tables), "RESULT_KEYS must name the key of every result table"
    assert not set(RESULT_EXTRA_COLUMNS) - set(RESULT_TABLES)
    assert not set(SUPPORTING_TABLES) & set(RESULT_TABLES)
    for name, t in result_tables.items():
        assert t.description.startswith("One row per "), f"{name}: the description must open with its grain"
        columns = [*t.columns, *RESULT_EXTRA_COLUMNS.get(name, ())]
        names = [c.name for c in columns]
        assert len(names) == len(set(names)), f"{name}: a column is described twice"
        assert AS_OF_COLUMN.name not in names, f"{name}: as_of is the stamp, not a column of the contract"
        assert set(RESULT_KEYS[name]) <= set(names), f"{name}: its key names a column it does not have"
        for c in columns:
            words = c.description.rstrip(".").split()
            assert len(words) >= 2 and c.description.endswith("."), f"{name}.{c.name}: describe what it means"
    for name, t in {**RESULT_TABLES, **SUPPORTING_TABLES}.items():
        assert t.primary_key == ", ".join(RESULT_KEYS[name]), name


def test_descriptions_agree_with_the_engine() -> None:
    """The keys are the engine's sort keys, the tables the ones it writes, the names its names."""
    from accountleader.engine import analyze, storage

    assert {k: tuple(v) for k, v in analyze._SORT_KEYS.items()} == RESULT_KEYS
    assert META_TABLE == storage.META_TABLE
    assert AS_OF_COLUMN.name == storage.AS_OF_COLUMN


# -- against what analyze writes ---------------------------------------------------------------------

_DUCKDB_TYPES = {
    "VARCHAR": {"id", "string"},
    "BIGINT": {"int"},
    "INTEGER": {"int"},
    "DOUBLE": {"float"},
    "BOOLEAN": {"bool"},
    "TIMESTAMP": {"timestamp"},
    "DATE": {"date"},
}


def _written(path: Path) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    """The tables of a workspace database, with (column, DuckDB type), and its ``_meta`` keys in order."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
        meta = [k for (k,) in con.execute(f"SELECT key FROM {META_TABLE} ORDER BY rowid").fetchall()]
    finally:
        con.close()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return tables, meta


@pytest.mark.slow
def test_the_doc_describes_what_analyze_writes(tmp_path_factory: pytest.TempPathFactory) -> None:
    """An analysed demo company's results and CRM files hold exactly the documented tables and
    columns, in order, of the documented types, and ``_meta`` the documented keys."""
    from demo_support import demo_template

    workspace, _, _ = demo_template(tmp_path_factory, seed=7, scale=0.1)
    expected = expected_tables()
    results, results_meta = _written(workspace / "results.duckdb")
    crm, crm_meta = _written(workspace / "crm.duckdb")

    result_names = set(RESULT_TABLES) | set(SUPPORTING_TABLES)
    assert set(results) - {META_TABLE} == result_names, "analyze writes other tables than docs/data-model.md describes"
    assert set(crm) - {META_TABLE} == set(TABLES)
    problems = []
    for name, columns in {**results, **crm}.items():
        found = [(c, kind) for c, kind in columns]
        want = expected[name]
        names_found, names_want = [c for c, _ in found], [c for c, _ in want]
        if names_found != names_want:
            problems.append(f"{name}: written {names_found}, documented {names_want}")
            continue
        for (column, kind), (_, described) in zip(found, want, strict=True):
            if described not in _DUCKDB_TYPES.get(kind, {kind.lower()}):
                problems.append(f"{name}.{column}: written as {kind}, documented as {described}")
    assert not problems, "\n".join(problems)
    assert results_meta == [k for k, _ in RESULTS_META_KEYS]
    assert crm_meta == [k for k, _ in CRM_META_KEYS]
