"""The figures pages and reports show beside the metrics, as result tables.

Each function takes the annotated canonical tables and returns an Ibis expression, so the
analysis computes them on every engine (DuckDB, PySpark) and the results reader only
filters and words them.  ``read_side_tables`` is what the analysis registers.

* ``account_peers``, ``account_products``: whitespace - products similar accounts (same
  industry and employee band) won that an account has not.
* ``account_timeline``: close-date pushes, stage moves, amount cuts and people leaving.
* ``pending_quotes``: deals waiting for a quote at as_of, in business days.
* ``contact_touches``: touches and last touch per contact, by activity owner and account
  (so a scope can count only the touches it may see).
* ``account_effort``: activities per (activity owner, account) in the engagement window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import ibis
import ibis.expr.types as ir

from ._time import as_of_literal, business_days_between
from .effectiveness import windowed_activities

#: Employee-count bands used to find similar accounts: (upper limit, label); above the last, ``TOP_BAND``.
SIZE_BANDS = ((50, "1-49"), (250, "50-249"), (1000, "250-999"), (5000, "1,000-4,999"))
TOP_BAND = "5,000+"


def size_band(employees: ir.NumericValue) -> ir.StringValue:
    """The employee band label; ``unknown`` when the count is not known."""
    return ibis.cases(
        (employees.isnull(), "unknown"),
        *((employees < limit, label) for limit, label in SIZE_BANDS),
        else_=TOP_BAND,
    )


def _banded(accounts: ir.Table) -> ir.Table:
    return accounts.select("account_id", "industry", size_band=size_band(accounts.employees))


def _won_products(opportunities: ir.Table, as_of: datetime) -> ir.Table:
    """Distinct (account, product) won by ``as_of`` (a won deal with no close time counts)."""
    o = opportunities
    won = o.filter(o.is_won & o.product.notnull() & (o.closed_at <= as_of_literal(as_of)).fill_null(True))
    return won.select("account_id", "product").distinct()


def account_peers(accounts: ir.Table) -> ir.Table:
    """Per account: industry, size band and ``similar_accounts_n``, the other accounts of the
    same industry and band (none when the industry is unknown)."""
    a = _banded(accounts)
    groups = a.filter(a.industry.notnull()).group_by(["industry", "size_band"]).aggregate(_n=ibis._.count())
    out = a.left_join(groups, ["industry", "size_band"])
    return out.select(
        "account_id", "industry", "size_band",
        similar_accounts_n=(out._n - 1).fill_null(0).cast("int64"),
    )


def account_products(accounts: ir.Table, opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Per account, the products it won (``bought``) and the whitespace: products similar
    accounts won by ``as_of`` that it has not, with ``similar_accounts_bought_n``, ``share``
    of the similar accounts (unrounded) and ``open_deal`` (an open deal for the product)."""
    peers = account_peers(accounts)
    won = _won_products(opportunities, as_of)
    mine = won.select("account_id", "product", bought=ibis.literal(True))
    # products per (industry, band): how many accounts of the group won each
    wb = won.inner_join(peers.select("account_id", "industry", "size_band"), "account_id")
    wb = wb.filter(wb.industry.notnull())
    by_group = wb.group_by(["industry", "size_band", "product"]).aggregate(_bought=wb.account_id.nunique())
    cand = peers.filter(peers.industry.notnull()).inner_join(by_group, ["industry", "size_band"])
    cand = cand.anti_join(won, ["account_id", "product"])  # an account's own wins are not whitespace
    o = opportunities
    open_ = o.filter(~o.is_closed & o.product.notnull() & o.account_id.notnull()).select("account_id", "product").distinct()
    open_ = open_.mutate(_open=ibis.literal(True))
    cand = cand.left_join(open_, ["account_id", "product"])
    space = cand.select(
        "account_id", "product", bought=ibis.literal(False),
        similar_accounts_bought_n=cand._bought.cast("int64"),
        similar_accounts_n=cand.similar_accounts_n,
        share=cand._bought.cast("float64") / cand.similar_accounts_n.cast("float64"),
        open_deal=cand._open.fill_null(False),
    )
    mine = mine.mutate(similar_accounts_bought_n=ibis.null("int64"), similar_accounts_n=ibis.null("int64"),
                       share=ibis.null("float64"), open_deal=ibis.null("boolean"))
    return mine.union(space)


