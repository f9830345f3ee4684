"""Results kept per as-of date: snapshots, pruning, and `report --as-of` never moving the web's default.

The storage tests use tiny hand-made result tables; the end-to-end test analyses a small demo
twice (the default as-of, then an earlier one through `report --as-of`) and checks the CLI and
the web/API through an in-process client, as tests/web does.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pytest

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.domain.as_of import AsOf
from accountleader.engine import storage
from accountleader.errors import NotFoundError

# -- storage: kept files, the current link, pruning ---------------------------------------------


def _tables(n: int = 3) -> dict[str, pa.Table]:
    return {"reps": pa.table({"user_id": [f"u{i}" for i in range(n)], "x": list(range(n))}),
            "teams": pa.table({"team": ["a"]})}


def _write(results: Path, day: str, *, current: bool, keep: int = 5) -> Path:
    when = AsOf.parse(day)
    meta = {"summary": {"as_of": when.iso()}, "computed_at": f"{day}T00:00:00+00:00", "data_id": "d" * 32}
    return storage.write_results(results, _tables(), meta, when, current=current, keep=keep)


def _dates(results: Path) -> list[tuple[str, bool]]:
    return [(s.as_of.key, s.current) for s in storage.result_snapshots(results)]


def test_every_result_table_is_stamped_with_its_as_of(tmp_path: Path) -> None:
    results = tmp_path / "results.duckdb"
    path = _write(results, "2026-03-31", current=True)
    assert path == tmp_path / "results" / "2026-03-31.duckdb"
    con = duckdb.connect(str(results), read_only=True)
    try:
        for name in ("reps", "teams"):
            rows = con.execute(f'SELECT DISTINCT as_of FROM "{name}"').fetchall()
            assert [r[0].isoformat() for r in rows] == ["2026-03-31T23:59:59"]
    finally:
        con.close()
    assert storage.read_meta(results)["as_of"] == "2026-03-31T23:59:59"


def test_a_snapshot_not_made_current_leaves_the_current_results_alone(tmp_path: Path) -> None:
    results = tmp_path / "results.duckdb"
    _write(results, "2026-03-31", current=True)
    before = results.stat().st_ino, results.stat().st_mtime_ns
    _write(results, "2026-01-31", current=False)
    assert (results.stat().st_ino, results.stat().st_mtime_ns) == before
    assert _dates(results) == [("2026-01-31", False), ("2026-03-31", True)]
    assert storage.current_as_of(results) == AsOf.parse("2026-03-31")
    # the same date again, made current: the link moves, nothing is copied
    _write(results, "2026-01-31", current=True)
    assert _dates(results) == [("2026-01-31", True), ("2026-03-31", False)]
    assert storage.same_file(results, tmp_path / "results" / "2026-01-31.duckdb")


def test_pruning_keeps_the_newest_dates_and_never_the_current_one(tmp_path: Path) -> None:
    results = tmp_path / "results.duckdb"
    _write(results, "2026-01-31", current=True, keep=3)  # the oldest date, and the web's default
    for day in ("2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"):
        _write(results, day, current=False, keep=3)
    assert _dates(results) == [("2026-01-31", True), ("2026-04-30", False), ("2026-05-31", False)]
    # an older date written now is kept (it was just asked for); the oldest other one goes
    _write(results, "2025-12-31", current=False, keep=3)
    assert _dates(results) == [("2025-12-31", False), ("2026-01-31", True), ("2026-05-31", False)]
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == [
        "2025-12-31.duckdb", "2026-01-31.duckdb", "2026-05-31.duckdb"]


def test_results_from_before_snapshots_are_adopted_and_a_copied_workspace_still_knows_its_current(
        tmp_path: Path) -> None:
    results = tmp_path / "ws" / "results.duckdb"
    results.parent.mkdir()
    when = AsOf.parse("2026-03-31")
    storage.write_database(results, _tables(), {"summary": {"as_of": when.iso()}})  # the old layout
    assert _dates(results) == [("2026-03-31", True)]
    _write(results, "2026-02-28", current=False)
    assert _dates(results) == [("2026-02-28", False), ("2026-03-31", True)]
    assert (tmp_path / "ws" / "results" / "2026-03-31.duckdb").exists()
    _write(results, "2026-03-31", current=True)
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "ws", copy)  # hard links become separate files
    assert _dates(copy / "results.duckdb") == [("2026-02-28", False), ("2026-03-31", True)]


def test_leftover_temporary_files_in_the_snapshot_folder_are_removed(tmp_path: Path) -> None:
    results = tmp_path / "results.duckdb"
    _write(results, "2026-03-31", current=True)
    stale = tmp_path / "results" / ".2026-04-30.duckdb.999999.tmp"
    stale.write_bytes(b"half")
    assert stale in storage.remove_stale_files(tmp_path)
    assert not stale.exists() and _dates(results) == [("2026-03-31", True)]


# -- end to end: CLI and web --------------------------------------------------------------------


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo, analysed at its default as-of (the web's default)."""
    path = tmp_path_factory.mktemp("snapshots") / "ws"
    code, con = run("-w", str(path), "demo", "--scale", "0.05", "--seed", "5")
    assert code == 0, con.errors
    code, con = run("-w", str(path), "analyze")
    assert code == 0, con.errors
    return path


