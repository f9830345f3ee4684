"""A sales manager's walk in a real browser: add a scenario on the forecast page and see the
forecast change beside the base case, then put a playbook on the deal that drives the change and
assign it to the deal's seller; the seller reads the scenario but cannot change it.

Every figure is read from the page and checked against the page's JSON twin.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from browser_support import ACTION_TIMEOUT, ARTIFACTS, PASSWORD, LiveServer

from accountleader import store as app_store

pytestmark = pytest.mark.browser

SCENARIO = "Everything slips four months"


@dataclass
class Team:
    manager: str  # login names
    reps: dict[str, str]  # the manager's sellers: CRM name -> login name


def _login_name(full_name: str) -> str:
    """'Jessica O'Brien' -> 'jessica.obrien' (a valid login name)."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    return ".".join(re.sub(r"[^a-z]", "", part) for part in ascii_name.lower().split())


@pytest.fixture(scope="module")
def team(live_server: LiveServer) -> Iterator[Team]:
    """A manager of the demo company and their sellers as users of the app: the manager whose
    sellers own the most open deals (read from the export the workspace was imported from)."""
    export = live_server.workspace / "demo-export"
    users = list(csv.DictReader((export / "User.csv").open(encoding="utf-8")))
    open_deals = [o["OwnerId"] for o in csv.DictReader((export / "Opportunity.csv").open(encoding="utf-8"))
                  if o["IsClosed"] == "false"]
    reports = {u["Id"]: [r for r in users if r["ManagerId"] == u["Id"] and r["Id"] in open_deals] for u in users}
    manager = max((u for u in users if "Manager" in u["Title"]),
                  key=lambda u: sum(open_deals.count(r["Id"]) for r in reports[u["Id"]]))
    assert reports[manager["Id"]], "the demo company has a manager whose sellers hold open deals"
    store = app_store.open_store(app_store.default_url(live_server.workspace))
    try:
        app_store.create_user(store, username=_login_name(manager["Name"]), password=PASSWORD, role="manager",
                              crm_user_id=manager["Id"])
        reps = {}
        for r in reports[manager["Id"]]:
            reps[r["Name"]] = app_store.create_user(store, username=_login_name(r["Name"]), password=PASSWORD,
                                                    role="rep", crm_user_id=r["Id"]).username
    finally:
        store.close()
    yield Team(_login_name(manager["Name"]), reps)


def _log_in(page, base: str, username: str, path: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + path)  # the page's own timeout: a cold forecast takes seconds


