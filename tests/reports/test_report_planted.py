"""The demo company's planted behaviours come back as findings and next best actions."""

from __future__ import annotations

from pathlib import Path

from report_support import ReportDemo

from accountleader.reports import build_report, report_document


def test_planted_single_threaded_deal_gives_reach_the_decision_maker_action(report_demo: ReportDemo) -> None:
    deals = report_demo.open_single_threaded_deals()
    assert deals, "the demo should leave some planted single-threaded deals open"
    for deal in deals:
        doc = report_document(report_demo.workspace, rep=deal["owner_id"])
        hits = [a for a in doc["actions"] if a["opportunity_id"] == deal["opportunity_id"]]
        assert hits, f"no action for planted deal {deal['name']}"
        action = hits[0]
        assert action["kind"] == "reach_decision_maker"
        assert action["title"] == "Reach the decision maker"
        assert action["reason"].startswith(("Call ", "Find and reach a decision maker"))
        assert "1 contact engaged" in action["reason"] or "0 contact engaged" in action["reason"]
        assert action["evidence"]["amount"] == deal["amount"]


def test_planted_single_threaded_deals_lead_the_sellers_actions(report_demo: ReportDemo) -> None:
    """Big single-threaded proposals outrank the routine work (tended accounts) in the ranking."""
    deal = max(report_demo.open_single_threaded_deals(), key=lambda d: d["amount"] or 0)
    doc = report_document(report_demo.workspace, rep=deal["owner_id"])
    first = doc["actions"][0]
    assert first["kind"] == "reach_decision_maker" and first["opportunity_id"] == deal["opportunity_id"]
    tended = [a["score"] for a in doc["actions"] if a["kind"] == "create_at_tended_account"]
    assert all(score < first["score"] for score in tended)
    assert [a["score"] for a in doc["actions"]] == sorted((a["score"] for a in doc["actions"]), reverse=True)


def test_planted_slow_seller_gets_an_overdue_quotes_finding(report_demo: ReportDemo, out_dir: Path) -> None:
    slow = report_demo.sellers("slow")
    assert slow
    for uid in slow:
        doc = report_document(report_demo.workspace, rep=uid)
        overdue = [f for f in doc["findings"] if f["kind"] == "overdue_quotes"]
        assert overdue, f"slow seller {doc['rep']['name']} has no overdue-quotes finding"
        ev = overdue[0]["evidence"]
        assert ev["over_sla_share"] >= 0.5 and ev["quotes_n"] >= 5
        assert f"{ev['over_sla_n']} of {ev['quotes_n']} quotes" in overdue[0]["text"]
    # and the team report says so in plain language
    path = out_dir / "team-planted.html"
    build_report(report_demo.workspace, out=path, fmt="html")
    html = path.read_text(encoding="utf-8")
    for uid in slow:
        name = next(r["name"] for r in report_demo.workspace.reps(rep=uid))
        assert f"{name} sent " in html and "after the 2-business-day SLA" in html


def test_planted_leading_seller_gets_no_overdue_quotes_finding(report_demo: ReportDemo) -> None:
    for uid in report_demo.sellers("leading"):
        doc = report_document(report_demo.workspace, rep=uid)
        assert not [f for f in doc["findings"] if f["kind"] == "overdue_quotes"], doc["findings"]


def test_planted_tender_is_told_to_create_where_they_only_tend(report_demo: ReportDemo) -> None:
    (tender,) = report_demo.sellers("tender")
    doc = report_document(report_demo.workspace, rep=tender)
    assert any(f["kind"] == "mostly_tending" for f in doc["findings"])
    assert any(a["kind"] == "create_at_tended_account" for a in doc["actions"])


def test_seller_report_explains_the_matrix_position(report_demo: ReportDemo) -> None:
    uid = report_demo.sellers("at_risk")[0]
    doc = report_document(report_demo.workspace, rep=uid)
    assert doc["rep"]["quadrant"] == "at_risk"
    assert doc["position"].startswith(f"{doc['rep']['name']} is at risk")
    assert "Why: median quote turnaround" in doc["position"]
