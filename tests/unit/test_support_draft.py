"""The support-map draft, backers and momentum (domain/metrics/support.py) on a hand-built deal:
each stance rule, the backers' commitment and a cooling deal, counted by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pytest

from accountleader.config import WorkspaceSettings
from accountleader.domain.metrics import support

AS_OF = datetime(2026, 9, 30)


def ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, dict]]:
    opps = ibis.memtable({
        "opportunity_id": ["D1", "D2", "W1"], "account_id": ["A1", "A2", "A1"],
        "created_at": [ago(200), ago(200), ago(400)], "is_closed": [False, False, True],
        "is_won": [False, False, True], "stage": ["Proposal", "Proposal", "Closed Won"],
        "close_date": [AS_OF.date(), AS_OF.date(), ago(300).date()],
    })
    hist = ibis.memtable({
        "opportunity_id": ["D1", "D2", "W1", "W1"], "stage": ["Proposal", "Proposal", "Proposal", "Closed Won"],
        "probability": [75.0, 75.0, 75.0, 100.0], "changed_at": [ago(60), ago(60), ago(320), ago(300)],
    })
    acts: dict[str, list] = {k: [] for k in ("activity_id", "kind", "direction", "owner_id", "contact_id",
                                              "opportunity_id", "account_id", "occurred_at")}

    def act(kind: str, direction: str | None, contact: str, days: float, deal: str = "D1", owner: str = "s1",
            account: str = "A1") -> None:
        for k, v in zip(acts, (f"a{len(acts['activity_id'])}", kind, direction, owner, contact, deal, account,
                               ago(days)), strict=True):
            acts[k].append(v)

    act("email", "inbound", "eng", 3), act("email", "inbound", "eng", 10), act("meeting", None, "eng", 12)
    act("email", "inbound", "sup", 5)
    for d in (2, 9, 16, 23):
        act("email", "outbound", "vp", d)
    act("call", "outbound", "quiet", 20)
    act("task", None, "champ", 40, owner="pricing"), act("task", None, "champ", 15, owner="legal")
    for d in (35, 40, 45):  # D2: busy 30-60 days ago, silent since
        act("meeting", None, "x1", d, deal="D2", account="A2")
    act("email", "inbound", "x2", 50, deal="D2", account="A2")
    act("email", "outbound", "x1", 5, deal="D2", account="A2")
    contacts = ibis.memtable({
        "contact_id": ["eng", "sup", "vp", "quiet", "champ", "gone", "x1", "x2"],
        "name": ["Eng", "Sup", "Vee", "Quiet", "Champ", "Gone", "X1", "X2"],
        "title": ["Manager", "Analyst", "VP Finance", "Engineer", "Director", "Director", "A", "B"],
        "departed_at": [None, None, None, None, None, ago(10), None, None],
    }, schema={"contact_id": "string", "name": "string", "title": "string", "departed_at": "timestamp"})
    roles = ibis.memtable({
        "contact_id": ["eng", "sup", "vp", "quiet", "champ", "gone", "x1", "x2"],
        "buyer_role": ["user", "user", "economic_buyer", "user", "decision_maker", "champion", "user", "user"],
        "seniority": ["manager", "individual", "vp", "individual", "director", "director", "individual", "individual"],
    })
    ocr = ibis.memtable({"opportunity_id": ["D1", "D1"], "contact_id": ["champ", "gone"],
                         "role": ["Champion", "Champion"], "is_primary": [True, False]})
    users = ibis.memtable({
        "user_id": ["s1", "pricing", "legal"], "name": ["Sel", "Pia", "Lex"],
        "title": ["Account Executive", "Pricing Analyst", "Contracts Counsel"],
        "department": ["Sales", "Pricing Desk", "Legal"], "function": ["seller", "support", "support"],
    })
    quotes = ibis.memtable({"quote_id": ["q1"], "opportunity_id": ["D1"], "created_at": [ago(30)]})
    t = {"opportunities": opps, "opportunity_history": hist, "contacts": contacts,
         "opportunity_contact_roles": ocr, "users": users, "quotes": quotes}
    from accountleader.domain.metrics.change import stage_order

    exprs = support.support_tables(t, activities=ibis.memtable(acts), contact_roles=roles,
                                   stage_ranks=stage_order(hist, opps, as_of=AS_OF), as_of=AS_OF,
                                   settings=WorkspaceSettings())
    return {name: {tuple(r[k] for k in ("opportunity_id", "contact_id", "user_id") if k in r): r
                   for r in e.to_pyarrow().to_pylist()} for name, e in exprs.items()}


def test_each_stance_rule_on_the_hand_built_deal(tables: dict) -> None:
    draft = {k[1]: r for k, r in tables["support_map_draft"].items() if k[0] == "D1"}
    assert {c: r["stance"] for c, r in draft.items()} == {
        "champ": "champion",  # the CRM role says so (touched 40 days ago: still on the draft by its role)
        "eng": "champion",  # the most engaged: 2 replies and a meeting in 30 days
        "sup": "supporter",  # a reply lately
        "vp": "blocker",  # decision level, 4 unanswered outbound touches
        "quiet": "neutral",  # one unanswered call: not enough to judge
        "gone": "neutral",  # left the company
    }
    assert draft["gone"]["left_company"] and draft["gone"]["access"] == "through"
    assert draft["gone"]["crm_stance"] == "champion" and draft["gone"]["evidence"].startswith("left the company")
    assert draft["eng"]["inbound_30d"] == 2 and draft["eng"]["meetings_30d"] == 1
    assert draft["vp"]["influence"] == "high" and draft["vp"]["outbound_30d"] == 4
    assert draft["champ"]["is_primary"] and draft["champ"]["crm_role"] == "Champion"


def test_backers_read_function_from_title_and_delivery_from_a_later_quote(tables: dict) -> None:
    backers = {k[1]: r for k, r in tables["support_backers_draft"].items()}
    assert {u: (r["function"], r["commitment"]) for u, r in backers.items()} == {
        "pricing": ("pricing", "delivered"),  # a quote 30 days ago, after their task 40 days ago
        "legal": ("legal", "asked"),
    }


def test_momentum_and_cooling(tables: dict) -> None:
    sig = {k[0]: r for k, r in tables["opportunity_readiness"].items()}
    d1, d2 = sig["D1"], sig["D2"]
    # D1: 3 replies + 1 meeting + new stakeholders in the last 30 days against none before
    assert d1["inbound_30d"] == 3 and d1["meetings_30d"] == 1 and d1["momentum"] > 0 and not d1["cooling"]
    # D2: 3 meetings, 1 reply and 2 new stakeholders 30-60 days ago, nothing since
    assert (d2["meetings_prev_30d"], d2["inbound_prev_30d"], d2["new_stakeholders_prev_30d"]) == (3, 1, 2)
    assert d2["momentum"] == -1.0 and d2["momentum_n"] == 6 and d2["cooling"]
    assert d1["champions_n"] == 2 and d1["blockers_n"] == 1 and d1["champions_left_n"] == 1
    assert d1["stage"] == "Proposal" and d1["stage_probability"] == 75.0
    assert d1["economic_buyer_n"] == 1 and d1["economic_buyer_days"] == pytest.approx(2.0)


def test_the_drafts_compile_for_spark() -> None:
    """Portable Ibis: the three tables (and a replay's looks) compile for PySpark; the parity suite
    runs them there."""
    pytest.importorskip("pyspark")
    _ = ibis.pyspark  # registers the PySpark options the compiler reads
    from accountleader.domain.metrics.change import stage_order

    s = {"opportunity_id": "string", "account_id": "string", "contact_id": "string", "owner_id": "string",
         "kind": "string", "direction": "string", "occurred_at": "timestamp", "role": "string", "is_primary": "boolean",
         "name": "string", "title": "string", "departed_at": "timestamp", "buyer_role": "string", "seniority": "string",
         "department": "string", "function": "string", "user_id": "string", "created_at": "timestamp",
         "is_closed": "boolean", "is_won": "boolean", "stage": "string", "close_date": "date",
         "probability": "float64", "changed_at": "timestamp"}

    def table(name: str, *cols: str) -> ibis.Table:
        return ibis.table({c: s[c] for c in cols}, name=name)

    opps = table("opportunities", "opportunity_id", "account_id", "created_at", "is_closed", "is_won", "stage", "close_date")
    hist = table("opportunity_history", "opportunity_id", "stage", "probability", "changed_at")
    t = {"opportunities": opps, "opportunity_history": hist,
         "contacts": table("contacts", "contact_id", "name", "title", "departed_at"),
         "opportunity_contact_roles": table("opportunity_contact_roles", "opportunity_id", "contact_id", "role", "is_primary"),
         "users": table("users", "user_id", "name", "title", "department", "function"),
         "quotes": table("quotes", "opportunity_id", "created_at")}
    acts = table("activities", "kind", "direction", "owner_id", "contact_id", "opportunity_id", "account_id", "occurred_at")
    roles = table("contact_roles", "contact_id", "buyer_role", "seniority")
    looks = support.proposal_looks(opps, hist, as_of=AS_OF, proposal_stages=["Proposal"], since=ago(365))
    for kw in ({}, {"looks": looks, "baseline_as_of": ago(365)}):
        exprs = support.support_tables(t, activities=acts, contact_roles=roles, stage_ranks=stage_order(hist, opps, as_of=AS_OF),
                                       as_of=AS_OF, settings=WorkspaceSettings(), **kw)
        for expr in exprs.values():
            assert "SELECT" in ibis.to_sql(expr, dialect="pyspark")
