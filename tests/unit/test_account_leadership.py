"""Leadership mode, review cadence and managed-not-led on hand-made tables (AS_OF 2024-06-30).

Five accounts, with the change index, create share, churn and senior touches given directly:
A heavy change, tended, no senior touch -> lead, 7 days, flagged; B change 45 but creating ->
lead, 14, not flagged; C change 25 with a champion gone and a senior touch -> lead (churn), 14,
not flagged; D change 25, no churn, create share 0 -> manage, 30 (steady: only tended, not this
flag); E heavy change with 3 activities -> no create share, not flagged, and the reasons say why.
"""

from __future__ import annotations

import ibis
from fixtures_small import AS_OF, canonical, load, ts

from accountleader.domain.metrics import account_leadership as al


def _rows(con, expr) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r["account_id"]: r for r in con.execute(expr).to_dict("records")}


def test_mode_cadence_and_flag_follow_the_documented_rule() -> None:
    con = ibis.duckdb.connect()
    idx = ibis.memtable({"account_id": list("ABCDE"), "change_index": [65.0, 45.0, 25.0, 25.0, 70.0]})
    shares = ibis.memtable({"account_id": list("ABCDE"), "create_share": [0.05, 0.5, 0.1, 0.0, None],
                            "activities_n": [20, 10, 10, 12, 3]})
    churn = ibis.memtable({"account_id": list("ABCDE"), "champion_departures": [0, 0, 1, 0, 2],
                           "buyer_role_churn": [1, 0, 0, 1, 2]})
    touches = ibis.memtable({"account_id": ["A", "C"], "senior_touches_n": [0, 2],
                             "last_senior_touch_days": [45.0, 3.0]})
    out = _rows(con, al.account_leadership(idx, shares, churn, touches))
    assert {k: (r["leadership_mode"], r["review_cadence_days"], r["managed_not_led"]) for k, r in out.items()} == {
        "A": ("lead", 7, True), "B": ("lead", 14, False), "C": ("lead", 14, False),
        "D": ("manage", 30, False), "E": ("lead", 7, False),
    }
    import json

    a = json.loads(out["A"]["leadership_reasons"])
    assert a == ["change index 65 (lead at 40 or more)",
                 "1 decision-side buyer role(s) with people leaving or arriving in 180 days",
                 "review every 7 days (change index 60 or more)",
                 "create share 5% over 20 activities in 90 days (at most 20%: tending, not creating)",
                 "no senior contact touched in 30 days (last 45 days ago)"]
    c = json.loads(out["C"]["leadership_reasons"])
    assert c[0].startswith("change index 25 with support churn") and "2 senior-contact touches in 30 days" in c
    assert json.loads(out["D"]["leadership_reasons"]) == [
        "change index 25 (below 40: manage)", "1 decision-side buyer role(s) with people leaving or arriving in 180 days",
        "review every 30 days (steady state)"]
    assert "create share not measured: 3 classified activities in 90 days" in json.loads(out["E"]["leadership_reasons"])
    # B (no row in the touches) never had a senior touch
    assert out["B"]["senior_touches_n"] == 0 and "no senior contact (c-level, VP, director) ever touched" in \
        json.loads(out["B"]["leadership_reasons"])


def test_thresholds_are_settings() -> None:
    con = ibis.duckdb.connect()
    idx = ibis.memtable({"account_id": ["A"], "change_index": [45.0]})
    shares = ibis.memtable({"account_id": ["A"], "create_share": [0.15], "activities_n": [20]})
    none = ibis.memtable({"account_id": ["A"], "champion_departures": [0], "buyer_role_churn": [0]})
    touches = ibis.memtable({"account_id": ["A"], "senior_touches_n": [0], "last_senior_touch_days": [40.0]})
    strict = al.LeadershipRules(lead_change_index=50, max_create_share=0.1)
    assert _rows(con, al.account_leadership(idx, shares, none, touches))["A"]["managed_not_led"]
    row = _rows(con, al.account_leadership(idx, shares, none, touches, rules=strict))["A"]
    assert (row["leadership_mode"], row["managed_not_led"]) == ("manage", False)


def test_champions_are_primary_or_most_engaged_and_roles_churn_on_the_decision_side() -> None:
    con = ibis.duckdb.connect()
    gone = ts("2024-05-01 00:00")
    contacts = [
        dict(contact_id="p", account_id="A", name="Primary", created_at=ts("2023-01-01 00:00"), departed_at=gone),
        dict(contact_id="e", account_id="A", name="Engaged", created_at=ts("2023-01-01 00:00"), departed_at=gone),
        dict(contact_id="x", account_id="A", name="Ordinary", created_at=ts("2023-01-01 00:00"), departed_at=gone),
        dict(contact_id="y", account_id="A", name="Stays", created_at=ts("2023-01-01 00:00")),
        dict(contact_id="n", account_id="A", name="New", created_at=ts("2024-06-01 00:00")),
        dict(contact_id="o", account_id="A", name="Long gone", created_at=ts("2022-01-01 00:00"),
             departed_at=ts("2023-06-01 00:00")),
    ]
    ocr = [dict(contact_role_id="r1", opportunity_id="o1", contact_id="p", role="Business User", is_primary=True)]
    acts = [dict(activity_id=f"t{i}", kind="call", occurred_at=ts("2024-03-01 09:00"), owner_id="s",
                 account_id="A", contact_id="e") for i in range(3)]
    acts += [dict(activity_id="t9", kind="call", occurred_at=ts("2024-03-02 09:00"), owner_id="s",
                  account_id="A", contact_id="x")]
    t = load(con, {"contacts": canonical("contacts", contacts),
                   "opportunity_contact_roles": canonical("opportunity_contact_roles", ocr),
                   "activities": canonical("activities", acts)})
    roles = ibis.memtable({"contact_id": ["p", "e", "x", "y", "n", "o"],
                           "buyer_role": ["user", "champion", "executive", "executive", "economic_buyer", "decision_maker"],
                           "seniority": ["manager", "director", "c_level", "vp", "vp", "vp"]})
    key = al.key_people(t["contacts"], t["opportunity_contact_roles"], t["activities"], as_of=AS_OF)
    assert dict(con.execute(key).itertuples(index=False)) == {"p": "primary", "e": "most_engaged"}
    churn = con.execute(al.support_churn(t["contacts"], roles, key, as_of=AS_OF, window_days=180)).to_dict("records")
    # p and e left (x left too but carried nothing); champion (e), executive (x) and economic buyer (n, arrived)
    # churned; o left before the window
    assert churn == [dict(account_id="A", champion_departures=2, buyer_role_churn=3)]
    senior = con.execute(al.senior_touches(t["activities"], roles, as_of=AS_OF, days=30)).to_dict("records")
    # the latest senior touch: x (c-level) on 2 March 09:00, 119 days and 15 hours before as_of
    assert senior == [dict(account_id="A", senior_touches_n=0, last_senior_touch_days=119.625)]
