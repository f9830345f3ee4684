"""A playbook trigger planted on a demo deal fires once, at the right analyze, for its owner.

The deal is one of the demo company's open deals whose close date was pushed twice
(``opportunity_history``). Two playbooks watch it for "close date pushed 2 times": one open,
one closed from the start. Analysed as of a day between the two pushes, nothing fires; as of
the day after the second push the open one fires, once, for its owner; the current as-of
(later still) fires nothing more; closed, its alert leaves the cockpit and nothing fires again.
The closed playbook never fires, though its trigger is met at both later analyses.

Two analyses run (the demo at 1/10 scale, the web tests' company); the current as-of reuses
the results kept with the demo.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from demo_support import demo_workspace_copy

from accountleader import store as app_store
from accountleader.playbooks import CLI
from accountleader.reports.data import playbook_alerts
from accountleader.store import playbooks as records
from accountleader.workspace import Workspace


def _pushes(history: list[dict]) -> list[datetime]:
    """When the deal's close date moved later, oldest first (artefact rows left out, as analyze does)."""
    rows = sorted((h for h in history if not h.get("artefact")), key=lambda h: (h["changed_at"], h["history_id"]))
    return [b["changed_at"] for a, b in zip(rows, rows[1:], strict=False)
            if a["close_date"] is not None and b["close_date"] is not None and b["close_date"] > a["close_date"]]


def _planted_deal(ws: Workspace) -> tuple[dict, list[datetime]]:
    deals = [d for d in ws.reader().opportunities(open_only=True) if d["close_date_pushes"] == 2]
    h = ws.analysis_tables()["opportunity_history"]
    for deal in sorted(deals, key=lambda d: d["opportunity_id"]):
        rows = h.filter(h.opportunity_id == deal["opportunity_id"]).to_pyarrow().to_pylist()
        pushes = _pushes(rows)
        if len(pushes) == 2 and (pushes[1] - pushes[0]).days >= 4:
            return deal, pushes
    pytest.fail("the demo company has no open deal pushed twice, days apart")


def test_planted_trigger_fires_once_at_the_right_analyze_for_its_owner_and_a_closed_one_never(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    path, _, _ = demo_workspace_copy(tmp_path_factory, "playbook-trigger", seed=7, scale=0.1)
    ws = Workspace.open(path)
    try:
        deal, (first, second) = _planted_deal(ws)
        between, after = (second - timedelta(days=2)).date(), (second + timedelta(days=1)).date()
        assert first.date() < between
        store = ws.app_store()
        owner = app_store.create_user(store, username="owner", password="a-long-password", role="rep",
                                      crm_user_id=deal["owner_id"])
        desk = ws.playbooks()
        planted = dict(subject_kind="opportunity", subject_id=deal["opportunity_id"], title="Keep the close date",
                       trigger_kind="close_date_pushed", trigger_params={"times": 2}, actions="Call the sponsor",
                       owner="owner", due_date="2030-01-31")
        live = desk.add(CLI, **planted)
        closed = desk.add(CLI, **planted)
        desk.edit(CLI, closed.id, version=closed.version, changes={"status": "closed"})

        ws.analyze(as_of=between)
        assert desk.alerts() == []
        assert records.get_playbook(store, playbook_id=live.id).last_check.startswith("close date pushed 1 time by")

        summary = ws.analyze(as_of=after)
        alerts = desk.alerts()
        assert [(a["playbook_id"], a["owner"], a["as_of"][:10]) for a in alerts] == [(live.id, "owner", after.isoformat())]
        assert alerts[0]["evidence"] == f"close date pushed 2 times by {after.isoformat()}"
        assert [n for n in summary.notes if n.startswith("playbook alert")] == [
            f"playbook alert for owner: Keep the close date (playbook {live.id}): {alerts[0]['evidence']}"]
        # for the right owner: on their seller page and in their report, on no other seller's
        assert [a["playbook_id"] for a in desk.alerts(seller_id=deal["owner_id"])] == [live.id]
        assert [a["playbook_id"] for a in playbook_alerts(ws, seller_id=deal["owner_id"])] == [live.id]
        others = {d["owner_id"] for d in ws.reader().opportunities(open_only=True)} - {deal["owner_id"]}
        assert others and all(desk.alerts(seller_id=o) == [] for o in others)

        later = ws.analyze()  # the current as-of, after both pushes: the trigger stays met
        assert later.reused and not [n for n in later.notes if n.startswith("playbook alert")]
        fired = records.list_alerts(store, active_only=False)
        assert [(a.playbook_id, a.as_of.date()) for a in fired] == [(live.id, after)]

        desk.edit(CLI, live.id, version=records.get_playbook(store, playbook_id=live.id).version,
                  changes={"status": "closed"})
        ws.analyze()
        assert desk.alerts() == []  # closed: off the cockpit
        assert len(records.list_alerts(store, active_only=False)) == 1  # the firing is kept in its history
        assert [e.event for e in records.playbook_history(store, playbook_id=live.id)] == ["created", "fired", "closed"]
        assert [e.event for e in records.playbook_history(store, playbook_id=closed.id)] == ["created", "closed"]
        assert owner.id == records.get_playbook(store, playbook_id=live.id).owner_user_id
    finally:
        ws.close()
