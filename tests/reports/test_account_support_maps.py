"""The account plan carries each open deal's support map and readiness gaps (issue 14), the same
figures `show opportunities --json` gives."""

from __future__ import annotations

from pathlib import Path

from report_support import ReportDemo

from accountleader.reports import build_report


def test_account_plan_shows_support_maps_and_readiness_gaps(report_demo: ReportDemo, out_dir: Path) -> None:
    ws = report_demo.workspace
    deals = ws.with_readiness(ws.reader().opportunities(open_only=True))
    deal = next(d for d in deals if d["readiness_gaps"] and d.get("account_id"))
    path = out_dir / "account-support.md"
    build_report(ws, out=path, fmt="md", account=deal["account_id"])
    text = path.read_text(encoding="utf-8")
    section = text[text.index("## Support maps and proposal readiness"):text.index("## Change timeline")]
    score = deal["readiness_score"]
    shown = f"{score:,.0f}" if abs(score) >= 10 else f"{score:,.1f}"
    assert f"({deal['stage']}): readiness {shown}" in section
    for gap in deal["readiness_gaps"]:
        assert gap["text"] in section
    assert "| Stakeholder | Title | Buyer role | Stance | Influence | Access |" in section
    assert "(inferred)" in section  # nobody has confirmed the draft yet
