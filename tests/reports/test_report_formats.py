"""Every report (team, seller, account) renders for the demo company in every format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_support import ReportDemo, ink_share, pdf_pages, pdf_to_pages

from accountleader.reports import ReportResult, build_report

KINDS = ("team", "seller", "account")
FORMATS = ("html", "pdf", "md")
CHARTS = {"team": 4, "seller": 2, "account": 1}
# sections that start a new printed page (class="new-page") + the first page
MIN_PAGES = {"team": 3, "seller": 2, "account": 2}
MAX_PAGES = 15

_built: dict[tuple[str, str], tuple[Path, ReportResult]] = {}


def _target(demo: ReportDemo, kind: str) -> dict[str, str]:
    if kind == "seller":
        return {"rep": demo.sellers("slow")[0]}
    if kind == "account":
        return {"account": demo.open_single_threaded_deals()[0]["account_id"]}
    return {}


def render(demo: ReportDemo, out_dir: Path, kind: str, fmt: str) -> tuple[Path, ReportResult]:
    """Each report is built once per test session."""
    if (kind, fmt) not in _built:
        path = out_dir / f"{kind}.{fmt}"
        _built[kind, fmt] = path, build_report(demo.workspace, out=path, fmt=fmt, **_target(demo, kind))
    return _built[kind, fmt]


@pytest.mark.parametrize("kind", KINDS)
def test_html_report_is_one_self_contained_file_with_svg_charts(report_demo: ReportDemo, out_dir: Path, kind: str) -> None:
    path, result = render(report_demo, out_dir, kind, "html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert result.kind == kind and result.charts_n == CHARTS[kind]
    assert html.count("<svg ") == CHARTS[kind]
    assert "<script" not in html and "<link" not in html and "@import" not in html
    # no resource is fetched from anywhere: the only URLs are SVG namespace declarations
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']([^"'#][^"']*)""", html))
    assert urls == set(), urls
    assert f"As of <strong>{result.as_of}</strong>" in html


@pytest.mark.parametrize("kind", KINDS)
def test_markdown_report_pastes_as_headings_and_tables(report_demo: ReportDemo, out_dir: Path, kind: str) -> None:
    path, result = render(report_demo, out_dir, kind, "md")
    md = path.read_text(encoding="utf-8")
    assert md.startswith(f"# {result.title}\n")
    assert "## Next best actions" in md
    assert re.search(r"^\|---\|", md, re.MULTILINE), "expected at least one Markdown table"
    assert "<svg" not in md and "<table" not in md


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_report_prints_non_blank_pages(report_demo: ReportDemo, out_dir: Path, kind: str) -> None:
    path, result = render(report_demo, out_dir, kind, "pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    pages = pdf_pages(path)
    assert MIN_PAGES[kind] <= pages <= MAX_PAGES
    images = pdf_to_pages(path, out_dir / f"{kind}-page")
    assert len(images) == pages
    inked = [ink_share(img) for img in images]
    assert all(share > 0.002 for share in inked), f"blank page(s) in the {kind} PDF: {inked}"


def test_team_report_for_one_team_names_only_its_sellers(report_demo: ReportDemo, out_dir: Path) -> None:
    ws = report_demo.workspace
    team = ws.teams()[0]["team"]
    members = {r["name"] for r in ws.reps(team=team)}
    others = {r["name"] for r in ws.reps()} - members
    path = out_dir / "one-team.md"
    result = build_report(ws, out=path, fmt="md", team=team)
    md = path.read_text(encoding="utf-8")
    assert result.title == f"Team report: {team}"
    assert all(f"| {name} |" in md for name in members)
    assert not any(f"| {name} |" in md for name in others)


def test_account_report_shows_stakeholder_gaps_and_whitespace(report_demo: ReportDemo, out_dir: Path) -> None:
    path, _ = render(report_demo, out_dir, "account", "html")
    html = path.read_text(encoding="utf-8")
    for section in ("Fit", "Stakeholders by buyer role", "Open opportunities", "Closed opportunities",
                    "Change timeline", "Whitespace"):
        assert f"<h2>{section}</h2>" in html
    assert "Roles never engaged:" in html
    assert "Similar accounts that bought it" in html
