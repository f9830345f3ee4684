"""Findings: plain sentences carrying their numbers, only past their thresholds."""

from __future__ import annotations

from accountleader.domain import findings as fnd

REP = {"user_id": "U1", "name": "Pat", "quadrant": "busy", "efficiency_index": 70.0, "effectiveness_index": 20.0,
       "decision_maker_reach": 0.30, "create_share": 0.5}
BASE = fnd.TeamBaseline(quote_business_days=0.5, decision_maker_reach=0.3, create_share=0.5)


def kinds(found: list[fnd.Finding]) -> list[str]:
    return [f.kind for f in found]


def test_effort_on_low_fit_accounts_reads_like_the_issue_example() -> None:
    facts = fnd.SellerFacts(activities_by_tier={"A": 3, "B": 35, "C": 40, "D": 22}, tier_a_accounts_n=14,
                            tier_a_touches_n=3)
    (f,) = fnd.seller_findings(REP, facts, BASE, sla_business_days=2, window_days=90)
    assert f.text == "Pat spends 62% of effort on tier C/D accounts; their 14 tier-A accounts got 3% of touches in the last 90 days."
    assert f.evidence["low_fit_share"] == 0.62


def test_slow_quotes_give_an_overdue_quotes_finding_with_the_counts() -> None:
    facts = fnd.SellerFacts(quote_business_days=[5.0, 6.0, 7.0, 1.0, 8.0, 9.0], quotes_over_sla_n=5,
                            pending_overdue_quotes_n=2)
    (f,) = fnd.seller_findings(REP, facts, BASE, sla_business_days=2, window_days=90)
    assert f.kind == "overdue_quotes" and f.severity == "high"
    assert f.text == ("Pat sent 5 of 6 quotes (83%) after the 2-business-day SLA; median turnaround 6.5 business days "
                      "(team median 0.5); 2 requested quotes are still waiting past the SLA.")


def test_too_few_quotes_or_few_late_ones_give_no_finding() -> None:
    few = fnd.SellerFacts(quote_business_days=[9.0, 9.0], quotes_over_sla_n=2)
    mostly_fast = fnd.SellerFacts(quote_business_days=[1.0] * 9 + [5.0], quotes_over_sla_n=1)
    for facts in (few, mostly_fast):
        assert fnd.seller_findings(REP, facts, BASE, sla_business_days=2, window_days=90) == []


def test_without_fit_tiers_no_effort_finding_is_made() -> None:
    facts = fnd.SellerFacts(activities_by_tier={None: 100})
    assert fnd.seller_findings(REP, facts, BASE, sla_business_days=2, window_days=90) == []


def test_low_reach_and_tending_are_measured_against_the_team() -> None:
    rep = {**REP, "decision_maker_reach": 0.1, "create_share": 0.1}
    found = fnd.seller_findings(rep, fnd.SellerFacts(only_tended_accounts_n=4, accounts_n=10), BASE,
                                sla_business_days=2, window_days=90)
    assert sorted(kinds(found)) == ["low_decision_maker_reach", "mostly_tending"]
    assert any("4 of their 10 accounts are only tended" in f.text for f in found)


def test_findings_are_ordered_most_severe_first() -> None:
    rep = {**REP, "quadrant": "at_risk", "decision_maker_reach": 0.1}
    found = fnd.seller_findings(rep, fnd.SellerFacts(), BASE, sla_business_days=2, window_days=90)
    assert kinds(found) == ["at_risk", "low_decision_maker_reach"]


def test_a_team_without_measured_sellers_is_told_why_the_matrix_is_empty() -> None:
    from accountleader.domain.findings import team_findings

    reps = [{"user_id": "u1", "name": "Ana", "quadrant": None}, {"user_id": "u2", "name": "Ben", "quadrant": None}]
    found = team_findings(reps, [], None)
    assert [f.kind for f in found] == ["matrix_unknown"]
    assert "None of the 2 sellers can be placed" in found[0].text


def test_a_verdict_note_is_a_finding_and_process_findings_lead() -> None:
    rep = {**REP, "quadrant": "slow", "verdict_note": "Results beat the verdict: won 40 of 60 closed deals"}
    found = fnd.seller_findings(rep, fnd.SellerFacts(), fnd.TeamBaseline(None, None, None), sla_business_days=2,
                                window_days=90)
    assert any(f.kind == "verdict_note" and "Results beat the verdict" in f.text for f in found)
    problem = {"scope": "team", "team": "East", "component": "response_latency_median_hours", "process": "inbound replies",
               "owner": "the support team (inbound routing)", "sellers_n": 5, "affected_n": 4, "share": 0.8}
    process = fnd.process_findings([problem], sla_business_days=2, response_sla_hours=24)
    assert len(process) == 1
    assert "4 of 5 sellers in team East (80%)" in process[0].text and "support team" in process[0].text
    assert fnd.order([*found, *process])[0].kind == "process"
    assert "tending" in fnd.matrix_position({**REP, "quadrant": "tending"})
