"""What the forecast reads from the history (domain/forecast_history.py), on hand-built tables:
the slips per stage, the stage win rates, the open deals' state at the as-of, won-to-date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import pytest
from fixtures_small import annotated, canonical, d, load, ts

from accountleader.domain import forecast as fc
from accountleader.domain import forecast_history as fh

AS_OF = datetime(2024, 6, 30, 23, 59)


def _won(i: int, *, expected: str, actual: str, stage: str = "Proposal") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deal won on ``actual`` that entered ``stage`` expecting to close on ``expected``."""
    opp = dict(opportunity_id=f"w{i}", account_id="a1", owner_id="u1", stage="Closed Won", amount=100.0,
               is_closed=True, is_won=True, close_date=d(actual), created_at=ts("2024-01-02 09:00"))
    hist = [dict(history_id=f"w{i}-1", opportunity_id=f"w{i}", stage=stage, close_date=d(expected),
                 changed_at=ts("2024-02-01 09:00"), probability=50.0),
            # a later push while in the stage does not move the slip's starting point
            dict(history_id=f"w{i}-2", opportunity_id=f"w{i}", stage=stage, close_date=d(actual),
                 changed_at=ts("2024-03-01 09:00"), probability=50.0),
            dict(history_id=f"w{i}-3", opportunity_id=f"w{i}", stage="Closed Won", close_date=d(actual),
                 changed_at=ts(f"{actual} 10:00"), probability=100.0)]
    return opp, hist


@pytest.fixture
def tables() -> dict[str, Any]:
    opps, hist = [], []
    for i in range(25):  # Proposal: every won deal closed 60 days after the date expected on entry
        o, h = _won(i, expected="2024-03-01", actual="2024-04-30")
        opps.append(o)
        hist += h
    # a lost deal: no slip sample (it says when the deal was given up), but it counts in the rates
    opps.append(dict(opportunity_id="l1", account_id="a1", owner_id="u1", stage="Closed Lost", amount=100.0,
                     is_closed=True, is_won=False, close_date=d("2024-05-01")))
    hist += [dict(history_id="l1-1", opportunity_id="l1", stage="Proposal", close_date=d("2024-04-01"),
                  changed_at=ts("2024-02-01 09:00")),
             dict(history_id="l1-2", opportunity_id="l1", stage="Closed Lost", close_date=d("2024-05-01"),
                  changed_at=ts("2024-05-01 09:00"))]
    # a bulk-loaded history row is not a real entry into a stage
    o, h = _won(99, expected="2020-01-01", actual="2024-04-30", stage="Proposal")
    h[0]["artefact"] = "bulk_loaded"
    opps.append(o)
    hist += h
    # two open deals: o1's state at the as-of comes from its history, o2 has none
    opps += [dict(opportunity_id="o1", account_id="a1", owner_id="u1", stage="Negotiation", amount=999.0,
                  probability=90.0, is_closed=False, is_won=False, close_date=d("2024-12-01"), product="Cloud"),
             dict(opportunity_id="o2", account_id="a2", owner_id="u2", stage="Proposal", amount=500.0,
                  probability=40.0, is_closed=False, is_won=False, close_date=d("2024-07-15"))]
    hist += [dict(history_id="o1-1", opportunity_id="o1", stage="Proposal", amount=400.0, probability=50.0,
                  close_date=d("2024-07-10"), changed_at=ts("2024-06-01 09:00")),
             dict(history_id="o1-2", opportunity_id="o1", stage="Negotiation", amount=999.0, probability=90.0,
                  close_date=d("2024-12-01"), changed_at=ts("2024-07-05 09:00"))]  # after the as-of
    con = ibis.duckdb.connect()
    return load(con, {
        "opportunities": annotated("opportunities", opps),
        "opportunity_history": annotated("opportunity_history", hist),
        "accounts": canonical("accounts", [dict(account_id="a1", name="Acme", industry="Retail"),
                                            dict(account_id="a2", name="Globex", industry="Finance")]),
        "users": canonical("users", [dict(user_id="u1", name="Ana", team="East"),
                                      dict(user_id="u2", name="Ben", team="West")]),
    })


def test_slips_are_measured_from_the_close_date_expected_on_entering_the_stage(tables: dict[str, Any]) -> None:
    slips = fh.stage_slips(tables["opportunities"], tables["opportunity_history"], as_of=AS_OF).to_pyarrow()
    rows = sorted(zip(slips["opportunity_id"].to_pylist(), slips["stage"].to_pylist(),
                      slips["slip_days"].to_pylist(), strict=True))
    assert len(rows) == 26 and {s for _, s, _ in rows} == {"Proposal"}  # won deals only, no closed stage
    assert {days for o, _, days in rows if o != "w99"} == {60}
    assert dict((o, days) for o, _, days in rows)["w99"] == 0  # its bulk-loaded entry row is not its entry


