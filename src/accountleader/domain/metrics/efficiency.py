"""Efficiency: doing things right. How fast sellers quote, answer, follow up and move deals.

Each metric has two layers:

* an ``*_events`` function giving one row per measured thing (a quote, an inbound
  email, a meeting, a stage spell, a new deal) with the same core columns:
  ``owner_id``, ``account_id``, ``status`` (``"measured"`` or why not), the value
  (``hours``, or ``ratio`` for stage velocity), ``business_days`` and ``over_sla``;
* :func:`summarize`, the one code path that turns events into per-seller, per-team
  or per-account figures (median, p90, n, share over SLA, counts by status and basis).

The metric functions named in ``METRICS`` are ``summarize(<metric>_events(...))``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import ibis
import ibis.expr.types as ir

from ._clean import entered_late, is_artefact, selling_activities, won_by
from ._time import as_of_literal, business_days_between, days_between, hours_between

METRICS = (
    "quote_turnaround",
    "inbound_response_latency",
    "meeting_follow_up_latency",
    "stage_velocity",
    "time_to_first_activity",
)

#: Fewest measured events for a median or a share over SLA; below it they are null.
MIN_N = 3
#: Fewest measured events for a 90th percentile; below it, it is null.
MIN_N_P90 = 10

#: Stage names (compared case-insensitively) meaning a quote or proposal is being asked for.
QUOTE_STAGES = ("Proposal/Price Quote", "Proposal", "Quote", "Negotiation/Review")

MEASURED = "measured"
#: Quote status: created as a closing document (at or after the commit stage), not a sample.
CLOSING_DOCUMENT = "closing_document"
#: Stage-spell statuses: starts at a bulk-loaded or click-through history row; on a deal
#: first recorded at the commit/signature stage.  Neither is a velocity sample.
SPELL_ARTEFACT = "artefact"
ENTERED_LATE = "entered_late"
BASIS_REQUESTED_FIELD = "requested_field"
BASIS_STAGE_ENTRY = "stage_entry"

Keys = str | Sequence[str]

#: Whether the engine that will run the expressions built now has ASOF joins (DuckDB has;
#: Spark SQL has not). "The next touch after each start" is then one ASOF join instead of a
#: window over starts and touches sorted together: the same answer (the parity suite runs
#: the window form on Spark against this one on DuckDB), a fraction of the work.
_ASOF_JOINS: ContextVar[bool] = ContextVar("asof_joins", default=False)


@contextmanager
def asof_joins(enabled: bool) -> Iterator[None]:
    """Build the expressions inside this block for an engine with (or without) ASOF joins."""
    token = _ASOF_JOINS.set(enabled)
    try:
        yield
    finally:
        _ASOF_JOINS.reset(token)



def _keys(by: Keys) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def left_join_on(left: ir.Table, right: ir.Table, key: str) -> ir.Table:
    """``left`` LEFT JOIN ``right`` USING (``key``), keeping one ``key`` column.

    Ibis keeps the right key of a left join as ``<key>_right``; chained joins
    would then collide, so it is dropped here.
    """
    return left.left_join(right, key).drop(f"{key}_right")


def _with_team(events: ir.Table, users: ir.Table | None) -> ir.Table:
    if users is None:
        raise ValueError("grouping by 'team' needs the users table (users=...)")
    teams = users.select(owner_id=users.user_id, team=users.team)
    return left_join_on(events, teams, "owner_id")


def summarize(
    events: ir.Table,
    by: Keys = "owner_id",
    *,
    name: str,
    value: str = "hours",
    users: ir.Table | None = None,
    statuses: Sequence[str] = (),
    bases: Sequence[str] = (),
    min_n: int = MIN_N,
    min_n_p90: int = MIN_N_P90,
) -> ir.Table:
    """Median, p90, n and share over SLA of ``events`` per group.

    ``by`` is ``"owner_id"`` (seller), ``"team"`` (joined from ``users.team`` on
    ``owner_id``), ``"account_id"``, or a list of columns.  Only rows with
    ``status == "measured"`` and a non-null ``value`` enter the statistics.

    Output columns, each prefixed ``{name}_``:
    ``n`` (measured events), ``median_{value}``, ``p90_{value}`` (null when
    ``n < min_n`` / ``n < min_n_p90``), ``over_sla_n`` and ``share_over_sla``
    (0-1, null when ``n < min_n``; only when events have ``over_sla``),
    ``{status}_n`` for each of ``statuses`` and ``basis_{basis}_n`` for each of ``bases``.
    """
    keys = _keys(by)
    if "team" in keys and "team" not in events.columns:
        events = _with_team(events, users)
    measured = (events.status == MEASURED) & events[value].notnull()
    p = f"{name}_"
    # Percentiles over the measured values with the rest nulled (ignored by every engine),
    # not ``median(where=...)``: Ibis compiles that on PySpark to a percentile whose 0.5
    # also carries the filter, which Spark rejects as a non-constant percentage.
    measured_value = ibis.ifelse(measured, events[value], ibis.null(events[value].type()))
    aggs: dict[str, ir.Value] = {
        f"{p}n": events[value].count(where=measured),
        "_median": measured_value.median(),
        "_p90": measured_value.quantile(0.9),
    }
    has_sla = "over_sla" in events.columns
    if has_sla:
        aggs[f"{p}over_sla_n"] = events[value].count(where=measured & events.over_sla)
    for s in statuses:
        aggs[f"{p}{s}_n"] = events.count(where=events.status == s)
    for b in bases:
        aggs[f"{p}basis_{b}_n"] = events[value].count(where=measured & (events.basis == b))
    agg = events.group_by(keys).aggregate(**aggs)
    n = agg[f"{p}n"]
    out = agg.mutate(
        **{
            f"{p}median_{value}": ibis.ifelse(n >= min_n, agg._median, ibis.null("float64")),
            f"{p}p90_{value}": ibis.ifelse(n >= min_n_p90, agg._p90, ibis.null("float64")),
        }
    ).drop("_median", "_p90")
    if has_sla:
        out = out.mutate(
            **{
                f"{p}share_over_sla": ibis.ifelse(
                    n >= min_n, out[f"{p}over_sla_n"] / n, ibis.null("float64")
                )
            }
        )
    return out


def _timed(
    t: ir.Table,
    *,
    start: str,
    end: str,
    sla_business_days: float,
    missing_status: str,
) -> ir.Table:
    """Add ``hours``, ``business_days``, ``over_sla`` and ``status`` from two timestamp columns.

    A missing end gets ``missing_status``; an end before the start gets
    ``status = "negative"`` and no figures (a data-quality note, never averaged).
    """
    hours = hours_between(t[start], t[end])
    bdays = business_days_between(t[start], t[end])
    status = ibis.cases(
        (t[start].isnull() | t[end].isnull(), missing_status),
        (hours < 0, "negative"),
        else_=MEASURED,
    )
    t = t.mutate(status=status)
    ok = t.status == MEASURED
    return t.mutate(
        hours=ibis.ifelse(ok, hours, ibis.null("float64")),
        business_days=ibis.ifelse(ok, bdays, ibis.null("float64")),
        over_sla=ibis.ifelse(ok, bdays > sla_business_days, ibis.null("boolean")),
    )


# --- quote turnaround -------------------------------------------------------------------


def quote_turnaround_events(
    quotes: ir.Table,
    opportunities: ir.Table,
    opportunity_history: ir.Table,
    *,
    as_of: datetime,
    sla_business_days: float = 2.0,
    quote_stages: Sequence[str] = QUOTE_STAGES,
) -> ir.Table:
    """One row per quote made by ``as_of``: from the buyer's request to the quote.

    Request time: ``quotes.requested_at``, else ``opportunities.quote_requested_at``
    (basis ``"requested_field"``), else the first time the deal entered one of
    ``quote_stages`` (basis ``"stage_entry"``), else none (status ``"no_request_time"``).
    Quote time: ``sent_at`` when known, else ``created_at``.  A quote before its
    request gets status ``"negative"`` and no figures.  A quote created as a closing
    document (``quotes.artefact == "closing_document"``: at or after the commit/signature
    stage) is no turnaround sample: status ``"closing_document"``, no figures.

    Columns: ``quote_id``, ``opportunity_id``, ``owner_id``, ``account_id``,
    ``requested_at``, ``quoted_at``, ``basis``, ``status``, ``hours`` (calendar
    hours), ``business_days``, ``over_sla`` (more than ``sla_business_days``).
    """
    asof = as_of_literal(as_of)
    stages = [s.lower() for s in quote_stages]
    h = opportunity_history
    h = h.filter(h.changed_at <= asof, h.stage.lower().isin(stages))
    entry = h.group_by("opportunity_id").aggregate(stage_entered_at=h.changed_at.min())
    opps = opportunities.select(
        "opportunity_id",
        "owner_id",
        opp_account_id=opportunities.account_id,
        opp_requested_at=opportunities.quote_requested_at,
    )
    q = quotes.mutate(quoted_at=quotes.sent_at.fill_null(quotes.created_at))
    q = q.filter(q.created_at <= asof, q.quoted_at <= asof)
    q = q.mutate(_closing_document=is_artefact(q))
    q = left_join_on(left_join_on(q, opps, "opportunity_id"), entry, "opportunity_id")
    field = ibis.coalesce(q.requested_at, q.opp_requested_at)
    q = q.select(
        "quote_id",
        "opportunity_id",
        "owner_id",
        "quoted_at",
        "_closing_document",
        account_id=ibis.coalesce(q.account_id, q.opp_account_id),
        requested_at=ibis.coalesce(field, q.stage_entered_at),
        basis=ibis.cases(
            (field.notnull(), BASIS_REQUESTED_FIELD),
            (q.stage_entered_at.notnull(), BASIS_STAGE_ENTRY),
            else_=ibis.null("string"),
        ),
    )
    ev = _timed(
        q,
        start="requested_at",
        end="quoted_at",
        sla_business_days=sla_business_days,
        missing_status="no_request_time",
    )
    doc = ev._closing_document
    return ev.mutate(
        status=ibis.ifelse(doc, CLOSING_DOCUMENT, ev.status),
        hours=ibis.ifelse(doc, ibis.null("float64"), ev.hours),
        business_days=ibis.ifelse(doc, ibis.null("float64"), ev.business_days),
        over_sla=ibis.ifelse(doc, ibis.null("boolean"), ev.over_sla),
    ).drop("_closing_document")


def quote_turnaround(
    quotes: ir.Table,
    opportunities: ir.Table,
    opportunity_history: ir.Table,
    *,
    as_of: datetime,
    by: Keys = "owner_id",
    users: ir.Table | None = None,
    sla_business_days: float = 2.0,
    quote_stages: Sequence[str] = QUOTE_STAGES,
) -> ir.Table:
    """Quote turnaround per ``by``: ``quote_turnaround_{n, median_hours, p90_hours,
    over_sla_n, share_over_sla, negative_n, no_request_time_n, closing_document_n,
    basis_requested_field_n, basis_stage_entry_n}``."""
    ev = quote_turnaround_events(
        quotes,
        opportunities,
        opportunity_history,
        as_of=as_of,
        sla_business_days=sla_business_days,
        quote_stages=quote_stages,
    )
    return summarize_quote_turnaround(ev, by, users=users)


def summarize_quote_turnaround(events: ir.Table, by: Keys = "owner_id", *, users: ir.Table | None = None) -> ir.Table:
    """:func:`quote_turnaround` from already computed :func:`quote_turnaround_events`
    (so one set of events can be summarised per seller, team and account)."""
    return summarize(
        events,
        by,
        name="quote_turnaround",
        users=users,
        statuses=("negative", "no_request_time", CLOSING_DOCUMENT),
        bases=(BASIS_REQUESTED_FIELD, BASIS_STAGE_ENTRY),
    )


# --- responses and follow-ups -----------------------------------------------------------


def _outbound_touches(activities: ir.Table, contacts: ir.Table | None, asof: ir.Value) -> ir.Table:
    """Outbound touches by a user up to ``asof``: outbound anything, or a meeting/task with no
    direction; list email and open tasks are no touches (:func:`._clean.selling_activities`)."""
    a = selling_activities(activities)
    a = a.filter(a.occurred_at <= asof)
    a = a.filter(
        (a.direction == "outbound")
        | (a.direction.isnull() & a.kind.isin(["meeting", "task"]) & a.owner_id.notnull())
    )
    return with_activity_account(a, contacts).select(
        touch_id="activity_id",
        touch_owner_id="owner_id",
        touch_contact_id="contact_id",
        touch_account_id="account_id",
        touch_at="occurred_at",
    )


def with_activity_account(a: ir.Table, contacts: ir.Table | None) -> ir.Table:
    """Fill a missing ``activities.account_id`` from the contact's account."""
    if contacts is None:
        return a
    c = contacts.select(contact_id="contact_id", contact_account_id=contacts.account_id)
    a = left_join_on(a, c, "contact_id")
    return a.mutate(account_id=a.account_id.fill_null(a.contact_account_id)).drop(
        "contact_account_id"
    )


