"""Style flexibility on hand-made activities: a seller whose channel follows the deal's stage, a
seller who does the same everywhere, and one whose channel is independent of the situation; and
the locked flag, which needs rigidity *and* falling behind in one change level."""

from __future__ import annotations

import json
import math

import ibis
import pytest
from fixtures_small import AS_OF, canonical, load, ts

from accountleader.domain.metrics import style


def _situated(owner: str, rows: list[tuple[str, str, str]]) -> list[dict]:
    """(stage_group, kind, change_level) per activity; the other dimensions constant."""
    return [dict(activity_id=f"{owner}{i}", owner_id=owner, account_id="A", change_level=lvl, stage_group=stage,
                 role_group="unknown", kind=kind, seniority="not senior", cadence="3-7 days")
            for i, (stage, kind, lvl) in enumerate(rows)]


def _flex(con, situated, per=None, company=None, rules=style.StyleRules(min_activities=100)):  # type: ignore[no-untyped-def]
    t = ibis.memtable(situated)
    sellers = ibis.memtable({"owner_id": sorted({r["owner_id"] for r in situated})})
    empty = {"owner_id": ["-"], "change_level": ["steady"], "creating_n": [0], "classified_n": [0], "won_n": [0],
             "closed_n": [0]}
    per = ibis.memtable(per or empty)
    company = ibis.memtable(company or {k: v for k, v in empty.items() if k != "owner_id"})
    out = con.execute(style.style_flexibility(t, per, company, sellers, rules=rules))
    return {r["owner_id"]: r for r in out.to_dict("records")}


def test_a_channel_that_follows_the_stage_is_flexible_and_one_channel_everywhere_is_not() -> None:
    con = ibis.duckdb.connect()
    rows = (_situated("flex", [("late", "call", "steady")] * 100 + [("early", "email", "steady")] * 100)
            + _situated("same", [("late", "call", "steady")] * 100 + [("early", "call", "steady")] * 100)
            + _situated("mixed", [("late", "call", "steady"), ("late", "email", "steady"),
                                  ("early", "call", "steady"), ("early", "email", "steady")] * 50))
    out = _flex(con, rows)
    # flex: I(stage; kind) = ln 2 = H(kind), less the small-sample term (2-1)(2-1)/(2*200) nats: U(kind|stage)
    # = 1 - 0.0025/ln 2; seniority and cadence never vary (U = 0): the mean over the three approaches
    assert out["flex"]["style_flexibility"] == pytest.approx((1 - 0.0025 / math.log(2)) / 3)
    assert out["same"]["style_flexibility"] == 0.0  # H(kind) = 0
    assert out["mixed"]["style_flexibility"] == 0.0  # independent: I = 0
    assert out["flex"]["style_n"] == 200
    examples = json.loads(out["flex"]["style_examples"])
    same_people = ("same seniority targeted (mostly not senior, 100% and 100%) on early-stage deals and on late-stage "
                   "deals (n=100 and 100)")
    assert examples == ["channel mostly email on early-stage deals but mostly call on late-stage deals (n=100 and 100)",
                        same_people]
    assert json.loads(out["same"]["style_examples"]) == [
        "same channel (mostly call, 100% and 100%) on early-stage deals and on late-stage deals (n=100 and 100)",
        same_people]
    assert out["same"]["style_note"] == "one style everywhere, without falling behind the company in any change level"
    assert not out["same"]["style_locked"]


def test_below_the_floor_there_is_no_figure_and_the_note_says_why() -> None:
    con = ibis.duckdb.connect()
    out = _flex(con, _situated("few", [("late", "call", "steady")] * 40))
    assert out["few"]["style_flexibility"] is None or math.isnan(out["few"]["style_flexibility"])
    assert out["few"]["style_note"] == "40 activities in 180 days (flexibility needs 100)"
    assert not isinstance(out["few"]["style_examples"], str) and not out["few"]["style_locked"]  # null


