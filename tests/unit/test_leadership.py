"""Tending vs creating on a hand-made workspace (AS_OF 2024-06-30, window from 2024-04-01).

Deals: n1 new_business @A1 (s1, 10,000, open), r1 renewal @A2 (s1, 5,000, open),
e1 expansion @A3 (s2, created and closed before the window).  Case case1 @A2, quote q1 @A3.
"""

from __future__ import annotations

import ibis
from fixtures_small import AS_OF, canonical, d, load, ts

from accountleader.domain.metrics import leadership as lead

OPPS = [
    dict(opportunity_id="n1", account_id="A1", owner_id="s1", type="new_business",
         amount=10000.0, stage="Discovery", created_at=ts("2024-05-01 00:00"),
         is_closed=False, is_won=False, close_date=d("2024-09-01")),
    dict(opportunity_id="r1", account_id="A2", owner_id="s1", type="renewal", amount=5000.0,
         stage="Open", created_at=ts("2024-05-01 00:00"), is_closed=False, is_won=False,
         close_date=d("2024-09-01")),
    dict(opportunity_id="e1", account_id="A3", owner_id="s2", type="expansion", amount=7000.0,
         stage="Closed Won", created_at=ts("2024-01-01 00:00"), is_closed=True, is_won=True,
         close_date=d("2024-02-01")),
]


def act(i, when, owner, *, opp=None, acc=None, what=None, contact=None, kind="call"):
    return dict(activity_id=i, kind=kind, occurred_at=ts(when), owner_id=owner,
                opportunity_id=opp, account_id=acc, what_id=what or opp, contact_id=contact)


ACTS = [
    act("y0", "2024-01-10 09:00", "s2", acc="A3", contact="k8"),  # before window
    act("y1", "2024-06-01 09:00", "s1", opp="n1", acc="A1"),  # creating: new business deal
    act("y2", "2024-06-02 09:00", "s1", opp="r1", acc="A2"),  # tending: renewal
    act("y3", "2024-06-03 09:00", "s1", acc="A2", what="case1"),  # tending: service case
    act("y4", "2024-06-04 09:00", "s1", acc="A1"),  # creating: n1 open on A1
    act("y5", "2024-06-05 09:00", "s1", acc="A2"),  # tending: routine (only a renewal open)
    act("y6", "2024-06-06 09:00", "s2", acc="A3", what="q1"),  # creating: proposal
    act("y7", "2024-06-07 09:00", "s2", acc="A3", contact="k9", kind="meeting"),  # first meeting
    act("y8", "2024-06-08 09:00", "s2", acc="A3", contact="k9"),  # tending: e1 closed in Feb
    act("y9", "2024-06-09 09:00", "s2", acc="A3", contact="k8", kind="meeting"),  # k8 known
    act("y10", "2024-06-10 09:00", "s2"),  # unclassified
    act("y11", "2024-07-10 09:00", "s1", acc="A2"),  # after as_of
]


def tables(con):
    return load(con, {
        "opportunities": canonical("opportunities", OPPS),
        "activities": canonical("activities", ACTS),
        "cases": canonical("cases", [dict(case_id="case1", account_id="A2",
                                          created_at=ts("2024-05-01 00:00"))]),
        "quotes": canonical("quotes", [dict(quote_id="q1", account_id="A3",
                                            created_at=ts("2024-06-06 00:00"))]),
    })


def test_every_activity_is_classified_by_the_documented_rules() -> None:
    con = ibis.duckdb.connect()
    t = tables(con)
    out = con.execute(lead.classify_activities(
        t["activities"], t["opportunities"], as_of=AS_OF, cases=t["cases"], quotes=t["quotes"]))
    got = {r["activity_id"]: (r["motion"], r["motion_reason"]) for r in out.to_dict("records")}
    assert got == {
        "y1": ("creating", "new business or expansion deal"),
        "y2": ("tending", "renewal deal"),
        "y3": ("tending", "service case"),
        "y4": ("creating", "account has a creating deal open"),
        "y5": ("tending", "routine touch on existing business"),
        "y6": ("creating", "proposal"),
        "y7": ("creating", "first meeting with a new contact"),
        "y8": ("tending", "routine touch on existing business"),
        "y9": ("tending", "routine touch on existing business"),
        "y10": ("unclassified", "no deal, case, quote or account"),
    }


def test_create_share_and_new_pipeline_per_seller() -> None:
    con = ibis.duckdb.connect()
    t = tables(con)
    out = con.execute(lead.create_share(t["activities"], t["opportunities"], as_of=AS_OF,
                                        cases=t["cases"], quotes=t["quotes"], min_activities=5))
    rows = {r["owner_id"]: r for r in out.to_dict("records")}
    s1 = rows["s1"]  # y1 c, y2 t, y3 t, y4 c, y5 t; n1 (10,000) created in window
    assert (s1["activities_n"], s1["creating_n"], s1["tending_n"]) == (5, 2, 3)
    assert s1["create_share"] == 0.4
    assert s1["new_pipeline_amount"] == 10000.0
    assert s1["new_pipeline_per_100_activities"] == 200000.0
    s2 = rows["s2"]  # 4 classified (y10 unclassified): below 5 -> null share
    assert s2["activities_n"] == 4 and s2["creating_n"] == 2
    assert s2["create_share"] != s2["create_share"]  # null (NaN in pandas)


def test_account_with_almost_nothing_created_is_only_tended() -> None:
    con = ibis.duckdb.connect()
    t = tables(con)
    out = con.execute(lead.only_tended_accounts(t["activities"], t["opportunities"], as_of=AS_OF,
                                           cases=t["cases"], quotes=t["quotes"],
                                           min_activities=3))
    assert out.to_dict("records") == [dict(
        account_id="A2", activities_n=3, creating_n=0, tending_n=3, create_share=0.0,
        reason="3 activities in 90 days, 0 creating (create share 0%)")]


def test_opportunities_are_classified_by_type() -> None:
    con = ibis.duckdb.connect()
    t = tables(con)
    out = con.execute(lead.classify_opportunities(t["opportunities"], as_of=AS_OF))
    got = dict(zip(out.opportunity_id, out.motion, strict=True))
    assert got == {"n1": "creating", "r1": "tending", "e1": "creating"}