def _first_touch_after(starts: ir.Table, touches: ir.Table, match: ir.BooleanValue) -> ir.Table:
    """Left-join touches strictly after each start that satisfy ``match``; keep the earliest."""
    if _ASOF_JOINS.get():
        j = starts.asof_join(touches, starts.started_at < touches.touch_at, predicates=[match])
        return j.select(*starts.columns, answered_at=j.touch_at)
    j = starts.left_join(touches, [match, touches.touch_at > starts.started_at])
    return j.group_by(starts.columns).aggregate(answered_at=j.touch_at.min())


def _earliest(a: ir.TimestampValue, b: ir.TimestampValue) -> ir.TimestampValue:
    """The earlier of two optional timestamps (null only when both are)."""
    return ibis.cases((a.isnull(), b), (b.isnull(), a), (a <= b, a), else_=b)


def _earliest_after(
    starts: ir.Table,
    start_id: str,
    start_keys: Sequence[str],
    touches: ir.Table,
    touch_keys: Sequence[str],
    touch_at: str,
    *,
    inclusive: bool = False,
    one_start_per_key: bool = False,
) -> ir.Table:
    """For each start (unique ``start_id``, time ``started_at``): the earliest touch with equal
    keys strictly after it (at or after it when ``inclusive``), as column ``_next``.

    Starts and touches are put in one time-ordered stream per key; a start's answer is the
    minimum touch time over the rows that follow it.  At equal times touches sort before
    starts (strict) or after them (inclusive).  Starts with a null key get no answer.

    With ASOF joins (DuckDB) the same answer comes from an ASOF join on a whole-number id of
    each start key (the keys are long strings with a shared prefix: sorting by a number is a
    fraction of the work); ``one_start_per_key`` (no two starts share keys, as a deal's own id)
    makes it a join and a minimum per start instead (starts without an answer are then left
    out: the callers left-join the answers to their starts).
    """
    keys = [f"_k{i}" for i in range(len(start_keys))]
    if _ASOF_JOINS.get():
        s = starts.select(
            _sid=starts[start_id].cast("string"), _at=starts.started_at,
            **{k: starts[c].cast("string") for k, c in zip(keys, start_keys, strict=True)},
        )
        t = touches.select(
            _touch=touches[touch_at].cast("timestamp"),
            **{f"{k}_t": touches[c].cast("string") for k, c in zip(keys, touch_keys, strict=True)},
        )
        # a null key equals nothing: such starts get no answer, as in the window form
        if one_start_per_key:
            after = (s._at <= t._touch) if inclusive else (s._at < t._touch)
            j = s.join(t, [after, *[s[k] == t[f"{k}_t"] for k in keys]])
            return j.group_by(**{start_id: j._sid}).aggregate(_next=j._touch.min())
        # the start keys, numbered (the same number wherever this is read: ranked, not row-numbered)
        ids = s.select(*keys).distinct()
        ids = ids.mutate(_kid=ibis.dense_rank().over(ibis.window(order_by=keys)))
        s = s.join(ids, keys).select("_sid", "_at", "_kid")
        t = t.join(ids, [t[f"{k}_t"] == ids[k] for k in keys]).select("_touch", _kid_t=ids._kid)
        after = (s._at <= t._touch) if inclusive else (s._at < t._touch)
        j = s.asof_join(t, after, predicates=[s._kid == t._kid_t])
        return j.select(**{start_id: j._sid}, _next=j._touch)
    start_rank, touch_rank = (0, 1) if inclusive else (1, 0)
    s = starts.select(
        **{k: starts[c].cast("string") for k, c in zip(keys, start_keys, strict=True)},
        _at=starts.started_at,
        _rank=ibis.literal(start_rank),
        _sid=starts[start_id].cast("string"),
        _touch=ibis.null("timestamp"),
    )
    t = touches.select(
        **{k: touches[c].cast("string") for k, c in zip(keys, touch_keys, strict=True)},
        _at=touches[touch_at],
        _rank=ibis.literal(touch_rank),
        _sid=ibis.null("string"),
        _touch=touches[touch_at].cast("timestamp"),
    )
    u = s.union(t, distinct=False)
    for k in keys:
        u = u.filter(u[k].notnull())
    w = ibis.window(group_by=keys, order_by=["_at", "_rank"], rows=(1, None))
    u = u.mutate(_next=u._touch.min().over(w))
    out = u.filter(u._sid.notnull())
    return out.select(**{start_id: out._sid}, _next=out._next)


