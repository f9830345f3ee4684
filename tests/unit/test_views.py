"""The read side's figures as analysis expressions (domain/metrics/views.py), on tiny hand-computed tables."""

from __future__ import annotations

from datetime import datetime

import ibis
import pandas as pd

from accountleader.domain.metrics import views

AS_OF = datetime(2026, 9, 30, 23, 59, 59)
T = datetime.fromisoformat


def _rows(expr: ibis.Table, *keys: str) -> list[dict[str, object]]:
    return sorted(expr.to_pyarrow().to_pylist(), key=lambda r: tuple(str(r[k]) for k in keys))


def _accounts() -> ibis.Table:
    return ibis.memtable(pd.DataFrame([
        {"account_id": "me", "industry": "Retail", "employees": 120},
        {"account_id": "p1", "industry": "Retail", "employees": 60},
        {"account_id": "p2", "industry": "Retail", "employees": 249},
        {"account_id": "big", "industry": "Retail", "employees": 9000},  # another band: no peer
        {"account_id": "nameless", "industry": None, "employees": 100},  # no industry: no peers
    ]), schema={"account_id": "string", "industry": "string", "employees": "int64"})


def _opps() -> ibis.Table:
    return ibis.memtable(pd.DataFrame([
        {"opportunity_id": "o1", "account_id": "me", "product": "Core", "is_won": True, "is_closed": True, "closed_at": T("2026-01-01")},
        {"opportunity_id": "o2", "account_id": "p1", "product": "Core", "is_won": True, "is_closed": True, "closed_at": T("2026-01-01")},
        {"opportunity_id": "o3", "account_id": "p1", "product": "Cloud", "is_won": True, "is_closed": True, "closed_at": T("2026-02-01")},
        {"opportunity_id": "o4", "account_id": "p2", "product": "Cloud", "is_won": True, "is_closed": True, "closed_at": T("2026-03-01")},
        # won after as_of: not bought yet
        {"opportunity_id": "o5", "account_id": "p2", "product": "Addon", "is_won": True, "is_closed": True, "closed_at": T("2026-12-01")},
        {"opportunity_id": "o6", "account_id": "big", "product": "Addon", "is_won": True, "is_closed": True, "closed_at": T("2026-01-01")},
        {"opportunity_id": "o7", "account_id": "me", "product": "Cloud", "is_won": False, "is_closed": False, "closed_at": None},
    ]), schema={"opportunity_id": "string", "account_id": "string", "product": "string", "is_won": "boolean",
                "is_closed": "boolean", "closed_at": "timestamp"})


def test_size_bands_match_the_documented_limits() -> None:
    t = ibis.memtable(pd.DataFrame({"e": [None, 49, 50, 249, 250, 999, 1000, 4999, 5000]}), schema={"e": "int64"})
    assert t.select(b=views.size_band(t.e)).to_pyarrow().column("b").to_pylist() == [
        "unknown", "1-49", "50-249", "50-249", "250-999", "250-999", "1,000-4,999", "1,000-4,999", "5,000+"]


def test_whitespace_is_what_similar_accounts_won_and_this_one_did_not() -> None:
    peers = {r["account_id"]: r for r in views.account_peers(_accounts()).to_pyarrow().to_pylist()}
    assert peers["me"]["similar_accounts_n"] == 2 and peers["me"]["size_band"] == "50-249"
    assert peers["nameless"]["similar_accounts_n"] == 0
    rows = [r for r in _rows(views.account_products(_accounts(), _opps(), as_of=AS_OF), "product") if r["account_id"] == "me"]
    # Core is bought (by me and p1, so no whitespace); Cloud: both peers won it, and I have an open deal
    assert [(r["product"], r["bought"]) for r in rows] == [("Cloud", False), ("Core", True)]
    cloud = rows[0]
    assert cloud["similar_accounts_bought_n"] == 2 and cloud["share"] == 1.0 and cloud["open_deal"] is True


