"""Quote requests from the support desk fill a quote's request time where the CRM has none
(domain/metrics/desk_requests.py; the precedence is documented in docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import ibis

from accountleader.domain.metrics.desk_requests import desk_table, with_desk_requests


def _run(quotes: list[dict], opps: list[dict], desk: list[tuple]) -> dict[str, datetime | None]:
    q = ibis.memtable(quotes, schema={"quote_id": "string", "opportunity_id": "string", "created_at": "timestamp",
                                      "requested_at": "timestamp"})
    o = ibis.memtable(opps, schema={"opportunity_id": "string", "quote_requested_at": "timestamp"})
    d = ibis.memtable(desk_table(desk))
    out = with_desk_requests(q, o, d)
    assert out.columns == q.columns
    con = ibis.duckdb.connect()
    return {r["quote_id"]: r["requested_at"] for r in con.to_pyarrow(out).to_pylist()}


def test_the_crm_request_time_wins_then_the_desk_then_nothing() -> None:
    at = datetime
    quotes = [
        {"quote_id": "Q1", "opportunity_id": "O1", "created_at": at(2026, 3, 10), "requested_at": at(2026, 3, 2)},
        {"quote_id": "Q2", "opportunity_id": "O2", "created_at": at(2026, 3, 10), "requested_at": None},
        {"quote_id": "Q3", "opportunity_id": "O3", "created_at": at(2026, 3, 10), "requested_at": None},
        {"quote_id": "Q4", "opportunity_id": "O3", "created_at": at(2026, 4, 10), "requested_at": None},
        {"quote_id": "Q5", "opportunity_id": "O4", "created_at": at(2026, 3, 10), "requested_at": None},
        {"quote_id": "Q6", "opportunity_id": "O5", "created_at": at(2026, 3, 10), "requested_at": None},
    ]
    opps = [{"opportunity_id": "O2", "quote_requested_at": at(2026, 3, 1)}, {"opportunity_id": "O3", "quote_requested_at": None},
            {"opportunity_id": "O4", "quote_requested_at": None}, {"opportunity_id": "O5", "quote_requested_at": None}]
    desk = [
        ("O1", None, at(2026, 3, 5, tzinfo=UTC)),  # the quote's own CRM time wins
        ("O2", None, at(2026, 3, 5, tzinfo=UTC)),  # the deal's CRM field wins (the metric reads it)
        ("O3", None, at(2026, 3, 4, 9, tzinfo=UTC)),
        ("O3", None, at(2026, 3, 6, 9, tzinfo=UTC)),  # the latest at or before Q3
        ("O3", None, at(2026, 4, 1, 9, tzinfo=UTC)),  # ... and before Q4
        ("O4", "Q5", at(2026, 3, 7, 12, tzinfo=UTC)),  # a request naming the quote
        ("O5", None, at(2026, 3, 11, tzinfo=UTC)),  # after the quote: not its request
    ]
    got = _run(quotes, opps, desk)
    assert got == {"Q1": at(2026, 3, 2), "Q2": None, "Q3": at(2026, 3, 6, 9), "Q4": at(2026, 4, 1, 9),
                   "Q5": at(2026, 3, 7, 12), "Q6": None}
