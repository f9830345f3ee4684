"""Effectiveness on a hand-made workspace; every figure is worked out in the comments.

AS_OF 2024-06-30, 90-day window = (2024-04-01, 2024-06-30].
Contacts: k1 CFO (economic_buyer, c_level) @A1, k2 IT Manager (technical_evaluator, manager)
@A1, k3 Software Engineer (technical_evaluator, individual) @A1, k4 Owner (executive,
c_level) @A3, k5 Business Analyst (user, individual) @A3, k6 Asistente (user, individual) @A4.
Fit tiers: A1 A, A2 B, A3 C, A4 D, A5 A.
"""

from __future__ import annotations

import random

import ibis
import pyarrow as pa
from fixtures_small import AS_OF, canonical, d, load, ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountleader.domain.metrics import effectiveness as eff
from accountleader.domain.scoring.titles import build_contact_roles

CONTACTS = [
    ("k1", "A1", "CFO"), ("k2", "A1", "IT Manager"), ("k3", "A1", "Software Engineer"),
    ("k4", "A3", "Owner"), ("k5", "A3", "Business Analyst"), ("k6", "A4", "Asistente"),
]
FIT = [("A1", 80.0, "A"), ("A2", 70.0, "B"), ("A3", 55.0, "C"), ("A4", 40.0, "D"),
       ("A5", 85.0, "A")]
OPPS = [
    # id, account, owner, type, amount, created, closed, won, close_date
    ("o1", "A1", "s1", "new_business", 20000.0, "2024-05-01", False, False, "2024-08-01"),
    ("o2", "A3", "s2", "expansion", 30000.0, "2024-05-01", False, False, "2024-08-01"),
    ("o3", "A2", "s1", "renewal", None, "2024-05-01", False, False, "2024-09-01"),
    ("w1", "A1", "s1", "new_business", 15000.0, "2024-01-01", True, True, "2024-04-01"),
    ("w2", "A3", "s2", "new_business", 40000.0, "2024-01-01", True, True, "2024-05-01"),
]
ACTS = [
    # id, when, owner, contact, opportunity, account
    ("x1", "2024-03-10 10:00", "s1", "k1", "w1", "A1"),   # w1 baseline
    ("x2", "2024-03-12 10:00", "s1", "k2", "w1", "A1"),   # w1 baseline
    ("x3", "2024-04-20 10:00", "s2", "k4", "w2", "A3"),   # w2 baseline; names w2, not o2
    ("x4", "2024-06-01 10:00", "s1", "k3", None, "A1"),   # account-level -> o1
    ("x5", "2024-06-05 10:00", "s1", "k1", "o1", "A1"),
    ("x6", "2024-06-10 10:00", "s1", "k1", "o1", "A1"),
    ("x7", "2024-06-12 10:00", "s2", "k5", "o2", "A3"),
    *[(f"x{8 + i}", f"2024-06-0{1 + i} 11:00", "s2", "k6", None, "A4") for i in range(5)],
    ("x13", "2024-06-15 10:00", "s1", None, None, "A2"),  # no contact
    ("x14", "2024-07-05 10:00", "s1", "k1", "o1", "A1"),  # after as_of: ignored
    ("x15", "2024-01-01 10:00", "s1", "k2", None, "A1"),  # before w1's 90 days
]


def tables(rename=lambda s: s, shuffle: random.Random | None = None) -> dict[str, pa.Table]:
    r = rename

    def order(rows: list) -> list:
        rows = list(rows)
        if shuffle is not None:
            shuffle.shuffle(rows)
        return rows

    contacts = canonical("contacts", order(
        [dict(contact_id=r(c), account_id=r(a), title=t) for c, a, t in CONTACTS]))
    accounts = canonical("accounts", order(
        [dict(account_id=r(a), name=a, owner_id=r("s1" if a in ("A1", "A2", "A5") else "s2"))
         for a, _, _ in FIT]))
    opps = canonical("opportunities", order([
        dict(opportunity_id=r(o), account_id=r(a), owner_id=r(s), type=t, amount=amt,
             stage="Open" if not c else "Closed Won", created_at=ts(f"{cr} 00:00"),
             is_closed=c, is_won=w, close_date=d(cd))
        for o, a, s, t, amt, cr, c, w, cd in OPPS]))
    acts = canonical("activities", order([
        dict(activity_id=r(x), kind="call", occurred_at=ts(at), owner_id=r(s),
             contact_id=r(k) if k else None, opportunity_id=r(o) if o else None,
             account_id=r(a))
        for x, at, s, k, o, a in ACTS]))
    fit = pa.table({"account_id": [r(a) for a, _, _ in FIT], "fit_score": [f for _, f, _ in FIT],
                    "fit_tier": [t for _, _, t in FIT]})
    return {"accounts": accounts, "contacts": contacts, "opportunities": opps,
            "activities": acts, "account_fit": fit,
            "contact_roles": build_contact_roles(contacts)}


def run(rename=lambda s: s, shuffle=None):
    con = ibis.duckdb.connect()
    t = load(con, tables(rename, shuffle))
    deals = eff.deal_engagement(t["opportunities"], t["activities"], t["contact_roles"],
                                as_of=AS_OF, min_baseline_n=2)
    sellers = eff.seller_effectiveness(t["activities"], t["contact_roles"], t["account_fit"],
                                       as_of=AS_OF, deals=deals, min_activities=2, min_deals=1)
    gaps = eff.effort_gaps(t["accounts"], t["activities"], t["account_fit"], as_of=AS_OF)
    return tuple(con.execute(e) for e in (deals, sellers, gaps))


