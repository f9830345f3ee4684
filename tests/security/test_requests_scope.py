"""Who sees and changes which support request (issue 15), proved through every request route.

Three requests on the demo company: the rep's (asked of one support user), another team's rep's
and the manager's own (both asked of a second support user). Then:

* support users see the requests assigned to them; sellers their own; the manager their
  team's and their own; the admin all, on the board (HTML) and its twin alike;
* a request a person may not see answers 404 on every page, form and JSON route that takes a
  request id, exactly like one that does not exist, and its outcome text shows nowhere;
* nobody decides or cancels a request they did not make (the admin, the manager and the
  support user included): 403 on the web form and on the API, and nothing is written; only the
  assignee answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web_support import AppClient, WebApp, crm_users_and_open_deals, fresh_database_url

from accountleader.domain.access import reports_under
from accountleader.web.app import route_table

ROLES = ("admin", "boss", "rep", "other", "desk", "desk2")
HX = {"HX-Request": "true"}


@dataclass
class Walk:
    web: WebApp
    c: dict[str, AppClient]
    ids: dict[str, int]  # the rep's, the other rep's and the manager's request
    outcomes: dict[str, str]
    sees: dict[str, set[str]]  # login name -> the requests (by key) they may see
    deal_name: str  # the rep's request's deal
    deal_link: str


@pytest.fixture(scope="module")
def walk(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    users, deals = crm_users_and_open_deals(demo_workspace)
    owners = {d["owner_id"] for d in deals}
    rep = next(u for u in users if u["function"] == "seller" and u["manager_id"] and u["user_id"] in owners)
    tree = reports_under(rep["manager_id"], [(u["user_id"], u["manager_id"]) for u in users])
    other = next(u for u in users if u["function"] == "seller" and u["user_id"] not in tree
                 and u["team"] != rep["team"] and u["user_id"] in owners)
    desks = [u for u in users if u["function"] == "support" and u["user_id"] not in tree][:2]
    assert len(desks) == 2, "the demo company has two support users outside the manager's tree"
    web = WebApp(demo_workspace, fresh_database_url("sqlite", tmp_path_factory.mktemp("requests-scope")))
    web.add_user("admin", "admin")
    web.add_user("boss", "manager", rep["manager_id"])
    web.add_user("rep", "rep", rep["user_id"])
    web.add_user("other", "rep", other["user_id"])
    desk = {n: web.add_user(n, "support", u["user_id"]) for n, u in zip(("desk", "desk2"), desks, strict=True)}
    c = {n: web.logged_in(n) for n in ROLES}

    def ask(who: str, assignee: str, outcome: str, owner: str | None) -> int:
        deal = next((d["opportunity_id"] for d in deals if d["owner_id"] == owner), None)
        made = c[who].post("/api/v1/requests", headers={"X-CSRF-Token": c[who].csrf}, json={
            "kind": "legal", "outcome": outcome, "needed_by": "2030-06-30", "assignee": desk[assignee].id,
            "opportunity_id": deal})
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    outcomes = {"rep": "ZZ-REP-ASK a redline the buyer's counsel accepts",
                "other": "ZZ-OTHER-ASK an engineering answer on data residency",
                "boss": "ZZ-BOSS-ASK a delivery date the customer can plan on"}
    ids = {"rep": ask("rep", "desk", outcomes["rep"], rep["user_id"]),
           "other": ask("other", "desk2", outcomes["other"], other["user_id"]),
           "boss": ask("boss", "desk2", outcomes["boss"], None)}
    sees = {"admin": {"rep", "other", "boss"}, "boss": {"rep", "boss"}, "rep": {"rep"}, "other": {"other"},
            "desk": {"rep"}, "desk2": {"other", "boss"}}
    rep_deal = next(d for d in deals if d["owner_id"] == rep["user_id"])
    yield Walk(web, c, ids, outcomes, sees, rep_deal["name"], f'href="/opportunities/{rep_deal["opportunity_id"]}"')
    web.close()


def test_each_role_sees_exactly_its_requests_on_the_board_and_its_twin(walk: Walk) -> None:
    for who in ROLES:
        c = walk.c[who]
        listed = {r["id"] for r in c.get("/api/v1/requests").json()}
        assert listed == {walk.ids[k] for k in walk.sees[who]}, who
        board = c.get("/requests")
        assert board.status_code == 200
        assert {int(i) for i in re.findall(r'data-request-id="(\d+)"', board.text)} == listed, who
        for key, text in walk.outcomes.items():
            assert (text.split()[0] in board.text) == (key in walk.sees[who]), f"{who} board and {key}'s ask"
        figures = c.get("/team/requests").text + c.get("/api/v1/team/requests").text
        assert "ZZ-" not in figures
        # a deal is linked only when its page opens for the viewer (else its name, unlinked)
        for deal in set(re.findall(r'href="(/opportunities/[^"]+)"', board.text)):
            assert c.get(deal).status_code == 200, f"{who}'s board links {deal}, which they may not open"
    rep_board, desk_board = walk.c["rep"].get("/requests").text, walk.c["desk"].get("/requests").text
    assert walk.deal_name.replace("'", "&#39;") in desk_board and walk.deal_link in rep_board


def _routes(walk: Walk) -> list[tuple[str, str]]:
    found = sorted({(m, p) for m, p, _ in route_table(walk.web.app) if "{rid}" in p})
    assert {p for _, p in found} >= {"/requests/{rid}", "/api/v1/requests/{rid}", "/api/v1/requests/{rid}/history",
                                     "/requests/{rid}/decide", "/api/v1/requests/{rid}/decide"}
    assert all("{" not in p.replace("{rid}", "") for _, p in found), "teach this walk the other parameters"
    return found


# a body each change route accepts, so only the visibility rule can refuse it
_FORM = {"version": "1", "decision": "keep", "reply": "as_asked", "achieved": "yes"}
_JSON = {"version": 1, "decision": "keep", "reply": "as_asked", "achieved": True}


def test_an_unseen_request_is_404_on_every_route_like_an_unknown_one(walk: Walk) -> None:
    probed = 0
    for who in ROLES:
        c = walk.c[who]
        # every route with one request this person may not see (the admin: one that does not exist)
        unseen = [walk.ids[k] for k in walk.outcomes if k not in walk.sees[who]] or [999_999]
        for method, path in _routes(walk):
            for rid in unseen[:1]:
                url = path.replace("{rid}", str(rid))
                if method == "GET":
                    response = c.get(url)
                elif path.startswith("/api/"):
                    response = c.post(url, json=_JSON, headers={"X-CSRF-Token": c.csrf})
                else:
                    response = c.post(url, data={"csrf_token": c.csrf, **_FORM}, headers=HX)
                assert response.status_code == 404, f"{who} {method} {url}: {response.status_code} {response.text[:200]}"
                assert "ZZ-" not in response.text
                probed += 1
        for rid in unseen[1:]:  # the others on the page and its twin
            assert c.get(f"/requests/{rid}").status_code == c.get(f"/api/v1/requests/{rid}").status_code == 404
        for key in walk.sees[who]:
            assert c.get(f"/requests/{walk.ids[key]}").status_code == 200
            assert c.get(f"/api/v1/requests/{walk.ids[key]}").status_code == 200
    assert probed >= 6 * 11


def test_nobody_decides_or_cancels_a_request_they_did_not_make(walk: Walk) -> None:
    rid = walk.ids["rep"]
    for who in ("admin", "boss", "desk"):  # each may see the rep's request
        c = walk.c[who]
        for action in ("decide", "cancel"):
            page = c.post(f"/requests/{rid}/{action}", headers=HX,
                          data={"csrf_token": c.csrf, "version": "1", "decision": "keep"})
            assert page.status_code == 403, f"{who} {action} page: {page.status_code}"
            assert "only the request&#39;s requester (rep)" in page.text
            api = c.post(f"/api/v1/requests/{rid}/{action}", headers={"X-CSRF-Token": c.csrf},
                         json={"version": 1, "decision": "keep"})
            assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden", f"{who} {action} api"
    # only the assignee answers: the rep who asked may not answer their own request
    rep = walk.c["rep"]
    assert rep.post(f"/api/v1/requests/{rid}/propose", headers={"X-CSRF-Token": rep.csrf},
                    json={"version": 1, "reply": "as_asked"}).status_code == 403
    record = walk.c["admin"].get(f"/api/v1/requests/{rid}").json()
    assert record["version"] == 1 and record["status"] == "asked" and record["decision"] is None
    assert len(walk.c["admin"].get(f"/api/v1/requests/{rid}/history").json()) >= 1
    # the requester may: keep the ask, straight from asked (the assignee not consulted)
    kept = rep.post(f"/requests/{rid}/decide", headers=HX, data={"csrf_token": rep.csrf, "version": "1",
                                                                  "decision": "keep"})
    assert kept.status_code == 200 and 'id="request-consulted">no' in kept.text
