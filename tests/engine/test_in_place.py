"""Fivetran tables read in place (issue 12, part 3): one mapping, built once, memory-bounded, no import.

- The import (``import fivetran``) and the in-place source map the same landed tables onto the
  same canonical tables: both execute ``domain/salesforce_mapping.py``.
- ``engine.duckdb_memory_limit`` governs every DuckDB connection the engine opens, the one to an
  external DuckDB file holding Fivetran tables included (before, that one ran unbounded).
- A fresh workspace pointed at Fivetran tables analyses them and shows the sellers with no import
  (before, ``analyze`` refused: "has no data yet").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest
from engine_support import land_fivetran

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.config import EngineSettings
from accountleader.engine.connect import connect_duckdb, disconnect, engine_source
from accountleader.engine.fivetran_source import fivetran_tables
from accountleader.engine.warehouse import warehouse_connection
from accountleader.importers.fivetran import read_fivetran
from accountleader.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importers"))
from test_one_mapping import assert_same_tables  # noqa: E402

LIMIT = "700MB"


@pytest.fixture(scope="module")
def landed(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo company as Fivetran lands it: Parquet files, and a DuckDB 'warehouse' file of them."""
    base = tmp_path_factory.mktemp("in_place")
    files = land_fivetran(demo_workspace.crm_path, base / "landed")
    db = base / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA salesforce")
    for name, path in files.items():
        con.execute(f"CREATE TABLE salesforce.\"{name}\" AS SELECT * FROM read_parquet('{path}')")
    con.close()
    return base / "landed", db


def _engine(db: Path) -> EngineSettings:
    return EngineSettings(kind="warehouse", url=f"duckdb://{db}", source="fivetran", source_schema="salesforce",
                          duckdb_memory_limit=LIMIT)


def _limit_of(con: object) -> str:
    return con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[attr-defined]


def _expected_limit() -> str:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{LIMIT}'")
    value = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    default = duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert value != default  # the check below tells a bounded connection from one left at the default
    return value


def test_import_and_in_place_map_the_demo_onto_the_same_tables(landed: tuple[Path, Path]) -> None:
    files, db = landed
    _, imported = read_fivetran(files)
    source = engine_source(_engine(db), db)
    try:
        in_place = {name: t.to_pyarrow() for name, t in source.tables.items()}
    finally:
        source.close()
    assert in_place["opportunities"].num_rows > 100 and in_place["activities"].num_rows > 1000
    assert_same_tables(imported, in_place)


def test_in_place_tables_are_built_once_as_temporary_tables(landed: tuple[Path, Path]) -> None:
    _, db = landed
    con = warehouse_connection(_engine(db))
    try:
        before = {r[0] for r in con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
        tables = fivetran_tables(con, database="salesforce")
        temp = {r[0] for r in con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()} - before
        # one temporary table per canonical table the landed data feeds (stages: none landed)
        assert len(temp) == len([n for n in tables if n != "stages"])
        sql = str(con.compile(tables["opportunities"].filter(tables["opportunities"].is_won)))
        assert "stage_name" not in sql and "salesforce" not in sql  # reads the mapped rows, not the landing
    finally:
        disconnect(con)


def test_the_memory_limit_governs_every_engine_connection(landed: tuple[Path, Path], demo_workspace: Workspace) -> None:
    _, db = landed
    expected = _expected_limit()
    engine = _engine(db)
    con = warehouse_connection(engine)  # the external DuckDB file of Fivetran tables
    try:
        assert _limit_of(con) == expected
    finally:
        disconnect(con)
    source = engine_source(engine, db)  # the connection an in-place analysis reads
    try:
        assert _limit_of(source.tables["users"]._find_backend()) == expected
    finally:
        source.close()
    crm = connect_duckdb(demo_workspace.crm_path, memory_limit=LIMIT)  # the workspace's own file
    try:
        assert _limit_of(crm) == expected
    finally:
        disconnect(crm)


def _run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def test_a_fresh_workspace_analyzes_fivetran_tables_in_place_with_no_import(
    landed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, db = landed
    ws_dir = tmp_path / "fresh"
    ws = Workspace.open(ws_dir)
    ws.save_settings(ws.settings.model_copy(update={"engine": _engine(db)}))
    ws.close()
    assert not (ws_dir / "crm.duckdb").exists()

    code, con = _run("-w", str(ws_dir), "analyze", "--json")
    assert code == 0, con.errors
    summary = json.loads(con.out)
    assert summary["reused"] is False and summary["tables"]["reps"] > 0
    assert summary["as_of_basis"] != "given"  # the default as-of, read from the in-place source
    assert not (ws_dir / "crm.duckdb").exists()  # nothing was imported

    code, con = _run("-w", str(ws_dir), "show", "reps", "--json")
    assert code == 0, con.errors
    reps = json.loads(con.out)
    assert len(reps) == summary["tables"]["reps"]

    code, con = _run("-w", str(ws_dir), "analyze", "--json")
    assert code == 0, con.errors
    assert json.loads(con.out)["reused"] is True

    with Workspace.open(ws_dir) as again:  # the results connection is bounded too
        assert _limit_of(again.results("reps")._find_backend()) == _expected_limit()
