"""Playbook trigger rules and scenario readiness on small hand-built rows (domain/playbooks.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from accountleader.domain import playbooks as rules
from accountleader.errors import InputError

AS_OF = datetime(2026, 6, 30, 23, 59)


def _deal(**kw: object) -> dict:
    return {"opportunity_id": "006A", "name": "Big deal", "account_id": "001A", "owner_id": "005A", "amount": 100.0,
            "is_closed": False, "close_date_pushes": 0, "stage_regressions": 0, "amount_cuts": 0} | kw


def _check(kind: str, n: int, *, deals: list[dict], contacts: list[dict] | None = None, subject: str = "opportunity"):
    param = rules.TRIGGERS[kind].param
    return rules.check(kind, {param: n}, subject_kind=subject, subject_name="Acme", deals=deals,
                       contacts=contacts or [], as_of=AS_OF)


def test_close_date_pushed_twice_fires_at_two_not_at_one() -> None:
    once = _check("close_date_pushed", 2, deals=[_deal(close_date_pushes=1)])
    assert once.met is False and once.evidence == "close date pushed 1 time by 2026-06-30 (fires at 2)"
    twice = _check("close_date_pushed", 2, deals=[_deal(close_date_pushes=2)])
    assert twice.met is True and twice.evidence == "close date pushed 2 times by 2026-06-30"


def test_a_closed_or_missing_deal_cannot_be_judged() -> None:
    assert _check("stage_regression", 1, deals=[_deal(is_closed=True, stage_regressions=3)]).met is None
    missing = _check("amount_cut", 1, deals=[])
    assert missing.met is None and "not in the results as of 2026-06-30" in missing.evidence


def test_an_account_playbook_reads_its_worst_open_deal() -> None:
    deals = [_deal(opportunity_id="1", name="Small", stage_regressions=1),
             _deal(opportunity_id="2", name="Slipping", stage_regressions=2),
             _deal(opportunity_id="3", name="Closed", stage_regressions=5, is_closed=True)]
    found = _check("stage_regression", 2, deals=deals, subject="account")
    assert found.met is True and found.evidence == "stage moved back 2 times on Slipping by 2026-06-30"
    assert _check("stage_regression", 1, deals=[], subject="account").evidence == "no open deals at the account as of 2026-06-30"


def _person(name: str, role: str = "champion", last_touch: str | None = None, departed_at: str | None = None) -> dict:
    return {"name": name, "buyer_role": role, "last_touch": last_touch, "departed_at": departed_at}


def test_champion_silent_counts_days_since_the_most_recent_champion_touch() -> None:
    quiet = _check("champion_silent", 30, deals=[_deal()], contacts=[
        _person("Ann", last_touch="2026-05-01T10:00:00"), _person("Bo", last_touch="2026-05-20T10:00:00"),
        _person("Cy", role="executive", last_touch="2026-06-29T10:00:00")])
    assert quiet.met is True and quiet.evidence == "champion Bo last touched 2026-05-20, 41 days before 2026-06-30"
    recent = _check("champion_silent", 45, deals=[_deal()], contacts=[_person("Bo", last_touch="2026-05-20T10:00:00")])
    assert recent.met is False and recent.evidence.endswith("(fires after 45)")


def test_a_champion_who_left_or_was_never_touched() -> None:
    left = _check("champion_silent", 30, deals=[_deal()],
                  contacts=[_person("Ann", last_touch="2026-06-01", departed_at="2026-06-10")])
    assert left.met is False and left.evidence == "no champion known at Acme as of 2026-06-30"
    never = _check("champion_silent", 30, deals=[_deal()], contacts=[_person("Ann")])
    assert never.met is True and never.evidence == "champion Ann never touched by 2026-06-30"
    # a touch after the as-of does not count (a kept snapshot of an earlier date)
    future = _check("champion_silent", 30, deals=[_deal()], contacts=[_person("Ann", last_touch="2026-07-05")])
    assert future.met is True


@pytest.mark.parametrize(("kind", "params", "says"), [
    ("nope", {}, "unknown trigger 'nope'"),
    ("close_date_pushed", {"times": 0}, "times must be between 1 and 50, not 0"),
    ("champion_silent", {"days": "soon"}, "days must be a whole number, not 'soon'"),
    ("amount_cut", {"days": 3}, "takes only 'times'"),
])
def test_bad_trigger_parameters_are_refused_naming_the_value(kind: str, params: dict, says: str) -> None:
    with pytest.raises(InputError, match=says):
        rules.trigger_params(kind, params)


def test_trigger_defaults_and_words() -> None:
    assert rules.trigger_params("close_date_pushed") == {"times": 2}
    assert rules.TRIGGERS["champion_silent"].describe({"days": 30}) == "champion's last touch over 30 days ago"
    with pytest.raises(InputError, match="due date '31/10' is not a date"):
        rules.check_due("31/10")


def test_readiness_ranks_by_value_at_stake_and_counts_deal_or_account_playbooks() -> None:
    deals = [
        _deal(opportunity_id="a", amount=1000.0, win_probability=0.1, account_id="X"),   # 100 at stake
        _deal(opportunity_id="b", amount=500.0, win_probability=0.8),                    # 400
        _deal(opportunity_id="c", amount=300.0),                                         # 300, no probability yet
        _deal(opportunity_id="d", amount=None),                                          # no amount: left out
        _deal(opportunity_id="e", amount=900.0, is_closed=True),                         # closed: not a risk
        _deal(opportunity_id="f", amount=50.0, owner_id="005B"),                         # another team
    ]
    teams = rules.readiness(deals, {"005A": "East", "005B": "West"}, covered_deals={"c"}, covered_accounts={"X"}, top_n=2)
    east = next(t for t in teams if t["team"] == "East")
    assert [(r["opportunity_id"], r["at_stake"], r["covered"]) for r in east["risks"]] == [("b", 400.0, False), ("c", 300.0, True)]
    assert east["risks"][1]["basis"] == "amount (no win probability yet)"
    assert (east["covered_n"], east["risks_n"], east["share"], east["unpriced_n"]) == (1, 2, 0.5, 1)
    west = next(t for t in teams if t["team"] == "West")
    assert west["share"] == 0.0
    only_unpriced = rules.readiness([_deal(amount=0.0)], {"005A": "East"}, covered_deals=set(), covered_accounts=set())
    assert only_unpriced[0]["share"] is None and only_unpriced[0]["note"] == "no open deals with an amount"