def test_pending_quote_waits_in_business_days() -> None:
    opps = ibis.memtable(pd.DataFrame([
        # requested Friday 2026-09-25: Fri, Mon, Tue = 3 business days by Wednesday 30th (as numpy's busday_count)
        {"opportunity_id": "o1", "account_id": "a", "owner_id": "u", "name": "n", "stage": "Quote", "amount": 1.0,
         "created_at": T("2026-09-01"), "is_closed": False, "closed_at": None, "quote_requested_at": T("2026-09-25T16:00:00")},
        # quoted already: not pending
        {"opportunity_id": "o2", "account_id": "a", "owner_id": "u", "name": "n", "stage": "Quote", "amount": 1.0,
         "created_at": T("2026-09-01"), "is_closed": False, "closed_at": None, "quote_requested_at": T("2026-09-25T16:00:00")},
        # no request field: the first entry into a quote stage counts (Monday 28th: 2 days)
        {"opportunity_id": "o3", "account_id": "a", "owner_id": "u", "name": "n", "stage": "Quote", "amount": 1.0,
         "created_at": T("2026-09-01"), "is_closed": False, "closed_at": None, "quote_requested_at": None},
    ]), schema={"opportunity_id": "string", "account_id": "string", "owner_id": "string", "name": "string",
                "stage": "string", "amount": "float64", "created_at": "timestamp", "is_closed": "boolean",
                "closed_at": "timestamp", "quote_requested_at": "timestamp"})
    hist = ibis.memtable(pd.DataFrame([
        {"opportunity_id": "o3", "changed_at": T("2026-09-28T09:00:00"), "stage": "quote", "artefact": None},
    ]), schema={"opportunity_id": "string", "changed_at": "timestamp", "stage": "string", "artefact": "string"})
    quotes = ibis.memtable(pd.DataFrame([{"opportunity_id": "o2", "created_at": T("2026-09-26")}]))
    rows = _rows(views.pending_quotes(opps, hist, quotes, as_of=AS_OF, quote_stages=["Quote"]), "opportunity_id")
    assert [(r["opportunity_id"], r["business_days_waiting"]) for r in rows] == [("o1", 3.0), ("o3", 2.0)]


def test_timeline_compares_each_history_row_with_the_one_before() -> None:
    opps = ibis.memtable(pd.DataFrame([{"opportunity_id": "o1", "account_id": "a", "owner_id": "u", "name": "Deal"}]))
    hist = ibis.memtable(pd.DataFrame([
        {"history_id": "h1", "opportunity_id": "o1", "changed_at": T("2026-09-01"), "stage": "Qualify", "amount": 100.0,
         "close_date": pd.Timestamp("2026-10-01").date(), "artefact": None},
        # bulk-loaded: neither an event nor the row the next one is compared with
        {"history_id": "h2", "opportunity_id": "o1", "changed_at": T("2026-09-02"), "stage": "Won", "amount": 1.0,
         "close_date": pd.Timestamp("2026-01-01").date(), "artefact": "bulk_loaded"},
        {"history_id": "h3", "opportunity_id": "o1", "changed_at": T("2026-09-03"), "stage": "Proposal", "amount": 80.0,
         "close_date": pd.Timestamp("2026-11-01").date(), "artefact": None},
    ]), schema={"history_id": "string", "opportunity_id": "string", "changed_at": "timestamp", "stage": "string",
                "amount": "float64", "close_date": "date", "artefact": "string"})
    contacts = ibis.memtable(pd.DataFrame([
        {"contact_id": "c1", "account_id": "a", "name": "Pat", "title": "CFO", "departed_at": T("2026-09-04")},
        {"contact_id": "c2", "account_id": "a", "name": "Lee", "title": None, "departed_at": T("2026-12-01")},  # after as_of
    ]), schema={"contact_id": "string", "account_id": "string", "name": "string", "title": "string", "departed_at": "timestamp"})
    rows = _rows(views.account_timeline(opps, hist, contacts, as_of=AS_OF), "kind_rank")
    assert [(r["kind"], r["from_text"], r["to_text"], r["from_amount"], r["to_amount"]) for r in rows] == [
        ("close_date_pushed", "2026-10-01", "2026-11-01", None, None),
        ("stage_changed", "Qualify", "Proposal", None, None),
        ("amount_cut", None, None, 100.0, 80.0),
        ("person_left", "Pat", "CFO", None, None),
    ]
