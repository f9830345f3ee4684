"""Opportunities: which seller opens which deal where, how it moves through the
stages, and whether it is won.

A deal is simulated over its whole life relative to its creation (gaps between stage
entries); :func:`stage_entries` turns that into instants once the creation instant is
final (planting may move it), and the as-of date then decides what is still open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import Accounts
from .clock import (
    DAY,
    HOUR,
    add_business_days,
    as_of_seconds,
    business_instants,
    window_start_seconds,
)
from .contacts import JUNIOR, MIDDLE, SENIOR, Contacts
from .people import AT_RISK, BUSY, LEADING, SLOW, TENDER, SalesOrg

STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
PROPOSAL, NEGOTIATION, CLOSED_WON, CLOSED_LOST = 4, 5, 6, 7
STAGE_PROBABILITY = np.array([10, 20, 25, 50, 75, 90, 100, 0])
STAGE_FORECAST = np.array(
    ["Pipeline"] * 4 + ["Best Case", "Commit", "Closed", "Omitted"], dtype=object
)
TYPES = ("New Business", "Existing Customer - Upgrade", "Renewal")
NEW_BUSINESS, UPGRADE, RENEWAL = range(3)

#: Deals per seller over the three years, by archetype.
_DEALS_PER_SELLER = np.array([130, 150, 110, 120, 90])
_TYPE_MIX = {TENDER: np.array([0.02, 0.03, 0.95])}
_TYPE_MIX_DEFAULT = np.array([0.6, 0.22, 0.18])
#: Effort weight of an account by (archetype, fit class: high, mid, low industry).
FIT_CLASS_WEIGHT = np.array(
    [[3.0, 1.5, 0.4], [0.3, 0.45, 5.0], [3.0, 1.5, 0.4], [0.3, 0.45, 5.0], [1.0, 1.0, 1.0]]
)
#: Probability that a buying-group slot is a senior / middle / junior contact, by archetype.
BAND_MIX = np.array(
    [
        [0.65, 0.25, 0.10],
        [0.08, 0.20, 0.72],
        [0.65, 0.25, 0.10],
        [0.08, 0.20, 0.72],
        [0.35, 0.40, 0.25],
    ]
)
_GROUP_SIZE = ((3, 6), (1, 3), (3, 5), (1, 3), (1, 3))  # [low, high) contacts per deal
_VELOCITY = np.array([0.9, 1.0, 1.7, 1.7, 1.0])  # stage-time multiplier
_WIN_BONUS = np.array([0.35, 0.0, -0.05, -0.35, 0.0])
_STAGE_GAP_DAYS = np.array([7.0, 9.0, 12.0, 12.0, 7.0, 14.0])


def workload(org: SalesOrg, accounts: Accounts) -> float:
    """Accounts per seller relative to the standard book of 50 (small scales keep a
    minimum sales force, so each seller carries fewer accounts and does less)."""
    return accounts.account_id.shape[0] / (50.0 * org.sellers.shape[0])


def fit_class(accounts: Accounts) -> np.ndarray:
    """0 for high-fit industries, 2 for low-fit ones, 1 otherwise."""
    return np.where(accounts.high_fit_industry, 0, np.where(accounts.low_fit_industry, 2, 1))


def quote_turnaround_days(rng: np.random.Generator, archetype: np.ndarray) -> np.ndarray:
    """Business days from quote request to quote sent, by seller archetype."""
    n = archetype.shape[0]
    fast = np.clip(np.exp(rng.normal(np.log(0.6), 0.45, n)), 0.1, 2.0)
    slow = np.clip(rng.uniform(5.0, 10.0, n) + rng.normal(0, 0.5, n), 4.0, 12.0)
    tender = np.clip(np.exp(rng.normal(np.log(2.0), 0.4, n)), 0.5, 5.0)
    return np.where(
        np.isin(archetype, (SLOW, AT_RISK)), slow, np.where(archetype == TENDER, tender, fast)
    )


@dataclass
class Deals:
    """Opportunities as parallel arrays; times are instants (s) or durations (s)."""

    account: np.ndarray
    seller: np.ndarray  # index into SalesOrg.sellers
    archetype: np.ndarray
    type: np.ndarray
    created: np.ndarray
    first_stage: np.ndarray
    last_open_stage: np.ndarray  # highest open stage the deal reaches in its whole life
    won: np.ndarray
    gaps: np.ndarray  # (deals, 6) time spent in each open stage, excluding quote turnaround
    turnaround: np.ndarray  # quote turnaround, business days
    amount_usd: np.ndarray
    group: np.ndarray  # (deals, 5) buying-group contact rows
    group_size: np.ndarray


def open_deals(
    rng: np.random.Generator, org: SalesOrg, accounts: Accounts, contacts: Contacts
) -> Deals:
    """Every seller opens deals on their own accounts, aimed by their archetype."""
    start, end = window_start_seconds(), as_of_seconds()
    cls = fit_class(accounts)
    load = workload(org, accounts)
    acc_parts: list[np.ndarray] = []
    seller_parts: list[np.ndarray] = []
    type_parts: list[np.ndarray] = []
    for s, arche in enumerate(org.seller_archetype):
        owned = np.flatnonzero(accounts.owner == s)
        if owned.shape[0] == 0:
            continue
        n = int(rng.poisson(_DEALS_PER_SELLER[arche] * load))
        kinds = rng.choice(3, n, p=_TYPE_MIX.get(int(arche), _TYPE_MIX_DEFAULT))
        weight = FIT_CLASS_WEIGHT[arche, cls[owned]] * rng.gamma(2.0, 0.5, owned.shape[0])
        customers = accounts.base_customer[owned]
        if arche == TENDER:
            weight = np.where(customers, weight, weight * 0.05)
        chosen = np.empty(n, dtype=np.int64)
        for k, eligible in ((NEW_BUSINESS, ~customers), (UPGRADE, customers), (RENEWAL, customers)):
            rows = np.flatnonzero(kinds == k)
            pool = eligible if eligible.any() else np.ones_like(eligible)
            w = np.where(pool, weight, 0.0)
            chosen[rows] = owned[rng.choice(owned.shape[0], rows.shape[0], p=w / w.sum())]
            if not eligible.any():
                kinds[rows] = NEW_BUSINESS if k != NEW_BUSINESS else RENEWAL
        acc_parts.append(chosen)
        seller_parts.append(np.full(n, s))
        type_parts.append(kinds)
    account = np.concatenate(acc_parts)
    seller = np.concatenate(seller_parts)
    kind = np.concatenate(type_parts)
    arche = org.seller_archetype[seller]
    n = account.shape[0]

    created = business_instants(
        rng, np.maximum(start, accounts.created[account] + 14 * DAY), np.full(n, end)
    )
    first_stage = np.array([0, 1, 3])[kind]
    fit = accounts.fit_logit[account]
    logit = np.select(
        [kind == NEW_BUSINESS, kind == UPGRADE],
        [-0.85 + 1.0 * fit + _WIN_BONUS[arche], 0.1 + 0.8 * fit + _WIN_BONUS[arche]],
        1.6 + 0.4 * fit,
    )
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    lost_weight = np.array([1.0, 1.0, 0.9, 0.8, 0.7, 0.5])
    lost_stage = np.empty(n, dtype=np.int64)
    for s0 in (0, 1, 3):
        rows = np.flatnonzero(first_stage == s0)
        lost_stage[rows] = rng.choice(6, rows.shape[0], p=_truncated(lost_weight, s0))
    last_open = np.where(won, NEGOTIATION, lost_stage)

    gap_days = _STAGE_GAP_DAYS * np.exp(rng.normal(0, 0.55, (n, 6)))
    gap_days *= _VELOCITY[arche][:, None] * np.where(kind == RENEWAL, 0.8, 1.0)[:, None]
    gap_days[np.arange(n), last_open] *= np.where(won, 1.0, 1.6)
    gaps = (gap_days * DAY).astype(np.int64) + rng.integers(-3 * HOUR, 3 * HOUR, (n, 6))

    base = np.array([15_000.0, 60_000.0, 220_000.0])[accounts.segment[account]]
    amount = base * np.exp(rng.normal(0, 0.55, n)) * np.array([1.0, 0.5, 0.7])[kind]

    group_size = np.empty(n, dtype=np.int64)
    bands = np.empty((n, 5), dtype=np.int64)
    for a, (lo, hi) in enumerate(_GROUP_SIZE):
        rows = np.flatnonzero(arche == a)
        group_size[rows] = rng.integers(lo, hi, rows.shape[0])
        bands[rows] = rng.choice(3, (rows.shape[0], 5), p=BAND_MIX[a])
    # The first slot is the main contact: senior for sellers who aim high, junior for the rest.
    bands[:, 0] = np.where(
        np.isin(arche, (LEADING, SLOW)),
        SENIOR,
        np.where(np.isin(arche, (BUSY, AT_RISK)), JUNIOR, MIDDLE),
    )
    group = contacts.pick(rng, np.repeat(account, 5), bands.ravel()).reshape(n, 5)
    # Different slots should be different people where the account has enough of them.
    lo = contacts.band_start[account, 0]
    size = contacts.band_start[account, 3] - lo
    for k in range(1, 5):
        for _ in range(k):
            clash = (group[:, :k] == group[:, k : k + 1]).any(axis=1)
            group[:, k] = np.where(clash, lo + (group[:, k] - lo + 1) % size, group[:, k])

    order = np.argsort(created, kind="stable")
    return Deals(
        account=account[order],
        seller=seller[order],
        archetype=arche[order],
        type=kind[order],
        created=created[order],
        first_stage=first_stage[order],
        last_open_stage=last_open[order],
        won=won[order],
        gaps=gaps[order],
        turnaround=quote_turnaround_days(rng, arche)[order],
        amount_usd=amount[order],
        group=group[order],
        group_size=group_size[order],
    )


def _truncated(weight: np.ndarray, first: int) -> np.ndarray:
    w = np.where(np.arange(weight.shape[0]) >= first, weight, 0.0)
    return w / w.sum()


@dataclass(frozen=True)
class StageTimes:
    """Instants of a deal's life: entry into each open stage (-1 if never), quote and close."""

    entry: np.ndarray  # (deals, 6)
    quote_requested: np.ndarray  # entry into Proposal/Price Quote, -1 if never reached
    quote_sent: np.ndarray
    closed: np.ndarray  # the instant the deal closes (may be after as-of: then it is open)


def stage_entries(deals: Deals) -> StageTimes:
    """Absolute stage-entry instants from creation and gaps, with quote turnaround inside Proposal."""
    n = deals.created.shape[0]
    entry = np.full((n, 6), -1, dtype=np.int64)
    at = deals.created.copy()
    sent = np.full(n, -1, dtype=np.int64)
    closed = np.full(n, -1, dtype=np.int64)
    for stage in range(6):
        active = (stage >= deals.first_stage) & (stage <= deals.last_open_stage)
        entry[:, stage] = np.where(active, at, -1)
        stay = deals.gaps[:, stage].copy()
        if stage == PROPOSAL:
            sent = np.where(active, add_business_days(at, deals.turnaround), -1)
            stay = np.where(active, stay + (sent - at), stay)
        at = np.where(active, at + stay, at)
        closed = np.where(stage == deals.last_open_stage, at, closed)
    return StageTimes(
        entry=entry, quote_requested=entry[:, PROPOSAL], quote_sent=sent, closed=closed
    )