def inbound_response_events(
    activities: ir.Table,
    *,
    as_of: datetime,
    sla_business_days: float = 1.0,
) -> ir.Table:
    """One row per inbound call or email from a contact by ``as_of``.

    The response is the next outbound touch to the same ``contact_id`` after it
    (before ``as_of``); none gives status ``"unanswered"`` and no latency.  The
    seller is the inbound activity's ``owner_id`` (whose inbox or phone took it).

    Columns: ``activity_id``, ``owner_id``, ``account_id``, ``contact_id``,
    ``started_at``, ``answered_at``, ``status``, ``hours``, ``business_days``, ``over_sla``.
    """
    asof = as_of_literal(as_of)
    a = selling_activities(activities)
    a = a.filter(a.occurred_at <= asof)
    inbound = a.filter(
        (a.direction == "inbound") & a.kind.isin(["call", "email"]) & a.contact_id.notnull()
    ).select("activity_id", "owner_id", "account_id", "contact_id", started_at="occurred_at")
    touches = _outbound_touches(activities, None, asof)
    ev = _first_touch_after(inbound, touches, inbound.contact_id == touches.touch_contact_id)
    return _timed(
        ev,
        start="started_at",
        end="answered_at",
        sla_business_days=sla_business_days,
        missing_status="unanswered",
    )


