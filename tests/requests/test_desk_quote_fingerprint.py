"""A quote asked for through the desk changes what the results depend on: analyze recomputes
(workspace.py feeds store.requests.quote_requests into the analysis and its fingerprint)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from accountleader.domain.access import Scope
from accountleader.domain.as_of import AsOf
from accountleader.errors import NotFoundError
from accountleader.requests import Actor, Requests
from accountleader.store import Store
from accountleader.store import users as store_users
from accountleader.workspace import Workspace


def _no_results() -> None:
    raise NotFoundError("no results kept: run analyze")


def test_a_new_desk_quote_request_changes_the_results_fingerprint(store: Store, tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    try:
        ws.crm_path.parent.mkdir(parents=True, exist_ok=True)
        ws.crm_path.write_bytes(b"stand-in data file: the fingerprint reads its size and time")
        ws.attach_store(store)
        when = AsOf.of(datetime(2026, 3, 1))
        assert ws._desk_quote_requests() == []
        before = ws._fingerprint(when, [])
        assert before == ws._fingerprint(when, ws._desk_quote_requests())
        rep = store_users.create_user(store, username="rita", password="correct horse battery", role="rep",
                                      crm_user_id="005R1", email="rita@example.com")
        store_users.create_user(store, username="sam", password="correct horse battery", role="support",
                                crm_user_id="005S1", email="sam@example.com")
        svc = Requests(store, _no_results)
        svc.add(Actor(Scope("rep", "005R1", frozenset({"005R1"})), rep), kind="quote", outcome="A quote the CFO signs",
                needed_by=(datetime.now(UTC).date() + timedelta(days=7)).isoformat(), assignee="sam",
                opportunity_id="006Q")
        desk = ws._desk_quote_requests()
        assert [(o, q) for o, q, _ in desk] == [("006Q", None)]
        assert ws._fingerprint(when, desk) != before
    finally:
        ws.close()
