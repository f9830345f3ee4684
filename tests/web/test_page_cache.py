"""Page contexts are remembered per scope until an import, analysis or settings save changes the files."""

from __future__ import annotations

import os

from web_support import WebApp

from accountleader.domain.access import Scope


def test_a_page_is_computed_once_per_scope_until_the_results_change(web: WebApp) -> None:
    state = web.app.state.al
    calls: list[str] = []

    def view(name: str):  # type: ignore[no-untyped-def]
        return lambda ws: calls.append(name) or {"who": name}

    rep_a, rep_b = Scope("rep", "005A", frozenset({"005A"})), Scope("rep", "005B", frozenset({"005B"}))
    assert state.cached(("team", rep_a, None), view("a")) == {"who": "a"}
    assert state.cached(("team", rep_a, None), view("a-again")) == {"who": "a"}
    assert state.cached(("team", rep_b, None), view("b")) == {"who": "b"}, "another scope never shares a page"
    assert calls == ["a", "b"]
    results = state.workspace.results_path
    results.write_bytes(b"new analysis")
    os.utime(results, ns=(1, 1))
    assert state.cached(("team", rep_a, None), view("a-after-analysis")) == {"who": "a-after-analysis"}
    assert calls == ["a", "b", "a-after-analysis"]