def inbound_response_latency(
    activities: ir.Table,
    *,
    as_of: datetime,
    by: Keys = "owner_id",
    users: ir.Table | None = None,
    sla_business_days: float = 1.0,
) -> ir.Table:
    """Inbound response latency per ``by``: ``inbound_response_latency_{n, median_hours,
    p90_hours, over_sla_n, share_over_sla, unanswered_n}``."""
    ev = inbound_response_events(activities, as_of=as_of, sla_business_days=sla_business_days)
    return summarize_inbound_response(ev, by, users=users)


def summarize_inbound_response(events: ir.Table, by: Keys = "owner_id", *, users: ir.Table | None = None) -> ir.Table:
    """:func:`inbound_response_latency` from already computed :func:`inbound_response_events`."""
    return summarize(events, by, name="inbound_response_latency", users=users, statuses=("unanswered",))


def meeting_follow_up_events(
    activities: ir.Table,
    contacts: ir.Table | None = None,
    *,
    as_of: datetime,
    sla_business_days: float = 2.0,
) -> ir.Table:
    """One row per meeting held by ``as_of``: time to the owner's next outbound touch.

    The follow-up is the next outbound touch (see docs) by the same ``owner_id``
    to the same contact or to anyone at the same account, strictly after the
    meeting.  The account of an activity without ``account_id`` is its contact's
    account (when ``contacts`` is given).  None gives status ``"no_follow_up"``.

    Columns: as :func:`inbound_response_events`.
    """
    asof = as_of_literal(as_of)
    a = selling_activities(activities)
    a = a.filter((a.occurred_at <= asof) & (a.kind == "meeting"))
    meetings = with_activity_account(a, contacts).select(
        "activity_id", "owner_id", "account_id", "contact_id", started_at="occurred_at"
    )
    t = _outbound_touches(activities, contacts, asof)
    # Same owner, and the same contact or anyone at the same account: two "next event"
    # windows instead of a join on an OR, which no engine can hash (quadratic otherwise).
    by_account = _earliest_after(
        meetings, "activity_id", ["owner_id", "account_id"], t, ["touch_owner_id", "touch_account_id"], "touch_at"
    )
    by_contact = _earliest_after(
        meetings, "activity_id", ["owner_id", "contact_id"], t, ["touch_owner_id", "touch_contact_id"], "touch_at"
    )
    ev = left_join_on(meetings, by_account.rename(_acct="_next"), "activity_id")
    ev = left_join_on(ev, by_contact.rename(_cont="_next"), "activity_id")
    ev = ev.mutate(answered_at=_earliest(ev._acct, ev._cont)).drop("_acct", "_cont")
    return _timed(
        ev,
        start="started_at",
        end="answered_at",
        sla_business_days=sla_business_days,
        missing_status="no_follow_up",
    )


