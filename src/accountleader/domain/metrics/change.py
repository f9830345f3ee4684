"""Change signals: how much an account is moving, and why.

Per opportunity: close-date pushes, stage regressions and amount cuts, read from
``opportunity_history``.  Per account: those summed over a recent window, plus
contacts leaving and arriving and engagement going dark, folded into a bounded
``change_index`` (0-100) whose per-driver contributions are kept as columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import ibis
import ibis.expr.types as ir

from ._clean import activity_end, bulk_loaded_contact, real_history, selling_activities
from ._time import as_of_literal, days_before, days_between
from .efficiency import left_join_on, with_activity_account

METRICS = (
    "close_date_pushes",
    "close_date_push_days",
    "stage_regressions",
    "amount_cuts",
    "amount_cut_total",
    "contact_departures",
    "contact_arrivals",
    "days_since_last_activity",
    "activity_drop",
    "change_index",
)

#: Days looked back for the account-level signals.
WINDOW_DAYS = 180
#: Activity drop compares the last RECENT_DAYS with the PRIOR_DAYS before them.
RECENT_DAYS = 45
PRIOR_DAYS = 90


@dataclass(frozen=True)
class Driver:
    """One input of the change index.

    Its points are ``100 * weight / total_weight * s`` with
    ``s = x / (x + half)`` and ``x = max(value - grace, 0)``: zero at zero,
    rising, never reaching 1.  With ``half=None`` the value is already a 0-1
    share and is used as ``s`` directly (clipped to [0, 1]).
    """

    column: str
    weight: float
    half: float | None
    label: str
    grace: float = 0.0
    display_scale: float = 1.0
    display_suffix: str = ""


DRIVERS: tuple[Driver, ...] = (
    Driver("close_date_pushes", 15, 2, "close-date pushes"),
    Driver("close_date_push_days", 10, 60, "days of close date pushed"),
    Driver("stage_regressions", 20, 1, "stage regressions"),
    Driver("amount_cuts", 10, 1, "amount cuts"),
    Driver("contact_departures", 15, 1, "contacts left"),
    Driver("contact_arrivals", 5, 2, "new contacts"),
    Driver("days_since_last_activity", 15, 30, "days since last activity", grace=14),
    Driver("activity_drop", 10, None, "activity drop", display_scale=100, display_suffix="%"),
)


# --- per opportunity --------------------------------------------------------------------


def stage_order(
    opportunity_history: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    order: Mapping[str, float] | None = None,
) -> ir.Table:
    """Rank of each stage, for telling a step back from a step forward.

    By default a stage's rank is the mean ``probability`` of the history rows in
    that stage up to ``as_of`` (Salesforce ties probability to stage, so this
    follows the sales process); pass ``order`` ({stage: rank}) to set it.  Stages
    that closed deals end in (e.g. Closed Lost) are marked ``is_closed_stage``:
    moving into them is an outcome, not a regression.

    Columns: ``stage``, ``stage_rank``, ``is_closed_stage``.
    """
    asof = as_of_literal(as_of)
    if order is not None:
        ranks = ibis.memtable(
            {"stage": list(order), "stage_rank": [float(v) for v in order.values()]}
        )
    else:
        h = opportunity_history.filter(
            (opportunity_history.changed_at <= asof) & opportunity_history.stage.notnull()
        )
        ranks = h.group_by("stage").aggregate(stage_rank=h.probability.mean())
    closed = (
        opportunities.filter(opportunities.is_closed.fill_null(False))
        .select("stage")
        .distinct()
        .mutate(is_closed_stage=ibis.literal(True))
    )
    r = left_join_on(ranks, closed, "stage")
    return r.mutate(is_closed_stage=r.is_closed_stage.fill_null(False))


def opportunity_changes(
    opportunity_history: ir.Table,
    opportunities: ir.Table,
    *,
    as_of: datetime,
    window_days: float | None = None,
    order: Mapping[str, float] | None = None,
    also_within_days: float | None = None,
) -> ir.Table:
    """Per opportunity created by ``as_of``: how often it slipped, stepped back or shrank.

    Each history row is compared with the deal's previous row carrying that
    field (ordered by ``changed_at``, then ``history_id``), over all history up
    to ``as_of``; with ``window_days`` only changes in the last ``window_days``
    before ``as_of`` are counted.  A history row flagged as an artefact (bulk-loaded,
    click-through) is no push, regression or cut; it still is the "previous row" of the
    next real change.

    Columns: ``opportunity_id``, ``account_id``, ``owner_id``,
    ``close_date_pushes`` (changes to a later close date), ``close_date_push_days``
    (days, summed), ``stage_regressions`` (moves to a lower-ranked open stage, see
    :func:`stage_order`), ``amount_cuts`` (changes to a lower amount),
    ``amount_cut_total`` (amount removed, summed).  Zero when nothing changed.

    ``also_within_days`` adds the same five counts over the last ``also_within_days`` only, as
    ``recent_<column>`` (what :func:`change_index` sums per account), from the same pass over
    the history.
    """
    asof = as_of_literal(as_of)
    h = opportunity_history.filter(opportunity_history.changed_at <= asof)
    w = ibis.window(group_by="opportunity_id", order_by=["changed_at", "history_id"])
    # each figure under its own name, counted over the rows its window keeps (the lag is over
    # all history either way: an earlier row is still the "previous row" of a recent change)
    windows = {"": window_days}
    if also_within_days is not None:
        windows["recent_"] = also_within_days

    def kept(t: ir.Table, days: float | None) -> ir.BooleanValue:
        return ibis.literal(True) if days is None else t.changed_at > days_before(as_of, days)

    h = h.mutate(_real=real_history(h))
    c = h.filter(h.close_date.notnull())
    c = c.mutate(prev=c.close_date.lag().over(w))
    if window_days is not None:
        # only rows in the window count at all (the lag above still saw the older rows)
        c = c.filter(kept(c, window_days))
    pushed = c.prev.notnull() & (c.close_date > c.prev) & c._real
    push_aggs: dict[str, ir.Value] = {}
    for p, days in windows.items():
        keep = kept(c, days)
        push_aggs[f"{p}close_date_pushes"] = c.count(where=pushed & keep)
        push_aggs[f"{p}close_date_push_days"] = days_between(c.prev, c.close_date).sum(where=pushed & keep)
    pushes = c.group_by("opportunity_id").aggregate(**push_aggs)

    a = h.filter(h.amount.notnull())
    a = a.mutate(prev=a.amount.lag().over(w))
    if window_days is not None:
        a = a.filter(kept(a, window_days))
    cut = a.prev.notnull() & (a.amount < a.prev) & a._real
    cut_aggs: dict[str, ir.Value] = {}
    for p, days in windows.items():
        keep = kept(a, days)
        cut_aggs[f"{p}amount_cuts"] = a.count(where=cut & keep)
        cut_aggs[f"{p}amount_cut_total"] = (a.prev - a.amount).sum(where=cut & keep)
    cuts = a.group_by("opportunity_id").aggregate(**cut_aggs)

    ranks = stage_order(opportunity_history, opportunities, as_of=as_of, order=order)
    s = left_join_on(h.filter(h.stage.notnull()), ranks, "stage")
    s = s.mutate(prev_stage=s.stage.lag().over(w), prev_rank=s.stage_rank.lag().over(w))
    if window_days is not None:
        s = s.filter(kept(s, window_days))
    back = (
        (s.stage != s.prev_stage) & (s.stage_rank < s.prev_rank) & ~s.is_closed_stage & s._real
    ).fill_null(False)
    back_aggs = {f"{p}stage_regressions": s.count(where=back & kept(s, days)) for p, days in windows.items()}
    regressions = s.group_by("opportunity_id").aggregate(**back_aggs)

    o = opportunities.filter(opportunities.created_at <= asof).select(
        "opportunity_id", "account_id", "owner_id"
    )
    for part in (pushes, cuts, regressions):
        o = left_join_on(o, part, "opportunity_id")
    out: dict[str, ir.Value] = {}
    for p in windows:
        out |= {
            f"{p}close_date_pushes": o[f"{p}close_date_pushes"].fill_null(0),
            f"{p}close_date_push_days": o[f"{p}close_date_push_days"].fill_null(0.0),
            f"{p}stage_regressions": o[f"{p}stage_regressions"].fill_null(0),
            f"{p}amount_cuts": o[f"{p}amount_cuts"].fill_null(0),
            f"{p}amount_cut_total": o[f"{p}amount_cut_total"].fill_null(0.0),
        }
    return o.select("opportunity_id", "account_id", "owner_id", **out)


# --- per account ------------------------------------------------------------------------


def contact_movements(
    contacts: ir.Table, *, as_of: datetime, window_days: float = WINDOW_DAYS
) -> ir.Table:
    """Per account: ``contact_departures`` (``departed_at`` in the last ``window_days``)
    and ``contact_arrivals`` (``created_at`` in the last ``window_days``; a bulk-loaded
    contact, ``bulk_loaded``, is a load, not an arrival)."""
    asof = as_of_literal(as_of)
    since = days_before(as_of, window_days)
    c = contacts.filter(contacts.account_id.notnull())
    left = (c.departed_at > since) & (c.departed_at <= asof)
    came = (c.created_at > since) & (c.created_at <= asof) & ~bulk_loaded_contact(c)
    return c.group_by("account_id").aggregate(
        contact_departures=c.count(where=left.fill_null(False)),
        contact_arrivals=c.count(where=came.fill_null(False)),
    )


def engagement(
    activities: ir.Table,
    contacts: ir.Table | None = None,
    *,
    as_of: datetime,
    recent_days: float = RECENT_DAYS,
    prior_days: float = PRIOR_DAYS,
) -> ir.Table:
    """Per account with any activity by ``as_of``: is engagement going dark?

    Columns: ``last_activity_at``, ``days_since_last_activity`` (days),
    ``activity_recent_n`` (last ``recent_days``), ``activity_prior_n`` (the
    ``prior_days`` before those), ``activity_drop`` = max(0, 1 - recent rate /
    prior rate), rates per day; null when there was no prior activity.  List email and
    open tasks are no engagement.
    """
    asof = as_of_literal(as_of)
    a = selling_activities(activities)
    a = with_activity_account(a.filter(a.occurred_at <= asof), contacts)
    a = a.filter(a.account_id.notnull())
    cut = days_before(as_of, recent_days)
    start = days_before(as_of, recent_days + prior_days)
    agg = a.group_by("account_id").aggregate(
        last_activity_at=a.occurred_at.max(),
        activity_recent_n=a.count(where=a.occurred_at > cut),
        activity_prior_n=a.count(where=(a.occurred_at > start) & (a.occurred_at <= cut)),
    )
    recent_rate = agg.activity_recent_n / recent_days
    prior_rate = agg.activity_prior_n / prior_days
    return agg.mutate(
        days_since_last_activity=days_between(agg.last_activity_at, asof),
        activity_drop=ibis.ifelse(
            agg.activity_prior_n > 0,
            ibis.greatest(1 - recent_rate / prior_rate, 0.0),
            ibis.null("float64"),
        ),
    )


def _driver_score(value: ir.NumericValue, d: Driver) -> ir.FloatingValue:
    v = value.cast("float64").fill_null(0.0)
    if d.half is None:
        return ibis.least(ibis.greatest(v, 0.0), 1.0)
    x = ibis.greatest(v - d.grace, 0.0)
    return x / (x + d.half)


def change_index_from_drivers(
    drivers_table: ir.Table, *, drivers: Sequence[Driver] = DRIVERS
) -> ir.Table:
    """Add ``change_points_<column>`` per driver and their sum ``change_index`` (0-100).

    Missing driver values count as no change (0 points).
    """
    total = float(sum(d.weight for d in drivers))
    if total <= 0:
        raise ValueError("change index drivers need a positive total weight")
    points = {
        f"change_points_{d.column}": 100.0
        * d.weight
        / total
        * _driver_score(drivers_table[d.column], d)
        for d in drivers
    }
    t = drivers_table.mutate(**points)
    index = sum((t[name] for name in points), ibis.literal(0.0))
    return t.mutate(change_index=index)


def change_index(
    accounts: ir.Table,
    opportunities: ir.Table,
    opportunity_history: ir.Table,
    contacts: ir.Table,
    activities: ir.Table,
    *,
    as_of: datetime,
    window_days: float = WINDOW_DAYS,
    drivers: Sequence[Driver] = DRIVERS,
    order: Mapping[str, float] | None = None,
    logging_stopped_at: datetime | date | None = None,
    changes: ir.Table | None = None,
) -> ir.Table:
    """Per account (created by ``as_of`` or undated): the change index and its drivers.

    When activity logging stopped org-wide before ``as_of`` (``logging_stopped_at``), the
    engagement drivers (days since last activity, activity drop) are measured up to the
    stop: the silence after it is the org's, so no account goes dark because of it.

    Columns: ``account_id``; the raw drivers ``close_date_pushes``,
    ``close_date_push_days``, ``stage_regressions``, ``amount_cuts``,
    ``amount_cut_total`` (opportunity changes in the last ``window_days``, summed),
    ``opportunity_n`` (deals), ``contact_departures``, ``contact_arrivals``,
    ``days_since_last_activity``, ``activity_recent_n``, ``activity_prior_n``,
    ``activity_drop``; ``change_points_<driver>`` (points, 0-weight share of 100)
    and ``change_index`` (0-100, their sum).

    ``changes`` may pass :func:`opportunity_changes` computed once with
    ``also_within_days=window_days`` (its ``recent_`` columns are the ones summed here).
    """
    asof = as_of_literal(as_of)
    if changes is not None:
        cols = ("close_date_pushes", "close_date_push_days", "stage_regressions", "amount_cuts", "amount_cut_total")
        opp = changes.select("opportunity_id", "account_id", "owner_id", **{c: changes[f"recent_{c}"] for c in cols})
    else:
        opp = opportunity_changes(
            opportunity_history, opportunities, as_of=as_of, window_days=window_days, order=order
        )
    per_account = opp.group_by("account_id").aggregate(
        opportunity_n=opp.count(),
        close_date_pushes=opp.close_date_pushes.sum(),
        close_date_push_days=opp.close_date_push_days.sum(),
        stage_regressions=opp.stage_regressions.sum(),
        amount_cuts=opp.amount_cuts.sum(),
        amount_cut_total=opp.amount_cut_total.sum(),
    )
    moves = contact_movements(contacts, as_of=as_of, window_days=window_days)
    engaged = engagement(activities, contacts, as_of=activity_end(as_of, logging_stopped_at)).select(
        "account_id",
        "days_since_last_activity",
        "activity_recent_n",
        "activity_prior_n",
        "activity_drop",
    )
    acc = accounts.filter(accounts.created_at.isnull() | (accounts.created_at <= asof))
    t = acc.select("account_id")
    for part in (per_account, moves, engaged):
        t = left_join_on(t, part, "account_id")
    t = t.mutate(
        opportunity_n=t.opportunity_n.fill_null(0),
        close_date_pushes=t.close_date_pushes.fill_null(0),
        close_date_push_days=t.close_date_push_days.fill_null(0.0),
        stage_regressions=t.stage_regressions.fill_null(0),
        amount_cuts=t.amount_cuts.fill_null(0),
        amount_cut_total=t.amount_cut_total.fill_null(0.0),
        contact_departures=t.contact_departures.fill_null(0),
        contact_arrivals=t.contact_arrivals.fill_null(0),
        activity_recent_n=t.activity_recent_n.fill_null(0),
        activity_prior_n=t.activity_prior_n.fill_null(0),
    )
    return change_index_from_drivers(t, drivers=drivers)


# --- reasons ----------------------------------------------------------------------------


#: Drivers read from activities: measured up to a logging stop, and said so.
ENGAGEMENT_DRIVERS = ("days_since_last_activity", "activity_drop")


def change_drivers(
    index: ir.Table,
    *,
    top: int = 3,
    drivers: Sequence[Driver] = DRIVERS,
    logging_stopped_at: datetime | date | None = None,
) -> ir.Table:
    """The ``top`` drivers of each account's change index, one row each (long form).

    Only drivers with points > 0; ties broken by driver name.  Columns:
    ``account_id``, ``rank`` (1 = biggest), ``driver``, ``value``, ``points``,
    ``reason`` (e.g. ``"stage regressions: 2"``, ``"activity drop: 67%"``).  With an
    org-wide ``logging_stopped_at``, engagement reasons say they are counted up to it:
    ``"days since last activity: 40 (to 2024-05-01, no activity logged since)"``.
    """
    stopped = ""
    if logging_stopped_at is not None:
        stopped = f" (to {logging_stopped_at:%Y-%m-%d}, no activity logged since)"  # no "; ": reasons are joined by it
    parts = []
    for d in drivers:
        value = index[d.column].cast("float64")
        shown = (value * d.display_scale).round(0).cast("int64").cast("string")
        note = stopped if d.column in ENGAGEMENT_DRIVERS else ""
        parts.append(
            index.select(
                "account_id",
                driver=ibis.literal(d.column),
                value=value,
                points=index[f"change_points_{d.column}"],
                reason=ibis.literal(f"{d.label}: ") + shown + ibis.literal(d.display_suffix + note),
            )
        )
    long = ibis.union(*parts, distinct=False)
    long = long.filter(long.points > 0)
    w = ibis.window(group_by="account_id", order_by=[ibis.desc("points"), "driver"])
    long = long.mutate(rank=ibis.row_number().over(w) + 1)
    long = long.filter(long["rank"] <= top)
    return long.select("account_id", "rank", "driver", "value", "points", "reason")


def change_reasons(
    index: ir.Table,
    *,
    top: int = 3,
    drivers: Sequence[Driver] = DRIVERS,
    logging_stopped_at: datetime | date | None = None,
) -> ir.Table:
    """One row per account with a change: ``reason_1`` .. ``reason_<top>`` and
    ``reasons`` (them joined by ``"; "``, biggest first); see :func:`change_drivers`
    for ``logging_stopped_at``."""
    long = change_drivers(index, top=top, drivers=drivers, logging_stopped_at=logging_stopped_at)
    wide = long.group_by("account_id").aggregate(
        **{f"reason_{k}": long.reason.max(where=long["rank"] == k) for k in range(1, top + 1)}
    )
    text: ir.StringValue = wide.reason_1
    for k in range(2, top + 1):
        text = text + (ibis.literal("; ") + wide[f"reason_{k}"]).fill_null("")
    return wide.mutate(reasons=text)
