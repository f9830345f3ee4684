"""Results beside the verdict: what a seller's closed deals should have won, given account fit.

Hand computation on PERFORMANCE_OPPORTUNITIES for Ana (u1), as of 2024-06-30: closed P1
(a1, won 100), P2 (a1, won 200), P3 (a2, lost 300).  Account a1 has fit 50 (p = 0.5), a2 no
score (the base rate 0.4): expected wins 0.5 + 0.5 + 0.4 = 1.4, expected won amount
50 + 100 + 120 = 270, variance 0.25 + 0.25 + 0.24 = 0.74; wins over expected 2 / 1.4.
"""

from __future__ import annotations

import math

import ibis
import pandas as pd
import pytest
from fixtures_small import AS_OF, load, performance_tables

from accountleader.domain.metrics.performance import expected_results


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def t(con):
    return load(con, performance_tables())


def _rows(con, expr):
    df = con.execute(expr)
    return {r["owner_id"]: r for r in df.astype(object).where(df.notna(), None).to_dict("records")}


def test_expected_wins_use_account_fit_and_the_base_rate_where_unscored(con, t) -> None:
    fit = ibis.memtable(pd.DataFrame({"account_id": ["a1"], "fit_score": [50.0]}))
    ana = _rows(con, expected_results(t["opportunities"], fit, as_of=AS_OF, base_rate=0.4))["u1"]
    assert ana["expected_n"] == 3
    assert ana["expected_wins"] == pytest.approx(1.4)
    assert ana["expected_won_amount"] == pytest.approx(270.0)
    assert ana["expected_fit_n"] == 2
    assert ana["expected_basis"] == "account fit, base rate where unscored"
    assert ana["results_vs_expected"] == pytest.approx(2 / 1.4)
    sd = math.sqrt(0.74)
    assert ana["results_vs_expected_low"] == pytest.approx(max((2 - 1.96 * sd) / 1.4, 0.0))
    assert ana["results_vs_expected_high"] == pytest.approx((2 + 1.96 * sd) / 1.4)
    assert ana["results_vs_expected_amount"] == pytest.approx(300 / 270)


def test_no_fit_signal_prices_every_deal_at_the_base_rate(con, t) -> None:
    rows = _rows(con, expected_results(t["opportunities"], None, as_of=AS_OF, base_rate=0.5))
    ana = rows["u1"]
    assert ana["expected_wins"] == pytest.approx(1.5)
    assert ana["expected_basis"] == "base rate (the fit model found no signal)"
    # open deals and deals after as-of are not in the sample
    assert all(r["expected_n"] >= 1 for r in rows.values())


def test_a_wider_z_widens_the_interval(con, t) -> None:
    narrow = _rows(con, expected_results(t["opportunities"], None, as_of=AS_OF, base_rate=0.5, z=1.0))["u1"]
    wide = _rows(con, expected_results(t["opportunities"], None, as_of=AS_OF, base_rate=0.5, z=3.0))["u1"]
    assert wide["results_vs_expected_high"] > narrow["results_vs_expected_high"]


def test_the_base_rate_must_be_a_probability(t) -> None:
    with pytest.raises(ValueError, match="base_rate"):
        expected_results(t["opportunities"], None, as_of=AS_OF, base_rate=1.0)
