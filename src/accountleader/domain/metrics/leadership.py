"""Tending versus creating: managers tend accounts, leaders create business there.

Rules (the first that applies wins), for activities in the window ending at ``as_of``:

1. about a support case (``what_id`` is a case id)                         -> tending, "service case"
2. about a renewal deal                                                    -> tending, "renewal deal"
3. about a new_business or expansion deal                                  -> creating, "new business or expansion deal"
4. about a quote (``what_id`` is a quote id)                               -> creating, "proposal"
5. a meeting that is the first activity ever with its contact              -> creating, "first meeting with a new contact"
6. on an account with a new_business/expansion deal open at the time       -> creating, "account has a creating deal open"
7. on an account with none                                                 -> tending, "routine touch on existing business"
8. anything else (no deal, case, quote or account)                         -> unclassified

Opportunities: new_business and expansion are creating, renewal tending, no type unclassified.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from ._clean import closed_at, deal_value, selling_activities
from ._time import as_of_literal, days_before

__all__ = [
    "METRICS",
    "classify_opportunities",
    "classify_activities",
    "create_share",
    "only_tended_accounts",
]

METRICS = ("create_share", "new_pipeline_per_100_activities", "only_tended")

CREATING_TYPES = ("new_business", "expansion")


def classify_opportunities(opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Opportunities created on or before ``as_of`` with ``motion`` (creating | tending |
    unclassified) and ``motion_reason``."""
    o = opportunities.filter(opportunities.created_at <= as_of_literal(as_of))
    motion = ibis.cases(
        (o.type.isin(CREATING_TYPES), "creating"),
        (o.type == "renewal", "tending"),
        else_="unclassified",
    )
    reason = ibis.cases(
        (o.type.isin(CREATING_TYPES), o.type + " deal"),
        (o.type == "renewal", "renewal deal"),
        else_="deal type unknown",
    )
    return o.mutate(motion=motion, motion_reason=reason)


def classify_activities(
    activities: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    window_days: float = 90,
    cases: ir.Table | None = None,
    quotes: ir.Table | None = None,
) -> ir.Table:
    """Activities in ``(as_of - window_days, as_of]`` with ``motion`` and ``motion_reason``.

    List/marketing email and open tasks are neither creating nor tending: they are left out
    (and are no "first activity" with a contact either).

    Columns: activity_id, owner_id, account_id, opportunity_id, contact_id, kind,
    occurred_at, motion (creating | tending | unclassified), motion_reason.
    """
    asof = as_of_literal(as_of)
    upto = selling_activities(activities)
    upto = upto.filter(upto.occurred_at <= asof)
    # first activity ever with each contact (over all history up to as_of)
    first = upto.filter(upto.contact_id.notnull())
    first = first.group_by("contact_id").aggregate(_first_at=first.occurred_at.min())
    first = first.rename(_fc="contact_id")
    a = upto.filter(upto.occurred_at > days_before(as_of, window_days))
    a = a.select("activity_id", "owner_id", "account_id", "opportunity_id", "contact_id",
                 "kind", "occurred_at", "what_id")
    a = a.left_join(first, a.contact_id == first._fc).drop("_fc")

    o = opportunities.filter(opportunities.created_at <= asof)
    types = o.select(_oid=o.opportunity_id, _otype=o.type, _oacc=o.account_id)
    a = a.left_join(types, a.opportunity_id == types._oid).drop("_oid")
    a = a.mutate(account_id=ibis.coalesce(a.account_id, a._oacc)).drop("_oacc")

    if cases is not None:
        c = cases.select(_cid=cases.case_id)
        a = a.left_join(c, a.what_id == c._cid)
    else:
        a = a.mutate(_cid=ibis.null("string"))
    if quotes is not None:
        q = quotes.select(_qid=quotes.quote_id)
        a = a.left_join(q, a.what_id == q._qid)
    else:
        a = a.mutate(_qid=ibis.null("string"))

    # accounts with a creating deal open when the activity happened
    creating = o.filter(o.type.isin(CREATING_TYPES))
    creating = creating.select(
        _cacc=creating.account_id, _ccreated=creating.created_at,
        _cclosed=creating.is_closed.fill_null(False), _cclose=closed_at(creating),
    )
    left = a.select(_aid="activity_id", _acc="account_id", _at="occurred_at")
    pairs = left.join(creating, left._acc == creating._cacc)
    pairs = pairs.filter(
        (pairs._ccreated <= pairs._at)
        & (~pairs._cclosed | (pairs._cclose + ibis.interval(days=1) > pairs._at))
    )
    open_creating = pairs.select(_xid=pairs._aid).distinct()
    a = a.left_join(open_creating, a.activity_id == open_creating._xid)

    first_meeting = (a.kind == "meeting") & (a._first_at == a.occurred_at)
    rules = [
        (a._cid.notnull(), "tending", "service case"),
        (a._otype == "renewal", "tending", "renewal deal"),
        (a._otype.isin(CREATING_TYPES), "creating", "new business or expansion deal"),
        (a._qid.notnull(), "creating", "proposal"),
        (first_meeting, "creating", "first meeting with a new contact"),
        (a._xid.notnull(), "creating", "account has a creating deal open"),
        (a.account_id.notnull(), "tending", "routine touch on existing business"),
    ]
    motion = ibis.cases(*[(cond, m) for cond, m, _ in rules], else_="unclassified")
    reason = ibis.cases(*[(cond, r) for cond, _, r in rules],
                        else_="no deal, case, quote or account")
    a = a.mutate(motion=motion, motion_reason=reason)
    return a.select("activity_id", "owner_id", "account_id", "opportunity_id", "contact_id",
                    "kind", "occurred_at", "motion", "motion_reason")


