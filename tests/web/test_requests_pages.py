"""The request pages (issue 15) against the demo company, through the forms a browser posts.

* A seller opens "Ask the support team" from their deal page: the form names the deal and
  offers the support users; a bad date is refused naming the field and the value, a good ask
  lands in the board's "asked" column with the deal's name, never its raw id.
* The seller decides from an old version after the support user answered: refused (409) naming
  who changed what, the unsaved decision shown, the request as it is now, nothing saved.
* A full round (propose another way, accept, achieved) moves the card across the columns and
  the seller's consultation and adoption by one decision each, on the seller page, its twin
  and the team view (a rate below ``requests.min_decisions`` is the reason, never a number).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_support import AppClient, WebApp, crm_users_and_open_deals, fresh_database_url

HX = {"HX-Request": "true"}


@dataclass
class Desk:
    web: WebApp
    c: dict[str, AppClient]
    seller: str  # CRM user id
    deal: dict
    desk_id: int  # app user id of the support user


@pytest.fixture(scope="module")
def desk(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    users, deals = crm_users_and_open_deals(demo_workspace)
    seller = next(u for u in users if u["function"] == "seller" and u["manager_id"]
                  and any(d["owner_id"] == u["user_id"] for d in deals))
    support = next(u for u in users if u["function"] == "support")
    web = WebApp(demo_workspace, fresh_database_url("sqlite", tmp_path_factory.mktemp("requests-db")))
    web.add_user("rep", "rep", seller["user_id"])
    web.add_user("boss", "manager", seller["manager_id"])
    made = web.add_user("desk", "support", support["user_id"])
    deal = next(d for d in deals if d["owner_id"] == seller["user_id"])
    yield Desk(web, {n: web.logged_in(n) for n in ("rep", "boss", "desk")}, seller["user_id"], deal, made.id)
    web.close()


def _flash(page: str, kind: str) -> str:
    found = re.search(rf'id="request-{kind}"[^>]*>(.*?)</p>', page, re.S)
    return found.group(1).replace("&#39;", "'").replace("&#34;", '"') if found else ""


def _column_of(board: str, request_id: int) -> str | None:
    for status, body in re.findall(r'data-status="(\w+)" id="column-\w+">(.*?)</section>', board, re.S):
        if f'data-request-id="{request_id}"' in body:
            return status
    return None


def _ask(c: AppClient, deal: dict, desk_id: int, **over: str):  # noqa: ANN202 - an httpx response
    form = {"csrf_token": c.csrf, "kind": "pricing", "outcome": "A price for 400 seats the buyer signs this quarter",
            "needed_by": (datetime.now(UTC).date() + timedelta(days=14)).isoformat(), "constraints": "margin above 30%",
            "assignee_id": str(desk_id), "opportunity_id": deal["opportunity_id"]} | over
    return c.post("/requests", data=form)


def test_the_deal_page_asks_the_support_team_and_a_bad_date_names_the_field(desk: Desk) -> None:
    rep, deal = desk.c["rep"], desk.deal
    page = rep.get(f"/opportunities/{deal['opportunity_id']}").text
    assert f'href="/requests/new?opportunity_id={deal["opportunity_id"]}"' in page
    form = rep.get(f"/requests/new?opportunity_id={deal['opportunity_id']}")
    assert form.status_code == 200
    assert re.search(rf'<option value="{deal["opportunity_id"]}" selected>', form.text), "the deal is prefilled"
    assert f'<option value="{desk.desk_id}"' in form.text, "the support user is offered"
    assert desk.c["desk"].get("/requests/new").status_code == 403, "a support user is asked, and does not ask"

    bad = _ask(rep, deal, desk.desk_id, needed_by="next friday")
    assert bad.status_code == 422
    assert "needed_by 'next friday'" in _flash(bad.text, "error") and "not a date" in _flash(bad.text, "error")
    assert 'class="field invalid"><label for="rq-needed-by"' in bad.text
    assert "A price for 400 seats" in bad.text, "what was typed is kept"


def test_an_ask_lands_in_the_asked_column_by_deal_name_and_a_stale_decision_is_refused(desk: Desk) -> None:
    rep, support, deal = desk.c["rep"], desk.c["desk"], desk.deal
    made = _ask(rep, deal, desk.desk_id)
    assert made.status_code == 303, made.text
    rid = int(made.headers["location"].rsplit("/", 1)[1])
    board = rep.get("/requests").text
    assert _column_of(board, rid) == "asked"
    card = board[board.index(f'data-request-id="{rid}"'):]
    card = card[:card.index("</article>")]
    assert deal["name"].replace("'", "&#39;") in card and deal["opportunity_id"] not in card.replace(
        f"/opportunities/{deal['opportunity_id']}", "")
    assert _column_of(support.get("/requests").text, rid) == "asked", "the assignee sees it"
    assert 'href="/api/v1/requests"' in board  # the JSON twin

    # the seller's page is open at version 1 (asked: only "keep" is offered); the support user
    # answers meanwhile; the seller's "keep" from version 1 is refused, naming the answer
    opened = rep.get(f"/requests/{rid}").text
    assert 'id="decide-form"' in opened and 'name="version" value="1"' in opened
    assert re.findall(r'name="decision" value="(\w+)"', opened) == ["keep"], "nothing to accept yet"
    answered = support.post(f"/requests/{rid}/propose", headers=HX, data={
        "csrf_token": support.csrf, "version": "1", "reply": "another_way", "proposal": "Bundle the seats",
        "rationale": "cheaper for them, same margin"})
    assert answered.status_code == 200 and "Proposed another way" in _flash(answered.text, "done")
    stale = rep.post(f"/requests/{rid}/decide", headers=HX,
                     data={"csrf_token": rep.csrf, "version": "1", "decision": "keep", "note": "as I said"})
    assert stale.status_code == 409
    conflict = _flash(stale.text, "conflict")
    assert "changed after the version you saw (1)" in conflict and "desk (propose)" in conflict
    assert "Bundle the seats" in conflict and "nothing of your change was saved" in conflict
    assert "keep" in _flash(stale.text, "unsaved") and "as I said" in _flash(stale.text, "unsaved")
    # the page is the request as it is now: proposed, all three decisions offered at version 2
    assert re.findall(r'name="decision" value="(\w+)"', stale.text) == ["accept", "modify", "keep"]
    assert 'name="version" value="2"' in stale.text
    assert 'id="request-decision">not decided' in rep.get(f"/requests/{rid}").text, "nothing was saved"


def test_a_full_round_moves_the_card_and_the_sellers_figures_by_one_decision(desk: Desk) -> None:
    rep, support, boss, deal = desk.c["rep"], desk.c["desk"], desk.c["boss"], desk.deal
    before = boss.get(f"/api/v1/sellers/{desk.seller}").json()["requests"]
    n_before = (before["consultation_rate"] or {}).get("n") or 0
    adopted_before = (before["proposal_adoption_rate"] or {}).get("n") or 0
    rid = int(_ask(rep, deal, desk.desk_id).headers["location"].rsplit("/", 1)[1])

    answered = support.post(f"/requests/{rid}/propose", headers=HX, data={
        "csrf_token": support.csrf, "version": "1", "reply": "another_way", "proposal": "Two-year term at list",
        "rationale": "the buyer's budget is annual"})
    assert answered.status_code == 200, _flash(answered.text, "error")
    assert _column_of(rep.get("/requests").text, rid) == "proposed"
    assert boss.post(f"/requests/{rid}/decide", headers=HX, data={
        "csrf_token": boss.csrf, "version": "2", "decision": "accept"}).status_code == 403, "only the requester decides"
    decided = rep.post(f"/requests/{rid}/decide", headers=HX, data={
        "csrf_token": rep.csrf, "version": "2", "decision": "accept"})
    assert decided.status_code == 200 and 'id="request-consulted">yes' in decided.text
    done = support.post(f"/requests/{rid}/done", headers=HX, data={
        "csrf_token": support.csrf, "version": "3", "achieved": "yes", "quality_note": "signed on the first call"})
    assert done.status_code == 200 and "achieved, on time" in done.text
    assert _column_of(rep.get("/requests").text, rid) == "done"
    history = done.text[done.text.index('id="request-history"'):]
    assert [a for a in re.findall(r"<td>(asked|answered|decided|recorded the outcome)</td>", history)] == [
        "recorded the outcome", "decided", "answered", "asked"]

    after = boss.get(f"/api/v1/sellers/{desk.seller}").json()["requests"]
    assert after["consultation_rate"]["n"] == n_before + 1
    assert after["proposal_adoption_rate"]["n"] == adopted_before + 1
    # under the minimum sample the rate is the reason, not a number (requests.min_decisions, default 5)
    assert after["consultation_rate"]["rate"] is None
    assert after["consultation_rate"]["reason"] == f"{n_before + 1} decision{'s' if n_before else ''}; 5 needed"
    seller_page = boss.get(f"/sellers/{desk.seller}").text
    assert after["consultation_rate"]["reason"] in seller_page[seller_page.index('id="seller-consultation"'):]
    team = boss.get("/api/v1/team/requests").json()
    row = next(r for r in team["requesters"] if r["user_id"] == desk.seller)
    assert row["consultation_rate"] == after["consultation_rate"]
    helper = next(a for a in team["assignees"] if a["app_user_id"] == desk.desk_id)
    assert helper["resourcefulness_credit"] >= 1 and helper["adoption_rate"]["n"] >= 1
    assert helper["adopted_achieved_rate"]["n"] >= 1 and helper["adopted_achieved_rate"]["reason"]  # 1-2 of 5 needed
    assert 'title="Of this person' in boss.get("/team/requests").text, "every label explains itself on hover"


def test_odd_ids_and_filters(desk: Desk) -> None:
    rep = desk.c["rep"]
    assert rep.get("/requests/abc").status_code == 404
    assert rep.get("/requests/99999").status_code == 404
    assert rep.get("/requests?kind=nonsense").status_code == 422
    fragment = rep.get("/requests?kind=legal", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'data-request-id' not in fragment.text


def test_micromanagement_shows_with_its_parts_and_outcomes_or_its_reason(desk: Desk) -> None:
    boss = desk.c["boss"]
    sellers = boss.get("/api/v1/sellers").json()["sellers"]
    assert sellers and all("micromanagement_index" in s for s in sellers)
    measured = [s for s in sellers if s["micromanagement_index"] is not None]
    unmeasured = [s for s in sellers if s["micromanagement_index"] is None and s["micromanagement_reason"]]
    assert measured, "the demo plants micromanaging managers: some seller of the manager's team is measured"
    s = measured[0]
    twin = boss.get(f"/api/v1/sellers/{s['user_id']}").json()["requests"]["micromanagement"]
    assert twin["index"] == s["micromanagement_index"] and twin["n"] == s["micromanagement_n"]
    assert [p["part"] for p in twin["parts"]] == ["steps", "check_ins", "overrides", "reassignments", "density"]
    assert round(sum(p["contribution"] for p in twin["parts"]), 1) == round(s["micromanagement_index"], 1)
    page = boss.get(f"/sellers/{s['user_id']}").text
    section = page[page.index('id="seller-micromanagement"'):]
    assert f'class="micromanagement-index">{s["micromanagement_index"]:.0f}</b>' in section
    assert section.count('<li data-part="') == 5
    outcome = twin["outcome"]
    assert outcome is not None and ("Deals it touched won" in section) == (outcome["touched"]["win_rate"]["rate"]
                                                                          is not None and outcome["other"]["win_rate"]["rate"] is not None)
    if unmeasured:
        u = unmeasured[0]
        other = boss.get(f"/sellers/{u['user_id']}").text
        assert u["micromanagement_reason"] in other[other.index('id="seller-micromanagement"'):]
    team = boss.get("/api/v1/team/requests").json()
    assert any(m["micromanagement"] and m["micromanagement"]["parts"] for m in team["managers"]), \
        "the manager's own delegation style (exercised) is on the team view"
    assert 'id="manager-style"' in boss.get("/team/requests").text


def test_an_open_request_past_its_date_is_marked_overdue(desk: Desk) -> None:
    from accountleader.domain import requests as rules
    from accountleader.store import requests as records
    from accountleader.store import users as store_users

    rep_user = next(u for u in store_users.list_users(desk.web.store) if u.username == "rep")
    asked_at = datetime.now(UTC) - timedelta(days=10)
    late, changes = rules.ask(kind="legal", outcome="ZZ-LATE a clause the buyer signs", needed_by=asked_at.date()
                              + timedelta(days=3), requester_id=rep_user.id, assignee_id=desk.desk_id, at=asked_at)
    rid = records.add_request(desk.web.store, request=late, changes=changes, by=rep_user.id, actor="rep").id
    board = desk.c["rep"].get("/requests?kind=legal").text
    card = board[board.index(f'data-request-id="{rid}"') - 60:]
    card = card[:card.index("</article>")]
    assert 'class="request-card overdue"' in card and "overdue</b>" in card
    assert re.search(r'<b class="warning">\d+ overdue</b>', board)
    assert "overdue" in desk.c["desk"].get(f"/requests/{rid}").text.split('id="request-needed-by"')[1][:200]
