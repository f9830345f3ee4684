"""The page cache: one build per missing page however many ask at once, and the recent pages
rebuilt after new results are swapped in."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from accountleader.errors import NotFoundError
from accountleader.web.state import AppState
from accountleader.workspace import Workspace


def _state(tmp_path: Path) -> AppState:
    return AppState(workspace_path=tmp_path, workspace=Workspace(tmp_path), store=None,  # type: ignore[arg-type]
                    secret_key="x" * 32, templates=None)  # type: ignore[arg-type]


def test_requests_for_the_same_missing_page_wait_for_one_build(tmp_path: Path) -> None:
    state, calls = _state(tmp_path), []

    def build(ws: Workspace) -> dict:
        calls.append(1)
        time.sleep(0.2)
        return {"n": len(calls)}

    got = []
    threads = [threading.Thread(target=lambda: got.append(state.cached(("page",), build))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and got == [{"n": 1}] * 4


def test_a_failed_build_is_not_cached_and_recent_pages_are_rebuilt_when_files_change(tmp_path: Path) -> None:
    state, calls = _state(tmp_path), []

    def missing(ws: Workspace) -> dict:
        raise NotFoundError("no such seller")

    for _ in range(2):
        try:
            state.cached(("seller", "x"), missing, rebuild=True)
        except NotFoundError:
            calls.append("404")
    assert calls == ["404", "404"]
    state.cached(("team",), lambda ws: {"v": (tmp_path / "settings.yaml").exists()}, rebuild=True)
    (tmp_path / "settings.yaml").write_text("{}\n")  # a file the pages depend on changes
    assert state.rebuild_recent() == 1  # the team page; the 404 is left to its next visitor
    hits = len(state._cache)
    assert state.cached(("team",), lambda ws: {"v": "not called"}) == {"v": True}
    assert len(state._cache) == hits