class Client:
    """httpx against the ASGI app in process, with a bearer token (as tests/web drive it)."""

    def __init__(self, workspace: Path, username: str = "ada") -> None:
        from accountleader import store as app_store
        from accountleader.web import create_app

        self.app = create_app(workspace, f"sqlite:///{workspace / 'app.sqlite'}")
        st = self.app.state.al.store
        user = app_store.create_user(st, username=username, password="correct-horse-battery", role="admin")
        self.token = app_store.create_token(st, user_id=user.id, name="tests")
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False),
                                         base_url="http://testserver")

    def get(self, url: str) -> httpx.Response:
        return self._loop.run_until_complete(
            self._client.get(url, headers={"Authorization": f"Bearer {self.token}"}))

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
        self.app.state.al.close()
        self.app.state.al.store.close()


def _snapshots(path: Path) -> list[dict[str, Any]]:
    code, con = run("-w", str(path), "show", "snapshots", "--json")
    assert code == 0, con.errors
    return json.loads(con.out)


def _reps_as_of(path: Path, *extra: str) -> str:
    code, con = run("-w", str(path), "show", "reps", *extra)
    assert code == 0, con.errors
    return con.out


def test_report_as_of_keeps_both_dates_and_never_changes_the_web_default(analysed: Path, tmp_path: Path) -> None:
    [first] = _snapshots(analysed)
    assert first["current"] and not first["stale"]
    default = first["date"]
    earlier = (AsOf.parse(default).date - timedelta(days=31)).isoformat()

    client = Client(analysed)
    try:
        before = client.get("/api/v1/team").json()
        assert before["as_of"][:10] == default
        assert client.get(f"/api/v1/team?as_of={earlier}").status_code == 404  # not kept yet

        out = tmp_path / "report.md"
        code, con = run("-w", str(analysed), "report", "--as-of", earlier, "--format", "md", "--out", str(out))
        assert code == 0, con.errors
        assert f"as of {earlier}" in con.out  # the report prints its as-of ...
        assert earlier in out.read_text(encoding="utf-8")  # ... and names it inside

        # both dates kept; the current one is still the default
        kept = _snapshots(analysed)
        assert [(s["date"], s["current"]) for s in kept] == [(earlier, False), (default, True)]
        assert f"as of {default}" in _reps_as_of(analysed)
        assert f"as of {earlier}" in _reps_as_of(analysed, "--as-of", earlier)

        # the web (already running) still shows the default, and names it; ?as_of= picks the other
        after = client.get("/api/v1/team").json()
        assert after["as_of"] == before["as_of"] and after["reps"] == before["reps"]
        picked = client.get(f"/api/v1/team?as_of={earlier}")
        assert picked.status_code == 200, picked.text
        assert picked.json()["as_of"][:10] == earlier
        assert client.get(f"/api/v1/sellers?as_of={earlier}").json()["as_of"][:10] == earlier
        assert client.get("/api/v1/sellers").json()["as_of"][:10] == default
        listed = client.get("/api/v1/snapshots").json()
        assert listed["current"] == default and [s["date"] for s in listed["snapshots"]] == [earlier, default]

        page = client.get("/team")
        assert page.status_code == 200
        assert f"Results as of <strong>{default}</strong>" in page.text and f'href="?as_of={earlier}"' in page.text
        page = client.get(f"/team?as_of={earlier}")
        assert page.status_code == 200 and f"Results as of <strong>{earlier}</strong>" in page.text
        assert "a kept snapshot" in page.text

        # dates not kept, and values that are not dates: clear messages, no traceback
        missing = client.get("/api/v1/team?as_of=2001-01-01")
        assert missing.status_code == 404 and "no results kept for as-of 2001-01-01" in missing.json()["error"]["message"]
        bad = client.get("/api/v1/team?as_of=yesterday")
        assert bad.status_code == 422 and "is not a date like 2026-09-30" in bad.json()["error"]["message"]
        assert "Traceback" not in bad.text + missing.text

        # a fresh server starts on the default too
        fresh = Client(analysed, "bea")
        try:
            assert fresh.get("/api/v1/team").json()["as_of"] == before["as_of"]
        finally:
            fresh.close()
    finally:
        client.close()

    # `analyze` again (nothing changed) reuses the results and keeps the default
    code, con = run("-w", str(analysed), "analyze", "--json")
    assert code == 0 and json.loads(con.out)["reused"] is True
    assert [(s["date"], s["current"]) for s in _snapshots(analysed)] == [(earlier, False), (default, True)]

    # `analyze --as-of` is the one way to move the default: reused from the kept snapshot
    code, con = run("-w", str(analysed), "analyze", "--as-of", earlier, "--json")
    assert code == 0 and json.loads(con.out)["reused"] is True, con.errors
    assert [(s["date"], s["current"]) for s in _snapshots(analysed)] == [(earlier, True), (default, False)]
    assert f"as of {earlier}" in _reps_as_of(analysed)