def create_share(
    activities: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    by: str = "owner_id",
    window_days: float = 90,
    cases: ir.Table | None = None,
    quotes: ir.Table | None = None,
    min_activities: int = 5,
    classified: ir.Table | None = None,
) -> ir.Table:
    """Create share and new pipeline per ``by`` (``owner_id`` or ``account_id``).

    ``classified`` may pass :func:`classify_activities` computed once for several calls.

    Columns: ``by``, activities_n (classified creating or tending), creating_n, tending_n,
    create_share (creating_n / activities_n, null below ``min_activities``),
    new_pipeline_amount (amount of new_business + expansion deals created in the window,
    by their owner or account; corporate amount where converted; placeholder amounts left
    out), new_pipeline_n (deals, placeholders included),
    new_pipeline_per_100_activities (new_pipeline_amount / activities_n x 100, null when
    activities_n < min_activities).
    """
    if by not in ("owner_id", "account_id"):
        raise ValueError(f"by must be 'owner_id' or 'account_id', got {by!r}")
    if classified is None:
        classified = classify_activities(activities, opportunities, as_of=as_of,
                                         window_days=window_days, cases=cases, quotes=quotes)
    a = classified.filter(classified.motion != "unclassified")
    a = a.filter(a[by].notnull())
    acts = a.group_by(by).aggregate(
        activities_n=a.count(),
        creating_n=a.count(where=a.motion == "creating"),
        tending_n=a.count(where=a.motion == "tending"),
    )
    asof = as_of_literal(as_of)
    o = opportunities.filter(
        (opportunities.created_at <= asof)
        & (opportunities.created_at > days_before(as_of, window_days))
        & opportunities.type.isin(CREATING_TYPES)
    )
    o = o.filter(o[by].notnull())
    amount = deal_value(o)
    pipe = o.group_by(by).aggregate(
        new_pipeline_amount=amount.sum(), new_pipeline_n=o.count()
    )
    keys = acts.select(by).union(pipe.select(by), distinct=True)
    t = keys.left_join(acts, by).drop(f"{by}_right")
    t = t.left_join(pipe, by).drop(f"{by}_right")
    t = t.mutate(
        activities_n=ibis.coalesce(t.activities_n, 0),
        creating_n=ibis.coalesce(t.creating_n, 0),
        tending_n=ibis.coalesce(t.tending_n, 0),
        new_pipeline_amount=ibis.coalesce(t.new_pipeline_amount, 0.0),
        new_pipeline_n=ibis.coalesce(t.new_pipeline_n, 0),
    )
    enough = t.activities_n >= min_activities
    return t.mutate(
        create_share=ibis.ifelse(enough, t.creating_n / t.activities_n, ibis.null("float64")),
        new_pipeline_per_100_activities=ibis.ifelse(
            enough, t.new_pipeline_amount / t.activities_n * 100.0, ibis.null("float64")
        ),
    )


def only_tended_accounts(
    activities: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    window_days: float = 90,
    cases: ir.Table | None = None,
    quotes: ir.Table | None = None,
    max_create_share: float = 0.1,
    min_activities: int = 5,
) -> ir.Table:
    """Accounts that are only tended: at least ``min_activities`` classified activities in the
    window and create share at or below ``max_create_share``, whatever the change there (the
    stricter "in change but managed, not led" is :mod:`.account_leadership`).

    Columns: account_id, activities_n, creating_n, tending_n, create_share, reason.
    """
    s = create_share(activities, opportunities, as_of=as_of, by="account_id",
                     window_days=window_days, cases=cases, quotes=quotes,
                     min_activities=min_activities)
    return only_tended(s, window_days=window_days, max_create_share=max_create_share)


def only_tended(account_shares: ir.Table, *, window_days: float = 90, max_create_share: float = 0.1) -> ir.Table:
    """:func:`only_tended_accounts` from an already computed per-account :func:`create_share`."""
    s = account_shares
    s = s.filter(s.create_share.notnull() & (s.create_share <= max_create_share))
    reason = (
        s.activities_n.cast("string") + " activities in " + f"{window_days:g}" + " days, "
        + s.creating_n.cast("string") + " creating (create share "
        + (s.create_share * 100).round(0).cast("int64").cast("string") + "%)"
    )
    return s.mutate(reason=reason).select(
        "account_id", "activities_n", "creating_n", "tending_n", "create_share", "reason"
    )
