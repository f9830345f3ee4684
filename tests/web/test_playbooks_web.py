"""Playbooks in the web app, against the demo company, on SQLite and PostgreSQL.

* Route walk over every playbook route that writes: a rep changes only the playbooks on their
  own deals, a manager their team's; another rep's or another team's answers 404, like an id
  that does not exist; admins change any.
* A stale edit is refused: 409 ``edit_conflict`` in the API, the page's message, both naming
  who changed what; nothing is saved.
* A fired alert shows on the owner's team and seller pages, not on another team's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web_support import BACKENDS, AppClient, WebApp, fresh_database_url

from accountleader.domain.access import reports_under
from accountleader.web.app import route_table
from accountleader.workspace import Workspace


@dataclass
class People:
    rep: str
    other_rep: str  # on another team, outside the manager's tree
    manager: str
    rep_deals: list[dict]
    other_deals: list[dict]


def _people(workspace: Path) -> People:
    ws = Workspace.open(workspace)
    try:
        users = ws.table("users").to_pyarrow().to_pylist()
        deals = ws.reader().opportunities(open_only=True)
        sellers = [u for u in users if u["function"] == "seller" and any(d["owner_id"] == u["user_id"] for d in deals)]
        rep = next(u for u in sellers if u["manager_id"])
        tree = reports_under(rep["manager_id"], [(u["user_id"], u["manager_id"]) for u in users])
        other = next(u for u in sellers if u["user_id"] not in tree and u["team"] != rep["team"])
        return People(rep["user_id"], other["user_id"], rep["manager_id"],
                      [d for d in deals if d["owner_id"] == rep["user_id"]],
                      [d for d in deals if d["owner_id"] == other["user_id"]])
    finally:
        ws.close()


@dataclass
class Cockpit:
    web: WebApp
    people: People
    c: dict[str, AppClient]


@pytest.fixture(scope="module", params=BACKENDS)
def cockpit(request: pytest.FixtureRequest, demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cockpit]:
    people = _people(demo_workspace)
    web = WebApp(demo_workspace, fresh_database_url(request.param, tmp_path_factory.mktemp("playbooks-db")))
    web.add_user("admin", "admin")
    web.add_user("manager", "manager", people.manager)
    web.add_user("rep", "rep", people.rep)
    web.add_user("other", "rep", people.other_rep)
    yield Cockpit(web, people, {n: web.logged_in(n) for n in ("admin", "manager", "rep", "other")})
    web.close()


def _new(c: AppClient, deal: dict, **extra: object) -> dict:
    body = {"subject_kind": "opportunity", "subject_id": deal["opportunity_id"], "title": "Keep the deal",
            "trigger_kind": "stage_regression", "actions": "Call the sponsor", "due_date": "2030-01-31"} | extra
    response = c.post("/api/v1/playbooks", json=body, headers={"X-CSRF-Token": c.csrf})
    assert response.status_code == 201, response.text
    return response.json()["playbook"]


def _put(c: AppClient, pid: int, version: int, **changes: object):  # noqa: ANN202 - an httpx response
    return c.put(f"/api/v1/playbooks/{pid}", json={"version": version, **changes}, headers={"X-CSRF-Token": c.csrf})


def _post_page(c: AppClient, pid: int, version: int, **fields: str):  # noqa: ANN202
    return c.post(f"/playbooks/{pid}", data={"csrf_token": c.csrf, "version": str(version), **fields})


def test_reps_and_managers_change_only_playbooks_in_their_scope(cockpit: Cockpit) -> None:
    c, p = cockpit.c, cockpit.people
    writes = {(m, path) for m, path, _ in route_table(cockpit.web.app)
              if m in {"POST", "PUT"} and path.split("/")[-1 if "{" not in path else -2] == "playbooks"}
    assert writes == {("POST", "/playbooks"), ("POST", "/api/v1/playbooks"), ("POST", "/playbooks/{playbook_id}"),
                      ("PUT", "/api/v1/playbooks/{playbook_id}")}, "a new playbook route: add it to this walk"
    ours = _new(c["rep"], p.rep_deals[0])
    theirs = _new(c["other"], p.other_deals[0])
    # creating on someone else's deal: that deal does not exist for them
    foreign = {"subject_kind": "opportunity", "subject_id": p.other_deals[0]["opportunity_id"], "title": "x",
               "trigger_kind": "amount_cut", "actions": "x", "due_date": "2030-01-01"}
    assert c["rep"].post("/api/v1/playbooks", json=foreign, headers={"X-CSRF-Token": c["rep"].csrf}).status_code == 404
    assert c["rep"].post("/playbooks", data={"csrf_token": c["rep"].csrf, **foreign}).status_code == 404
    assert c["manager"].post("/api/v1/playbooks", json=foreign,
                             headers={"X-CSRF-Token": c["manager"].csrf}).status_code == 404
    # reading and changing another rep's (another team's) playbook: 404 on every route
    for who in ("rep", "manager"):
        assert c[who].get(f"/api/v1/playbooks/{theirs['id']}").status_code == 404
        assert c[who].get(f"/playbooks/{theirs['id']}").status_code == 404
        assert _put(c[who], theirs["id"], 1, title="Mine now").status_code == 404
        assert _post_page(c[who], theirs["id"], 1, title="Mine now").status_code == 404
        listed = c[who].get("/api/v1/playbooks", params={"status": "all"}).json()["playbooks"]
        assert theirs["id"] not in {x["id"] for x in listed}
        assert f'data-playbook-id="{theirs["id"]}"' not in c[who].get("/playbooks").text
    assert c["admin"].get(f"/api/v1/playbooks/{theirs['id']}").json()["playbook"]["title"] == "Keep the deal"
    # the rep changes their own; their manager changes the team's; an admin any
    assert _put(c["rep"], ours["id"], 1, title="Keep it").json()["playbook"]["version"] == 2
    assert _post_page(c["manager"], ours["id"], 2, title="Keep it, team").status_code == 200
    assert _put(c["admin"], theirs["id"], 1, status="closed").json()["playbook"]["status"] == "closed"
    after = c["rep"].get(f"/api/v1/playbooks/{ours['id']}").json()
    assert after["playbook"]["title"] == "Keep it, team" and after["playbook"]["version"] == 3
    assert [(e["actor"], e["event"]) for e in after["history"]] == [("rep", "created"), ("rep", "edited"),
                                                                    ("manager", "edited")]
    # the owner must be someone who works on the deal
    refused = _put(c["rep"], ours["id"], 3, owner="other")
    assert refused.status_code == 400 and "other cannot see" in refused.json()["error"]["message"]


def test_a_stale_edit_is_refused_in_the_api_and_on_the_page_naming_who_changed_what(cockpit: Cockpit) -> None:
    c, p = cockpit.c, cockpit.people
    made = _new(c["rep"], p.rep_deals[0], title="Stale test")
    assert _put(c["manager"], made["id"], 1, due_date="2030-03-31", owner="manager").status_code == 200
    stale = _put(c["rep"], made["id"], 1, title="My title")
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "edit_conflict" and error["current_version"] == 2 and error["changed_by"] == ["manager"]
    assert "manager at" in error["message"] and "owner rep → manager" in error["message"]
    assert "due date 2030-01-31 → 2030-03-31" in error["message"]
    page = c["rep"].post(f"/playbooks/{made['id']}", data={"csrf_token": c["rep"].csrf, "version": "1",
                                                            "title": "My title"}, headers={"HX-Request": "true"})
    assert page.status_code == 409 and "<html" not in page.text  # the form's fragment, swapped in by htmx
    assert 'id="playbook-conflict"' in page.text and "owner rep → manager" in page.text
    assert "My title" in page.text and 'name="version" value="2"' in page.text  # the unsaved edit, the current form
    now = c["admin"].get(f"/api/v1/playbooks/{made['id']}").json()["playbook"]
    assert (now["title"], now["version"], now["owner"]) == ("Stale test", 2, "manager")


def test_a_fired_alert_shows_on_the_owners_team_and_seller_pages_only(cockpit: Cockpit) -> None:
    c, p = cockpit.c, cockpit.people
    deal = max(p.rep_deals, key=lambda d: d["close_date_pushes"] or 0)
    kind, params = (("close_date_pushed", {"times": deal["close_date_pushes"]}) if deal["close_date_pushes"]
                    else ("champion_silent", {"days": 1}))
    made = _new(c["rep"], deal, title="Alert test", trigger_kind=kind, trigger_params=params)
    fired = cockpit.web.app.state.al.workspace.playbooks(cockpit.web.store).evaluate()
    assert made["id"] in {f["playbook_id"] for f in fired}, "the trigger is met in the current results"
    marker = f'data-playbook-id="{made["id"]}"'
    assert marker in c["rep"].get("/team").text
    assert marker in c["rep"].get(f"/sellers/{p.rep}").text
    assert marker in c["manager"].get("/team").text
    assert marker not in c["other"].get("/team").text
    alerts = c["rep"].get("/api/v1/playbooks").json()["alerts"]
    assert [a["playbook_id"] for a in alerts if a["playbook_id"] == made["id"]] == [made["id"]]
    assert _put(c["rep"], made["id"], 1, status="closed").status_code == 200
    assert marker not in c["rep"].get("/team").text
    readiness = c["manager"].get("/api/v1/playbooks", params={"top": 5}).json()["readiness"]
    assert readiness["top_n"] == 5 and all(t["risks_n"] <= 5 for t in readiness["teams"])
