"""On DuckDB the analysis writes its result tables into the results file itself (issue 12): no
result table's rows come to Python, and the file holds what the Arrow path writes (the same
columns, DuckDB types, rows and ``as_of`` stamp)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from engine_support import RESULT_KEYS, table_differences

from accountleader.domain.as_of import AsOf
from accountleader.engine import analyze, storage
from accountleader.engine.analyze import Analysis, run_analysis
from accountleader.workspace import Workspace

#: what the analysis genuinely needs in Python: titles to classify, the win model's panel and rates
PYTHON_INPUTS = {"contact_titles", "contact_roles_in", "win_panel", "stage_win_rates"}


def _tables(path: Path) -> dict[str, tuple[list[tuple[str, str]], pa.Table]]:
    """Each table of a database file: its columns with their DuckDB types, and its rows."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall() if n != storage.META_TABLE]
        return {n: ([(c, t) for c, t, *_ in con.execute(f'DESCRIBE "{n}"').fetchall()],
                    con.execute(f'SELECT * FROM "{n}"').to_arrow_table()) for n in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def written(demo_workspace: Workspace, as_of: datetime, tmp_path_factory: pytest.TempPathFactory,
            ) -> tuple[Analysis, Path, list[str]]:
    """The analysis with a results file to write into, and what it fetched as Arrow."""
    fetched: list[str] = []
    arrow = analyze._Plan.arrow

    def watching(self, expr, name, **kw):  # type: ignore[no-untyped-def]
        fetched.append(name)
        return arrow(self, expr, name, **kw)

    draft = storage.results_draft(tmp_path_factory.mktemp("written") / "results.duckdb", AsOf.of(as_of))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(analyze._Plan, "arrow", watching)
        result = run_analysis(demo_workspace.tables(), as_of=as_of, settings=demo_workspace.settings,
                              results_file=draft)
    return result, draft, fetched


def test_no_result_table_comes_to_python(written: tuple[Analysis, Path, list[str]], duckdb_analysis: Analysis) -> None:
    result, _, fetched = written
    assert result.tables == {}
    assert set(result.written) == set(duckdb_analysis.tables)
    assert set(fetched) == PYTHON_INPUTS, fetched


def test_the_file_holds_what_the_arrow_path_writes(
    written: tuple[Analysis, Path, list[str]], duckdb_analysis: Analysis, as_of: datetime, tmp_path: Path,
) -> None:
    result, draft, _ = written
    reference = tmp_path / "reference.duckdb"
    storage.write_database(reference, storage.stamp_as_of(duckdb_analysis.tables, AsOf.of(as_of)), {"test": True})
    expected, got = _tables(reference), _tables(draft)
    assert set(got) == set(expected) == set(duckdb_analysis.tables)
    problems: list[str] = []
    for name, (columns, rows) in expected.items():
        got_columns, got_rows = got[name]
        assert got_columns == columns, name  # names, order and DuckDB types
        assert got_rows.num_rows == result.written[name] == duckdb_analysis.tables[name].num_rows, name
        # kept in key order by the engine, as the Arrow path sorts them
        assert got_rows.equals(got_rows.sort_by([(k, "ascending") for k in RESULT_KEYS[name]])), name
        problems += table_differences(name, rows, got_rows)
    assert not problems, "\n".join(problems)
    # the tables the engine fills beyond its query (JSON lists, the win model's columns) are not empty
    opps = got["opportunity_results"][1]
    assert opps.column("roles_engaged").null_count < opps.num_rows
    assert opps.column("win_basis").null_count < opps.num_rows


def test_a_failed_analysis_leaves_neither_draft_nor_new_results(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from demo_support import private_copy

    copy = private_copy(demo_workspace.path, tmp_path / "ws")

    def broken(*_: object, **__: object) -> str:
        raise RuntimeError("the engine failed")

    monkeypatch.setattr(analyze.results_file, "select", broken)
    with Workspace.open(copy) as ws, pytest.raises(RuntimeError, match="the engine failed"):
        ws.analyze(force=True)
    assert not (copy / "results.duckdb").exists()
    left = [p.name for p in (copy / storage.SNAPSHOT_DIR).iterdir()] if (copy / storage.SNAPSHOT_DIR).exists() else []
    assert left == [], left
