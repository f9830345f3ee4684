"""The leadership report opened in real headless Chromium: charts drawn, findings shown, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS
from demo_support import demo_workspace_copy

from accountleader.reports import build_report, report_document
from accountleader.workspace import Workspace

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def team_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, object]]]:
    path, _, _ = demo_workspace_copy(tmp_path_factory, "report-browser", seed=7, scale=0.1)  # built once per run
    root = path.parent
    ws = Workspace.open(path)
    html = root / "team.html"
    build_report(ws, out=html, fmt="html")
    doc = report_document(ws)
    yield html, doc
    ws.close()


def test_team_report_opens_offline_with_charts_and_findings(browser: object,
                                                             team_report: tuple[Path, dict[str, object]]) -> None:
    html, doc = team_report
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)  # type: ignore[attr-defined]
    requested: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        assert page.title().startswith("Team report: all teams")
        charts = page.locator("figure.chart svg")
        assert charts.count() == 4
        for i in range(4):
            box = charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
            assert charts.nth(i).locator("path, rect, line").count() > 5
        labels = [charts.nth(i).get_attribute("aria-label") for i in range(4)]
        assert labels == ["The right-things-right matrix", "Tend versus create, per seller", "Effort versus fit",
                          "Quote turnaround"]
        shown = page.locator("ol.findings li.finding")
        findings = doc["findings"]
        assert isinstance(findings, list) and findings
        assert shown.count() == len(findings)
        assert shown.first.inner_text().endswith(findings[0]["text"])
        assert page.locator("li.finding[data-kind='overdue_quotes']").count() >= 1
        assert page.locator("table.actions tr.action").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "report-team.png"), full_page=True)
        assert [u for u in requested if not u.startswith("file://")] == []
    finally:
        context.close()
