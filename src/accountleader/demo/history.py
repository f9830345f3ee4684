"""OpportunityHistory: one row when a deal is created and one per change of stage,
close date or amount, plus each deal's state at the as-of date.

Change kinds besides stage moves are set by a :class:`ChangePlan`; :func:`everyday_changes`
gives the ordinary amount of churn, and planting adds the heavy-change kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clock import DAY, as_of_seconds, group_starts
from .pipeline import CLOSED_LOST, CLOSED_WON, Deals, StageTimes

STAGE_ROW, PUSH_ROW, AMOUNT_ROW, REGRESSION_ROW = range(4)


@dataclass
class ChangePlan:
    """Extra history rows: (deal, instant, value) triples per kind of change.

    ``push`` values are days added to the close date; ``amount`` values are factors;
    ``regression`` values are the stage the deal falls back to.
    """

    push: tuple[np.ndarray, np.ndarray, np.ndarray]
    amount: tuple[np.ndarray, np.ndarray, np.ndarray]
    regression: tuple[np.ndarray, np.ndarray, np.ndarray] = field(
        default_factory=lambda: (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    )
    duplicate_rows_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    closed_before_created: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blank_amount: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def last_visible_instant(deals: Deals, times: StageTimes) -> np.ndarray:
    """The close instant for closed deals, the as-of instant for open ones."""
    return np.minimum(times.closed, as_of_seconds() - 1)


def everyday_changes(rng: np.random.Generator, deals: Deals, times: StageTimes) -> ChangePlan:
    """Ordinary churn: most deals keep their close date, some push it once or twice,
    about one in five changes its amount once."""
    n = deals.created.shape[0]
    until = last_visible_instant(deals, times)
    life = np.maximum(until - deals.created, DAY)
    pushes = rng.choice(4, n, p=[0.66, 0.25, 0.085, 0.005])
    deal = np.repeat(np.arange(n), pushes)
    when = deals.created[deal] + (rng.random(deal.shape[0]) * life[deal]).astype(np.int64)
    days = rng.integers(7, 35, deal.shape[0])
    changed = np.flatnonzero(rng.random(n) < 0.2)
    a_when = deals.created[changed] + (rng.random(changed.shape[0]) * life[changed]).astype(
        np.int64
    )
    factor = np.round(np.exp(rng.normal(0.0, 0.2, changed.shape[0])), 2)
    return ChangePlan(push=(deal, when, days), amount=(changed, a_when, factor))


@dataclass(frozen=True)
class History:
    """History rows (sorted by instant) and each deal's state at the as-of date."""

    deal: np.ndarray
    at: np.ndarray  # seconds
    stage: np.ndarray
    amount: np.ndarray  # float, NaN where blank
    close_day: np.ndarray  # days since epoch
    # State of every deal at the as-of date:
    stage_now: np.ndarray
    amount_now: np.ndarray
    close_day_now: np.ndarray
    is_closed: np.ndarray