def account_timeline(opportunities: ir.Table, history: ir.Table, contacts: ir.Table, *, as_of: datetime) -> ir.Table:
    """Change events per account by ``as_of``: a close date moved later, a stage change, an
    amount cut (each against the deal's previous history row) and a contact leaving.

    Bulk-loaded history rows are no events and no "previous row".  ``from_text``/``to_text``
    hold the before/after values (a person's name and title), ``from_amount``/``to_amount``
    an amount cut's; ``kind_rank`` orders the events of one history row."""
    asof = as_of_literal(as_of)
    o = opportunities.filter(opportunities.account_id.notnull())
    o = o.select("opportunity_id", "account_id", "owner_id", opportunity=o.name)
    h = history.filter((history.changed_at <= asof) & (history.artefact.isnull() | (history.artefact != "bulk_loaded")))
    h = h.inner_join(o, "opportunity_id")
    w = ibis.window(group_by=h.opportunity_id, order_by=[h.changed_at, h.history_id])
    h = h.mutate(_n=ibis.row_number().over(w), _close=h.close_date.lag().over(w), _stage=h.stage.lag().over(w),
                 _amount=h.amount.lag().over(w))
    later = h._n > 0
    no_text, no_amount = ibis.null("string"), ibis.null("float64")

    def events(cond: ir.BooleanValue, kind: str, rank: int, before: ir.Value, after: ir.Value,
               from_amount: ir.Value, to_amount: ir.Value) -> ir.Table:
        e = h.filter(later & cond)
        return e.select(
            "account_id", "opportunity_id", "owner_id", "opportunity", at=e.changed_at,
            kind=ibis.literal(kind), kind_rank=ibis.literal(rank).cast("int64"),
            history_id=e.history_id.cast("string"), contact_id=no_text,
            from_text=before, to_text=after, from_amount=from_amount, to_amount=to_amount,
        )

    pushed = events(h.close_date.notnull() & h._close.notnull() & (h.close_date > h._close), "close_date_pushed", 0,
                    h._close.cast("string"), h.close_date.cast("string"), no_amount, no_amount)
    moved = events(h.stage.notnull() & (h.stage != "") & (h._stage.isnull() | (h._stage != h.stage)),
                   "stage_changed", 1, h._stage, h.stage, no_amount, no_amount)
    cut = events(h.amount.notnull() & h._amount.notnull() & (h.amount < h._amount), "amount_cut", 2,
                 no_text, no_text, h._amount.cast("float64"), h.amount.cast("float64"))
    c = contacts.filter(contacts.account_id.notnull() & contacts.departed_at.notnull() & (contacts.departed_at <= asof))
    left = c.select(
        "account_id", opportunity_id=no_text, owner_id=no_text, opportunity=no_text, at=c.departed_at,
        kind=ibis.literal("person_left"), kind_rank=ibis.literal(3).cast("int64"), history_id=no_text,
        contact_id=c.contact_id, from_text=c.name, to_text=c.title, from_amount=no_amount, to_amount=no_amount,
    )
    return pushed.union(moved).union(cut).union(left)


def pending_quotes(
    opportunities: ir.Table, history: ir.Table, quotes: ir.Table, *, as_of: datetime, quote_stages: Sequence[str]
) -> ir.Table:
    """Deals open at ``as_of`` whose quote was requested (request field, else first entry into a
    quote stage) by ``as_of`` and that have no quote yet.  ``business_days_waiting``: weekdays
    from the request's day to as_of's day (the request day counts, as_of's does not)."""
    o, h, q = opportunities, history, quotes
    asof = as_of_literal(as_of)
    # a deal clicked through the quote stage (or bulk-loaded into it) asked for no quote
    hq = h.filter((h.changed_at <= asof) & h.stage.lower().isin([s.lower() for s in quote_stages]) & h.artefact.isnull())
    entry = hq.group_by("opportunity_id").aggregate(stage_entered_at=hq.changed_at.min())
    open_ = o.filter((o.created_at <= asof) & (~o.is_closed | (o.closed_at > asof).fill_null(False)))
    open_ = open_.left_join(entry, "opportunity_id").drop("opportunity_id_right")
    open_ = open_.mutate(requested_at=ibis.coalesce(open_.quote_requested_at, open_.stage_entered_at))
    open_ = open_.filter(open_.requested_at.notnull() & (open_.requested_at <= asof))
    quoted = q.filter(q.created_at <= asof).select("opportunity_id")
    p = open_.anti_join(quoted, "opportunity_id")
    return p.select(
        "opportunity_id", "account_id", "owner_id", "name", "stage", "amount", "requested_at",
        business_days_waiting=business_days_between(p.requested_at.date(), ibis.literal(as_of.date())),
    )


def contact_touches(activities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Touches (``touches_n``) and the last touch per (contact, activity owner, activity account)
    by ``as_of``; data-artefact activities are no touches."""
    a = activities
    a = a.filter((a.occurred_at <= as_of_literal(as_of)) & a.contact_id.notnull() & a.artefact.isnull())
    return a.group_by(["contact_id", "owner_id", "account_id"]).aggregate(
        touches_n=a.count(), last_touch=a.occurred_at.max()
    )


def account_effort(activities: ir.Table, contacts: ir.Table, *, as_of: datetime, window_days: int) -> ir.Table:
    """Activities per (activity owner, account) in ``(as_of - window_days, as_of]``; the account
    comes from the contact when the activity carries none."""
    a = windowed_activities(activities, as_of=as_of, window_days=window_days, contacts=contacts)
    a = a.filter(a.account_id.notnull() & a.owner_id.notnull())
    return a.group_by(["owner_id", "account_id"]).aggregate(activities_n=a.count())


def read_side_tables(
    t: dict[str, ir.Table], *, as_of: datetime, window_days: int, quote_stages: Sequence[str]
) -> dict[str, ir.Table]:
    """Every table above over the annotated canonical tables ``t``, by result-table name."""
    return {
        "account_peers": account_peers(t["accounts"]),
        "account_products": account_products(t["accounts"], t["opportunities"], as_of=as_of),
        "account_timeline": account_timeline(t["opportunities"], t["opportunity_history"], t["contacts"], as_of=as_of),
        "pending_quotes": pending_quotes(t["opportunities"], t["opportunity_history"], t["quotes"], as_of=as_of,
                                         quote_stages=quote_stages),
        "contact_touches": contact_touches(t["activities"], as_of=as_of),
        "account_effort": account_effort(t["activities"], t["contacts"], as_of=as_of, window_days=window_days),
    }
