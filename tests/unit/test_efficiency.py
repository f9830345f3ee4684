"""Efficiency metrics on the hand-made tables in fixtures_small (figures worked out there)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fixtures_small import AS_OF, canonical, efficiency_tables, load, ts
from hypothesis import given, settings
from hypothesis import strategies as st

from accountleader.domain.metrics import efficiency as eff
from accountleader.domain.metrics._time import business_days_between, hours_between


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def t(con):
    return load(con, efficiency_tables())


def rows(con, expr, key):
    df = con.execute(expr)
    return {r[key]: r for r in df.to_dict("records")}


# --- business time ----------------------------------------------------------------------

PAIRS = [
    # (start, end, business days)
    ("2024-03-04 09:00", "2024-03-04 21:00", 0.5),  # same Monday
    ("2024-03-08 12:00", "2024-03-12 12:00", 2.0),  # Fri noon -> Tue noon: 12 + 24 + 12 h
    ("2024-03-08 16:00", "2024-03-11 10:00", 0.75),  # Fri 16:00 -> Mon 10:00: 8 + 10 h
    ("2024-03-09 10:00", "2024-03-10 22:00", 0.0),  # inside one weekend
    ("2024-03-09 10:00", "2024-03-11 06:00", 0.25),  # Saturday -> Monday 06:00
    ("2024-03-01 00:00", "2024-03-15 00:00", 10.0),  # two whole weeks
    ("2024-03-12 12:00", "2024-03-08 12:00", -2.0),  # backwards
]


def test_business_days_skip_weekends(con):
    tab = ibis.memtable(
        {"s": [ts(a) for a, _, _ in PAIRS], "e": [ts(b) for _, b, _ in PAIRS]}
    )
    got = con.execute(tab.select(b=business_days_between(tab.s, tab.e)))["b"].tolist()
    assert got == pytest.approx([x for _, _, x in PAIRS])


def _reference_business_days(s: datetime, e: datetime) -> float:
    """Count weekday seconds hour by hour-free: whole days with numpy, then the two partial days."""
    sign = 1.0
    if e < s:
        s, e, sign = e, s, -1.0

    def weekday_part(x: datetime) -> float:  # seconds of weekday x elapsed since its midnight
        return 0.0 if x.weekday() >= 5 else (x - x.replace(hour=0, minute=0, second=0)).total_seconds()

    whole = int(np.busday_count(s.date(), e.date()))
    secs = whole * 86400 - weekday_part(s) + weekday_part(e)
    return sign * secs / 86400


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 1, 1)),
            st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=40)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_business_days_match_a_calendar_count(con, pairs):
    starts = [s.replace(microsecond=0) for s, _ in pairs]
    ends = [s + dt for s, dt in zip(starts, (dt for _, dt in pairs), strict=True)]
    ends = [e.replace(microsecond=0) for e in ends]
    tab = ibis.memtable(pa.table({"s": pa.array(starts, pa.timestamp("us")), "e": pa.array(ends, pa.timestamp("us"))}))
    got = con.execute(tab.select(b=business_days_between(tab.s, tab.e)))["b"].tolist()
    want = [_reference_business_days(s, e) for s, e in zip(starts, ends, strict=True)]
    assert got == pytest.approx(want, abs=1e-9)


def test_hours_between_counts_calendar_hours(con):
    tab = ibis.memtable({"s": [ts("2024-03-08 12:00")], "e": [ts("2024-03-12 12:00")]})
    assert con.execute(tab.select(h=hours_between(tab.s, tab.e)))["h"].tolist() == [96.0]


# --- quote turnaround -------------------------------------------------------------------


def test_quote_turnaround_uses_request_field_then_stage_entry(con, t):
    ev = eff.quote_turnaround_events(
        t["quotes"], t["opportunities"], t["opportunity_history"], as_of=AS_OF
    )
    got = rows(con, ev, "quote_id")
    assert "Q6" not in got  # made after as-of
    assert (got["Q1"]["basis"], got["Q1"]["hours"], got["Q1"]["over_sla"]) == ("requested_field", 12.0, False)
    # Fri 12:00 -> Tue 12:00 is exactly 2 business days: not over a 2-day SLA.
    assert (got["Q2"]["hours"], got["Q2"]["business_days"], got["Q2"]["over_sla"]) == (96.0, 2.0, False)
    # No request field: first entry into the quote stage (Wed 10:00), written in upper case.
    assert got["Q3"]["basis"] == "stage_entry"
    assert got["Q3"]["requested_at"] == ts("2024-03-06 10:00")
    assert (got["Q3"]["hours"], got["Q3"]["business_days"], got["Q3"]["over_sla"]) == (120.0, 3.0, True)


def test_quote_before_request_is_a_data_quality_note_not_a_figure(con, t):
    ev = eff.quote_turnaround_events(
        t["quotes"], t["opportunities"], t["opportunity_history"], as_of=AS_OF
    )
    got = rows(con, ev, "quote_id")
    assert got["Q4"]["status"] == "negative"
    assert got["Q4"]["hours"] is None or np.isnan(got["Q4"]["hours"])
    assert got["Q5"]["status"] == "no_request_time"


def test_quote_turnaround_per_seller(con, t):
    out = eff.quote_turnaround(
        t["quotes"], t["opportunities"], t["opportunity_history"], as_of=AS_OF
    )
    got = rows(con, out, "owner_id")
    ana = got["u1"]
    # Ana's measured quotes: 12, 96, 120 h -> median 96; one (Q3) over SLA.
    assert ana["quote_turnaround_n"] == 3
    assert ana["quote_turnaround_median_hours"] == 96.0
    assert ana["quote_turnaround_p90_hours"] is None or np.isnan(ana["quote_turnaround_p90_hours"])
    assert ana["quote_turnaround_over_sla_n"] == 1
    assert ana["quote_turnaround_share_over_sla"] == pytest.approx(1 / 3)
    assert ana["quote_turnaround_negative_n"] == 1
    assert ana["quote_turnaround_no_request_time_n"] == 1
    assert ana["quote_turnaround_basis_requested_field_n"] == 2
    assert ana["quote_turnaround_basis_stage_entry_n"] == 1


def test_seller_with_one_quote_gets_no_median(con, t):
    out = eff.quote_turnaround(
        t["quotes"], t["opportunities"], t["opportunity_history"], as_of=AS_OF
    )
    ben = rows(con, out, "owner_id")["u2"]
    assert ben["quote_turnaround_n"] == 1
    assert np.isnan(ben["quote_turnaround_median_hours"])
    assert np.isnan(ben["quote_turnaround_share_over_sla"])


def test_team_figures_pool_the_team_members_quotes(con, t):
    out = eff.quote_turnaround(
        t["quotes"], t["opportunities"], t["opportunity_history"], as_of=AS_OF, by="team", users=t["users"]
    )
    east = rows(con, out, "team")["East"]
    # Ana 12, 96, 120 and Ben 1 -> median of 1, 12, 96, 120 is (12 + 96) / 2.
    assert east["quote_turnaround_n"] == 4
    assert east["quote_turnaround_median_hours"] == 54.0


def test_p90_appears_once_there_are_ten_quotes(con):
    quotes = canonical(
        "quotes",
        [
            dict(quote_id=f"Q{i}", opportunity_id="O", requested_at=ts("2024-03-04 00:00"),
                 created_at=ts("2024-03-04 00:00") + timedelta(hours=i))
            for i in range(1, 11)
        ],
    )
    opps = canonical("opportunities", [dict(opportunity_id="O", owner_id="u1", stage="Proposal",
                                            created_at=ts("2024-01-01 00:00"), is_closed=False, is_won=False)])
    hist = canonical("opportunity_history", [])
    out = eff.quote_turnaround(ibis.memtable(quotes), ibis.memtable(opps), ibis.memtable(hist), as_of=AS_OF)
    row = con.execute(out).iloc[0]
    # 1..10 h: linear interpolation, p90 = 1 + 0.9 * 9 = 9.1 h; median 5.5 h.
    assert row["quote_turnaround_p90_hours"] == pytest.approx(9.1)
    assert row["quote_turnaround_median_hours"] == 5.5


def test_summary_does_not_depend_on_row_order(con, t):
    shuffled = efficiency_tables()["quotes"].to_pylist()
    random.Random(7).shuffle(shuffled)
    a = eff.quote_turnaround(t["quotes"], t["opportunities"], t["opportunity_history"], as_of=AS_OF)
    b = eff.quote_turnaround(
        ibis.memtable(canonical("quotes", shuffled)), t["opportunities"], t["opportunity_history"], as_of=AS_OF
    )
    sort = ["owner_id"]
    assert con.execute(a).sort_values(sort).reset_index(drop=True).equals(
        con.execute(b).sort_values(sort).reset_index(drop=True)
    )


# --- responses and follow-ups -----------------------------------------------------------


def test_inbound_latency_measures_to_next_outbound_touch_to_that_contact(con, t):
    ev = rows(con, eff.inbound_response_events(t["activities"], as_of=AS_OF), "activity_id")
    assert ev["A1"]["hours"] == 2.0  # the email to c2 at 10:00 does not answer c1
    assert (ev["A2"]["hours"], ev["A2"]["business_days"]) == (66.0, 0.75)  # task over the weekend
    assert ev["A3"]["status"] == "unanswered"
    assert ev["A5"]["status"] == "unanswered"  # the answer came after as-of


def test_unanswered_inbound_is_counted_not_given_a_latency(con, t):
    out = rows(con, eff.inbound_response_latency(t["activities"], as_of=AS_OF), "owner_id")
    ana = out["u1"]
    # Answered: 2, 66, 3 h -> median 3 h; none over 1 business day.
    assert ana["inbound_response_latency_n"] == 3
    assert ana["inbound_response_latency_median_hours"] == 3.0
    assert ana["inbound_response_latency_unanswered_n"] == 2
    assert ana["inbound_response_latency_share_over_sla"] == 0.0


def test_meeting_follow_up_counts_only_the_same_owner_at_the_same_account(con, t):
    ev = rows(
        con, eff.meeting_follow_up_events(t["activities"], t["contacts"], as_of=AS_OF), "activity_id"
    )
    # Ben's email at 12:00 is not Ana's follow-up; Ana's email to c4 (a1 via the contact) at 15:00 is.
    assert ev["M1"]["hours"] == 5.0
    assert ev["M2"]["status"] == "no_follow_up"
    out = rows(con, eff.meeting_follow_up_latency(t["activities"], t["contacts"], as_of=AS_OF), "owner_id")
    assert out["u1"]["meeting_follow_up_latency_n"] == 1
    assert out["u1"]["meeting_follow_up_latency_no_follow_up_n"] == 1


def test_time_to_first_activity_links_by_deal_or_by_owner_at_account(con, t):
    ev = rows(
        con, eff.first_activity_events(t["opportunities"], t["activities"], as_of=AS_OF), "opportunity_id"
    )
    assert ev["E1"]["hours"] == 1.0  # Ana's inbound email at a1, an hour after creation
    assert (ev["E2"]["hours"], ev["E2"]["business_days"]) == (48.0, 2.0)  # Cy's call on the deal
    assert ev["E3"]["status"] == "untouched"


# --- stage velocity ---------------------------------------------------------------------


def _velocity_tables():
    hist, opps = [], []

    def deal(oid, owner, won, path):
        opps.append(dict(opportunity_id=oid, owner_id=owner, stage=path[-1][0], is_closed=won, is_won=won,
                         created_at=ts("2024-01-01 00:00"), close_date=ts("2024-05-01 00:00").date() if won else None))
        for i, (stage, day) in enumerate(path):
            hist.append(dict(history_id=f"{oid}-{i}", opportunity_id=oid, stage=stage,
                             changed_at=ts("2024-01-01 00:00") + timedelta(days=day)))

    # Won deals (Ana): Prospecting 10, 20, 30 days (norm 20); Proposal 4, 6, 8 (norm 6).
    deal("W1", "u1", True, [("Prospecting", 0), ("Proposal", 10), ("Closed Won", 14)])
    deal("W2", "u1", True, [("Prospecting", 0), ("Proposal", 20), ("Closed Won", 26)])
    deal("W3", "u1", True, [("Prospecting", 0), ("Proposal", 30), ("Closed Won", 38)])
    # Ben: 40 days prospecting (an amount change on day 15 keeps the stage), 3 in Proposal,
    # still in Negotiation (not a finished spell); another deal 30 days prospecting.
    deal("X1", "u2", False, [("Prospecting", 0), ("Prospecting", 15), ("Proposal", 40), ("Negotiation", 43)])
    deal("X2", "u2", False, [("Prospecting", 0), ("Proposal", 30)])
    return canonical("opportunity_history", hist), canonical("opportunities", opps)


def test_slow_seller_has_stage_velocity_ratio_above_one(con):
    hist, opps = (ibis.memtable(x) for x in _velocity_tables())
    ev = con.execute(eff.stage_velocity_events(hist, opps, as_of=AS_OF))
    x1 = ev[ev.opportunity_id == "X1"].set_index("stage")
    assert x1.loc["Prospecting", "days"] == 40.0
    assert x1.loc["Prospecting", "norm_days"] == 20.0
    assert "Negotiation" not in x1.index
    out = rows(con, eff.stage_velocity(hist, opps, as_of=AS_OF), "owner_id")
    # Ben's ratios 40/20 = 2, 3/6 = 0.5, 30/20 = 1.5 -> median 1.5; two of three slower than won deals.
    assert out["u2"]["stage_velocity_n"] == 3
    assert out["u2"]["stage_velocity_median_ratio"] == 1.5
    assert out["u2"]["stage_velocity_share_over_sla"] == pytest.approx(2 / 3)
    # Ana's own won deals: 0.5, 1, 1.5, 4/6, 1, 8/6 -> median 1.
    assert out["u1"]["stage_velocity_median_ratio"] == pytest.approx(1.0)


def test_stage_without_enough_won_deals_has_no_norm(con):
    hist, opps = (ibis.memtable(x) for x in _velocity_tables())
    ev = con.execute(eff.stage_velocity_events(hist, opps, as_of=AS_OF, min_n=4))
    assert set(ev.status) == {"no_norm"}


def test_every_summary_compiles_for_pyspark():
    """Portability guard: the same expressions must later run on Spark (compile only, no JVM)."""
    pytest.importorskip("pyspark")
    from fixtures_small import change_tables, performance_tables
    from ibis.backends.pyspark import Backend

    from accountleader.domain.metrics import change as ch
    from accountleader.domain.metrics import performance as perf

    if ibis.options.pyspark is None:
        ibis.options.pyspark = Backend.Options()
    e = {k: ibis.memtable(v) for k, v in efficiency_tables().items()}
    p = {k: ibis.memtable(v) for k, v in performance_tables().items()}
    c = {k: ibis.memtable(v) for k, v in change_tables().items()}
    exprs = [
        eff.quote_turnaround(e["quotes"], e["opportunities"], e["opportunity_history"], as_of=AS_OF,
                             by="team", users=e["users"]),
        eff.inbound_response_latency(e["activities"], as_of=AS_OF),
        eff.meeting_follow_up_latency(e["activities"], e["contacts"], as_of=AS_OF),
        eff.time_to_first_activity(e["opportunities"], e["activities"], as_of=AS_OF),
        eff.stage_velocity(e["opportunity_history"], e["opportunities"], as_of=AS_OF),
        perf.manager_performance(p["opportunities"], p["users"], as_of=AS_OF, recursive=True),
        ch.change_reasons(ch.change_index(c["accounts"], c["opportunities"], c["opportunity_history"],
                                          c["contacts"], c["activities"], as_of=AS_OF)),
    ]
    for expr in exprs:
        assert "SELECT" in ibis.to_sql(expr, dialect="pyspark")


# --- the ASOF form DuckDB runs against the window form every engine runs -------------------

_OWNERS, _ACCOUNTS, _CONTACTS, _OPPS = ["u1", "u2", None], ["a1", "a2", None], ["c1", "c2", "c3", None], ["o1", "o2", None]
_KINDS, _DIRECTIONS = ["meeting", "call", "email", "task"], ["inbound", "outbound", None]


def _random_efficiency_tables(rng: random.Random, n: int) -> dict[str, pa.Table]:
    """Activities on a coarse clock (many equal times: the tie rules matter) with null keys,
    and deals created on the same clock."""
    base = datetime(2024, 3, 1, 9)

    def at() -> datetime:
        return base + timedelta(hours=rng.randrange(0, 40) * 6)

    acts = [
        {
            "activity_id": f"act{i}", "kind": rng.choice(_KINDS), "direction": rng.choice(_DIRECTIONS),
            "owner_id": rng.choice(_OWNERS), "account_id": rng.choice(_ACCOUNTS), "contact_id": rng.choice(_CONTACTS),
            "opportunity_id": rng.choice(_OPPS), "occurred_at": at(), "is_done": True, "source_object": "Event",
        }
        for i in range(n)
    ]
    opps = [
        {"opportunity_id": f"o{i}", "owner_id": rng.choice(_OWNERS), "account_id": rng.choice(_ACCOUNTS),
         "created_at": at(), "stage": "Prospecting", "is_closed": False, "is_won": False}
        for i in range(1, 4)
    ]
    contacts = [{"contact_id": c, "account_id": rng.choice(_ACCOUNTS[:2])} for c in _CONTACTS[:3]]
    return {
        "activities": canonical("activities", acts),
        "opportunities": canonical("opportunities", opps),
        "contacts": canonical("contacts", contacts),
    }


@pytest.mark.parametrize(("seed", "n"), [(seed, n) for seed in range(4) for n in (0, 30, 80)])
def test_asof_joins_give_the_window_forms_answers(seed, n):
    """DuckDB runs "the next touch after each start" as an ASOF join; Spark runs the window
    form. Both must give every event the same answer, ties and null keys included."""
    con = ibis.duckdb.connect()
    t = load(con, _random_efficiency_tables(random.Random(seed), n))
    acts, opps, contacts = t["activities"], t["opportunities"], t["contacts"]

    def events() -> dict[str, object]:
        return {
            "follow_up": eff.meeting_follow_up_events(acts, contacts, as_of=AS_OF),
            "first_activity": eff.first_activity_events(opps, acts, as_of=AS_OF),
            "inbound": eff.inbound_response_events(acts, as_of=AS_OF),
        }

    with eff.asof_joins(False):
        windowed = events()
    with eff.asof_joins(True):
        asof = events()
    assert "ASOF" in ibis.to_sql(asof["follow_up"], dialect="duckdb")
    assert "ASOF" not in ibis.to_sql(windowed["follow_up"], dialect="duckdb")
    for name, expr in windowed.items():
        key = "opportunity_id" if name == "first_activity" else "activity_id"
        want = con.execute(expr).sort_values(key).reset_index(drop=True)
        got = con.execute(asof[name]).sort_values(key).reset_index(drop=True)
        assert list(got.columns) == list(want.columns), name
        assert len(got) == len(want), name
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)
