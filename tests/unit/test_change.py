"""Change signals on the CHANGE_* tables of fixtures_small, as of 2024-06-30.

Hand computation of the change index (weights sum to 100; points = weight * x / (x + half)):
  a1: pushes 2 -> 15 * 2/4 = 7.5; push days 60 -> 10 * 60/120 = 5; regressions 1 -> 20 * 1/2 = 10;
      cuts 2 -> 10 * 2/3; departures 1 -> 15 * 1/2 = 7.5; arrivals 0; last activity 10 days ago
      (under the 14-day grace) -> 0; activity 1 in 45 days vs 6 in 90 -> drop 1 - 1/3 = 2/3 -> 10 * 2/3.
      Index = 30 + 40/3.
  a2: arrivals 1 -> 5 * 1/3; 90 days dark -> 15 * 76/106; drop 1 -> 10.
  a3: nothing at all -> 0.
"""

from __future__ import annotations

import random

import ibis
import pandas as pd
import pytest
from fixtures_small import AS_OF, CHANGE_HISTORY, canonical, change_tables, load
from hypothesis import given, settings
from hypothesis import strategies as st

from accountleader.domain.metrics import change as ch


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def t(con):
    return load(con, change_tables())


def by(con, expr, key):
    return {r[key]: r for r in con.execute(expr).to_dict("records")}


def _opp_changes(t, **kw):
    return ch.opportunity_changes(t["opportunity_history"], t["opportunities"], as_of=AS_OF, **kw)


def test_slipping_deal_counts_pushes_cuts_and_one_step_back(con, t):
    got = by(con, _opp_changes(t), "opportunity_id")
    k1 = got["K1"]
    assert (k1["close_date_pushes"], k1["close_date_push_days"]) == (2, 60.0)
    assert (k1["amount_cuts"], k1["amount_cut_total"]) == (2, 500.0)
    # Proposal -> Prospecting is a regression; Proposal -> Closed Lost is an outcome.
    assert k1["stage_regressions"] == 1


def test_deal_without_history_has_zero_changes(con, t):
    k2 = by(con, _opp_changes(t), "opportunity_id")["K2"]
    assert (k2["close_date_pushes"], k2["stage_regressions"], k2["amount_cuts"]) == (0, 0, 0)


def test_window_counts_only_recent_changes_but_compares_with_older_values(con, t):
    # Since 2024-02-21: H4 (push 30 d, cut 300 against H3's values) and H5 (closing).
    k1 = by(con, _opp_changes(t, window_days=130), "opportunity_id")["K1"]
    assert (k1["close_date_pushes"], k1["close_date_push_days"]) == (1, 30.0)
    assert (k1["amount_cuts"], k1["amount_cut_total"]) == (1, 300.0)
    assert k1["stage_regressions"] == 0


def test_explicit_stage_order_overrides_probability(con, t):
    # With Prospecting ranked after Proposal, H2 and H4 (Prospecting -> Proposal) step back
    # and H3 (Proposal -> Prospecting) steps forward.
    order = {"Prospecting": 2, "Proposal": 1, "Closed Lost": 0}
    k1 = by(con, _opp_changes(t, order=order), "opportunity_id")["K1"]
    assert k1["stage_regressions"] == 2


def test_opportunity_changes_do_not_depend_on_row_order(con, t):
    rows = list(CHANGE_HISTORY)
    random.Random(3).shuffle(rows)
    hist = ibis.memtable(canonical("opportunity_history", rows))
    a = con.execute(_opp_changes(t)).sort_values("opportunity_id").reset_index(drop=True)
    b = con.execute(
        ch.opportunity_changes(hist, t["opportunities"], as_of=AS_OF)
    ).sort_values("opportunity_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_contacts_leaving_and_arriving_in_the_window(con, t):
    got = by(con, ch.contact_movements(t["contacts"], as_of=AS_OF), "account_id")
    assert (got["a1"]["contact_departures"], got["a1"]["contact_arrivals"]) == (1, 0)
    assert (got["a2"]["contact_departures"], got["a2"]["contact_arrivals"]) == (0, 1)


def test_account_going_dark(con, t):
    got = by(con, ch.engagement(t["activities"], t["contacts"], as_of=AS_OF), "account_id")
    a1, a2 = got["a1"], got["a2"]
    assert (a1["activity_recent_n"], a1["activity_prior_n"]) == (1, 6)
    assert a1["days_since_last_activity"] == 10.0
    assert a1["activity_drop"] == pytest.approx(2 / 3)
    assert (a2["days_since_last_activity"], a2["activity_drop"]) == (90.0, 1.0)


def test_change_index_matches_the_hand_count(con, t):
    idx = by(
        con,
        ch.change_index(
            t["accounts"], t["opportunities"], t["opportunity_history"], t["contacts"], t["activities"],
            as_of=AS_OF,
        ),
        "account_id",
    )
    assert "a4" not in idx
    a1 = idx["a1"]
    assert a1["change_points_stage_regressions"] == 10.0
    assert a1["change_points_close_date_pushes"] == 7.5
    assert a1["change_points_days_since_last_activity"] == 0.0
    assert a1["change_index"] == pytest.approx(30 + 40 / 3)
    assert idx["a2"]["change_index"] == pytest.approx(5 / 3 + 15 * 76 / 106 + 10)
    assert idx["a3"]["change_index"] == 0.0


def test_top_drivers_become_reasons(con, t):
    idx = ch.change_index(
        t["accounts"], t["opportunities"], t["opportunity_history"], t["contacts"], t["activities"],
        as_of=AS_OF,
    )
    long = con.execute(ch.change_drivers(idx)).sort_values(["account_id", "rank"])
    a1 = long[long.account_id == "a1"]
    # 10 points, then two ties at 7.5 broken by name.
    assert a1.driver.tolist() == ["stage_regressions", "close_date_pushes", "contact_departures"]
    reasons = by(con, ch.change_reasons(idx), "account_id")
    assert reasons["a1"]["reasons"] == "stage regressions: 1; close-date pushes: 2; contacts left: 1"
    assert reasons["a2"]["reason_1"] == "days since last activity: 90"
    assert reasons["a2"]["reasons"].endswith("activity drop: 100%; new contacts: 1")
    assert "a3" not in reasons  # no change, no reasons


DRIVER_VALUES = st.fixed_dictionaries(
    {d.column: st.floats(min_value=0, max_value=1e6, allow_nan=False) for d in ch.DRIVERS}
)


@settings(max_examples=10, deadline=None)
@given(st.lists(DRIVER_VALUES, min_size=1, max_size=20), st.sampled_from([d.column for d in ch.DRIVERS]),
       st.floats(min_value=0.01, max_value=1e3))
def test_change_index_is_bounded_and_monotone(con, rows, column, bump):
    base = pd.DataFrame(rows)
    more = base.copy()
    more[column] = more[column] + bump
    base["row"] = range(len(base))
    more["row"] = range(len(more))
    a = con.execute(ch.change_index_from_drivers(ibis.memtable(base))).sort_values("row")
    b = con.execute(ch.change_index_from_drivers(ibis.memtable(more))).sort_values("row")
    assert a.change_index.between(0, 100).all()
    assert b.change_index.between(0, 100).all()
    assert (b.change_index.to_numpy() >= a.change_index.to_numpy() - 1e-9).all()
