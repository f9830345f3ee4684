"""Owner and manager performance on PERFORMANCE_OPPORTUNITIES (fixtures_small).

Hand computation, as of 2024-06-30:
  Ana (u1): won P1 100 (2024-01-01 -> 01-31: 30 d) and P2 200 (02-01 -> 03-02: 30 d, leap year),
            lost P3 300, open P4 1000 at 25 % created 05-01 (60 d open).
            bookings 300, win rate 2/3, by amount 300/600 = 0.5, weighted pipeline 250,
            avg days to close 30, avg days open 60.
  Ben (u2): won P5 500 (03-01 -> 03-11: 10 d) and P6 50, closed 04-01 before it was created
            04-10 (flagged): only wins -> win rate 1.0; days to close 10 over n = 1, 1 excluded.
  Cy (u3):  lost P7 400, open P8 800 at 50 % created 06-20 (10 d open); P9 is after as-of.
            win rate 0.0, weighted pipeline 400.
  Mo (m1, manager of all three): won 4 (P1, P2, P5, P6), lost 2 (P3, P7) -> 4/6;
            bookings 850 of 1550 closed; open 1800 over 2 deals, weighted 650;
            days to close (30 + 30 + 10) / 3 = 70/3, 1 excluded; days open (60 + 10) / 2 = 35.
"""

from __future__ import annotations

import random

import ibis
import numpy as np
import pytest
from fixtures_small import (
    AS_OF,
    PERFORMANCE_OPPORTUNITIES,
    USERS,
    canonical,
    load,
    performance_tables,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from accountleader.domain.metrics.performance import (
    deal_outcomes,
    manager_performance,
    owner_performance,
    reporting_lines,
)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def t(con):
    return load(con, performance_tables())


def by(con, expr, key):
    return {r[key]: r for r in con.execute(expr).to_dict("records")}


@pytest.fixture(scope="module")
def owners(con, t):
    return by(con, owner_performance(t["opportunities"], as_of=AS_OF), "owner_id")


@pytest.fixture(scope="module")
def managers(con, t):
    return by(con, manager_performance(t["opportunities"], t["users"], as_of=AS_OF), "manager_id")


def test_seller_figures_match_the_hand_count(owners):
    ana = owners["u1"]
    assert (ana["bookings"], ana["won_n"], ana["lost_n"], ana["closed_n"]) == (300.0, 2, 1, 3)
    assert ana["win_rate"] == pytest.approx(2 / 3)
    assert ana["win_rate_amount"] == 0.5
    assert (ana["open_n"], ana["open_pipeline_amount"]) == (1, 1000.0)
    assert (ana["avg_days_to_close"], ana["days_to_close_n"]) == (30.0, 2)
    assert (ana["avg_days_open"], ana["days_open_n"]) == (60.0, 1)


def test_seller_with_only_wins_has_full_win_rate(owners):
    # Fivetran (b): no losses gave 0 %.
    ben = owners["u2"]
    assert (ben["won_n"], ben["lost_n"]) == (2, 0)
    assert ben["win_rate"] == 1.0
    assert ben["win_rate_amount"] == 1.0


def test_seller_with_only_losses_has_zero_win_rate_and_no_cycle_time(owners):
    cy = owners["u3"]
    assert (cy["win_rate"], cy["bookings"], cy["days_to_close_n"]) == (0.0, 0.0, 0)
    assert np.isnan(cy["avg_days_to_close"])


def test_deal_closed_before_created_is_excluded_and_counted_not_negative(con, t, owners):
    # Fivetran (a): day counts came out negative; (10 + -9) / 2 would be 0.5.
    ben = owners["u2"]
    assert (ben["avg_days_to_close"], ben["days_to_close_n"], ben["days_to_close_excluded_n"]) == (10.0, 1, 1)
    days = con.execute(deal_outcomes(t["opportunities"], as_of=AS_OF))["days_to_close"].dropna()
    assert (days >= 0).all()


def test_negative_cycle_without_a_flag_is_still_excluded(con):
    opps = canonical("opportunities", [dict(PERFORMANCE_OPPORTUNITIES[5], quality_flag=None)])
    row = con.execute(owner_performance(ibis.memtable(opps), as_of=AS_OF)).iloc[0]
    assert (row["days_to_close_n"], row["days_to_close_excluded_n"]) == (0, 1)


def test_probability_is_a_percentage(owners, managers):
    # Fivetran (d): 1000 x 25 would be 25000.
    assert owners["u1"]["weighted_pipeline_amount"] == 250.0
    assert owners["u3"]["weighted_pipeline_amount"] == 400.0
    assert owners["u2"]["weighted_pipeline_amount"] == 0.0
    assert managers["m1"]["weighted_pipeline_amount"] == 650.0


def test_deals_after_as_of_are_invisible(owners):
    cy = owners["u3"]
    assert (cy["open_n"], cy["open_pipeline_amount"]) == (1, 800.0)


def test_manager_win_rate_keeps_reps_without_losses(managers):
    # Fivetran (c): dropping Ben (no losses) would give 2 / 4 = 0.5.
    mo = managers["m1"]
    assert (mo["won_n"], mo["lost_n"]) == (4, 2)
    assert mo["win_rate"] == pytest.approx(4 / 6)
    assert mo["bookings"] == 850.0
    assert mo["win_rate_amount"] == pytest.approx(850 / 1550)
    assert (mo["open_n"], mo["open_pipeline_amount"]) == (2, 1800.0)
    assert mo["avg_days_to_close"] == pytest.approx(70 / 3)
    assert mo["days_to_close_excluded_n"] == 1
    assert mo["avg_days_open"] == 35.0


def test_director_sees_the_whole_line_only_when_rolled_up(con, t, managers):
    assert "d1" not in managers  # Mo owns no deals, so Dana has no direct-report deals
    rolled = by(con, manager_performance(t["opportunities"], t["users"], as_of=AS_OF, recursive=True), "manager_id")
    assert rolled["d1"]["won_n"] == 4
    assert rolled["d1"]["win_rate"] == pytest.approx(4 / 6)
    assert rolled["m1"]["bookings"] == managers["m1"]["bookings"]


def test_reporting_lines_survive_a_cycle(con):
    users = canonical("users", [
        dict(user_id="a", name="A", manager_id="b"),
        dict(user_id="b", name="B", manager_id="a"),
        dict(user_id="c", name="C", manager_id="a"),
    ])
    lines = con.execute(reporting_lines(ibis.memtable(users), max_depth=4))
    pairs = {(r.user_id, r.manager_id, r.depth) for r in lines.itertuples()}
    assert pairs == {("a", "b", 1), ("b", "a", 1), ("c", "a", 1), ("c", "b", 2)}


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_performance_does_not_depend_on_row_order(con, t, rnd: random.Random):
    rows = list(PERFORMANCE_OPPORTUNITIES)
    rnd.shuffle(rows)
    users = list(USERS)
    rnd.shuffle(users)
    a = manager_performance(t["opportunities"], t["users"], as_of=AS_OF, recursive=True)
    b = manager_performance(
        ibis.memtable(canonical("opportunities", rows)), ibis.memtable(canonical("users", users)),
        as_of=AS_OF, recursive=True,
    )
    left = con.execute(a).sort_values("manager_id").reset_index(drop=True)
    right = con.execute(b).sort_values("manager_id").reset_index(drop=True)
    assert left.round(9).equals(right.round(9))
