"""The scenario forecast's Monte Carlo (domain/forecast.py) on small hand-built deal sets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from accountleader.domain.forecast import (
    OpenDeals,
    SlipModel,
    WonDeals,
    deal_probabilities,
    simulate,
)
from accountleader.domain.scenarios import Scenario, scenario

AS_OF = date(2026, 9, 15)


def _deal(i: int, **over: Any) -> dict[str, Any]:
    row = {"opportunity_id": f"o{i}", "name": f"Deal {i}", "account_id": f"a{i % 3}", "account_name": f"Acme {i % 3}",
           "owner_id": f"u{i % 2}", "owner_name": f"Seller {i % 2}", "team": "East" if i % 2 else "West",
           "industry": "Retail" if i < 6 else "Finance", "product": "Core" if i % 3 else "Cloud", "stage": "Proposal",
           "amount": 1000.0 * (i + 1), "close_date": date(2026, 10, 1 + i), "probability": 0.6,
           "basis": "stage_history"}
    return row | over


def _deals(n: int = 12, **over: Any) -> OpenDeals:
    return OpenDeals.from_rows([_deal(i, **over) for i in range(n)], as_of=AS_OF)


#: Won deals close exactly when expected in the stage (enough samples to use the stage's own).
ON_TIME = SlipModel.from_samples(["Proposal"] * 40, [0] * 40)


def _run(deals: OpenDeals | None = None, slip: SlipModel = ON_TIME, **kw: Any) -> dict[str, Any]:
    return simulate(deals or _deals(), slip, as_of=AS_OF, months=3, simulations=4000, seed=11, **kw)


def _bands(result: dict[str, Any]) -> list[dict[str, Any]]:
    groups = [result["base"]["all"], *result["base"]["teams"], *result["base"]["sellers"]]
    return [b for g in groups for b in (*g["months"], *g["quarters"], g["total"])]


def test_bands_are_ordered_for_every_group_and_period() -> None:
    result = _run(won=WonDeals(["u0"], ["West"], [date(2026, 9, 2)], [2500.0]))
    bands = _bands(result)
    assert len(bands) == (1 + 2 + 2) * (3 + 2 + 1)  # all, 2 teams, 2 sellers x (3 months, 2 quarters, total)
    assert all(b["p10"] <= b["p50"] <= b["p90"] for b in bands)
    total = result["base"]["all"]["total"]
    assert total["p10"] < total["p90"], "twelve uncertain deals give a spread, not one number"
    # won-to-date is booked in the as-of's month and quarter, in every simulation
    september = result["base"]["all"]["months"][0]
    assert september["won_to_date"] == 2500.0 and september["p10"] >= 2500.0


def test_the_median_matches_the_expected_bookings() -> None:
    deals = _deals()
    expected = float((deals.amount * deals.probability).sum())  # every deal closes in October
    p50 = _run(deals)["base"]["all"]["months"][1]["p50"]
    assert abs(p50 - expected) / expected < 0.06


def test_a_seed_makes_it_repeatable() -> None:
    assert _run() == _run()
    other = simulate(_deals(), ON_TIME, as_of=AS_OF, simulations=4000, seed=12)
    assert other["base"]["all"]["total"] != _run()["base"]["all"]["total"] or other != _run()


def test_a_stage_that_always_slips_60_days_moves_bookings_out() -> None:
    late = SlipModel.from_samples(["Proposal"] * 40, [60] * 40)
    on_time, slipped = _run(), _run(slip=late)
    assert on_time["base"]["all"]["months"][1]["p50"] > 0 and on_time["base"]["all"]["months"][3 - 1]["p50"] == 0
    assert slipped["base"]["all"]["months"][1]["p50"] == 0, "nothing lands in October any more"
    assert slipped["base"]["all"]["months"][2]["p50"] > 0, "it lands 60 days later, in November-December"
    assert slipped["slip"] == [{"stage": "Proposal", "samples_n": 40, "basis": "stage", "median_days": 60.0,
                                "p90_days": 60.0}]


def test_a_thin_stage_falls_back_to_the_pooled_slips_and_says_so() -> None:
    slip = SlipModel.from_samples(["Proposal"] * 5 + ["Qualification"] * 40, [90] * 5 + [0] * 40)
    result = _run(slip=slip)
    assert result["slip"][0]["basis"] == "pooled" and result["slip"][0]["samples_n"] == 5
    # the pooled slips are mostly on time: October keeps most of its bookings
    assert result["base"]["all"]["months"][1]["p50"] > 0


def _scenario(kind: str, **params: Any) -> Scenario:
    return scenario({"name": kind, "owner": "maria", "kind": kind, **params})


SCENARIOS = [
    _scenario("champion_leaves", account="Acme 1"),
    _scenario("champion_leaves", account="a2", role="economic_buyer"),
    _scenario("budget_freeze", industry="retail", months=2),
    _scenario("seller_leaves", seller="Seller 1", slip_days=90),
    _scenario("competitor_enters", industry="Finance", factor=0.5),
    _scenario("competitor_enters", product="Cloud"),
    _scenario("general_slip", days=60),
]


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda s: f"{s.kind}-{'-'.join(map(str, s.params.values()))}")
def test_each_scenario_lowers_the_p50_in_the_horizon(sc: Scenario) -> None:
    result = _run(scenarios=[sc])
    case = result["scenarios"][0]
    assert case["matched_deals_n"] > 0
    assert case["p50_change"]["total"] < 0, case["p50_change"]
    assert case["all"]["total"]["p50"] < result["base"]["all"]["total"]["p50"]
    # no month gains more than the scenario's loss (it moves or removes bookings, never adds)
    assert sum(m["change"] for m in case["p50_change"]["months"]) < 0
    drivers = case["drivers"]
    assert drivers and all(d["expected_change"] < 0 for d in drivers)
    assert [d["expected_change"] for d in drivers] == sorted(d["expected_change"] for d in drivers)


def test_a_general_slip_inside_the_horizon_delays_bookings() -> None:
    case = _run(scenarios=[_scenario("general_slip", days=45)])["scenarios"][0]
    october, november = case["p50_change"]["months"][1:]
    assert october["change"] < 0 < november["change"]


def test_the_scenario_changes_only_its_own_deals() -> None:
    case = _run(scenarios=[_scenario("champion_leaves", account="Acme 1")])["scenarios"][0]
    assert {d["account_id"] for d in case["drivers"]} == {"a1"}
    assert case["matched_deals_n"] == 4


def test_a_scenario_on_an_account_without_open_deals_changes_nothing() -> None:
    result = _run(scenarios=[_scenario("champion_leaves", account="Globex (no open deals)")])
    case = result["scenarios"][0]
    assert case["matched_deals_n"] == 0 and case["drivers"] == []
    assert case["notes"] == ["no open deal matches this scenario: it changes nothing"]
    assert case["p50_change"]["total"] == 0
    for key in ("all", "teams", "sellers"):
        assert case[key] == result["base"][key]


def test_a_freeze_moves_the_frozen_months_bookings_past_it() -> None:
    result = _run(scenarios=[_scenario("budget_freeze", industry="Retail", months=1, start=date(2026, 10, 1))])
    base, case = result["base"]["all"]["months"], result["scenarios"][0]["all"]["months"]
    assert case[1]["p50"] < base[1]["p50"], "retail's October deals are frozen"
    assert case[2]["p50"] > base[2]["p50"], "... and close in November instead"


def test_a_leaving_sellers_deals_move_to_the_new_owner() -> None:
    case = _run(scenarios=[_scenario("seller_leaves", seller="u1", reassign_to="Seller 0")])["scenarios"][0]
    sellers = {s["owner_id"]: s for s in case["sellers"]}
    assert sellers["u1"]["total"]["p90"] == 0
    base = {s["owner_id"]: s for s in _run()["base"]["sellers"]}
    assert sellers["u0"]["total"]["p50"] > base["u0"]["total"]["p50"]


def test_deals_without_amount_or_close_date_are_left_out_and_counted() -> None:
    rows = [_deal(0), _deal(1, amount=None), _deal(2, close_date=None), _deal(3, probability=None)]
    deals = OpenDeals.from_rows(rows, as_of=AS_OF)
    assert deals.n == 1
    assert deals.left_out == {"no_amount": 1, "no_close_date": 1, "no_probability": 1}


def test_an_overdue_deal_closes_from_tomorrow_not_in_the_past() -> None:
    deals = _deals(4, close_date=date(2026, 8, 1))
    months = _run(deals)["base"]["all"]["months"]
    assert months[0]["p50"] > 0 and months[1]["p50"] == 0


def test_probability_prefers_the_model_then_stage_history_then_crm() -> None:
    rates = {"Proposal": (30, 60), "Thin": (1, 3), "": (31, 62)}
    probs, bases = deal_probabilities([0.8, None, None, None], ["Proposal", "Proposal", "Thin", "Unseen"],
                                      [50.0, 50.0, 40.0, None], rates)
    assert bases == ["model", "stage_history", "crm", "overall"]
    assert probs == [0.8, 0.5, 0.4, 0.5]
    assert deal_probabilities([None], ["x"], [None], {}) == ([None], [None])


def test_the_output_counts_each_probability_basis() -> None:
    deals = OpenDeals.from_rows([_deal(0, basis="model"), _deal(1, basis="crm"), _deal(2)], as_of=AS_OF)
    assert _run(deals)["probability_basis"] == {"model": 1, "stage_history": 1, "crm": 1, "overall": 0}


def test_a_certain_deal_books_in_every_simulation() -> None:
    deals = _deals(1, probability=1.0)
    total = _run(deals)["base"]["all"]["total"]
    assert total["p10"] == total["p90"] == 1000.0


def test_bookings_never_come_from_nothing() -> None:
    assert np.isclose(_run(_deals(3, probability=0.0))["base"]["all"]["total"]["p90"], 0.0)


def test_a_scenario_on_some_deals_equals_simulating_every_deal_with_its_change() -> None:
    # the scenario is computed as the base case less its deals plus its deals changed, on the
    # same draws: it must give exactly what simulating the changed deal set from scratch gives
    changed = [_deal(i, probability=0.3 if i % 3 == 0 else 0.6) for i in range(12)]
    by_hand = _run(OpenDeals.from_rows(changed, as_of=AS_OF))["base"]
    case = _run(scenarios=[_scenario("competitor_enters", product="Cloud", factor=0.5)])["scenarios"][0]
    assert case["matched_deals_n"] == 4
    assert {k: case[k] for k in ("all", "teams", "sellers")} == by_hand
    # and one that matches every deal (all simulated again) likewise
    slower = [_deal(i, close_date=date(2026, 10, 1 + i) + timedelta(days=40)) for i in range(12)]
    case = _run(scenarios=[_scenario("general_slip", days=40)])["scenarios"][0]
    assert {k: case[k] for k in ("all", "teams", "sellers")} == _run(OpenDeals.from_rows(slower, as_of=AS_OF))["base"]
