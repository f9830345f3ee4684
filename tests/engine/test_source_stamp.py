"""Fivetran tables read in place: a new sync is seen, so results are never reused over new data.

Before, the fingerprint covered only the workspace's own file: after half the opportunities
were deleted in the warehouse, `analyze` answered "reused" with the old results.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from engine_support import land_fivetran

from accountleader.config import EngineSettings
from accountleader.engine.connect import source_stamp
from accountleader.workspace import Workspace


@pytest.fixture
def in_place(demo_workspace: Workspace, tmp_path: Path) -> tuple[Workspace, Path]:
    """A workspace whose engine reads Fivetran-landed tables in a DuckDB 'warehouse' file."""
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA salesforce")
    for name, path in land_fivetran(demo_workspace.crm_path, tmp_path / "landed").items():
        con.execute(f"CREATE TABLE salesforce.\"{name}\" AS SELECT * FROM read_parquet('{path}')")
    con.close()
    ws_dir = tmp_path / "ws"
    shutil.copytree(demo_workspace.path, ws_dir, ignore=shutil.ignore_patterns("results*.duckdb", "*.lock"))
    ws = Workspace.open(ws_dir)
    engine = EngineSettings(kind="warehouse", url=f"duckdb://{db}", source="fivetran", source_schema="salesforce")
    ws.save_settings(ws.settings.model_copy(update={"engine": engine}))
    return ws, db


def test_the_stamp_counts_rows_and_reads_the_last_sync_per_table(in_place: tuple[Workspace, Path]) -> None:
    ws, db = in_place
    stamp = {r["table"]: r for r in source_stamp(ws.settings.engine, ws.path)}
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM salesforce.opportunity").fetchone()[0]
    con.close()
    assert stamp["Opportunity"]["rows"] == n > 0
    assert stamp["Opportunity"]["last_synced"].startswith("2026-10-01")


def test_a_new_sync_that_deletes_deals_is_recomputed_not_reused(in_place: tuple[Workspace, Path]) -> None:
    ws, db = in_place
    first = ws.analyze()
    assert first.reused is False
    assert ws.analyze().reused is True  # nothing changed: reused
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM salesforce.opportunity WHERE hash(id) % 2 = 0")
    con.close()
    again = ws.analyze()
    assert again.reused is False
    assert again.tables["opportunity_results"] < first.tables["opportunity_results"]
