"""The seller and team reports carry "Results over obedience" (issue 15): the micromanagement
index with its parts and the outcome comparison with n and intervals, never a bare label."""

from __future__ import annotations

from report_support import ReportDemo

from accountleader.reports.data import seller_report, team_report
from accountleader.reports.render import to_html, to_markdown


def test_seller_and_team_reports_show_the_index_its_parts_and_the_outcomes(report_demo: ReportDemo) -> None:
    ws = report_demo.workspace
    micro = report_demo.truth.micromanaging_managers
    assert micro
    reps = ws.reps()
    seller = next(r for r in reps if r["manager_id"] in micro and r["micromanagement_index"] is not None)
    parts = seller["micromanagement_parts"]  # decoded: an object, as `show reps --json` prints it
    assert set(parts) == {"steps", "check_ins", "overrides", "reassignments", "density"}
    doc = seller_report(ws, seller["user_id"])
    doc["alerts"] = []
    md = to_markdown(doc)
    section = md.split("## Results over obedience", 1)[1].split("\n## ", 1)[0]
    assert f"Micromanagement index {seller['micromanagement_index']:.0f} / 100 over {seller['micromanagement_n']} signals" in section
    assert f"instructions written as steps (of steps + outcome asks): {parts['steps']['rate']:.2f} (n {parts['steps']['n']})" in section
    assert "win rate on the deals the style touched" in section and "closed, against" in section
    assert 'id="obedience"' in to_html(doc, {})

    team = seller["team"]
    tdoc = team_report(ws, team)
    tdoc["alerts"], tdoc["forecast_accuracy"] = [], None
    titles = [it["title"] for it in tdoc["obedience"]]
    manager = next(r for r in reps if r["user_id"] == seller["user_id"])["manager_id"]
    name = next(it for it in tdoc["obedience"] if it["title"].endswith("as a manager of others' work"))
    assert name["parts"] and any(t.startswith(seller["name"]) for t in titles), titles
    assert manager in micro
    assert "## Results over obedience" in to_markdown(tdoc)


def test_show_reps_json_carries_the_index_with_its_parts(report_demo: ReportDemo) -> None:
    import json

    from accountleader.cli.console import CaptureConsole
    from accountleader.cli.main import main

    con = CaptureConsole()
    assert main(["-w", str(report_demo.workspace.path), "show", "reps", "--json"], console=con) == 0, con.errors
    rows = json.loads(con.out)
    scored = [r for r in rows if r["micromanagement_index"] is not None]
    assert scored, "no seller received enough signals"
    for r in scored:
        parts = r["micromanagement_parts"]
        assert r["micromanagement_n"] >= 10 and r["micromanagement_reason"] is None
        assert abs(sum(p["contribution"] for p in parts.values()) - r["micromanagement_index"]) <= 0.3
        assert all({"rate", "n", "contribution"} <= set(p) for p in parts.values())
    unscored = [r for r in rows if r["micromanagement_index"] is None and r["micromanagement_n"] is not None]
    assert all(r["micromanagement_reason"].startswith("too few signals") for r in unscored)