def by(df, key):
    return {r[key]: r for r in df.to_dict("records")}


def test_deal_engagement_counts_people_and_compares_with_won_deals() -> None:
    deals = by(run()[0], "opportunity_id")
    assert set(deals) == {"o1", "o2", "o3"}
    o1 = deals["o1"]  # x4 (k3, account-level), x5 + x6 (k1): 2 contacts, 2 roles, CFO reached
    assert (o1["contacts_engaged"], o1["buyer_roles_engaged"]) == (2, 2)
    assert o1["has_decision_maker"] and o1["senior_contacts_engaged"] == 1
    # band 10,000-50,000: w1 engaged k1+k2 = 2, w2 engaged k4 = 1 -> median 1.5, n = 2
    assert o1["amount_band"] == "10,000-50,000"
    assert (o1["multithreading_baseline"], o1["multithreading_baseline_n"]) == (1.5, 2)
    assert abs(o1["multithreading_ratio"] - 2 / 1.5) < 1e-12
    o2 = deals["o2"]  # x3 names w2, so only x7 (k5, a user) counts
    assert (o2["contacts_engaged"], o2["buyer_roles_engaged"], o2["has_decision_maker"]) == (
        1, 1, False)
    assert abs(o2["multithreading_ratio"] - 1 / 1.5) < 1e-12
    o3 = deals["o3"]  # no amount, and x13 carries no contact
    assert o3["contacts_engaged"] == 0 and not o3["has_decision_maker"]
    assert o3["multithreading_ratio"] is None or o3["multithreading_ratio"] != o3[
        "multithreading_ratio"]
    assert o3["multithreading_note"].startswith("no amount")


def test_small_baseline_gives_null_ratio_with_reason() -> None:
    con = ibis.duckdb.connect()
    t = load(con, tables())
    deals = con.execute(eff.deal_engagement(t["opportunities"], t["activities"],
                                            t["contact_roles"], as_of=AS_OF))
    o1 = by(deals, "opportunity_id")["o1"]
    assert o1["multithreading_note"] == "fewer than 5 won deals in band 10,000-50,000 (n=2)"


def test_seller_effectiveness_shares() -> None:
    sellers = by(run()[1], "owner_id")
    s1 = sellers["s1"]  # x4 x5 x6 (A1) + x13 (A2): all A/B; contact-linked x4 x5 x6
    assert (s1["activities_n"], s1["high_fit_effort_n"], s1["high_fit_effort_share"]) == (
        4, 4, 1.0)
    assert s1["contact_activities_n"] == 3
    assert abs(s1["decision_maker_reach"] - 2 / 3) < 1e-12
    assert abs(s1["senior_contact_share"] - 2 / 3) < 1e-12
    assert abs(s1["multithreading"] - 2 / 1.5) < 1e-12
    s2 = sellers["s2"]  # x3 (k4 owner) + x7 (A3, C) + x8..x12 (A4, D)
    assert (s2["activities_n"], s2["high_fit_effort_share"]) == (7, 0.0)
    assert abs(s2["decision_maker_reach"] - 1 / 7) < 1e-12
    assert abs(s2["senior_contact_share"] - 1 / 7) < 1e-12
    assert s2["effectiveness_note"] != s2["effectiveness_note"] or s2["effectiveness_note"] is None


def test_effort_gaps_find_starved_high_fit_and_soaking_low_fit() -> None:
    gaps = by(run()[2], "account_id")
    assert set(gaps) == {"A2", "A5", "A4"}
    assert gaps["A2"]["gap"] == "starved" and gaps["A2"]["activities_n"] == 1
    assert gaps["A5"]["reason"] == (
        "Tier A account (fit 85) with 0 activities in 90 days (starved below 3)")
    assert gaps["A4"]["gap"] == "soaking"
    assert gaps["A4"]["reason"] == (
        "Tier D account (fit 40) took 5 activities in 90 days, top 20% of accounts by effort")
    assert gaps["A4"]["owner_id"] == "s2"


def _norm(frames, back):
    out = []
    for df in frames:
        df = df.copy()
        for col in df.columns:
            if col.endswith("_id"):
                df[col] = df[col].map(lambda v: back.get(v, v))
        df = df.astype(object).where(df.notna(), None)
        key = df.columns[0]
        out.append(df.sort_values(key).reset_index(drop=True).to_dict("records"))
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), upper=st.booleans(), pad=st.booleans())
def test_results_do_not_depend_on_row_order_or_id_format(seed: int, upper: bool,
                                                         pad: bool) -> None:
    # ids renamed consistently: upper case and/or padded to Salesforce's 18 characters
    def rename(s: str) -> str:
        s = s.upper() if upper else s
        return ("001" + s.rjust(12, "0") + "AAA") if pad else s

    ids = {c for c, _, _ in CONTACTS} | {a for a, _, _ in FIT} | {o[0] for o in OPPS} | {
        x[0] for x in ACTS} | {"s1", "s2"}
    back = {rename(i): i for i in ids}
    assert _norm(run(rename, random.Random(seed)), back) == _norm(run(), {})