def meeting_follow_up_latency(
    activities: ir.Table,
    contacts: ir.Table | None = None,
    *,
    as_of: datetime,
    by: Keys = "owner_id",
    users: ir.Table | None = None,
    sla_business_days: float = 2.0,
) -> ir.Table:
    """Follow-up after meetings per ``by``: ``meeting_follow_up_latency_{n, median_hours,
    p90_hours, over_sla_n, share_over_sla, no_follow_up_n}``."""
    ev = meeting_follow_up_events(
        activities, contacts, as_of=as_of, sla_business_days=sla_business_days
    )
    return summarize(
        ev, by, name="meeting_follow_up_latency", users=users, statuses=("no_follow_up",)
    )


# --- time to first activity -------------------------------------------------------------


def first_activity_events(
    opportunities: ir.Table,
    activities: ir.Table,
    *,
    as_of: datetime,
    sla_business_days: float = 2.0,
) -> ir.Table:
    """One row per opportunity created by ``as_of``: creation to first activity on it.

    An activity counts when it is linked to the deal (``activities.opportunity_id``)
    or is at the deal's account by the deal's owner, at or after creation and by
    ``as_of``; list email and open tasks do not.  None gives status ``"untouched"``.

    Columns: ``opportunity_id``, ``owner_id``, ``account_id``, ``started_at``
    (created), ``answered_at`` (first activity), ``status``, ``hours``,
    ``business_days``, ``over_sla``.
    """
    asof = as_of_literal(as_of)
    o = opportunities.filter(opportunities.created_at <= asof).select(
        "opportunity_id", "owner_id", "account_id", started_at="created_at"
    )
    a = selling_activities(activities)
    a = a.filter(a.occurred_at <= asof)
    # Linked to the deal, or at its account by its owner: two windows, not a join on an OR.
    by_deal = _earliest_after(o, "opportunity_id", ["opportunity_id"], a, ["opportunity_id"], "occurred_at", inclusive=True,
                              one_start_per_key=True)
    by_account = _earliest_after(
        o, "opportunity_id", ["account_id", "owner_id"], a, ["account_id", "owner_id"], "occurred_at", inclusive=True
    )
    ev = left_join_on(o, by_deal.rename(_deal="_next"), "opportunity_id")
    ev = left_join_on(ev, by_account.rename(_acct="_next"), "opportunity_id")
    ev = ev.mutate(answered_at=_earliest(ev._deal, ev._acct)).drop("_deal", "_acct")
    return _timed(
        ev,
        start="started_at",
        end="answered_at",
        sla_business_days=sla_business_days,
        missing_status="untouched",
    )