def test_show_snapshots_prints_a_table(analysed: Path) -> None:
    code, con = run("-w", str(analysed), "show", "snapshots")
    assert code == 0, con.errors
    assert "result snapshots" in con.out and "web default" in con.out
    code, con = run("-w", str(analysed), "show", "reps", "--as-of", "2001-01-01")
    assert code == 2 and "no results kept for as-of 2001-01-01" in con.errors


def test_the_setting_bounds_the_kept_snapshots_and_changing_it_leaves_results_fresh(
        analysed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workspace.analyze prunes to ``results_snapshots_kept`` (the analysis itself is stubbed:
    what is tested is where its tables go)."""
    from types import SimpleNamespace

    import accountleader.workspace as workspace_module
    from accountleader.engine.analyze import Analysis
    from accountleader.workspace import Workspace

    def fake_analysis(tables: Any, *, as_of: Any, **_: Any) -> Analysis:
        fit = SimpleNamespace(signal=False, reason="stub", n_won=0, n_lost=0, n_accounts=0, base_rate=None,
                              permutation_p=None, auc=None, features_used=[], dropped={})
        return Analysis(as_of=as_of, tables=_tables(), fit_report=fit)  # type: ignore[arg-type]

    copy = tmp_path / "ws"
    shutil.copytree(analysed, copy, ignore=shutil.ignore_patterns("app.sqlite*", ".secret_key", "*.lock"))
    monkeypatch.setattr(workspace_module, "run_analysis", fake_analysis)
    with Workspace.open(copy) as ws:
        current = next(s["date"] for s in ws.snapshots() if s["current"])
        ws.save_settings(ws.settings.model_copy(update={"results_snapshots_kept": 2}))
        assert not ws.freshness()["stale"], "the number kept does not change what is computed"
        day = AsOf.parse(current).date
        older = [(day - timedelta(days=d)).isoformat() for d in (90, 60, 30)]
        for when in older:
            assert ws.analyze(as_of=when, current=False).reused is False
        kept = [(s["date"], s["current"]) for s in ws.snapshots()]
        assert kept == [(older[-1], False), (current, True)], kept
        assert ws.at(older[-1]).results("reps").count().execute() == 3
        with pytest.raises(NotFoundError, match="no results kept for as-of"):
            ws.at(older[0])
