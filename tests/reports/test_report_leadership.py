"""The team report leads with the accounts in change but managed, not led; the account and seller
reports say what leadership an account needs and how flexible a seller's style is (issue 14)."""

from __future__ import annotations

from report_support import ReportDemo

from accountleader.reports import report_document
from accountleader.reports.data import team_report
from accountleader.reports.render import to_html, to_markdown


def test_team_report_leads_with_the_accounts_in_change_but_managed_not_led(report_demo: ReportDemo) -> None:
    ws = report_demo.workspace
    planted = report_demo.truth.steady_state_change_accounts
    assert planted and planted <= {a["account_id"] for a in ws.accounts() if a["managed_not_led"]}
    # one team's report (the whole company's takes several times as long): the first planted owner's
    owner = next(a["owner_id"] for a in ws.accounts() if a["account_id"] == min(planted))
    team = next(r["team"] for r in ws.reps() if r["user_id"] == owner)
    flagged = [a for a in ws.accounts(team=team) if a["managed_not_led"]]
    doc = team_report(ws, team)  # the team report's own content (no playbook alerts, no backtest)
    doc["alerts"], doc["forecast_accuracy"] = [], None
    listed = doc["managed_not_led_accounts"]
    assert {a["account_id"] for a in listed} == {a["account_id"] for a in flagged}
    assert [a["change_index"] for a in listed] == sorted((a["change_index"] for a in listed), reverse=True)
    md = to_markdown(doc)
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert sections[0] == "## In change but managed, not led", sections[:3]
    for a in listed:
        assert a["name"] in md and f"{a['review_cadence_days']} days" in md
        assert all(reason in md for reason in a["leadership_reasons"])
    html = to_html(doc, {})
    assert html.index('id="managed-not-led"') < html.index('id="findings"')


def test_account_report_says_which_leadership_the_change_calls_for(report_demo: ReportDemo) -> None:
    ws = report_demo.workspace
    account = sorted(report_demo.truth.steady_state_change_accounts)[0]
    doc = report_document(ws, account=account)
    md = to_markdown(doc)
    assert "## Leadership this account needs" in md
    assert "**Lead**, review every" in md and "in change but managed, not led" in md
    assert all(f"- {r}" in md for r in doc["account"]["leadership_reasons"])


def test_seller_report_shows_style_flexibility_with_examples(report_demo: ReportDemo) -> None:
    ws = report_demo.workspace
    flexible = sorted(report_demo.truth.flexible_sellers)[0]
    doc = report_document(ws, rep=flexible)
    rep = doc["rep"]
    assert rep["style_flexibility"] is not None and rep["style_examples"]
    md = to_markdown(doc)
    assert f"Style flexibility **{rep['style_flexibility']:.2f}** (0-1, over {rep['style_n']} activities)" in md
    assert all(f"- {e}" in md for e in rep["style_examples"])