def test_stage_win_rates_count_each_closed_deal_that_reached_the_stage(tables: dict[str, Any]) -> None:
    rates = fh.stage_win_rates(tables["opportunities"], tables["opportunity_history"], as_of=AS_OF).to_pyarrow()
    got = {r["stage"]: (r["won_n"], r["closed_n"]) for r in rates.to_pylist()}
    assert got == {"Proposal": (26, 27), "": (26, 27)}  # open deals and closed stages are not counted


def test_open_deals_are_taken_as_they_stood_at_the_as_of(tables: dict[str, Any]) -> None:
    results = ibis.memtable({"opportunity_id": ["o1", "o2", "w1"], "name": ["One", "Two", "W"],
                             "account_id": ["a1", "a2", "a1"], "owner_id": ["u1", "u2", "u1"],
                             "owner_name": ["Ana", "Ben", "Ana"], "stage": ["Negotiation", "Proposal", "Closed Won"],
                             "close_date": [date(2024, 12, 1), date(2024, 7, 15), date(2024, 4, 30)],
                             "is_closed": [False, False, True]})
    rows = fh.open_deals(fh.open_results(results), tables["opportunities"], tables["opportunity_history"],
                         tables["accounts"], tables["users"], as_of=AS_OF).to_pyarrow().to_pylist()
    one, two = rows
    assert (one["stage"], one["close_date"], one["amount"], one["crm_probability"]) == (
        "Proposal", date(2024, 7, 10), 400.0, 50.0)  # the 5 July change came after the as-of
    assert (one["team"], one["industry"], one["account_name"], one["product"]) == ("East", "Retail", "Acme", "Cloud")
    assert (two["stage"], two["close_date"], two["amount"], two["crm_probability"]) == (
        "Proposal", date(2024, 7, 15), 500.0, 40.0)  # no history: as imported
    assert one["model_probability"] is None  # no win model in these results


def test_the_observed_slip_moves_bookings_out_of_the_month_they_were_expected_in(tables: dict[str, Any]) -> None:
    t = tables
    results = ibis.memtable({"opportunity_id": ["o2"], "name": ["Two"], "account_id": ["a2"], "owner_id": ["u2"],
                             "owner_name": ["Ben"], "stage": ["Proposal"], "close_date": [date(2024, 7, 15)],
                             "is_closed": [False]})
    inputs = {
        "deals": fh.open_deals(fh.open_results(results), t["opportunities"], t["opportunity_history"], t["accounts"],
                               t["users"], as_of=AS_OF).to_pyarrow().to_pylist(),
        "won": fh.won_since(t["opportunities"], t["users"], start=date(2024, 4, 1), as_of=AS_OF).to_pyarrow().to_pylist(),
        "slips": fh.stage_slips(t["opportunities"], t["opportunity_history"], as_of=AS_OF).to_pyarrow().to_pydict(),
        "stage_rates": fh.stage_win_rates(t["opportunities"], t["opportunity_history"],
                                          as_of=AS_OF).to_pyarrow().to_pylist(),
    }
    deals, slip, won = fc.prepared(inputs, as_of=AS_OF.date())
    assert deals.basis.tolist() == ["stage_history"] and deals.probability[0] == pytest.approx(26 / 27)
    out = fc.simulate(deals, slip, as_of=AS_OF.date(), months=3, simulations=2000, seed=1, won=won)
    months = out["base"]["all"]["months"]
    # expected on 15 July, it lands 60 days later: in September, never in July
    assert months[1]["p90"] == 0 and months[2]["p50"] == 0 and months[3 - 1]["month"] == "2024-08"
    # the horizon is June-August: the deal is out of it; the deals won on 30 April are in the
    # quarter's won-to-date (April-June), not in June's
    assert out["base"]["all"]["total"]["p90"] == months[0]["won_to_date"] == 0
    assert out["base"]["all"]["quarters"][0] == {"quarter": "2024-Q2", "won_to_date": 2600.0, "p10": 2600.0,
                                                 "p50": 2600.0, "p90": 2600.0}
    six = fc.simulate(deals, slip, as_of=AS_OF.date(), months=4, simulations=2000, seed=1, won=won)
    assert six["base"]["all"]["months"][3]["p50"] == 500.0  # September
