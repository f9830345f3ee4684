"""/api/v1/requests on the demo company (SQLite; the store tests run both backends): the JSON shape of
the contract, a request's life through the API, and every refusal: 404 for a request the caller
may not see (never 403), 403 for a change only the requester or assignee may make, 409
edit_conflict naming who changed what, 422 naming the field and value, CSRF on session POSTs,
read-only tokens refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_support import AppClient, WebApp, fresh_database_url

from accountleader.store import create_token
from accountleader.workspace import Workspace

SHAPE = {"id", "version", "kind", "outcome", "needed_by", "constraints", "opportunity_id", "opportunity_name",
         "quote_id", "account_id", "account_name", "requester", "assignee", "status", "proposal", "proposal_rationale",
         "reply", "proposed_at", "decision", "decision_note", "decided_at", "consulted", "done_at", "achieved", "on_time",
         "quality_note", "created_at"}


@dataclass
class Desk:
    web: WebApp
    c: dict[str, AppClient]
    deal: dict
    other_deal: dict


@pytest.fixture(scope="module")
def desk(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    ws = Workspace.open(demo_workspace)
    try:
        users = ws.table("users").to_pyarrow().to_pylist()
        deals = ws.reader().opportunities(open_only=True)
    finally:
        ws.close()
    owners = {d["owner_id"] for d in deals}
    seller = next(u for u in users if u["function"] == "seller" and u["manager_id"] and u["user_id"] in owners)
    other = next(u for u in users if u["function"] == "seller" and u["manager_id"] != seller["manager_id"]
                 and u["user_id"] in owners)
    support = [u for u in users if u["function"] == "support"]
    web = WebApp(demo_workspace, fresh_database_url("sqlite", tmp_path_factory.mktemp("requests-api-db")))
    web.add_user("rep", "rep", seller["user_id"])
    web.add_user("stranger", "rep", other["user_id"])
    web.add_user("boss", "manager", seller["manager_id"])
    web.add_user("desk", "support", support[0]["user_id"])
    web.add_user("desk2", "support", support[1]["user_id"])
    web.add_user("root", "admin")
    yield Desk(web, {n: web.logged_in(n) for n in ("rep", "stranger", "boss", "desk", "desk2", "root")},
               next(d for d in deals if d["owner_id"] == seller["user_id"]),
               next(d for d in deals if d["owner_id"] == other["user_id"]))
    web.close()


def _post(c: AppClient, url: str, body: dict) -> object:
    return c.post(url, json=body, headers={"x-csrf-token": c.csrf or ""})


def _ask(d: Desk, who: str = "rep", **over: object):  # noqa: ANN202 - an httpx response
    body = {"kind": "pricing", "outcome": "A price the CFO signs this quarter", "assignee": "desk",
            "needed_by": (datetime.now(UTC).date() + timedelta(days=10)).isoformat(),
            "opportunity_id": d.deal["opportunity_id"]} | over
    return _post(d.c[who], "/api/v1/requests", body)


def test_a_request_through_the_api_in_the_contract_shape(desk: Desk) -> None:
    made = _ask(desk)
    assert made.status_code == 201, made.text
    r = made.json()
    assert set(r) == SHAPE
    assert (r["opportunity_name"], r["account_id"]) == (desk.deal["name"], desk.deal["account_id"])
    assert r["account_name"] and r["requester"]["username"] == "rep" and r["assignee"]["username"] == "desk"
    rid = r["id"]
    url = f"/api/v1/requests/{rid}"
    step = _post(desk.c["desk"], f"{url}/propose", {"version": 1, "proposal": "A two-year term at list",
                                                     "proposal_rationale": "budget certainty"})
    assert step.status_code == 200 and step.json()["status"] == "proposed"
    step = _post(desk.c["rep"], f"{url}/decide", {"version": 2, "decision": "accept"})
    assert step.status_code == 200 and step.json()["consulted"] is True
    step = _post(desk.c["desk"], f"{url}/done", {"version": 3, "achieved": True, "quality_note": "signed"})
    assert (step.json()["status"], step.json()["on_time"]) == ("done", True)
    history = desk.c["boss"].get(f"{url}/history").json()
    assert [e["action"] for e in history][0] == "done" and {e["actor"] for e in history} == {"rep", "desk"}
    assert rid in [x["id"] for x in desk.c["boss"].get("/api/v1/requests?status=done").json()]


def test_refusals_404_403_409_422(desk: Desk) -> None:
    rid = _ask(desk).json()["id"]
    url = f"/api/v1/requests/{rid}"
    for who in ("stranger", "desk2"):  # not theirs: it does not exist for them
        assert desk.c[who].get(url).status_code == 404
        assert desk.c[who].get(f"{url}/history").status_code == 404
        assert _post(desk.c[who], f"{url}/cancel", {"version": 1}).status_code == 404
        assert rid not in [x["id"] for x in desk.c[who].get("/api/v1/requests").json()]
    assert desk.c["rep"].get("/api/v1/requests/abc").status_code == 404
    for who in ("root", "boss"):  # they see it, and may not decide on a request they did not make
        refused = _post(desk.c[who], f"{url}/decide", {"version": 1, "decision": "keep"})
        assert refused.status_code == 403 and "only the request's requester (rep) may decide" in refused.json()["error"]["message"]
    assert _post(desk.c["rep"], f"{url}/propose", {"version": 1, "proposal": "p", "proposal_rationale": "r"}
                 ).status_code == 403
    assert _post(desk.c["desk"], f"{url}/propose", {"version": 1, "reply": "as_asked"}).status_code == 200
    stale = _post(desk.c["rep"], f"{url}/decide", {"version": 1, "decision": "keep"})
    body = stale.json()["error"]
    assert stale.status_code == 409 and body["code"] == "edit_conflict" and "desk (propose)" in body["message"]
    assert desk.c["rep"].get(url).json()["version"] == 2  # nothing was saved
    for over, field, value in (({"kind": "poem"}, "kind", "poem"), ({"needed_by": "2020-01-01"}, "needed_by", "2020-01-01"),
                               ({"assignee": "rep"}, "assignee", "rep"),
                               ({"opportunity_id": desk.other_deal["opportunity_id"]}, "opportunity_id",
                                desk.other_deal["opportunity_id"])):
        bad = _ask(desk, **over)
        assert bad.status_code == 422, bad.text
        err = bad.json()["error"]
        assert (err["field"], err["value"]) == (field, value) and value in err["message"]
    assert _ask(desk, "desk").status_code == 403  # a support user is asked, never asks
    assert desk.c["rep"].get("/api/v1/requests?status=lost").status_code == 422


def test_csrf_and_tokens(desk: Desk) -> None:
    rep = desk.c["rep"]
    no_csrf = rep.post("/api/v1/requests", json={"kind": "legal", "outcome": "x", "assignee": "desk",
                                                  "needed_by": "2099-01-01"})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf_failed"
    user = next(u for u in __import__("accountleader.store", fromlist=["list_users"]).list_users(desk.web.store)
                if u.username == "rep")
    body = {"kind": "legal", "outcome": "A contract the buyer's counsel accepts", "assignee": "desk",
            "needed_by": "2099-01-01"}
    client = desk.web.client()
    read_only = create_token(desk.web.store, user_id=user.id, name="ro")
    assert client.post("/api/v1/requests", json=body, headers={"Authorization": f"Bearer {read_only}"}).status_code == 403
    writer = create_token(desk.web.store, user_id=user.id, name="rw", write=True)
    made = client.post("/api/v1/requests", json=body, headers={"Authorization": f"Bearer {writer}"})
    assert made.status_code == 201 and made.json()["requester"]["username"] == "rep"
    assert client.get("/api/v1/requests").status_code == 401
