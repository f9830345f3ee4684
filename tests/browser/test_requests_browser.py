"""A support request's whole life in a real browser (issue 15): a seller asks the support team
for an outcome from their deal page, the support user proposes another way, the seller accepts
it, and the support user records the outcome (achieved, on time). The seller's consultation and
adoption rates then read 100% over exactly one decision, on their page and its JSON twin, where
they showed no figure before (``requests.min_decisions`` is set to 1 for this walk; at the
default 5 the page says "1 decision; 5 needed").

On a 390 px wide phone the board's columns stack and nothing scrolls sideways.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from browser_support import ACTION_TIMEOUT, ARTIFACTS, PASSWORD, LiveServer, log_in

from accountleader import store as app_store
from accountleader.config import RequestSettings
from accountleader.workspace import Workspace

pytestmark = pytest.mark.browser

OUTCOME = "A signed-off price for 400 seats that keeps our margin above 30%"
PROPOSAL = "Offer a two-year term at list price instead of a discount"


@dataclass
class People:
    seller_id: str  # CRM user id
    deal_id: str
    deal_name: str
    desk_app_id: int
    seller: str = "rosa.asks"  # login names
    desk: str = "dan.desk"


@pytest.fixture(scope="module")
def people(live_server: LiveServer) -> Iterator[People]:
    """A seller with an open deal and a support user, made users of the app; the minimum sample
    of a request rate set to one decision while this module runs."""
    ws = Workspace.open(live_server.workspace)
    store = app_store.open_store(app_store.default_url(live_server.workspace))
    kept = ws.settings
    try:
        users = ws.table("users").to_pyarrow().to_pylist()
        deals = ws.reader().opportunities(open_only=True)
        seller = next(u for u in users if u["function"] == "seller" and any(d["owner_id"] == u["user_id"] for d in deals))
        support = next(u for u in users if u["function"] == "support")
        deal = next(d for d in deals if d["owner_id"] == seller["user_id"])
        app_store.create_user(store, username="rosa.asks", password=PASSWORD, role="rep", crm_user_id=seller["user_id"])
        desk = app_store.create_user(store, username="dan.desk", password=PASSWORD, role="support",
                                     crm_user_id=support["user_id"])
        ws.save_settings(kept.model_copy(update={"requests": RequestSettings(min_decisions=1)}))
        yield People(seller["user_id"], deal["opportunity_id"], deal["name"], desk.id)
    finally:
        with contextlib.suppress(Exception):
            ws.save_settings(kept)
        store.close()
        ws.close()


def _figures(page, base: str, seller_id: str) -> dict:  # type: ignore[no-untyped-def]
    return page.request.get(f"{base}/api/v1/sellers/{seller_id}").json()["requests"]  # type: ignore[no-any-return]


def test_ask_propose_accept_achieve_moves_the_sellers_consultation_and_adoption(
    page, browser, live_server: LiveServer, people: People  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    # -- before: the seller has asked nothing, so there is no figure ---------------------------
    log_in(page, base, people.seller, f"/sellers/{people.seller_id}")
    expect(page.locator("#seller-consultation")).to_have_text("—")
    before = _figures(page, base, people.seller_id)
    assert before["consultation_rate"] is None and before["proposal_adoption_rate"] is None

    # -- the seller asks for an outcome from the deal page --------------------------------------
    page.goto(f"{base}/opportunities/{people.deal_id}")
    page.click("#ask-support")
    page.wait_for_url(f"{base}/requests/new?opportunity_id={people.deal_id}")
    expect(page.locator("#rq-deal")).to_have_value(people.deal_id)
    page.select_option("#rq-kind", "pricing")
    page.fill("#rq-outcome", OUTCOME)
    page.fill("#rq-needed-by", (datetime.now(UTC).date() + timedelta(days=7)).isoformat())
    page.fill("#rq-constraints", "Within this quarter's price book")
    page.select_option("#rq-assignee", str(people.desk_app_id))
    page.click("#request-submit")
    page.wait_for_url(re.compile(r".*/requests/\d+$"))
    request_path = page.url.removeprefix(base)
    expect(page.locator("#request-status-badge")).to_have_text("asked")
    expect(page.locator("#request-deal")).to_have_text(people.deal_name)

    # -- the support user sees it on their board and proposes another way (htmx) ---------------
    desk_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = desk_context.new_page()
        desk.set_default_timeout(ACTION_TIMEOUT)
        log_in(desk, base, people.desk, "/requests")
        card = desk.locator(f"#column-asked [data-request-id='{request_path.rsplit('/', 1)[1]}']")
        expect(card).to_contain_text(OUTCOME)
        expect(card).to_contain_text(people.deal_name)
        card.locator("a").first.click()
        desk.wait_for_url(base + request_path)
        desk.fill("#rq-proposal", PROPOSAL)
        desk.fill("#rq-rationale", "The buyer's budget is annual; a longer term keeps the margin")
        desk.evaluate("window.__sameDocument = true")
        desk.click("#propose-another-way")
        expect(desk.locator("#request-done")).to_have_text("Proposed another way (version 2).")
        assert desk.evaluate("window.__sameDocument") is True  # an htmx swap, not a page load

        # -- the seller accepts the proposal ----------------------------------------------------
        page.goto(base + request_path)
        expect(page.locator("#request-proposal")).to_have_text(PROPOSAL)
        page.check("input[name=decision][value=accept]")
        page.click("#decide-submit")
        expect(page.locator("#request-done")).to_have_text("Decided: accept (version 3).")
        expect(page.locator("#request-consulted")).to_have_text("yes")

        # -- the support user records the outcome: achieved, on time ----------------------------
        desk.goto(base + request_path)
        desk.check("input[name=achieved][value=yes]")
        desk.fill("#rq-quality", "Signed on the first call")
        desk.click("#done-submit")
        expect(desk.locator("#request-done")).to_have_text("Outcome recorded (version 4).")
        expect(desk.locator("#request-result")).to_contain_text("achieved, on time")
        desk.goto(base + "/requests")
        expect(desk.locator("#own-credit")).to_have_text("1")
    finally:
        desk_context.close()

    # -- after: one consulted decision, one adopted proposal, as documented --------------------
    page.goto(f"{base}/sellers/{people.seller_id}")
    expect(page.locator("#seller-consultation")).to_contain_text("100% (n=1")
    expect(page.locator("#seller-adoption")).to_contain_text("100% (n=1")
    twin = _figures(page, base, people.seller_id)
    assert twin["consultation_rate"]["rate"] == 1.0 and twin["consultation_rate"]["n"] == 1
    assert twin["proposal_adoption_rate"]["rate"] == 1.0 and twin["proposal_adoption_rate"]["n"] == 1
    page.screenshot(path=str(ARTIFACTS / "web-30-request-figures.png"), full_page=True)

    # -- the board on a phone: columns stacked, no sideways scroll ------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/requests")
    expect(page.locator("#column-done [data-request-id]")).to_have_count(1)
    boxes = [page.locator(f"#column-{s}").bounding_box() for s in ("asked", "proposed", "decided", "done")]
    assert len({round(b["x"]) for b in boxes}) == 1, f"the columns stack: {boxes}"
    assert all(a["y"] < b["y"] for a, b in zip(boxes, boxes[1:], strict=False))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "web-31-request-board-390.png"), full_page=True)
