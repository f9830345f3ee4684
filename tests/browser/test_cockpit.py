"""A sales leader's walk through the cockpit in a real browser, with screenshots as artefacts."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from browser_support import ARTIFACTS, PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def _broken_copy(export_zip, target):  # type: ignore[no-untyped-def]
    """The export with an unreadable Amount on line 4 of Opportunity.csv."""
    with zipfile.ZipFile(export_zip) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "Opportunity.csv":
                rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
                rows[3][rows[0].index("Amount")] = "lots"
                out = io.StringIO()
                csv.writer(out).writerows(rows)
                data = out.getvalue().encode("utf-8")
            dst.writestr(item.filename, data)
    return target


def test_leader_logs_in_walks_team_seller_account_opportunity_imports_and_logs_out(
    page, live_server: LiveServer, tmp_path  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(base + "/team")
    expect(page).to_have_url(re.compile(r"/login\?next=/team$"))
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/team")
    expect(page.locator("svg.matrix circle.dot").first).to_be_visible()
    expect(page.locator("#sellers tbody tr")).not_to_have_count(0)
    _shot(page, "01-team")

    team = page.locator("#team-filter option").nth(1).get_attribute("value")
    page.select_option("#team-filter", team)
    expect(page).to_have_url(re.compile(r"team="))
    for cell in page.locator("#sellers tbody tr td:nth-child(2)").all_inner_texts():
        assert cell == team
    _shot(page, "02-team-filtered")

    page.locator("#sellers tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/sellers/"))
    expect(page.locator("#next-actions li").first).to_be_visible()
    _shot(page, "03-seller")

    page.locator("#seller-accounts tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/"))
    expect(page.locator("#stakeholders tbody tr")).not_to_have_count(0)
    _shot(page, "04-account")

    page.locator("#account-opportunities tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/opportunities/"))
    expect(page.locator("#history")).to_be_visible()
    _shot(page, "05-opportunity")

    page.goto(base + "/import")
    page.set_input_files("#export", str(_broken_copy(live_server.export_zip, tmp_path / "broken.zip")))
    page.click("#import-form button[type=submit]")
    # the import runs as a background job; the page polls it until it is rejected or done
    expect(page.locator("#import-job[data-state=failed]")).to_contain_text("expected a number", timeout=60_000)
    _shot(page, "06-import-rejected")

    page.set_input_files("#export", str(live_server.export_zip))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-job[data-state=done]")).to_contain_text("Imported", timeout=120_000)
    _shot(page, "07-import-done")

    page.click("#logout")
    expect(page).to_have_url(base + "/login")
    page.goto(base + "/team")
    expect(page).to_have_url(re.compile(r"/login"))
    _shot(page, "08-logged-out")
