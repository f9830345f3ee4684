"""A workspace that cannot be used says so: corrupt, read-only and busy each have their own exit
code (3, 4, 5) and a message saying what to do, never a traceback; `analyze --force` recomputes;
unreadable results are recomputed, never reused; results older than the settings are flagged."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.engine import storage


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def said(con: CaptureConsole) -> str:
    """Everything printed, with the console's line wrapping undone (a long workspace path wraps it)."""
    return " ".join((con.out + "\n" + con.errors).split())


@pytest.fixture
def ws(demo_workspace: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(demo_workspace, target, ignore=shutil.ignore_patterns("app.sqlite*", ".secret_key"))
    return target


def _no_traceback(con: CaptureConsole) -> None:
    text = said(con)
    assert "Traceback" not in text and "internal error" not in text and "report it" not in text


def test_corrupt_crm_database_exits_3_and_says_to_import_again(ws: Path) -> None:
    (ws / "crm.duckdb").write_bytes(b"\0garbage" * 4096)
    code, con = run("-w", str(ws), "status")
    assert code == 3, said(con)
    assert "crm.duckdb is not a readable database" in said(con) and "import the data again" in said(con)
    _no_traceback(con)


def test_corrupt_results_exit_3_on_read_and_are_recomputed_not_reused(ws: Path) -> None:
    (ws / "results.duckdb").write_bytes(b"not a database at all" * 500)
    code, con = run("-w", str(ws), "show", "reps")
    assert code == 3 and "analyze --force" in said(con), said(con)
    _no_traceback(con)
    code, con = run("-w", str(ws), "analyze")
    assert code == 0, said(con)
    assert "results computed" in con.out and "reused" not in con.out
    assert "could not be read and were recomputed" in said(con)
    code, con = run("-w", str(ws), "show", "reps", "--json")
    assert code == 0 and json.loads(con.out)


def test_results_without_their_meta_table_are_recomputed(ws: Path) -> None:
    path = ws / "results.duckdb"
    path.unlink()
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE reps AS SELECT 1 AS x")
    con.close()
    code, out = run("-w", str(ws), "analyze", "--json")
    assert code == 0, said(out)
    assert json.loads(out.out)["reused"] is False


def test_analyze_force_recomputes_when_reuse_would_apply(ws: Path) -> None:
    code, con = run("-w", str(ws), "analyze", "--json")
    assert code == 0 and json.loads(con.out)["reused"] is True
    code, con = run("-w", str(ws), "analyze", "--force", "--json")
    assert code == 0 and json.loads(con.out)["reused"] is False


def test_read_only_workspace_exits_4_and_says_how_to_fix(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(directory: Path) -> None:
        raise PermissionError(13, "Permission denied", str(directory / ".lock"))

    # as root chmod does not stop writes, so the refusal is simulated where the lock is opened
    monkeypatch.setattr(storage, "_open_lock", denied)
    code, con = run("-w", str(ws), "analyze", "--force")
    assert code == 4, said(con)
    assert "permission denied" in said(con) and "chmod u+w" in said(con)
    _no_traceback(con)
    monkeypatch.undo()
    code, con = run("-w", str(ws), "status")  # reading a read-only workspace still works
    assert code == 0, said(con)


def test_busy_workspace_exits_5_while_another_writer_holds_it(ws: Path) -> None:
    with storage.exclusive(ws, "import"):
        code, con = run("-w", str(ws), "analyze", "--force")
    assert code == 5, said(con)
    assert "busy" in said(con) and "try again" in said(con)
    _no_traceback(con)


def test_busy_workspace_exits_5_while_another_program_has_the_file_open(ws: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "time.sleep(60)", str(ws / "crm.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, con = run("-w", str(ws), "status")
    finally:
        holder.kill()
        holder.wait()
    assert code == 5, said(con)
    assert "crm.duckdb open" in said(con) and "try again" in said(con)
    _no_traceback(con)


def test_results_computed_under_other_settings_are_flagged_stale(ws: Path) -> None:
    code, con = run("-w", str(ws), "status", "--json")
    assert code == 0 and json.loads(con.out)["results"]["stale"] is False
    code, con = run("-w", str(ws), "settings", "set", "dark_after_days", "45")
    assert code == 0, said(con)
    code, con = run("-w", str(ws), "status", "--json")
    results = json.loads(con.out)["results"]
    assert results["stale"] is True and "settings changed since" in results["reasons"]
    code, con = run("-w", str(ws), "status")
    assert "stale:" in said(con) and "settings changed since" in said(con)
    run("-w", str(ws), "analyze")
    code, con = run("-w", str(ws), "status", "--json")
    assert json.loads(con.out)["results"]["stale"] is False