def time_to_first_activity(
    opportunities: ir.Table,
    activities: ir.Table,
    *,
    as_of: datetime,
    by: Keys = "owner_id",
    users: ir.Table | None = None,
    sla_business_days: float = 2.0,
) -> ir.Table:
    """Time to first activity per ``by``: ``time_to_first_activity_{n, median_hours,
    p90_hours, over_sla_n, share_over_sla, untouched_n}``."""
    ev = first_activity_events(
        opportunities, activities, as_of=as_of, sla_business_days=sla_business_days
    )
    return summarize(ev, by, name="time_to_first_activity", users=users, statuses=("untouched",))


# --- stage velocity ---------------------------------------------------------------------


def stage_spells(opportunity_history: ir.Table, *, as_of: datetime) -> ir.Table:
    """Completed stays in a stage, from history rows up to ``as_of``.

    A spell starts when the stage differs from the previous row's stage and ends
    at the next such change; the current stage (no later change) is not a spell.
    Columns: ``opportunity_id``, ``stage``, ``entered_at``, ``left_at``, ``days``,
    ``artefact`` (the starting history row's artefact: ``bulk_loaded`` or
    ``click_through``, else null).
    """
    asof = as_of_literal(as_of)
    h = opportunity_history
    h = h.filter((h.changed_at <= asof) & h.stage.notnull())
    order = ibis.window(group_by="opportunity_id", order_by=["changed_at", "history_id"])
    h = h.mutate(prev_stage=h.stage.lag().over(order))
    e = h.filter(h.prev_stage.isnull() | (h.prev_stage != h.stage))
    e = e.mutate(left_at=e.changed_at.lead().over(order))
    e = e.filter(e.left_at.notnull())
    return e.select(
        "opportunity_id",
        "stage",
        entered_at="changed_at",
        left_at="left_at",
        days=days_between(e.changed_at, e.left_at),
        artefact=e.artefact if "artefact" in e.columns else ibis.null("string"),
    )