def test_rigid_and_behind_in_heavy_change_only_is_locked_a_rigid_winner_is_not() -> None:
    con = ibis.duckdb.connect()
    rows = (_situated("stuck", [("early", "call", "steady")] * 150 + [("early", "call", "heavy")] * 50)
            + _situated("winner", [("early", "call", "steady")] * 150 + [("early", "call", "heavy")] * 50))
    per = {"owner_id": ["stuck", "stuck", "winner", "winner"], "change_level": ["heavy", "steady"] * 2,
           "creating_n": [1, 50, 40, 50], "classified_n": [40, 100, 40, 100], "won_n": [0, 0, 0, 0],
           "closed_n": [0, 0, 0, 0]}
    company = {"change_level": ["heavy", "steady"], "creating_n": [60, 500], "classified_n": [100, 1000],
               "won_n": [0, 0], "closed_n": [0, 0]}
    out = _flex(con, rows, per, company)
    # stuck: 3% in heavy change against the company's 60% there, 50% in steady against 50%: behind by 57
    # points more in heavy change than in steady state
    assert out["stuck"]["style_locked"]
    said = "create share 3% in heavy-change accounts (40 activities) against the company's 60% there; 50% in steady ones against 50%"
    assert out["stuck"]["style_note"] == "locked into one style and underperforming: " + said
    assert json.loads(out["stuck"]["style_examples"])[-1] == said
    # winner: as rigid, 100% in heavy change
    assert not out["winner"]["style_locked"] and out["winner"]["style_flexibility"] == out["stuck"]["style_flexibility"]


def test_the_stage_of_an_activity_is_the_deals_stage_at_the_time() -> None:
    con = ibis.duckdb.connect()
    hist = [dict(history_id="h1", opportunity_id="o1", stage="Prospecting", probability=10.0,
                 changed_at=ts("2024-04-01 00:00")),
            dict(history_id="h2", opportunity_id="o1", stage="Proposal", probability=75.0,
                 changed_at=ts("2024-05-01 00:00"))]
    opps = [dict(opportunity_id="o1", account_id="A", owner_id="s", created_at=ts("2024-04-01 00:00"),
                 stage="Proposal", is_closed=False)]
    acts = [dict(activity_id="a1", kind="call", occurred_at=ts("2024-04-15 09:00"), owner_id="s", account_id="A",
                 opportunity_id="o1", contact_id="c1"),
            dict(activity_id="a2", kind="email", occurred_at=ts("2024-05-02 09:00"), owner_id="s", account_id="A",
                 opportunity_id="o1", contact_id="c2"),
            dict(activity_id="a3", kind="email", occurred_at=ts("2024-05-20 09:00"), owner_id="s", account_id="A")]
    t = load(con, {"opportunity_history": canonical("opportunity_history", hist),
                   "opportunities": canonical("opportunities", opps), "activities": canonical("activities", acts)})
    from accountleader.domain.metrics import change

    ranks = change.stage_order(t["opportunity_history"], t["opportunities"], as_of=AS_OF)
    roles = ibis.memtable({"contact_id": ["c1", "c2"], "buyer_role": ["executive", "user"],
                           "seniority": ["c_level", "individual"]})
    idx = ibis.memtable({"account_id": ["A"], "change_index": [55.0]})
    out = con.execute(style.situated_activities(t["activities"], roles, idx, t["opportunity_history"], ranks,
                                                as_of=AS_OF)).sort_values("activity_id").to_dict("records")
    assert [(r["stage_group"], r["seniority"], r["role_group"], r["cadence"], r["change_level"]) for r in out] == [
        ("early", "senior", "decision side", "over 21 days", "heavy"),  # no earlier touch at the account
        ("late", "not senior", "other role", "8-21 days", "heavy"),  # 16 days after a1
        ("no deal", "no contact", "unknown", "8-21 days", "heavy"),  # 18 days after a2
    ]
