"""The win model's panel reads each deal as it stood while it was open (no leakage).

Deal w1 (account a1, owner u1) is created 2024-01-10 in Qualification (probability 20, close
date 2024-02-28, amount 1000); on 2024-01-20 it moves to Proposal (60); on 2024-02-10 its close
date is pushed to 2024-03-31 and the amount cut to 800; on 2024-02-20 it steps back to
Qualification; it is won on 2024-03-15 (stage Closed Won, probability 100).
Deal w2 (a1, u1) is created 2024-02-05 and lost on 2024-02-12: never open over a month start,
so it is looked at once, halfway (2024-02-08 12:00).
Deal w3 (a1, u1) is created 2024-03-05 and still open at as_of 2024-04-10 (looked at as_of only;
by then the account has w1 won and w2 lost).
Deal w4 has no creation date: one undated row, its own attributes only.
"""

from __future__ import annotations

from datetime import date, datetime

import ibis
import pandas as pd
import pytest
from fixtures_small import canonical, load

from accountleader.domain.metrics import win_features as wf

AS_OF = datetime(2024, 4, 10)


def _h(hid, oid, at, stage=None, prob=None, close=None, amount=None):
    return dict(history_id=hid, opportunity_id=oid, changed_at=datetime.fromisoformat(at), stage=stage,
                probability=prob, close_date=close, amount=amount)


@pytest.fixture(scope="module")
def tables():
    con = ibis.duckdb.connect()
    opps = [
        dict(opportunity_id="w1", account_id="a1", owner_id="u1", stage="Closed Won", amount=800.0,
             created_at=datetime(2024, 1, 10), close_date=date(2024, 3, 15), is_closed=True, is_won=True,
             type="new_business", attributes='{"rfp": "yes"}'),
        dict(opportunity_id="w2", account_id="a1", owner_id="u1", stage="Closed Lost", amount=500.0,
             created_at=datetime(2024, 2, 5), close_date=date(2024, 2, 12), is_closed=True, is_won=False),
        dict(opportunity_id="w3", account_id="a1", owner_id="u1", stage="Proposal", amount=300.0,
             created_at=datetime(2024, 3, 5), close_date=date(2024, 5, 1), is_closed=False, is_won=False),
        dict(opportunity_id="w4", account_id="a2", owner_id="u1", stage="Closed Lost", amount=50.0,
             created_at=None, close_date=date(2024, 1, 5), is_closed=True, is_won=False, product="Core"),
    ]
    hist = [
        _h("h1", "w1", "2024-01-10 09:00", "Qualification", 20, date(2024, 2, 28), 1000.0),
        _h("h2", "w1", "2024-01-20 09:00", "Proposal", 60),
        _h("h3", "w1", "2024-02-10 09:00", close=date(2024, 3, 31), amount=800.0),
        _h("h4", "w1", "2024-02-20 09:00", "Qualification", 20),
        _h("h5", "w1", "2024-03-15 09:00", "Closed Won", 100),
        _h("h6", "w2", "2024-02-05 09:00", "Qualification", 20, date(2024, 2, 20), 500.0),
        _h("h7", "w2", "2024-02-12 09:00", "Closed Lost", 0),
        _h("h8", "w3", "2024-03-05 09:00", "Proposal", 60, date(2024, 5, 1), 300.0),
    ]
    acts = [
        dict(activity_id="x1", kind="call", opportunity_id="w1", contact_id="c1", occurred_at=datetime(2024, 1, 25),
             direction="outbound"),
        dict(activity_id="x2", kind="email", opportunity_id="w1", contact_id="c2", occurred_at=datetime(2024, 2, 25),
             direction="inbound"),
        dict(activity_id="x3", kind="email", opportunity_id="w1", contact_id="c2", occurred_at=datetime(2024, 3, 14),
             direction="inbound"),
    ]
    return con, load(con, {"opportunities": canonical("opportunities", opps),
                           "opportunity_history": canonical("opportunity_history", hist),
                           "activities": canonical("activities", acts)})


@pytest.fixture(scope="module")
def panel(tables):
    con, t = tables
    expr = wf.deal_panel(t["opportunities"], t["opportunity_history"], t["activities"], as_of=AS_OF,
                         data_start=datetime(2024, 1, 10))
    rows = con.execute(expr.order_by(["opportunity_id", "snapshot_at"])).to_dict("records")
    return {(r["opportunity_id"], None if r["snapshot_at"] is None or str(r["snapshot_at"]) == "NaT"
             else r["snapshot_at"].to_pydatetime()): r for r in rows}


