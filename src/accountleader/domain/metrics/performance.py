"""Owner and manager performance: bookings, win rates, pipeline and deal cycle times.

Written against four mistakes of Fivetran's dbt_salesforce models, each pinned by a
test: day counts that come out negative, 0 % win rate for a seller with only wins,
a manager win rate that drops reps without losses, and amounts multiplied by a
0-100 probability as if it were 0-1.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from ._clean import closed_at, closed_by, deal_value, entered_late, placeholder_amount
from ._time import as_of_literal, days_between

METRICS = (
    "bookings",
    "win_rate",
    "win_rate_amount",
    "open_pipeline",
    "weighted_pipeline",
    "avg_days_to_close",
    "avg_days_open",
)

#: Quality flags (``opportunities.quality_flag``) that make a deal's cycle time meaningless.
OUT_OF_SEQUENCE_FLAGS = ("closed_before_created",)

#: Deepest reporting line followed by the recursive manager roll-up.
MAX_DEPTH = 8


def deal_outcomes(opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """One row per deal created by ``as_of``, with its state as of then.

    A deal is *closed* when ``is_closed`` and it closed by ``as_of`` (``closed_at``: the
    first history row in a closed stage or the close date, whichever is earlier; see
    :func:`._clean.closed_by`); a deal closed in the CRM after ``as_of`` counts as open
    (at its current probability).  ``value`` is ``amount_corporate`` when converted, else
    ``amount``, and null for a placeholder amount (the deal still counts in deal counts).

    Columns: ``opportunity_id``, ``owner_id``, ``value``, ``won``, ``lost``,
    ``open``, ``weighted_value`` (value x probability / 100, open deals),
    ``days_to_close`` (whole days from created date to the day it closed, won deals,
    null when excluded), ``cycle_excluded`` (won deal with an out-of-sequence
    flag or a negative cycle), ``cycle_entered_late`` (won deal first recorded at the
    commit/signature stage: its cycle is entry lag, left out), ``entered_late`` (any deal
    first recorded at the commit/signature stage), ``placeholder``
    (placeholder amount, left out of amounts), ``days_open`` (fractional days to
    ``as_of``, open deals).
    """
    asof = as_of_literal(as_of)
    o = opportunities.filter(opportunities.created_at <= asof)
    closed = closed_by(o, asof)
    won = closed & o.is_won.fill_null(False)
    value = deal_value(o)
    raw_days = days_between(o.created_at.date(), closed_at(o).date())
    flagged = o.quality_flag.isin(list(OUT_OF_SEQUENCE_FLAGS)).fill_null(False)
    excluded = won & (flagged | (raw_days < 0).fill_null(False))
    late = won & ~excluded & entered_late(o)
    return o.select(
        "opportunity_id",
        "owner_id",
        value=value,
        won=won,
        lost=closed & ~won,
        open=~closed,
        # Salesforce stores probability in percent: 25 means a quarter.
        weighted_value=ibis.ifelse(~closed, value * o.probability / 100, ibis.null("float64")),
        days_to_close=ibis.ifelse(won & ~excluded & ~late, raw_days, ibis.null("float64")),
        cycle_excluded=excluded,
        cycle_entered_late=late,
        entered_late=entered_late(o),
        placeholder=placeholder_amount(o),
        days_open=ibis.ifelse(~closed, days_between(o.created_at, asof), ibis.null("float64")),
    )


def _aggregate(deals: ir.Table, key: str) -> ir.Table:
    """Pool the deals of each ``key`` (never an average of per-rep rates)."""
    agg = deals.group_by(key).aggregate(
        bookings=deals.value.sum(where=deals.won),
        won_n=deals.count(where=deals.won),
        lost_n=deals.count(where=deals.lost),
        closed_amount=deals.value.sum(where=deals.won | deals.lost),
        open_n=deals.count(where=deals.open),
        open_pipeline_amount=deals.value.sum(where=deals.open),
        weighted_pipeline_amount=deals.weighted_value.sum(),
        weighted_pipeline_n=deals.weighted_value.count(),
        avg_days_to_close=deals.days_to_close.mean(),
        days_to_close_n=deals.days_to_close.count(),
        days_to_close_excluded_n=deals.count(where=deals.cycle_excluded),
        days_to_close_entered_late_n=deals.count(where=deals.cycle_entered_late),
        entered_late_n=deals.count(where=deals.entered_late),
        placeholder_amount_n=deals.count(where=deals.placeholder),
        avg_days_open=deals.days_open.mean(),
        days_open_n=deals.days_open.count(),
    )
    closed_n = agg.won_n + agg.lost_n
    return agg.mutate(
        bookings=agg.bookings.fill_null(0.0),
        closed_n=closed_n,
        win_rate=ibis.ifelse(closed_n > 0, agg.won_n / closed_n, ibis.null("float64")),
        win_rate_amount=ibis.ifelse(
            agg.closed_amount > 0,
            agg.bookings.fill_null(0.0) / agg.closed_amount,
            ibis.null("float64"),
        ),
        open_pipeline_amount=agg.open_pipeline_amount.fill_null(0.0),
        weighted_pipeline_amount=agg.weighted_pipeline_amount.fill_null(0.0),
    )


def owner_performance(opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Per seller (``owner_id``) as of ``as_of``.

    Columns: ``bookings`` (won value), ``won_n``, ``lost_n``, ``closed_n``,
    ``closed_amount``, ``win_rate`` (won_n / closed_n, 0-1, null with no closed
    deals), ``win_rate_amount`` (bookings / closed_amount, 0-1), ``open_n``,
    ``open_pipeline_amount``, ``weighted_pipeline_amount`` (+ ``weighted_pipeline_n``),
    ``avg_days_to_close`` (days, won deals, + ``days_to_close_n``,
    ``days_to_close_excluded_n`` and ``days_to_close_entered_late_n``), ``avg_days_open``
    (days, + ``days_open_n``), ``entered_late_n`` (deals first recorded at the
    commit/signature stage), ``placeholder_amount_n`` (deals whose placeholder amount is
    left out of every amount above).
    """
    return _aggregate(deal_outcomes(opportunities, as_of=as_of), "owner_id")


