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
        "account_id",
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


def expected_results(
    opportunities: ir.Table,
    account_fit: ir.Table | None,
    *,
    as_of: datetime,
    base_rate: float,
    z: float = 1.96,
) -> ir.Table:
    """What each seller's closed deals should have yielded, given the fit of their accounts.

    Each deal closed by ``as_of`` is expected to win with its account's fit probability
    (``account_fit.fit_score`` / 100, a calibrated win probability), or with ``base_rate``
    where the account has no score; pass ``account_fit=None`` when the fit model found no
    signal, and every deal takes the base rate.  Per ``owner_id``:

    ``expected_n`` (closed deals: the sample), ``expected_wins`` (sum of p),
    ``expected_won_amount`` (sum of p x value; placeholder amounts left out),
    ``expected_fit_n`` (deals priced by the fit model), ``expected_basis`` (``account fit``,
    ``account fit, base rate where unscored``, ``base rate``),
    ``results_vs_expected`` (wins / expected wins), ``results_vs_expected_low`` /
    ``_high`` (wins +- ``z`` standard deviations of the expected count, sqrt(sum p(1-p)),
    over expected wins: above 1 at the low end means the seller beat their accounts' odds
    by more than chance) and ``results_vs_expected_amount`` (won amount / expected won amount).
    """
    if not 0 < base_rate < 1:
        raise ValueError(f"base_rate must be strictly between 0 and 1, got {base_rate}")
    deals = deal_outcomes(opportunities, as_of=as_of)
    closed = deals.filter(deals.won | deals.lost)
    if account_fit is not None:
        f = account_fit.select(_aid=account_fit.account_id, _p=account_fit.fit_score.cast("float64") / 100.0)
        closed = closed.left_join(f, closed.account_id == f._aid).drop("_aid")
        scored = closed._p.notnull() & (closed._p > 0) & (closed._p < 1)
        p = ibis.ifelse(scored, closed._p, ibis.literal(base_rate))
    else:
        scored = ibis.literal(False)
        p = ibis.literal(base_rate)
    closed = closed.mutate(_pp=p.cast("float64"), _scored=scored.cast("int64"))
    agg = closed.group_by("owner_id").aggregate(
        expected_n=closed.count(),
        _won=closed.won.cast("int64").sum(),
        _won_amount=closed.value.sum(where=closed.won),
        expected_wins=closed._pp.sum(),
        _var=(closed._pp * (1 - closed._pp)).sum(),
        expected_won_amount=(closed._pp * closed.value).sum(),
        expected_fit_n=closed._scored.sum(),
    )
    sd = agg._var.sqrt()
    ew = agg.expected_wins
    basis = ibis.cases(
        (agg.expected_fit_n == agg.expected_n, "account fit"),
        (agg.expected_fit_n > 0, "account fit, base rate where unscored"),
        else_="base rate" if account_fit is not None else "base rate (the fit model found no signal)",
    )
    out = agg.mutate(
        expected_basis=basis,
        results_vs_expected=agg._won / ew,
        results_vs_expected_low=ibis.greatest((agg._won - z * sd) / ew, 0.0),
        results_vs_expected_high=(agg._won + z * sd) / ew,
        results_vs_expected_amount=ibis.ifelse(
            agg.expected_won_amount > 0, agg._won_amount.fill_null(0.0) / agg.expected_won_amount, ibis.null("float64")
        ),
    )
    return out.drop("_won", "_won_amount", "_var")


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
