"""A seller's support map in a real browser (issue 14): on the deal page they mark a drafted
contact as champion in place (htmx, no page load) and see readiness rise by the points of the
"no champion" gap, the gap gone, the row confirmed and the change in the history; their manager,
whose page was opened before that edit, then saves another row from the old version and is
refused with a message naming who changed what, the map shown as it is now, nothing saved.

Every figure is checked against the page's JSON twin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from browser_support import ACTION_TIMEOUT, ARTIFACTS, PASSWORD, LiveServer, log_in

from accountleader import store as app_store
from accountleader.domain.access import EVERYONE
from accountleader.workspace import Workspace

pytestmark = pytest.mark.browser


@dataclass
class Deal:
    opportunity_id: str
    contact_id: str  # drafted, not a champion: the one the seller marks
    contact_name: str
    other_contact_id: str  # the one the manager tries to change
    other_contact_name: str
    stance_before: str
    score_before: float
    no_champion_points: float
    rep: str  # login names
    manager: str


@pytest.fixture(scope="module")
def deal(live_server: LiveServer) -> Iterator[Deal]:
    """An open deal whose drafted map has no champion and a readiness score, owned by a seller
    with a manager; both made users of the app."""
    ws = Workspace.open(live_server.workspace)
    store = app_store.open_store(app_store.default_url(live_server.workspace))
    try:
        managers = {u["user_id"]: u["manager_id"] for u in ws.table("users").to_pyarrow().to_pylist()}
        maps = ws.support_maps(store)
        found = None
        for d in ws.reader().opportunities(open_only=True):
            if not managers.get(d["owner_id"]):
                continue
            view = maps.view(EVERYONE, d["opportunity_id"])
            gaps = {g["code"]: g["points"] for g in view["readiness"]["gaps"]}
            people = [s for s in view["support_map"]["stakeholders"] if s["inferred"] and s["name"]]
            if view["readiness"]["score"] is not None and "no_champion" in gaps and len(people) >= 2:
                found = (d, view, gaps, people)
                break
        assert found, "the demo company has an open deal without a champion and with a readiness score"
        d, view, gaps, people = found
        app_store.create_user(store, username="sam.seller", password=PASSWORD, role="rep", crm_user_id=d["owner_id"])
        app_store.create_user(store, username="mia.manager", password=PASSWORD, role="manager",
                              crm_user_id=managers[d["owner_id"]])
        yield Deal(d["opportunity_id"], people[0]["contact_id"], people[0]["name"], people[1]["contact_id"],
                   people[1]["name"], people[0]["stance"], view["readiness"]["score"], gaps["no_champion"], "sam.seller", "mia.manager")
    finally:
        store.close()
        ws.close()


def test_seller_marks_a_champion_readiness_rises_history_says_so_and_a_stale_edit_is_refused(
    page, browser, live_server: LiveServer, deal: Deal  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect

    base, path = live_server.url, f"/opportunities/{deal.opportunity_id}"
    # the manager opens the deal first: their forms carry version 0
    manager_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        manager = manager_context.new_page()
        manager.set_default_timeout(ACTION_TIMEOUT)
        log_in(manager, base, deal.manager, path)
        expect(manager.locator("#support-map")).to_have_attribute("data-version", "0")

        # -- the seller marks the drafted contact as champion, in place -------------------------
        log_in(page, base, deal.rep, path)
        assert float(page.locator("#readiness-score").inner_text()) == deal.score_before
        expect(page.locator("#readiness-gaps li[data-gap=no_champion]")).to_have_count(1)
        row = page.locator(f"#support-stakeholders tr[data-contact-id='{deal.contact_id}']")
        expect(row.locator(".badge")).to_have_text("inferred")
        page.evaluate("window.__sameDocument = true")
        row.locator("select[name=stance]").select_option("champion")
        with page.expect_response(lambda r: r.request.method == "POST" and "/support-map/stakeholders/" in r.url) as sent:
            row.locator("button[type=submit]").click()
        assert sent.value.status == 200
        expect(page.locator("#support-done")).to_have_text("Saved (version 1).")
        assert page.evaluate("window.__sameDocument") is True  # an htmx swap, not a page load
        row = page.locator(f"#support-stakeholders tr[data-contact-id='{deal.contact_id}']")
        expect(row.locator(".badge")).to_have_text("confirmed")
        expect(row.locator("select[name=stance]")).to_have_value("champion")
        # readiness re-rendered beside the map: the gap is gone and its points are back
        expect(page.locator("#readiness-gaps li[data-gap=no_champion]")).to_have_count(0)
        expect(page.locator("#readiness-score")).to_have_text(f"{deal.score_before + deal.no_champion_points:.0f}")
        history = page.locator("#support-history tbody tr")
        expect(history).to_have_count(1)
        expect(history.first).to_contain_text(f"stance of {deal.contact_name}: {deal.stance_before} → champion")
        expect(history.first.locator("td").nth(1)).to_have_text(deal.rep)
        page.screenshot(path=str(ARTIFACTS / "web-20-support-map-champion.png"), full_page=True)
        twin = page.request.get(f"{base}/api/v1/opportunities/{deal.opportunity_id}/support-map").json()
        assert twin["support_map"]["version"] == 1
        assert twin["readiness"]["score"] == deal.score_before + deal.no_champion_points
        assert twin["history"][0]["text"] == f"stance of {deal.contact_name}: {deal.stance_before} → champion"

        # -- the manager saves another row from version 0: refused, told who changed what -------
        other = manager.locator(f"#support-stakeholders tr[data-contact-id='{deal.other_contact_id}']")
        other.locator("select[name=stance]").select_option("blocker")
        with manager.expect_response(lambda r: r.request.method == "POST" and "/support-map/" in r.url) as sent:
            other.locator("button[type=submit]").click()
        assert sent.value.status == 409
        conflict = manager.locator("#support-conflict")
        expect(conflict).to_contain_text("was changed after the version you edited (0)")
        expect(conflict).to_contain_text(f"{deal.rep} changed it at")
        expect(conflict).to_contain_text(f"stance of {deal.contact_name}: {deal.stance_before} → champion")
        expect(manager.locator("#support-unsaved")).to_contain_text(
            f"Your unsaved edit of {deal.other_contact_name}: stance “blocker”")
        expect(manager.locator("#support-map")).to_have_attribute("data-version", "1")  # the map as it is now
        expect(manager.locator(f"#support-stakeholders tr[data-contact-id='{deal.contact_id}'] select[name=stance]")
               ).to_have_value("champion")
        manager.screenshot(path=str(ARTIFACTS / "web-21-support-map-conflict.png"), full_page=True)
        after = manager.request.get(f"{base}/api/v1/opportunities/{deal.opportunity_id}/support-map").json()
        assert after["support_map"]["version"] == 1 and len(after["history"]) == 1
        assert not any(s["stance"] == "blocker" and not s["inferred"] for s in after["support_map"]["stakeholders"])
        assert re.search(r"nothing of your edit was saved", conflict.inner_text())
    finally:
        manager_context.close()
