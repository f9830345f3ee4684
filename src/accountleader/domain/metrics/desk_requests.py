"""Quote requests made through the support desk (issue 15) as request times for quote turnaround.

A quote asked for on the request board (``store/requests.py: quote_requests``: kind ``quote``,
linked to a deal, not cancelled) records when it was asked: that is the request time the CRM
so often lacks. Precedence for a quote's request time (docs/metrics.md, "Quote turnaround"):

1. the CRM's own: ``quotes.requested_at``, else the deal's ``opportunities.quote_requested_at``;
2. else the desk: the earliest desk request naming the quote (``quote_id``), else the latest
   desk request on the quote's deal made at or before the quote was created;
3. else the deal's first entry into a quote stage (``efficiency.quote_turnaround_events``).

:func:`with_desk_requests` fills ``quotes.requested_at`` by these rules (portable Ibis); the
events then read it as a request field (basis ``requested_field``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir

Row = tuple[str, "str | None", datetime]


def desk_table(rows: Sequence[Row]):  # type: ignore[no-untyped-def]  # -> pa.Table
    """The desk's quote requests as Arrow: ``opportunity_id``, ``quote_id``, ``requested_at``
    (naive UTC, as the analysis compares timestamps)."""
    import pyarrow as pa

    def naive(at: datetime) -> datetime:
        return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at

    return pa.table({
        "opportunity_id": pa.array([r[0] for r in rows], pa.string()),
        "quote_id": pa.array([r[1] for r in rows], pa.string()),
        "requested_at": pa.array([naive(r[2]) for r in rows], pa.timestamp("us")),
    })


def with_desk_requests(quotes: ir.Table, opportunities: ir.Table, desk: ir.Table) -> ir.Table:
    """``quotes`` with ``requested_at`` filled from the desk where the CRM has no request time."""
    by_quote = desk.filter(desk.quote_id.notnull())
    by_quote = by_quote.group_by(_dq=by_quote.quote_id).aggregate(_desk_q=by_quote.requested_at.min())
    q = quotes.left_join(by_quote, quotes.quote_id == by_quote._dq).drop("_dq")
    d = desk.select(_do=desk.opportunity_id, _dat=desk.requested_at)
    qs = q.select(_qid=q.quote_id, _qo=q.opportunity_id, _qc=q.created_at)
    before = qs.join(d, [qs._qo == d._do, d._dat <= qs._qc])
    before = before.group_by(_bq=before._qid).aggregate(_desk_d=before._dat.max())
    q = q.left_join(before, q.quote_id == before._bq).drop("_bq")
    o = opportunities.select(_oid=opportunities.opportunity_id, _crm_deal=opportunities.quote_requested_at)
    q = q.left_join(o, q.opportunity_id == o._oid).drop("_oid")
    crm = ibis.coalesce(q.requested_at, q._crm_deal)
    filled = ibis.ifelse(crm.isnull(), ibis.coalesce(q._desk_q, q._desk_d), q.requested_at)
    return q.mutate(requested_at=filled).select(*quotes.columns)