def reporting_lines(users: ir.Table, *, max_depth: int = MAX_DEPTH) -> ir.Table:
    """Every (``user_id``, ``manager_id``, ``depth``) pair along ``users.manager_id``.

    Depth 1 is the direct manager, 2 the manager's manager, and so on up to
    ``max_depth`` (Ibis has no recursive query, so the levels are unrolled).  A
    cycle in the data cannot make a user their own manager; each pair is kept
    once at its shortest depth.
    """
    edges = users.filter(users.manager_id.notnull()).select("user_id", up_id=users.manager_id)
    level = edges.select("user_id", manager_id="up_id", depth=ibis.literal(1))
    levels = [level]
    for depth in range(2, max_depth + 1):
        up = edges.view()
        nxt = level.inner_join(up, level.manager_id == up.user_id)
        level = nxt.select(user_id=level.user_id, manager_id=up.up_id, depth=ibis.literal(depth))
        levels.append(level)
    lines = ibis.union(*levels, distinct=False)
    lines = lines.filter(lines.user_id != lines.manager_id)
    return lines.group_by(["user_id", "manager_id"]).aggregate(depth=lines.depth.min())


def manager_performance(
    opportunities: ir.Table,
    users: ir.Table,
    *,
    as_of: datetime,
    recursive: bool = False,
    max_depth: int = MAX_DEPTH,
) -> ir.Table:
    """Per manager: the pooled deals of their direct reports (or everyone below them).

    Same columns as :func:`owner_performance`, keyed by ``manager_id``.  Rates
    are computed on the pooled deals, so a rep with wins and no losses counts in
    the denominator like everyone else.  ``recursive=True`` rolls up the whole
    reporting line below each manager (up to ``max_depth`` levels).
    """
    deals = deal_outcomes(opportunities, as_of=as_of)
    if recursive:
        lines = reporting_lines(users, max_depth=max_depth)
    else:
        lines = users.filter(users.manager_id.notnull()).select("user_id", "manager_id")
    lines = lines.select(owner_id="user_id", manager_id="manager_id")
    return _aggregate(deals.inner_join(lines, "owner_id"), "manager_id")
