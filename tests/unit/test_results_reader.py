"""The results reader on hand-made result tables: what each read returns, and what a scope hides.

The company: two teams. East has manager m1 and seller u1; West has manager m2 and seller u2;
s1 is support, with a case at West's account a2.  Account a3 is u1's, but u2 works a deal
there (o3): the shared account, where u1 must not see u2's deal, its events or its touches.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import ibis
import pandas as pd
import pytest

from accountleader.domain.access import EVERYONE
from accountleader.domain.account_plan import DEAL_DRIVER_LABELS, HIDDEN_DEALS_NOTE
from accountleader.errors import NotFoundError
from accountleader.results_reader import ResultsReader

AS_OF = "2026-09-30T23:59:59"
T = datetime.fromisoformat


def _t(rows: list[dict[str, Any]], **types: str) -> ibis.Table:
    return ibis.memtable(pd.DataFrame(rows), schema=types or None) if types else ibis.memtable(pd.DataFrame(rows))


USERS = [
    {"user_id": "m1", "name": "Mia East", "manager_id": None, "team": "East", "function": "manager"},
    {"user_id": "u1", "name": "Ann One", "manager_id": "m1", "team": "East", "function": "seller"},
    {"user_id": "m2", "name": "Max West", "manager_id": None, "team": "West", "function": "manager"},
    {"user_id": "u2", "name": "Bob Two", "manager_id": "m2", "team": "West", "function": "seller"},
    {"user_id": "s1", "name": "Sue Help", "manager_id": None, "team": None, "function": "support"},
]
DEAL_DRIVER = f"{DEAL_DRIVER_LABELS[0]} 2 pushes"


def _results() -> dict[str, ibis.Table]:
    return {
        "reps": _t([
            {"user_id": "u1", "name": "Ann One", "team": "East", "quadrant": "leading", "efficiency_index": 80.0, "effectiveness_index": 70.0},
            {"user_id": "u2", "name": "Bob Two", "team": "West", "quadrant": "slow", "efficiency_index": 20.0, "effectiveness_index": 60.0},
        ]),
        "teams": _t([{"team": "East", "sellers_n": 1}, {"team": "West", "sellers_n": 1}]),
        "account_results": _t([
            {"account_id": "a1", "name": "Acme", "owner_id": "u1", "change_index": 10.0, "fit_reasons": '["big"]', "change_drivers": None},
            {"account_id": "a2", "name": "Beta", "owner_id": "u2", "change_index": 50.0, "fit_reasons": None, "change_drivers": None},
            {"account_id": "a3", "name": "Gamma", "owner_id": "u1", "change_index": 90.0, "fit_reasons": None,
             "change_drivers": json.dumps([DEAL_DRIVER, "champion left"])},
        ]),
        "opportunity_results": _t([
            {"opportunity_id": "o1", "account_id": "a1", "owner_id": "u1", "name": "Acme new", "amount": 100.0, "is_closed": False, "roles_engaged": '["champion"]'},
            {"opportunity_id": "o2", "account_id": "a2", "owner_id": "u2", "name": "Beta renewal", "amount": 200.0, "is_closed": True, "roles_engaged": None},
            {"opportunity_id": "o3", "account_id": "a3", "owner_id": "u2", "name": "Gamma upsell", "amount": 300.0, "is_closed": False, "roles_engaged": "[]"},
        ]),
        "contact_roles": _t([
            {"contact_id": "c1", "buyer_role": "champion", "seniority": "manager"},
            {"contact_id": "c3", "buyer_role": "executive", "seniority": "c_level"},
        ]),
        "contact_touches": _t([
            {"contact_id": "c1", "owner_id": "u1", "account_id": "a1", "touches_n": 3, "last_touch": T("2026-09-01T10:00:00")},
            {"contact_id": "c3", "owner_id": "u1", "account_id": "a3", "touches_n": 2, "last_touch": T("2026-08-01T10:00:00")},
            {"contact_id": "c3", "owner_id": "u2", "account_id": "a3", "touches_n": 5, "last_touch": T("2026-09-20T10:00:00")},
        ]),
        "account_timeline": _t([
            {"account_id": "a3", "opportunity_id": "o3", "owner_id": "u2", "opportunity": "Gamma upsell",
             "at": T("2026-09-10T09:00:00"), "kind": "amount_cut", "kind_rank": 2, "history_id": "h2", "contact_id": None,
             "from_text": None, "to_text": None, "from_amount": 5000.0, "to_amount": 4000.0},
            {"account_id": "a3", "opportunity_id": None, "owner_id": None, "opportunity": None,
             "at": T("2026-09-05T00:00:00"), "kind": "person_left", "kind_rank": 3, "history_id": None, "contact_id": "c4",
             "from_text": "Dee Gone", "to_text": None, "from_amount": None, "to_amount": None},
            {"account_id": "a1", "opportunity_id": "o1", "owner_id": "u1", "opportunity": "Acme new",
             "at": T("2026-09-10T09:00:00"), "kind": "close_date_pushed", "kind_rank": 0, "history_id": "h1", "contact_id": None,
             "from_text": "2026-09-30", "to_text": "2026-10-31", "from_amount": None, "to_amount": None},
            {"account_id": "a1", "opportunity_id": "o1", "owner_id": "u1", "opportunity": "Acme new",
             "at": T("2026-09-10T09:00:00"), "kind": "stage_changed", "kind_rank": 1, "history_id": "h1", "contact_id": None,
             "from_text": "Qualify", "to_text": "Proposal", "from_amount": None, "to_amount": None},
        ]),
        "account_peers": _t([
            {"account_id": "a1", "industry": "Retail", "size_band": "50-249", "similar_accounts_n": 4},
            {"account_id": "a2", "industry": None, "size_band": "unknown", "similar_accounts_n": 0},
        ]),
        "account_products": _t([
            {"account_id": "a1", "product": "Core", "bought": True, "similar_accounts_bought_n": None, "similar_accounts_n": None, "share": None, "open_deal": None},
            {"account_id": "a1", "product": "Addon", "bought": False, "similar_accounts_bought_n": 1, "similar_accounts_n": 4, "share": 0.25, "open_deal": True},
            {"account_id": "a1", "product": "Cloud", "bought": False, "similar_accounts_bought_n": 3, "similar_accounts_n": 4, "share": 0.75, "open_deal": False},
        ]),
        "pending_quotes": _t([
            {"opportunity_id": "o3", "account_id": "a3", "owner_id": "u2", "name": "Gamma upsell", "stage": "Quote", "amount": 300.0,
             "requested_at": T("2026-09-20T10:00:00"), "business_days_waiting": 8.0},
            {"opportunity_id": "o1", "account_id": "a1", "owner_id": "u1", "name": "Acme new", "stage": "Quote", "amount": 100.0,
             "requested_at": T("2026-09-28T10:00:00"), "business_days_waiting": 2.0},
        ]),
        "quote_events": _t([
            {"quote_id": "q1", "opportunity_id": "o1", "owner_id": "u1", "account_id": "a1", "quoted_at": T("2026-09-02T00:00:00"),
             "business_days": 1.5, "over_sla": False, "status": "measured"},
            {"quote_id": "q2", "opportunity_id": "o3", "owner_id": "u2", "account_id": "a3", "quoted_at": None,
             "business_days": None, "over_sla": None, "status": "closing_document"},
        ]),
        "effort_gaps": _t([{"gap": "starved", "account_id": "a1", "owner_id": "u1", "activities_n": 0}]),
        "account_effort": _t([
            {"owner_id": "u2", "account_id": "a3", "activities_n": 7},
            {"owner_id": "u1", "account_id": "a1", "activities_n": 4},
        ]),
        "process_problems": _t([
            {"scope": "company", "team": None, "component": "quote_turnaround_median_hours", "share": 0.8},
            {"scope": "team", "team": "West", "component": "response_latency_median_hours", "share": 1.0},
        ]),
    }


def _canonical() -> dict[str, ibis.Table]:
    return {
        "users": _t(USERS),
        "cases": _t([{"case_id": "k1", "owner_id": "s1", "account_id": "a2"}]),
        "opportunities": _t([
            {"opportunity_id": "o1", "account_id": "a1", "owner_id": "u1"},
            {"opportunity_id": "o2", "account_id": "a2", "owner_id": "u2"},
            {"opportunity_id": "o3", "account_id": "a3", "owner_id": "u2"},
        ]),
        "contacts": _t([
            {"contact_id": "c1", "account_id": "a1", "name": "Cat", "title": "Buyer", "departed_at": None},
            {"contact_id": "c3", "account_id": "a3", "name": "Cy", "title": "CEO", "departed_at": None},
            {"contact_id": "c4", "account_id": "a3", "name": "Dee Gone", "title": None, "departed_at": T("2026-09-05T00:00:00")},
        ], contact_id="string", account_id="string", name="string", title="string", departed_at="timestamp"),
        "opportunity_history": _t([
            {"history_id": "h1", "opportunity_id": "o1", "changed_at": T("2026-09-10T09:00:00"), "stage": "Proposal", "artefact": None},
        ], history_id="string", opportunity_id="string", changed_at="timestamp", stage="string", artefact="string"),
        "opportunity_contact_roles": _t([{"opportunity_id": "o1", "contact_id": "c1", "role": "Champion", "is_primary": True}]),
    }


@pytest.fixture(scope="module")
def reader() -> ResultsReader:
    results, canonical = _results(), _canonical()

    def result(name: str) -> ibis.Table:
        return results[name]

    def table(name: str) -> ibis.Table:
        return canonical[name]

    return ResultsReader(results=result, tables=table, analysis_tables=lambda: canonical,
                         summary=lambda: SimpleNamespace(as_of=AS_OF, fit={"signal": True}))


# -- scopes ---------------------------------------------------------------------------------------


def test_scopes_follow_the_manager_tree_and_case_assignments(reader: ResultsReader) -> None:
    assert reader.scope_for("admin", None) is EVERYONE
    rep = reader.scope_for("rep", "u1")
    assert rep.user_ids == {"u1"} and rep.teams == {"East"}
    manager = reader.scope_for("manager", "m1")
    assert manager.user_ids == {"m1", "u1"} and manager.teams == {"East"}
    support = reader.scope_for("support", "s1")
    assert support.user_ids == frozenset() and support.account_ids == {"a2"}
    with pytest.raises(NotFoundError):
        reader.scope_for("owner", "u1")


def test_a_seller_cannot_read_another_teams_rows(reader: ResultsReader) -> None:
    me = reader.scope_for("rep", "u1")
    assert [r["user_id"] for r in reader.reps(me)] == ["u1"]
    assert [t["team"] for t in reader.teams(me)] == ["East"]
    assert {a["account_id"] for a in reader.accounts(me)} == {"a1", "a3"}
    assert [o["opportunity_id"] for o in reader.opportunities(me)] == ["o1"]
    view = reader.team_view(me)
    assert [t["team"] for t in view["teams"]] == ["East"] and [r["user_id"] for r in view["reps"]] == ["u1"]
    for read in (lambda: reader.seller_view("u2", me), lambda: reader.account_view("a2", me),
                 lambda: reader.opportunity_view("o2", me), lambda: reader.team_view(me, team="West")):
        with pytest.raises(NotFoundError):
            read()


def test_on_a_shared_account_the_other_sellers_deal_leaves_no_trace(reader: ResultsReader) -> None:
    view = reader.account_view("a3", reader.scope_for("rep", "u1"))
    assert view["opportunities"] == []
    # u2's amount cut is not on the timeline; the person leaving is
    assert [e["kind"] for e in view["timeline"]] == ["person_left"]
    # only u1's own touches of the CEO count
    ceo = next(p for p in view["stakeholders"] if p["contact_id"] == "c3")
    assert ceo["touches_n"] == 2 and ceo["last_touch"] == "2026-08-01T10:00:00"
    # the deal-based change driver describes u2's deal: left out, and said so
    assert view["account"]["change_drivers"] == ["champion left"]
    assert view["account"]["change_note"] == HIDDEN_DEALS_NOTE


def test_support_sees_the_accounts_of_their_cases(reader: ResultsReader) -> None:
    support = reader.scope_for("support", "s1")
    assert [a["account_id"] for a in reader.accounts(support)] == ["a2"]
    assert reader.account_view("a2", support)["account"]["name"] == "Beta"


# -- each read returns what the result tables hold --------------------------------------------------


def test_lists_are_the_result_rows_in_page_order(reader: ResultsReader) -> None:
    assert [r["user_id"] for r in reader.reps()] == ["u1", "u2"]  # efficiency + effectiveness, highest first
    assert [a["account_id"] for a in reader.accounts()] == ["a3", "a2", "a1"]  # change index, highest first
    assert reader.accounts()[2]["fit_reasons"] == ["big"]  # JSON lists decoded
    assert [o["opportunity_id"] for o in reader.opportunities()] == ["o3", "o1", "o2"]  # open first, by amount
    assert [o["opportunity_id"] for o in reader.opportunities(open_only=True, team="East")] == ["o1"]
    assert [r["user_id"] for r in reader.reps(rep="bob two")] == ["u2"]
    assert reader.teams(rep="u2") == [{"team": "West", "sellers_n": 1}]
    with pytest.raises(NotFoundError, match="no team named 'North'"):
        reader.reps(team="North")


def test_team_view_counts_quadrants(reader: ResultsReader) -> None:
    view = reader.team_view()
    east = next(t for t in view["teams"] if t["team"] == "East")
    assert east["leading_n"] == 1 and east["slow_n"] == 0
    assert view["as_of"] == AS_OF and view["fit_model"] == {"signal": True}
    assert [a["account_id"] for a in view["top_change_accounts"]] == ["a3", "a2", "a1"]


def test_account_view_words_the_stored_timeline(reader: ResultsReader) -> None:
    view = reader.account_view("a1")
    assert view["timeline"] == [
        {"at": "2026-09-10T09:00:00", "kind": "close_date_pushed", "opportunity": "Acme new",
         "detail": "close date 2026-09-30 → 2026-10-31"},
        {"at": "2026-09-10T09:00:00", "kind": "stage_changed", "opportunity": "Acme new", "detail": "Qualify → Proposal"},
    ]
    assert view["stakeholders"] == [{"contact_id": "c1", "name": "Cat", "title": "Buyer", "departed_at": None,
                                     "last_touch": "2026-09-01T10:00:00", "touches_n": 3, "buyer_role": "champion",
                                     "seniority": "manager"}]
    assert "champion" not in view["role_gaps"] and "executive" in view["role_gaps"]
    everyone = reader.account_view("a3")
    assert [e["detail"] for e in everyone["timeline"]] == ["5,000 → 4,000", "Dee Gone (no title) left"]
    assert next(p for p in everyone["stakeholders"] if p["contact_id"] == "c3")["touches_n"] == 7


def test_opportunity_view_has_history_and_contact_roles(reader: ResultsReader) -> None:
    view = reader.opportunity_view("o1")
    assert view["history"] == [{"history_id": "h1", "changed_at": "2026-09-10T09:00:00", "stage": "Proposal", "artefact": None}]
    assert view["contact_roles"] == [{"contact_id": "c1", "name": "Cat", "title": "Buyer", "role": "Champion", "is_primary": True}]


def test_report_rows_are_the_stored_figures(reader: ResultsReader) -> None:
    assert [p["opportunity_id"] for p in reader.pending_quotes()] == ["o1", "o3"]
    assert reader.pending_quotes(owner_ids=["u2"])[0]["business_days_waiting"] == 8.0
    assert [p["opportunity_id"] for p in reader.pending_quotes(account_id="a1")] == ["o1"]
    assert [q["quote_id"] for q in reader.quote_events()] == ["q1"]  # measured only
    assert reader.quote_events(owner_ids=["u2"]) == []
    assert reader.effort_gaps(account_id="a1")[0]["gap"] == "starved"
    assert reader.account_effort(owner_ids=["u1"]) == [{"owner_id": "u1", "account_id": "a1", "activities_n": 4}]
    assert [p["component"] for p in reader.process_problems()] == ["quote_turnaround_median_hours", "response_latency_median_hours"]
    assert [p["scope"] for p in reader.process_problems(team="East")] == ["company"]
    assert [c["contact_id"] for c in reader.account_contacts(["a3", "a1"])] == ["c1", "c3", "c4"]


def test_whitespace_is_the_stored_products(reader: ResultsReader) -> None:
    assert reader.whitespace("a1") == {
        "industry": "Retail", "size_band": "50-249", "similar_accounts_n": 4, "bought": ["Core"],
        "products": [
            {"product": "Cloud", "similar_accounts_bought_n": 3, "similar_accounts_n": 4, "share": 0.75, "open_deal": False},
            {"product": "Addon", "similar_accounts_bought_n": 1, "similar_accounts_n": 4, "share": 0.25, "open_deal": True},
        ],
    }
    assert reader.whitespace("a2")["products"] == []
    with pytest.raises(NotFoundError):
        reader.whitespace("nope")


def test_resolve_by_id_or_name(reader: ResultsReader) -> None:
    assert reader.resolve_rep("ann one") == "u1"
    assert reader.resolve_account("GAMMA") == "a3"
    with pytest.raises(NotFoundError):
        reader.resolve_rep("nobody")