def test_a_closed_deal_is_read_only_at_month_starts_while_it_was_open(panel):
    looks = sorted(at for oid, at in panel if oid == "w1")
    # open over Feb 1 and Mar 1; closed before Apr 1; never read at its close or at as_of
    assert looks == [datetime(2024, 2, 1), datetime(2024, 3, 1)]
    feb, mar = panel[("w1", datetime(2024, 2, 1))], panel[("w1", datetime(2024, 3, 1))]
    assert feb["stage"] == "Proposal" and feb["crm_probability"] == 60
    assert feb["close_date_pushes"] == 0 and feb["stage_regressions"] == 0 and feb["amount"] == 1000.0
    assert feb["days_to_close"] == pytest.approx(27.0)  # Feb 28 as it stood then
    # by Mar 1: pushed once, cut once, stepped back to Qualification on Feb 20; never "Closed Won"
    assert mar["stage"] == "Qualification" and mar["crm_probability"] == 20
    assert (mar["close_date_pushes"], mar["amount_cuts"], mar["stage_regressions"]) == (1, 1, 1)
    assert mar["amount"] == 800.0 and mar["days_to_close"] == pytest.approx(30.0)
    assert mar["stage_days"] == pytest.approx(9 + 15 / 24)  # since Feb 20 09:00 (2024 is a leap year)
    assert mar["age_days"] == pytest.approx(51.0)
    # activities in the 30 days before the look: only the inbound email of Feb 25
    assert (mar["activities_30d"], mar["contacts_30d"], mar["inbound_30d"]) == (1, 1, 1)
    assert mar["days_since_activity"] == pytest.approx(5.0)
    assert feb["activities_30d"] == 1 and feb["inbound_30d"] == 0
    # the outcome rides along as the label, known at as_of
    assert mar["closed"] and mar["is_won"]


def test_a_deal_open_less_than_a_month_is_read_once_halfway(panel):
    looks = [at for oid, at in panel if oid == "w2"]
    assert looks == [datetime(2024, 2, 8, 12, 0)]
    row = panel[("w2", looks[0])]
    assert row["stage"] == "Qualification" and row["closed"] and not row["is_won"]


def test_an_open_deal_is_read_at_as_of_with_the_account_record_before_it(panel):
    # still open: looked at as_of only (its earlier looks have no outcome to learn from)
    assert sorted(at for oid, at in panel if oid == "w3") == [AS_OF]
    now = panel[("w3", AS_OF)]
    assert not now["closed"] and now["stage"] == "Proposal"
    assert (now["account_won_before"], now["account_lost_before"]) == (1, 1)


def test_a_deal_without_dates_has_one_row_of_its_own_attributes(panel):
    row = panel[("w4", None)]
    assert row["product"] == "Core" and row["amount"] == 50.0
    assert pd.isna(row["stage"]) and pd.isna(row["age_days"]) and pd.isna(row["close_date_pushes"])
    assert row["closed"] and not row["is_won"]


def test_month_starts_run_from_the_month_after_the_start_to_before_as_of():
    assert wf.month_starts(datetime(2023, 11, 20), datetime(2024, 2, 1)) == [datetime(2023, 12, 1), datetime(2024, 1, 1)]
    assert wf.month_starts(None, AS_OF) == []


def test_stage_win_rates_count_closed_deals_that_reached_each_stage(tables):
    con, t = tables
    rows = con.execute(wf.stage_win_rates(t["opportunity_history"], t["opportunities"], as_of=AS_OF)).to_dict("records")
    got = {r["stage"]: (r["won_n"], r["deals_n"]) for r in rows}
    # w1 (won) reached Qualification and Proposal, w2 (lost) Qualification; open w3 does not count
    assert got["Qualification"] == (1, 2) and got["Proposal"] == (1, 1)
    # a sample of closed deals keeps every open deal and only the sampled closed ones
    sampled = wf.deal_panel(t["opportunities"], t["opportunity_history"], t["activities"], as_of=AS_OF,
                            data_start=datetime(2024, 1, 10), closed_sample=["w2"])
    assert set(con.execute(sampled)["opportunity_id"]) == {"w2", "w3"}