def _amount(text: str) -> float:
    """A figure as the pages print it ('-1,234,567')."""
    return float(text.strip().replace(",", ""))


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_manager_adds_a_scenario_sees_the_forecast_fall_and_assigns_a_playbook_to_the_seller(
    page, browser, live_server: LiveServer, team: Team  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    # -- the forecast, base case only -----------------------------------------------------------
    _log_in(page, base, team.manager, "/forecast")
    horizon = page.locator("#forecast-periods tbody tr").last
    expect(horizon.locator("th")).to_have_text("Horizon")
    base_p50 = _amount(horizon.locator("td").nth(2).inner_text())  # won to date, P10, P50, P90
    assert base_p50 > 0
    version = int(page.locator("#scenario-add input[name=version]").input_value())

    # -- a scenario through the page's form: swapped in by htmx, beside the base case -----------
    page.evaluate("window.__sameDocument = true")
    page.fill("#sc-name", SCENARIO)
    page.select_option("#sc-kind", "general_slip")
    page.fill("#sc-days", "120")
    page.fill("#sc-owner", team.manager)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/forecast/scenarios")) as sent:
        page.click("#scenario-add button[type=submit]")
    assert sent.value.status == 200
    expect(page.locator("#scenario-done")).to_contain_text(f"scenario '{SCENARIO}' added")
    assert page.evaluate("window.__sameDocument") is True  # a fragment swap, not a page load
    expect(page.locator("#forecast-periods thead")).to_contain_text(f"{SCENARIO}: P50")
    cells = horizon.locator("td")
    expect(cells).to_have_count(6)  # the base case's four, the scenario's P50 and its change
    assert _amount(cells.nth(2).inner_text()) == base_p50  # the base case is drawn the same
    scenario_p50 = _amount(cells.nth(4).inner_text())
    change_text = horizon.locator(f'td[data-scenario="{SCENARIO}"]').inner_text()
    change = _amount(change_text)
    assert change < 0 and abs(base_p50 + change - scenario_p50) <= 1
    card = page.locator("section.scenario", has=page.locator("h2", has_text=SCENARIO))
    expect(card).to_contain_text(f"Owner: {team.manager}")
    expect(card).to_contain_text(f"P50 over the horizon {change_text}")
    expect(page.locator("#scenario-editor h2")).to_have_text(f"Scenarios (version {version + 1})")
    expect(page.locator("#scenario-list tbody")).to_contain_text(SCENARIO)
    driver = card.locator("table.drivers tbody tr").first
    deal_id = re.search(r"/opportunities/([^?#/]+)", driver.locator("a").get_attribute("href") or "")[1]  # type: ignore[index]
    deal_name = driver.locator("a").inner_text()
    seller = driver.locator("td").nth(2).inner_text()
    assert seller in team.reps, f"the driving deal's owner {seller!r} is one of the manager's sellers"
    _shot(page, "10-forecast-scenario")

    # the page shows what its JSON twin says
    twin = page.request.get(base + "/api/v1/forecast").json()
    (case,) = [s for s in twin["scenarios"] if s["name"] == SCENARIO]
    assert abs(twin["base"]["all"]["total"]["p50"] - base_p50) <= 0.5
    assert abs(case["all"]["total"]["p50"] - scenario_p50) <= 0.5
    assert abs(case["p50_change"]["total"] - change) <= 0.5 and case["p50_change"]["total"] < 0
    assert case["owner"] == team.manager and case["drivers"][0]["opportunity_id"] == deal_id
    assert twin["scenario_file"]["version"] == version + 1

    # -- a playbook on the deal that drives the change, owned by the manager --------------------
    page.click("nav a[href='/playbooks']")
    page.wait_for_url(base + "/playbooks")
    title = f"Hold {deal_name} in the quarter"
    page.fill("#pb-subject", deal_id)
    page.fill("#pb-title", title)
    page.fill("#pb-actions", "Agree a mutual close plan with the buyer; confirm the signatory.")
    page.fill("#pb-due", (date.today() + timedelta(days=21)).isoformat())
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/playbooks")) as sent:
        page.click("#playbook-add button[type=submit]")
    assert sent.value.status == 201
    expect(page.locator("#playbook-done")).to_contain_text("added")
    row = page.locator("#playbook-list tbody tr", has_text=title)
    expect(row.locator("td").nth(4)).to_have_text(team.manager)
    playbook_id = row.get_attribute("data-playbook-id")

    # -- assigned to the deal's seller: new owner, version bumped, in the history ---------------
    row.locator("a", has_text=title).click()
    page.wait_for_url(f"{base}/playbooks/{playbook_id}")
    before = int(page.locator("#playbook-edit input[name=version]").input_value())
    history = page.locator("#playbook-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("created")
    rep = team.reps[seller]
    page.fill("#pe-owner", rep)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/playbooks/{playbook_id}")) as sent:
        page.click("#playbook-edit button[type=submit]")
    assert sent.value.status == 200
    expect(page.locator("#playbook-done")).to_have_text(f"Saved (version {before + 1}).")
    expect(page.locator("#pe-owner")).to_have_value(rep)
    expect(page.locator("#playbook-edit input[name=version]")).to_have_value(str(before + 1))
    # the summary, the form and the history all show the saved change, without a reload
    expect(page.locator("#playbook-summary")).to_contain_text(f"owner {rep}")
    expect(history).to_have_count(2)
    assigned = history.filter(has_text="assigned")
    expect(assigned).to_contain_text(f"owner: {team.manager} → {rep}")
    expect(assigned.locator("td").nth(1)).to_have_text(team.manager)
    expect(assigned.locator("td").nth(3)).to_have_text(str(before + 1))
    _shot(page, "11-playbook-assigned")
    shown = page.request.get(f"{base}/api/v1/playbooks/{playbook_id}").json()
    assert shown["playbook"]["owner"] == rep and shown["playbook"]["version"] == before + 1

    # -- the seller: reads the scenario, has no editor, is refused when posting anyway -----------
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        seller_page = context.new_page()
        seller_page.set_default_timeout(ACTION_TIMEOUT)
        _log_in(seller_page, base, rep, "/forecast")
        expect(seller_page.locator("#scenario-list tbody")).to_contain_text(SCENARIO)
        expect(seller_page.locator("#scenario-add")).to_have_count(0)
        expect(seller_page.locator("#scenario-list button")).to_have_count(0)
        token = seller_page.locator("#logout").locator("xpath=..").locator("input[name=csrf_token]").input_value()
        refused = context.request.post(base + "/forecast/scenarios", form={
            "csrf_token": token, "version": str(version + 1), "name": "Seller's own", "kind": "general_slip",
            "days": "30"})
        assert refused.status == 403 and "only a manager or an admin" in refused.text()
        after = context.request.get(base + "/api/v1/forecast").json()["scenario_file"]
        names = [s["name"] for s in after["scenarios"]]
        assert after["version"] == version + 1 and SCENARIO in names and "Seller's own" not in names
        # the playbook they now own is on their list
        seller_page.click("nav a[href='/playbooks']")
        seller_page.wait_for_url(base + "/playbooks")
        mine = seller_page.locator(f"#playbook-list tbody tr[data-playbook-id='{playbook_id}']")
        expect(mine.locator("td").nth(4)).to_have_text(rep)
        _shot(seller_page, "12-seller-playbooks")
    finally:
        context.close()
