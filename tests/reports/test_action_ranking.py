"""The next-best-action ranking (docs/actions.md) on small hand-made rows."""

from __future__ import annotations

from datetime import date

from accountleader.domain import actions as act

CTX = act.ActionContext(as_of=date(2026, 9, 30), window_days=90, sla_business_days=2.0, reference_amount=100_000)


def deal(oid: str, *, amount: float, stage: str = "Proposal/Price Quote", contacts: int = 1, dm: bool = False,
         roles: list[str] | None = None, account: str = "A1", close: str | None = None) -> dict[str, object]:
    return {"opportunity_id": oid, "account_id": account, "owner_id": "U1", "name": f"Deal {oid}", "stage": stage,
            "amount": amount, "is_closed": False, "contacts_engaged": contacts, "has_decision_maker": dm,
            "roles_engaged": roles or [], "close_date": close}


ACCOUNTS = [
    {"account_id": "A1", "name": "Acme", "owner_id": "U1", "fit_tier": "A", "fit_score": 90.0},
    {"account_id": "D1", "name": "Dusty", "owner_id": "U1", "fit_tier": "D", "fit_score": 10.0},
]
PEOPLE = [
    {"contact_id": "C1", "account_id": "A1", "name": "Ana CEO", "title": "CEO", "buyer_role": "executive", "last_touch": None},
    {"contact_id": "C2", "account_id": "A1", "name": "Bea CFO", "title": "CFO", "buyer_role": "economic_buyer",
     "last_touch": "2026-08-14T10:00:00"},
    {"contact_id": "C3", "account_id": "A1", "name": "Old CFO", "title": "CFO", "buyer_role": "economic_buyer",
     "last_touch": None, "departed_at": "2026-01-01T00:00:00"},
]


def test_score_is_the_documented_product() -> None:
    # weight 1.0, value 0.5 + 0.5 * min(1, 50k / 100k) = 0.75, urgency 0.5 + 0.5 * 1, tier B 0.9
    assert act.score("reach_decision_maker", act.deal_value(50_000, 100_000), 1.0, act.fit_factor("B")) == 67.5
    assert act.score("create_at_tended_account", act.account_value(None), 0.0, act.fit_factor(None)) == 10.0


def test_single_threaded_proposal_calls_the_economic_buyer_still_there() -> None:
    (a,) = act.reach_decision_maker([deal("O1", amount=120_000)], {x["account_id"]: x for x in ACCOUNTS},
                                    {"A1": PEOPLE}, CTX)
    assert a.contact_id == "C2"  # economic buyer beats executive; the one who left is skipped
    assert a.reason == ("Call Bea CFO (CFO, economic buyer) at Acme: tier A, open proposal of 120k "
                        "(Proposal/Price Quote), 1 contact engaged in 90 days, no decision maker engaged in 47 days.")
    assert a.evidence["days_since_decision_maker_touch"] == 47
    assert a.score == 87.5  # urgency max(47/90, 0.75 for a proposal) -> 0.875; value 1; tier A 1.0


def test_deal_with_a_decision_maker_or_several_contacts_is_not_single_threaded() -> None:
    deals = [deal("O1", amount=1e5, dm=True), deal("O2", amount=1e5, contacts=3)]
    assert act.reach_decision_maker(deals, {}, {}, CTX) == []


def test_big_tier_a_deal_outranks_small_tier_d_deal() -> None:
    ranked = act.next_best_actions(
        deals=[deal("small", amount=5_000, account="D1"), deal("big", amount=150_000)], accounts=ACCOUNTS,
        contacts=PEOPLE, pending_quotes=[], quote_events=[], effort_gaps=[], ctx=CTX)
    assert [a.opportunity_id for a in ranked] == ["big", "small"]
    assert ranked[0].score > ranked[1].score


def test_overdue_quote_waiting_past_the_sla_is_an_action_and_on_time_is_not() -> None:
    pending = [
        {"opportunity_id": "late", "account_id": "A1", "owner_id": "U1", "name": "Late", "amount": 80_000,
         "business_days_waiting": 7.0},
        {"opportunity_id": "fresh", "account_id": "A1", "owner_id": "U1", "name": "Fresh", "amount": 80_000,
         "business_days_waiting": 1.0},
    ]
    (a,) = act.send_overdue_quotes(pending, {"A1": ACCOUNTS[0]}, CTX)
    assert a.opportunity_id == "late"
    assert "requested 7.0 business days ago against a 2-day SLA" in a.reason


def test_proposal_without_champion_gets_line_up_support() -> None:
    d = deal("O1", amount=60_000, contacts=3, dm=True, roles=["decision_maker", "user"], close="2026-10-15")
    (a,) = act.line_up_support([d], {"A1": ACCOUNTS[0]}, CTX)
    assert a.evidence["missing"] == ["no champion"]
    assert "closing in 15 days" in a.reason


def test_one_action_per_deal_and_ties_break_by_kind_then_id() -> None:
    same = act.Action("follow_up_late_quote", "t", "r", 50.0, opportunity_id="O1")
    better = act.Action("reach_decision_maker", "t", "r", 60.0, opportunity_id="O1")
    tie_a = act.Action("invest_in_starved_account", "t", "r", 40.0, account_id="B")
    tie_b = act.Action("invest_in_starved_account", "t", "r", 40.0, account_id="A")
    tie_c = act.Action("send_overdue_quote", "t", "r", 40.0, opportunity_id="O9")
    ranked = act.rank([tie_a, same, tie_b, better, tie_c])
    assert ranked == [better, tie_c, tie_b, tie_a]


def test_reference_amount_is_the_ninetieth_percentile_of_positive_amounts() -> None:
    assert act.reference_amount([None, 0, *range(1, 11)]) == 10
    assert act.reference_amount([]) == 100_000
