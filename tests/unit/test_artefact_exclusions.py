"""Every metric leaves out the data artefacts docs/metrics.md says it leaves out, and counts them.

The tables carry the columns ``domain.artefacts.annotate`` adds (fixtures_small.annotated):
each test sets one artefact on a few rows and checks, by hand, that the figure is what it
is without those rows and that the left-out rows are counted.  As of 2024-06-30.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pytest
from fixtures_small import AS_OF, annotated, canonical, d, ts

from accountleader.domain.metrics import change as ch
from accountleader.domain.metrics import effectiveness as fx
from accountleader.domain.metrics import efficiency as ef
from accountleader.domain.metrics import leadership as ld
from accountleader.domain.metrics import performance as pf


def rows(expr, key):
    return {r[key]: r for r in expr.to_pyarrow().to_pylist()}


def mem(name, data):
    return ibis.memtable(annotated(name, data))


def deal(oid, owner="u1", account="a1", **kw):
    base = dict(opportunity_id=oid, owner_id=owner, account_id=account, stage="Discovery", amount=1000.0,
                probability=20.0, created_at=ts("2024-01-01 00:00"), is_closed=False, is_won=False)
    return {**base, **kw}


# --- closed by as-of: closed_at, not the CloseDate ---------------------------------------------

WON_EARLY = deal("W", stage="Closed Won", probability=100.0, is_closed=True, is_won=True,
                 close_date=d("2024-07-15"), closed_at=ts("2024-06-20 10:00"))
OPEN = deal("O", stage="Discovery", close_date=d("2024-08-01"))


def test_a_deal_the_history_shows_closed_is_not_open_pipeline():
    # W's CloseDate (07-15) is after the as-of date, but its history closed it on 06-20.
    o = mem("opportunities", [WON_EARLY, OPEN])
    r = rows(pf.owner_performance(o, as_of=AS_OF), "owner_id")["u1"]
    assert (r["won_n"], r["open_n"]) == (1, 1)
    assert r["open_pipeline_amount"] == 1000.0  # O only
    assert r["bookings"] == 1000.0
    # without the history the CloseDate decides: W would be open pipeline
    plain = ibis.memtable(canonical("opportunities", [{k: v for k, v in WON_EARLY.items() if k != "closed_at"},
                                                      OPEN]))
    assert rows(pf.owner_performance(plain, as_of=AS_OF), "owner_id")["u1"]["open_n"] == 2
    # and the engagement metrics see only O as open
    acts = mem("activities", [])
    roles = ibis.memtable({"contact_id": ["c1"], "buyer_role": ["user"], "seniority": ["staff"]})
    assert set(rows(fx.deal_engagement(o, acts, roles, as_of=AS_OF), "opportunity_id")) == {"O"}


def test_a_closed_deal_with_no_close_time_is_closed():
    o = mem("opportunities", [deal("X", is_closed=True, is_won=False, close_date=None)])
    r = rows(pf.owner_performance(o, as_of=AS_OF), "owner_id")["u1"]
    assert (r["lost_n"], r["open_n"]) == (1, 0)


# --- quote turnaround: closing documents are no samples ----------------------------------------


def test_a_closing_document_quote_does_not_change_the_median():
    # Three quotes 2, 4 and 6 calendar hours after the request (Monday 2024-03-04): median 4.
    # A fourth, created at signature 88 days after the request, is a closing document.
    o = mem("opportunities", [deal(f"Q{i}", stage="Proposal") for i in range(4)])
    req = ts("2024-03-04 09:00")
    quotes = [dict(quote_id=f"q{i}", opportunity_id=f"Q{i}", requested_at=req, created_at=req + timedelta(hours=h))
              for i, h in enumerate((2, 4, 6))]
    quotes.append(dict(quote_id="q3", opportunity_id="Q3", requested_at=req, created_at=req + timedelta(days=88),
                       artefact="closing_document"))
    q = mem("quotes", quotes)
    h = mem("opportunity_history", [])
    ev = rows(ef.quote_turnaround_events(q, o, h, as_of=AS_OF), "quote_id")
    assert ev["q3"]["status"] == "closing_document" and ev["q3"]["hours"] is None
    s = rows(ef.quote_turnaround(q, o, h, as_of=AS_OF), "owner_id")["u1"]
    assert s["quote_turnaround_n"] == 3
    assert s["quote_turnaround_median_hours"] == pytest.approx(4.0)
    assert s["quote_turnaround_share_over_sla"] == 0.0
    assert s["quote_turnaround_closing_document_n"] == 1


# --- stage velocity: click-through and entered-late spells are no samples ----------------------


def _spell_rows(oid, stages_at, artefacts=None):
    artefacts = artefacts or {}
    return [dict(history_id=f"{oid}-{i}", opportunity_id=oid, stage=s, changed_at=at,
                 **({"artefact": artefacts[i]} if i in artefacts else {}))
            for i, (s, at) in enumerate(stages_at)]


def test_a_click_through_spell_does_not_make_a_seller_fast():
    t0 = datetime(2024, 2, 1, 9, 0)
    day = timedelta(days=1)
    opps, hist = [], []
    # Ben (u2): three won deals, 10 days in Discovery: the norm is 10 days (n = 3).
    for i in range(3):
        opps.append(deal(f"W{i}", owner="u2", stage="Closed Won", is_closed=True, is_won=True,
                         close_date=d("2024-03-01")))
        hist += _spell_rows(f"W{i}", [("Discovery", t0), ("Proposal", t0 + 10 * day), ("Closed Won", t0 + 20 * day)])
    # Ana (u1): three deals 20 days in Discovery (ratio 2 each) ...
    for i in range(3):
        opps.append(deal(f"S{i}"))
        hist += _spell_rows(f"S{i}", [("Discovery", t0), ("Proposal", t0 + 20 * day)])
    # ... and four deals clicked through Discovery in 10 seconds (ratio ~0): without the rule her
    # median of seven spells would be ~0, the fastest seller there is.
    for i in range(4):
        opps.append(deal(f"C{i}"))
        hist += _spell_rows(f"C{i}", [("Discovery", t0), ("Proposal", t0 + timedelta(seconds=10))],
                            {0: "click_through"})
    # ... and one deal first recorded at signature: its one-day spell is entry lag.
    opps.append(deal("L", entered_late=True))
    hist += _spell_rows("L", [("Discovery", t0), ("Proposal", t0 + day)])
    o, h = mem("opportunities", opps), mem("opportunity_history", hist)
    ev = ef.stage_velocity_events(h, o, as_of=AS_OF)
    statuses = {(r["opportunity_id"], r["stage"]): r["status"] for r in ev.to_pyarrow().to_pylist()}
    assert statuses[("C0", "Discovery")] == "artefact"
    assert statuses[("L", "Discovery")] == "entered_late"
    s = rows(ef.stage_velocity(h, o, as_of=AS_OF), "owner_id")["u1"]
    assert s["stage_velocity_n"] == 3
    assert s["stage_velocity_median_ratio"] == pytest.approx(2.0)
    assert (s["stage_velocity_artefact_n"], s["stage_velocity_entered_late_n"]) == (4, 1)


def test_artefact_spells_on_won_deals_do_not_set_the_norm():
    t0 = datetime(2024, 2, 1, 9, 0)
    opps, hist = [], []
    for i in range(3):
        opps.append(deal(f"W{i}", stage="Closed Won", is_closed=True, is_won=True, close_date=d("2024-03-01")))
        hist += _spell_rows(f"W{i}", [("Discovery", t0), ("Closed Won", t0 + timedelta(days=10))])
    for i in range(3):  # bulk-loaded won deals: all their rows share one load second
        opps.append(deal(f"B{i}", stage="Closed Won", is_closed=True, is_won=True, close_date=d("2024-03-01")))
        hist += _spell_rows(f"B{i}", [("Discovery", t0), ("Closed Won", t0 + timedelta(seconds=1))],
                            {0: "bulk_loaded", 1: "bulk_loaded"})
    ev = ef.stage_velocity_events(mem("opportunity_history", hist), mem("opportunities", opps), as_of=AS_OF)
    norms = {(r["stage"], r["norm_n"], r["norm_days"]) for r in ev.to_pyarrow().to_pylist()}
    assert norms == {("Discovery", 3, 10.0)}


# --- days to close: entered-late deals are entry lag -------------------------------------------


def test_entered_late_deals_are_left_out_of_days_to_close_and_counted():
    o = mem("opportunities", [
        deal("D1", stage="Closed Won", is_closed=True, is_won=True, created_at=ts("2024-01-01 00:00"),
             close_date=d("2024-01-31")),  # 30 days
        deal("D2", stage="Closed Won", is_closed=True, is_won=True, created_at=ts("2024-03-01 00:00"),
             close_date=d("2024-03-01"), entered_late=True),  # 0 days: created at signature
    ])
    r = rows(pf.owner_performance(o, as_of=AS_OF), "owner_id")["u1"]
    assert r["avg_days_to_close"] == 30.0
    assert (r["days_to_close_n"], r["days_to_close_entered_late_n"], r["entered_late_n"]) == (1, 1, 1)
    assert r["won_n"] == 2  # still a win


# --- activities: list email and open tasks are no touches --------------------------------------


def _touch(aid, contact, at, **kw):
    base = dict(activity_id=aid, kind="email", direction="outbound", owner_id="u1", contact_id=contact,
                account_id="a1", occurred_at=at)
    return {**base, **kw}


ROLES = ibis.memtable({
    "contact_id": ["dm", "c1", "c2", "c3", "c4"],
    "buyer_role": ["decision_maker", "user", "user", "user", "user"],
    "seniority": ["c_level", "staff", "staff", "staff", "staff"],
})
FIT = ibis.memtable({"account_id": ["a1"], "fit_score": [80.0], "fit_tier": ["A"]})


def test_mass_email_does_not_raise_reach():
    # Five real touches, one of them with the decision maker: reach 1/5.  Ten list emails and
    # an open task to the decision maker would make it 12/16 if they counted.
    at = ts("2024-06-03 10:00")
    acts = [_touch("r0", "dm", at)] + [_touch(f"r{i}", f"c{i}", at) for i in range(1, 5)]
    acts += [_touch(f"m{i}", "dm", at + timedelta(minutes=i), subtype="ListEmail", artefact="mass_email")
             for i in range(10)]
    acts.append(_touch("t", "dm", at, kind="task", direction=None, is_done=False, source_object="Task",
                       artefact="open_task"))
    a = mem("activities", acts)
    r = rows(fx.seller_effectiveness(a, ROLES, FIT, as_of=AS_OF), "owner_id")["u1"]
    assert r["contact_activities_n"] == 5
    assert r["decision_maker_reach"] == pytest.approx(0.2)
    assert (r["mass_email_n"], r["open_task_n"]) == (10, 1)


def test_mass_email_is_no_engagement_first_touch_or_tending():
    o = mem("opportunities", [deal("O1", created_at=ts("2024-06-01 09:00"), close_date=d("2024-09-01"))])
    acts = [_touch("real", "c1", ts("2024-06-01 19:00"), opportunity_id="O1")]
    acts += [_touch(f"m{i}", f"c{i}", ts("2024-06-01 10:00"), opportunity_id="O1", artefact="mass_email")
             for i in range(2, 5)]
    a = mem("activities", acts)
    deals = rows(fx.deal_engagement(o, a, ROLES, as_of=AS_OF), "opportunity_id")
    assert deals["O1"]["contacts_engaged"] == 1
    first = rows(ef.first_activity_events(o, a, as_of=AS_OF), "opportunity_id")["O1"]
    assert first["hours"] == pytest.approx(10.0)  # the real touch, not the list email at 10:00
    classified = ld.classify_activities(a, o, as_of=AS_OF).to_pyarrow().to_pylist()
    assert [c["activity_id"] for c in classified] == ["real"]
    acc = ibis.memtable(canonical("accounts", [dict(account_id="a1", owner_id="u1")]))
    gaps = rows(fx.effort_gaps(acc, a, FIT, as_of=AS_OF), "account_id")
    assert gaps["a1"]["activities_n"] == 1  # starved: list email is no effort


# --- amounts: placeholders are left out of amount-weighted figures -----------------------------


def test_a_placeholder_amount_does_not_move_the_amount_win_rate():
    won = deal("W", stage="Closed Won", is_closed=True, is_won=True, close_date=d("2024-05-01"), amount=1000.0)
    lost = deal("L", stage="Closed Lost", is_closed=True, close_date=d("2024-05-01"), amount=1000.0)
    fillers = [deal(f"P{i}", stage="Closed Lost", is_closed=True, close_date=d("2024-05-01"), amount=100.0,
                    placeholder_amount=True) for i in range(10)]
    r = rows(pf.owner_performance(mem("opportunities", [won, lost, *fillers]), as_of=AS_OF), "owner_id")["u1"]
    # 1000 won of 2000 closed; the ten 100s would make it 1000 / 3000
    assert r["win_rate_amount"] == pytest.approx(0.5)
    assert r["closed_amount"] == 2000.0
    assert r["win_rate"] == pytest.approx(1 / 12)  # the deals still count
    assert r["placeholder_amount_n"] == 10
    r0 = rows(pf.owner_performance(mem("opportunities", [won, lost]), as_of=AS_OF), "owner_id")["u1"]
    assert r0["win_rate_amount"] == r["win_rate_amount"]


def test_a_placeholder_amount_is_no_pipeline_and_no_size_band():
    o = mem("opportunities", [deal("O", close_date=d("2024-09-01")),
                              deal("P", close_date=d("2024-09-01"), amount=1.0, placeholder_amount=True)])
    r = rows(pf.owner_performance(o, as_of=AS_OF), "owner_id")["u1"]
    assert (r["open_n"], r["open_pipeline_amount"], r["weighted_pipeline_amount"]) == (2, 1000.0, 200.0)
    e = rows(fx.deal_engagement(o, mem("activities", []), ROLES, as_of=AS_OF), "opportunity_id")
    assert e["P"]["amount_band"] is None
    assert e["P"]["multithreading_note"].startswith("placeholder amount")


# --- change index ------------------------------------------------------------------------------


def test_bulk_loaded_contacts_are_not_arrivals():
    load_at = ts("2024-05-01 03:00")
    c = mem("contacts", [dict(contact_id=f"b{i}", account_id="a1", created_at=load_at, bulk_loaded=True)
                         for i in range(5)] + [dict(contact_id="new", account_id="a1", created_at=ts("2024-06-01 10:00"))])
    r = rows(ch.contact_movements(c, as_of=AS_OF), "account_id")["a1"]
    assert r["contact_arrivals"] == 1


def test_artefact_history_rows_are_no_push_regression_or_cut():
    t0 = ts("2024-04-01 09:00")
    base = dict(opportunity_id="O")
    h = mem("opportunity_history", [
        # a bulk load: the close date "moves" and the amount "drops" within one second
        dict(base, history_id="1", stage="Proposal", probability=50.0, amount=5000.0, close_date=d("2024-07-01"),
             changed_at=t0, artefact="bulk_loaded"),
        dict(base, history_id="2", stage="Discovery", probability=20.0, amount=1000.0, close_date=d("2024-08-01"),
             changed_at=t0, artefact="bulk_loaded"),
        # one real push later: 08-01 -> 08-11
        dict(base, history_id="3", stage="Discovery", probability=20.0, amount=1000.0, close_date=d("2024-08-11"),
             changed_at=ts("2024-05-01 09:00")),
    ])
    o = mem("opportunities", [deal("O", stage="Discovery", close_date=d("2024-08-11"))])
    r = rows(ch.opportunity_changes(h, o, as_of=AS_OF), "opportunity_id")["O"]
    assert (r["close_date_pushes"], r["close_date_push_days"]) == (1, 10.0)
    assert (r["stage_regressions"], r["amount_cuts"]) == (0, 0)


def _weekly(account, start, end):
    out, at, i = [], start, 0
    while at <= end:
        out.append(dict(activity_id=f"{account}-{i}", kind="call", direction="outbound", owner_id="u1",
                        account_id=account, occurred_at=at))
        at += timedelta(days=7)
        i += 1
    return out


def test_a_logging_stop_produces_no_going_dark_driver():
    # Weekly calls on a1 until 2024-04-29, then the whole org stops logging (04-30).
    stop = datetime(2024, 4, 30)
    acts = mem("activities", _weekly("a1", ts("2024-01-01 10:00"), ts("2024-04-29 10:00")))
    acc = ibis.memtable(canonical("accounts", [dict(account_id="a1", owner_id="u1")]))
    empty = {n: mem(n, []) for n in ("opportunity_history", "contacts")}
    opps = mem("opportunities", [])
    args = (acc, opps, empty["opportunity_history"], empty["contacts"], acts)
    blamed = rows(ch.change_index(*args, as_of=AS_OF), "account_id")["a1"]
    assert blamed["days_since_last_activity"] > 60 and blamed["change_points_days_since_last_activity"] > 0
    idx = ch.change_index(*args, as_of=AS_OF, logging_stopped_at=stop)
    r = rows(idx, "account_id")["a1"]
    assert r["days_since_last_activity"] < 1.0  # counted to the stop: 04-29 10:00 -> 04-30
    assert r["change_points_days_since_last_activity"] == 0.0
    assert r["change_points_activity_drop"] == 0.0
    assert rows(ch.change_reasons(idx, logging_stopped_at=stop), "account_id") == {}


def test_an_account_dark_before_the_logging_stop_still_says_so_counted_to_the_stop():
    # a2's calls end on 2024-02-26 10:00: 63.6 days before the 04-30 stop (and 124 before as-of).
    stop = datetime(2024, 4, 30)
    acts = mem("activities", _weekly("a1", ts("2024-01-01 10:00"), ts("2024-04-29 10:00"))
               + _weekly("a2", ts("2024-01-01 10:00"), ts("2024-02-26 10:00")))
    acc = ibis.memtable(canonical("accounts", [dict(account_id="a1", owner_id="u1"), dict(account_id="a2", owner_id="u1")]))
    idx = ch.change_index(acc, mem("opportunities", []), mem("opportunity_history", []), mem("contacts", []), acts,
                          as_of=AS_OF, logging_stopped_at=stop)
    r = rows(idx, "account_id")["a2"]
    assert r["days_since_last_activity"] == pytest.approx(63 + 14 / 24)
    reasons = rows(ch.change_reasons(idx, logging_stopped_at=stop), "account_id")
    assert set(reasons) == {"a2"}
    # activity drop 100% -> 10 points; 63.6 days dark -> 15 * 49.6 / 79.6 = 9.3 points
    assert reasons["a2"]["reasons"].split("; ") == [  # analyze splits the joined reasons on "; "
        "activity drop: 100% (to 2024-04-30, no activity logged since)",
        "days since last activity: 64 (to 2024-04-30, no activity logged since)",
    ]


def test_after_a_logging_stop_gaps_end_where_logging_did_and_say_so():
    stop = datetime(2024, 3, 25)
    acc = ibis.memtable(canonical("accounts", [dict(account_id="a1", owner_id="u1"),
                                               dict(account_id="a2", owner_id="u1")]))
    fit = ibis.memtable({"account_id": ["a1", "a2"], "fit_score": [80.0, 85.0], "fit_tier": ["A", "A"]})
    # a1: six weekly calls 02-10 .. 03-16, nothing after (nobody logged anything after 03-25)
    acts = mem("activities", _weekly("a1", ts("2024-02-10 10:00"), ts("2024-03-20 10:00")))
    blamed = rows(fx.effort_gaps(acc, acts, fit, as_of=AS_OF), "account_id")
    assert set(blamed) == {"a1", "a2"}  # the window to 06-30 holds no activity at all
    gaps = rows(fx.effort_gaps(acc, acts, fit, as_of=AS_OF, logging_stopped_at=stop), "account_id")
    assert set(gaps) == {"a2"}  # a2 was starved before the stop too
    assert "no activity logged since 2024-03-25 (org-wide)" in gaps["a2"]["reason"]


# --- next best actions after a logging stop ------------------------------------------------------


def test_after_a_logging_stop_actions_count_silence_only_up_to_it():
    from datetime import date

    from accountleader.domain import actions as act

    deal_row = {"opportunity_id": "O1", "account_id": "A1", "owner_id": "u1", "name": "Deal", "stage": "Discovery",
                "amount": 50_000.0, "is_closed": False, "contacts_engaged": 1, "has_decision_maker": False}
    people = {"A1": [{"contact_id": "C1", "account_id": "A1", "name": "Ana", "title": "CFO",
                      "buyer_role": "economic_buyer", "last_touch": "2024-04-20T10:00:00"}]}
    accounts = {"A1": {"account_id": "A1", "name": "Acme", "fit_tier": "A", "fit_score": 90.0}}
    plain = act.ActionContext(as_of=date(2024, 6, 30))
    stopped = act.ActionContext(as_of=date(2024, 6, 30), logging_stopped_at=date(2024, 4, 30))
    (before,) = act.reach_decision_maker([deal_row], accounts, people, plain)
    (after,) = act.reach_decision_maker([deal_row], accounts, people, stopped)
    # 04-20 -> 06-30 is 71 days; to the 04-30 stop only 10
    assert before.evidence["days_since_decision_maker_touch"] == 71
    assert after.evidence["days_since_decision_maker_touch"] == 10
    assert "no decision maker engaged in 10 days (counted to 2024-04-30: no activity logged since, org-wide)" in after.reason
    assert after.score < before.score
    gap = [{"account_id": "A1", "owner_id": "u1", "gap": "starved", "fit_tier": "A", "fit_score": 90.0, "activities_n": 1}]
    (starved,) = act.invest_in_starved_accounts(gap, accounts, stopped)
    assert "no activity logged since" in starved.reason
    # a stop after as_of is no stop
    late = act.ActionContext(as_of=date(2024, 6, 30), logging_stopped_at=date(2024, 7, 5))
    assert late.activity_until == date(2024, 6, 30) and late.stop_note() == ""
