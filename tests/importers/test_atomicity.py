"""An import is all or nothing: kill -9 mid-way leaves the workspace exactly as it was."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from sf_export import Export

from accountleader.domain.schema import TABLES
from accountleader.engine import storage
from accountleader.workspace import Workspace

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("accountleader")


def _bench_module():
    spec = importlib.util.spec_from_file_location("al_import_speed", REPO / "benchmarks" / "import_speed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big") / "export"
    _bench_module().write_export(out, 200_000)
    return out


def _table_contents(ws: Workspace) -> dict[str, pa.Table]:
    """Each table sorted by its primary key (tables are sets; storage does not keep row order)."""
    return {name: t.to_pyarrow().sort_by(TABLES[name].primary_key) for name, t in ws.tables().items()}


def test_kill_9_during_an_import_leaves_the_workspace_as_it_was_and_the_next_open_cleans_up(
    sf_export: Export, big_export: Path, workspace_dir: Path, fingerprint
) -> None:
    with Workspace.open(workspace_dir) as ws:
        ws.import_salesforce(sf_export.write())
        status_before = ws.status()
    before = fingerprint(workspace_dir)

    proc = subprocess.Popen(
        [str(CLI), "-w", str(workspace_dir), "import", "salesforce", str(big_export)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    tmp_seen: list[Path] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        tmp_seen = list(workspace_dir.glob(".crm.duckdb.*.tmp"))
        if tmp_seen:
            time.sleep(0.05)  # let DuckDB get some way into writing it
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the import finished before it could be killed; use a bigger export"
    assert tmp_seen, "no temporary database appeared within 60 s"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL

    leftovers = list(workspace_dir.glob(".crm.duckdb.*.tmp*"))
    assert leftovers, "the kill should have left the half-written file behind"
    assert (workspace_dir / "crm.duckdb").read_bytes() and fingerprint(workspace_dir)["crm_sha256"] == before["crm_sha256"]

    with Workspace.open(workspace_dir) as ws:  # opening removes what the dead writer left
        assert not list(workspace_dir.glob(".crm.duckdb.*.tmp*"))
        assert ws.status() == status_before
    assert fingerprint(workspace_dir) == before


def test_stale_files_of_a_live_writer_are_left_alone(workspace_dir: Path) -> None:
    mine = workspace_dir / f".crm.duckdb.{os.getpid()}.tmp"
    mine.write_bytes(b"being written")
    dead = workspace_dir / ".crm.duckdb.999999999.tmp.wal"
    dead.write_bytes(b"left by a dead process")
    with storage.exclusive(workspace_dir, "import"):
        removed = storage.remove_stale_files(workspace_dir)
    assert mine.exists() and not dead.exists()
    assert [p.name for p in removed] == [".crm.duckdb.999999999.tmp"]


def test_importing_the_same_export_twice_gives_the_same_tables(big_export: Path, workspace_dir: Path) -> None:
    with Workspace.open(workspace_dir) as ws:
        first_summary = ws.import_salesforce(big_export)
        first = _table_contents(ws)
        second_summary = ws.import_salesforce(big_export)
        second = _table_contents(ws)
    assert first_summary.tables == second_summary.tables
    assert first_summary.warnings == second_summary.warnings
    assert first_summary.tables["activities"] == 200_000
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].equals(second[name]), name
