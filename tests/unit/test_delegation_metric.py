"""Delegation signals on a small hand-built org (domain/metrics/delegation.py): what counts as an
instruction, a check-in, an override and a reassignment, what is an artefact, and the index with
its parts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import ibis

from accountleader.domain.metrics.delegation import DelegationRules, delegation, instruction_rows
from accountleader.domain.schema import TABLES

AS_OF = datetime(2026, 6, 1)
T0 = datetime(2026, 3, 1, 9)


def _table(name: str, rows: list[dict]) -> ibis.Table:
    spec = TABLES[name]
    types = {"id": "string", "string": "string", "float": "float64", "int": "int64", "bool": "boolean",
             "timestamp": "timestamp", "date": "date"}
    schema = {c.name: types[c.type] for c in spec.columns}
    return ibis.memtable({c: [r.get(c) for r in rows] for c in schema}, schema=schema)


def _org() -> dict[str, ibis.Table]:
    users = [
        {"user_id": "VP", "name": "Vera", "function": "manager"},
        {"user_id": "M1", "name": "Mia", "function": "manager", "manager_id": "VP"},
        {"user_id": "S1", "name": "Sam", "function": "seller", "manager_id": "M1"},
        {"user_id": "S2", "name": "Sol", "function": "seller", "manager_id": "M1"},
        {"user_id": "P1", "name": "Pat", "function": "support"},
        {"user_id": "BOT", "name": "Integration User", "function": "system"},
    ] + [{"user_id": f"X{i}", "name": f"x{i}", "function": "seller", "manager_id": "P1"} for i in range(5)]
    deals = [{"opportunity_id": f"D{i}", "owner_id": "S1", "stage": "Won" if i < 3 else "Lost", "is_closed": True,
              "is_won": i < 3, "created_at": T0 - timedelta(days=10), "close_date": (T0 + timedelta(days=20)).date()}
             for i in range(6)]
    acts: list[dict] = []

    def task(i: int, creator: str, owner: str, subject: str, at: datetime, deal: str | None = "D0", body: str | None = None) -> None:
        acts.append({"activity_id": f"T{i}", "kind": "task", "source_object": "Task", "subject": subject, "description": body,
                     "owner_id": owner, "created_by_id": creator, "opportunity_id": deal, "occurred_at": at, "created_at": at})

    task(1, "M1", "S1", "Next steps", T0, "D0", "1. Call procurement 2. Send the deck")
    task(2, "M1", "S1", "status?", T0 + timedelta(days=2), "D0")       # a check-in 2 days after: matched
    task(3, "M1", "S1", "¿novedades?", T0 + timedelta(days=30), "D0")  # a month later: not matched
    task(4, "M1", "S1", "Get the pricing approved by Friday", T0, "D1")
    task(5, "P1", "S1", "Paso 1: llamar. Paso 2: enviar", T0, "D2")  # not in the chain: counted, from_chain false
    task(6, "BOT", "S1", "1. Update 2. Log", T0, "D3")                # system creator: not an instruction
    task(7, "S1", "S1", "1. Call 2. Send", T0, "D3")                  # own task: not for others
    for k in range(5):                                                 # one subject to five owners at once: mass-created
        task(10 + k, "P1", f"X{k}", "1. Update close dates 2. Log calls", T0 + timedelta(minutes=k), None)
    hist = [
        {"history_id": "H1", "opportunity_id": "D0", "stage": "Negotiation", "changed_at": T0, "changed_by_id": "M1"},
        {"history_id": "H2", "opportunity_id": "D1", "stage": "Proposal", "changed_at": T0, "changed_by_id": "VP",
         "artefact": "click_through"},
        {"history_id": "H3", "opportunity_id": "D1", "stage": "Proposal", "changed_at": T0, "changed_by_id": "S1"},
    ]
    fh = [
        {"history_id": "F1", "opportunity_id": "D0", "field": "StageName", "old_value": "Proposal", "new_value": "Negotiation",
         "changed_at": T0 + timedelta(seconds=20), "changed_by_id": "M1"},  # the same edit as H1 (same minute): once
        {"history_id": "F2", "opportunity_id": "D2", "field": "Amount", "old_value": "100", "new_value": "90",
         "changed_at": T0, "changed_by_id": "VP"},  # the manager's manager: an override
        {"history_id": "F3", "opportunity_id": "D3", "field": "Amount", "old_value": "100", "new_value": "90",
         "changed_at": T0, "changed_by_id": "P1"},  # not in the chain: not an override
        {"history_id": "F4", "opportunity_id": "D4", "field": "Owner", "old_value": "S2", "new_value": "S1",
         "changed_at": T0, "changed_by_id": "M1"},
        {"history_id": "F5", "opportunity_id": "D4", "field": "Owner", "old_value": "Sol", "new_value": "Sam",
         "changed_at": T0, "changed_by_id": "M1"},  # Salesforce's name row: not a second move
        {"history_id": "F6", "opportunity_id": "D5", "field": "Owner", "old_value": "S2", "new_value": "S1",
         "changed_at": T0, "changed_by_id": "BOT"},  # an assignment rule
    ]
    h = _table("opportunity_history", hist).mutate(artefact=ibis.literal(None, "string"))
    h = h.mutate(artefact=ibis.ifelse(h.history_id == "H2", "click_through", h.artefact))
    return {"users": _table("users", users), "opportunities": _table("opportunities", deals),
            "activities": instruction_rows(_table("activities", acts)), "opportunity_history": h,
            "opportunity_field_history": _table("opportunity_field_history", fh)}


def test_signals_artefacts_and_the_index_with_its_parts() -> None:
    con = ibis.duckdb.connect()
    style, received = delegation(_org(), as_of=AS_OF, rules=DelegationRules(min_signals=3, min_outcome_n=2))
    rows = {r["user_id"]: r for r in con.to_pyarrow(style).to_pylist()}
    m1 = rows["M1"]
    assert (m1["tasks_n"], m1["steps_n"], m1["outcome_n"], m1["checkins_n"], m1["checkins_matched_n"]) == (4, 1, 1, 2, 1)
    assert (m1["overrides_n"], m1["reassignments_n"], m1["from_chain_share"]) == (1, 1, 1.0)
    assert m1["deals_n"] == 3  # D0, D1 by tasks; D4 by the move
    parts = json.loads(m1["micromanagement_parts"])
    assert parts["steps"] == {"rate": 0.5, "n": 2, "contribution": 15.0}
    assert parts["check_ins"] == {"rate": 0.5, "n": 2, "contribution": 12.5}
    assert parts["overrides"]["rate"] == round(1 / 3, 3) and parts["reassignments"]["n"] == 3
    assert m1["micromanagement_index"] == round(sum(p["contribution"] for p in parts.values()), 1)
    assert rows["VP"]["overrides_n"] == 1 and rows["VP"]["tasks_n"] == 0  # the click-through row is not an override
    assert rows["VP"]["micromanagement_index"] is None and "too few signals: 1" in rows["VP"]["micromanagement_reason"]
    p1 = rows["P1"]
    assert (p1["tasks_n"], p1["steps_n"], p1["from_chain_share"], p1["overrides_n"]) == (1, 1, 0.0, 0)  # mass-created left out
    assert "BOT" not in rows and "S1" not in rows
    s1 = {r["user_id"]: r for r in con.to_pyarrow(received).to_pylist()}["S1"]
    assert (s1["tasks_n"], s1["overrides_n"], s1["reassignments_n"]) == (5, 2, 1)
    # the deals the style touched (D0-D2, D4) against S1's others (D3, D5): 3 of 4 won against 0 of 2
    assert (s1["touched_closed_n"], s1["other_closed_n"]) == (4, 2)
    assert s1["touched_win_rate"] == 0.75 and s1["other_win_rate"] == 0.0
    assert s1["touched_win_rate_low"] < 0.75 < s1["touched_win_rate_high"] and s1["outcome_reason"] is None