def stage_velocity_events(
    opportunity_history: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    min_n: int = MIN_N,
) -> ir.Table:
    """Each stage spell set against the won-deal norm for that stage.

    Norm: the median ``days`` of spells in that stage on deals won by ``as_of``
    (``is_won`` and closed by then, see :func:`._clean.closed_by`); null below ``min_n``
    won spells.  ``ratio = days / norm_days`` (>1 slower than won deals); status
    ``"no_norm"`` where there is no usable norm.  ``over_sla`` means slower than the norm.

    Not samples, in the norm or in a seller's figure: spells starting at a bulk-loaded or
    click-through history row (status ``"artefact"``) and spells on deals first recorded
    at the commit/signature stage (``entered_late``; status ``"entered_late"``).

    Columns: ``opportunity_id``, ``owner_id``, ``account_id``, ``stage``,
    ``entered_at``, ``left_at``, ``days``, ``is_won_deal``, ``norm_days``,
    ``norm_n``, ``ratio``, ``status``, ``over_sla``.
    """
    asof = as_of_literal(as_of)
    spells = stage_spells(opportunity_history, as_of=as_of)
    o = opportunities.select(
        "opportunity_id",
        "owner_id",
        "account_id",
        is_won_deal=won_by(opportunities, asof),
        _late=entered_late(opportunities),
    )
    s = spells.inner_join(o, "opportunity_id")
    s = s.mutate(_skip=ibis.cases((s.artefact.notnull(), SPELL_ARTEFACT), (s._late, ENTERED_LATE),
                                  else_=ibis.null("string")))
    won = s.filter(s.is_won_deal & s._skip.isnull())
    norms = won.group_by("stage").aggregate(norm_n=won.days.count(), _norm=won.days.median())
    norms = norms.select(
        "stage",
        "norm_n",
        norm_days=ibis.ifelse(norms.norm_n >= min_n, norms._norm, ibis.null("float64")),
    )
    s = left_join_on(s, norms, "stage")
    usable = s.norm_days.notnull() & (s.norm_days > 0) & s._skip.isnull()
    s = s.mutate(
        norm_n=s.norm_n.fill_null(0),
        ratio=ibis.ifelse(usable, s.days / s.norm_days, ibis.null("float64")),
        status=ibis.cases((s._skip.notnull(), s._skip), (usable, MEASURED), else_="no_norm"),
    )
    return s.mutate(over_sla=ibis.ifelse(usable, s.ratio > 1, ibis.null("boolean"))).drop("_late", "_skip")


def stage_velocity(
    opportunity_history: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    by: Keys = "owner_id",
    users: ir.Table | None = None,
    min_n: int = MIN_N,
) -> ir.Table:
    """Stage velocity per ``by``: the median of the seller's spell ratios to the won norm.

    Columns: ``stage_velocity_{n, median_ratio, p90_ratio, over_sla_n,
    share_over_sla, no_norm_n, artefact_n, entered_late_n}``; ``share_over_sla`` is the
    share of spells slower than the won-deal norm; ``artefact_n`` / ``entered_late_n``
    count the spells left out.  Pass ``by=["owner_id", "stage"]`` for a per-stage view.
    """
    ev = stage_velocity_events(opportunity_history, opportunities, as_of=as_of, min_n=min_n)
    return summarize(
        ev,
        by,
        name="stage_velocity",
        value="ratio",
        users=users,
        statuses=("no_norm", SPELL_ARTEFACT, ENTERED_LATE),
        min_n=min_n,
    )