def build_history(
    rng: np.random.Generator, deals: Deals, times: StageTimes, plan: ChangePlan
) -> History:
    """All history rows visible at the as-of date and the resulting state of each deal."""
    as_of = as_of_seconds()
    n = deals.created.shape[0]
    is_closed = times.closed < as_of

    d_idx, s_idx = np.nonzero((times.entry >= 0) & (times.entry < as_of))
    stage_at = times.entry[d_idx, s_idx]
    closed_deals = np.flatnonzero(is_closed)
    deal = np.concatenate([d_idx, closed_deals, plan.push[0], plan.amount[0], plan.regression[0]])
    at = np.concatenate(
        [stage_at, times.closed[closed_deals], plan.push[1], plan.amount[1], plan.regression[1]]
    )
    kind = np.concatenate(
        [
            np.full(d_idx.shape[0] + closed_deals.shape[0], STAGE_ROW),
            np.full(plan.push[0].shape[0], PUSH_ROW),
            np.full(plan.amount[0].shape[0], AMOUNT_ROW),
            np.full(plan.regression[0].shape[0], REGRESSION_ROW),
        ]
    )
    closing_stage = np.where(deals.won[closed_deals], CLOSED_WON, CLOSED_LOST)
    stage_value = np.concatenate(
        [
            s_idx,
            closing_stage,
            np.full(plan.push[0].shape[0] + plan.amount[0].shape[0], -1),
            plan.regression[2],
        ]
    )
    push_days = np.concatenate(
        [
            np.zeros(d_idx.shape[0] + closed_deals.shape[0]),
            plan.push[2],
            np.zeros(plan.amount[0].shape[0] + plan.regression[0].shape[0]),
        ]
    )
    log_factor = np.concatenate(
        [
            np.zeros(d_idx.shape[0] + closed_deals.shape[0] + plan.push[0].shape[0]),
            np.log(plan.amount[2]),
            np.zeros(plan.regression[0].shape[0]),
        ]
    )

    # A change after the as-of date has not happened yet; one at the creation instant is the creation.
    real = (kind == STAGE_ROW) | ((at > deals.created[deal]) & (at < as_of))
    deal, at, kind, stage_value, push_days, log_factor = (
        x[real] for x in (deal, at, kind, stage_value, push_days, log_factor)
    )
    order = np.lexsort((kind, at, deal))
    deal, at, kind, stage_value, push_days, log_factor = (
        x[order] for x in (deal, at, kind, stage_value, push_days, log_factor)
    )
    first = group_starts(deal)
    has_stage = stage_value >= 0
    last_stage_row = np.maximum.accumulate(np.where(has_stage, np.arange(deal.shape[0]), 0))
    stage = stage_value[last_stage_row]

    total_push = np.bincount(deal, weights=push_days, minlength=n)
    created_day = deals.created // DAY
    closed_day = times.closed // DAY
    target_open = as_of // DAY + rng.integers(10, 100, n)
    start_close = np.where(
        is_closed, closed_day - total_push + rng.integers(0, 10, n), target_open - total_push
    )
    start_close = np.maximum(start_close, created_day + 7).astype(np.int64)
    cum_push = np.cumsum(push_days)
    cum_push -= (cum_push - push_days)[first]
    close_day = start_close[deal] + cum_push.astype(np.int64)
    closing = (kind == STAGE_ROW) & (stage >= CLOSED_WON)
    close_day = np.where(closing, closed_day[deal], close_day)

    cum_log = np.cumsum(log_factor)
    cum_log -= (cum_log - log_factor)[first]
    amount = np.round(deals.amount_usd[deal] * np.exp(cum_log), -2)

    if plan.closed_before_created.shape[0]:
        bad = np.isin(deal, plan.closed_before_created) & closing
        close_day = np.where(bad, created_day[deal] - 3 - (deal % 20), close_day)
    if plan.blank_amount.shape[0]:
        amount = np.where(np.isin(deal, plan.blank_amount), np.nan, amount)
    if plan.duplicate_rows_of.shape[0]:
        # A load artefact: a second copy of the deal's first stage change, same instant.
        second = np.flatnonzero(
            np.isin(deal, plan.duplicate_rows_of) & (np.arange(deal.shape[0]) == first + 1)
        )
        keep = np.concatenate([np.arange(deal.shape[0]), second])
        keep.sort(kind="stable")
        deal, at, stage, amount, close_day = (x[keep] for x in (deal, at, stage, amount, close_day))

    last = np.r_[np.flatnonzero(deal[1:] != deal[:-1]), deal.shape[0] - 1]
    assert (deal[last] == np.arange(n)).all()
    by_time = np.argsort(at, kind="stable")
    return History(
        deal=deal[by_time],
        at=at[by_time],
        stage=stage[by_time],
        amount=amount[by_time],
        close_day=close_day[by_time],
        stage_now=stage[last],
        amount_now=amount[last],
        close_day_now=close_day[last],
        is_closed=is_closed,
    )
