"""The forecast page and its JSON twin for each role, and the scenario editor: managers and
admins edit (CSRF required, a stale version refused with 409), reps and support only read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import WebApp, fresh_database_url

from accountleader import store as app_store
from accountleader.workspace import Workspace


@pytest.fixture
def app(demo_copy: Path, tmp_path: Path) -> Iterator[tuple[WebApp, dict[str, str]]]:
    """The demo company served (SQLite app database), with an admin, a manager, one of their
    reps and a support member; returns the CRM ids they stand for."""
    ws = Workspace.open(demo_copy)
    try:
        users = ws.table("users").to_pandas()
        sellers = users[users.function == "seller"]
        manager = next(m for m in users[users.function == "manager"].user_id if (sellers.manager_id == m).any())
        rep = sellers[sellers.manager_id == manager].user_id.iloc[0]
    finally:
        ws.close()
    web = WebApp(demo_copy, fresh_database_url("sqlite", tmp_path))
    web.add_user("ada", "admin")
    web.add_user("max", "manager", manager)
    web.add_user("rae", "rep", rep)
    web.add_user("sam", "support", "005-support-nobody")
    yield web, {"manager": manager, "rep": rep}
    web.close()


def test_each_role_sees_the_forecast_of_the_deals_it_may_see(app: tuple[WebApp, dict[str, str]]) -> None:
    web, ids = app
    seen = {}
    for who in ("ada", "max", "rae", "sam"):
        c = web.logged_in(who)
        page = c.get("/forecast")
        assert page.status_code == 200, page.text[:300]
        assert 'id="forecast-periods"' in page.text and "P50" in page.text
        assert ('id="scenario-add"' in page.text) == (who in ("ada", "max"))
        body = c.get("/api/v1/forecast").json()
        assert body["months"] == ["2026-09", "2026-10", "2026-11"] and body["simulations"] == 10_000
        seen[who] = body
    rep_sellers = {s["owner_id"] for s in seen["rae"]["base"]["sellers"]}
    assert rep_sellers == {ids["rep"]}
    assert 0 < seen["rae"]["deals_n"] < seen["max"]["deals_n"] < seen["ada"]["deals_n"]
    assert seen["sam"]["deals_n"] == 0 and seen["sam"]["base"]["all"]["total"]["p90"] == 0
    # a narrower scope never books more than the whole company
    assert seen["rae"]["base"]["all"]["total"]["p50"] <= seen["ada"]["base"]["all"]["total"]["p50"]


def test_managers_edit_scenarios_reps_cannot_and_a_stale_edit_is_refused(app: tuple[WebApp, dict[str, str]]) -> None:
    web, ids = app
    rep, manager = web.logged_in("rae"), web.logged_in("max")
    form = {"version": "0", "name": "Everything slips", "kind": "general_slip", "days": "60", "owner": "max"}
    # a rep: refused on the page and in the API, nothing written
    assert rep.post("/forecast/scenarios", data=form | {"csrf_token": rep.csrf}).status_code == 403
    api_body = {"version": 0, "name": "x", "kind": "general_slip", "days": 30}
    assert rep.post("/api/v1/forecast/scenarios", json=api_body, headers={"X-CSRF-Token": rep.csrf}).status_code == 403
    assert not (web.workspace / "scenarios.yaml").exists()
    # a manager without the CSRF token: refused
    response = manager.post("/forecast/scenarios", data=form)
    assert response.status_code == 403 and "csrf" in response.text.lower()
    # with it: saved, and the forecast shows the scenario beside the base case
    response = manager.post("/forecast/scenarios", data=form | {"csrf_token": manager.csrf},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text[:500]
    assert 'id="scenario-done"' in response.text and "Everything slips" in response.text
    body = manager.get("/api/v1/forecast").json()
    (case,) = body["scenarios"]
    assert case["owner"] == "max" and case["p50_change"]["total"] < 0 and case["drivers"]
    assert body["scenario_file"]["version"] == 1
    # a second edit made on version 0 is refused (409) and the page keeps the unsaved values
    stale = manager.post("/forecast/scenarios", data=form | {"name": "Retail freeze", "kind": "budget_freeze",
                                                            "industry": "Retail", "freeze_months": "2",
                                                            "csrf_token": manager.csrf})
    assert stale.status_code == 409 and "you edited version 0, now version 1" in stale.text
    assert 'value="Retail freeze"' in stale.text
    conflict = manager.post("/api/v1/forecast/scenarios", json=api_body, headers={"X-CSRF-Token": manager.csrf})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "edit_conflict"
    # bad input names the field and value; an unknown owner is refused
    bad = manager.post("/api/v1/forecast/scenarios", json=api_body | {"version": 1, "days": 900},
                       headers={"X-CSRF-Token": manager.csrf})
    assert bad.status_code == 400 and "value '900'" in bad.json()["error"]["message"]
    nobody = manager.post("/api/v1/forecast/scenarios", json=api_body | {"version": 1, "owner": "nobody"},
                          headers={"X-CSRF-Token": manager.csrf})
    assert nobody.status_code == 400 and "'nobody' is not a user" in nobody.json()["error"]["message"]
    # the rep reads the scenario but cannot remove it; the admin can
    assert "Everything slips" in rep.get("/forecast").text
    assert rep.request("DELETE", "/api/v1/forecast/scenarios/Everything slips?version=1",
                      headers={"X-CSRF-Token": rep.csrf}).status_code == 403
    second = manager.post("/api/v1/forecast/scenarios", json=api_body | {"version": 1, "name": "Second"},
                          headers={"X-CSRF-Token": manager.csrf})
    assert second.status_code == 201 and second.json()["version"] == 2
    admin = web.logged_in("ada")
    page = admin.post("/forecast/scenarios/Everything slips", data={"version": "2", "csrf_token": admin.csrf})
    assert page.status_code == 200 and "scenario &#39;Everything slips&#39; removed" in page.text
    gone = admin.request("DELETE", "/api/v1/forecast/scenarios/Second?version=3", headers={"X-CSRF-Token": admin.csrf})
    assert gone.status_code == 200 and gone.json()["version"] == 4
    assert admin.get("/api/v1/forecast").json()["scenarios"] == []
    # who changed what, refused attempts too, is in the audit log
    log = [(e.event, e.actor, e.success, (e.detail or {}).get("scenario"))
           for e in app_store.list_audit(web.store) if e.event.startswith("scenario_")]
    assert ("scenario_add", "max", True, "Everything slips") in log
    assert ("scenario_add", "max", False, "Retail freeze") in log  # the stale one
    assert ("scenario_remove", "ada", True, "Second") in log


def test_a_scenario_naming_another_teams_account_is_not_shown_to_a_rep(app: tuple[WebApp, dict[str, str]]) -> None:
    web, ids = app
    admin, rep = web.logged_in("ada"), web.logged_in("rae")
    deals = admin.get("/api/v1/opportunities").json()["opportunities"]
    foreign = next(d for d in deals if not d["is_closed"] and d["amount"] and d["owner_id"] != ids["rep"]
                   and d["account_id"] not in {x["account_id"] for x in deals if x["owner_id"] == ids["rep"]})
    made = admin.post("/api/v1/forecast/scenarios", json={"version": 0, "name": "Their champion leaves",
                                                 "kind": "champion_leaves", "account": foreign["account_id"]},
                      headers={"X-CSRF-Token": admin.csrf})
    assert made.status_code == 201, made.text
    assert [s["name"] for s in admin.get("/api/v1/forecast").json()["scenarios"]] == ["Their champion leaves"]
    body = rep.get("/api/v1/forecast").json()
    assert body["scenarios"] == [] and body["scenarios_withheld"] == 1 and body["scenario_file"]["scenarios"] == []
    page = rep.get("/forecast").text
    assert foreign["account_id"] not in page and "Their champion leaves" not in page
