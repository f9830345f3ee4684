"""Planted for the leadership half of issue 14: accounts in change handled as steady state, and
sellers whose style follows the situation.

* **Change handled as steady state.** A few sellers who create business elsewhere each get
  three of their own accounts in heavy change: the account's big new-business or expansion deal,
  lost three to six months ago, had slipped again and again (close-date pushes), stepped back
  twice and been cut twice on its way, and its champion and three or four other senior or middle
  people have left. The seller carries on as before: routine check-ins, all with one junior
  person, no senior contact for the last 150 days, nothing new being created. These accounts are *managed, not
  led*, and their sellers fall behind the company in heavy change only: locked into one style.
* **Flexible sellers.** Over the last 200 days two leading sellers adapt to the deal's stage: on a
  deal in a late stage (probability 50 or more) they call senior people, elsewhere they email, and
  account work goes to people below the senior level (their share of senior people, and so their
  reach, stays what it was).

Every other demo seller is rigid by construction (the generator draws channel and people from
one mix whatever the situation); those with heavy-change accounts who keep creating there are the
consistent sellers who must not be flagged.

The plant has its own random stream (:func:`leadership_rng`), so the rest of the company is
drawn exactly as before; it changes only the planted accounts' deal history, people and
touches, and the planted sellers' touches (contacts, and call/email within the Task file).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from .accounts import Accounts
from .activity import CALL, TASK_EMAIL, TODO, Touches
from .clock import DAY, as_of_seconds
from .contacts import JUNIOR, MIDDLE, NO_DATE, SENIOR, Contacts
from .history import ChangePlan
from .people import LEADING, TENDER, SalesOrg
from .pipeline import NEW_BUSINESS, UPGRADE, Deals, StageTimes
from .planted import Plan

STEADY_SELLERS = 3
ACCOUNTS_PER_STEADY_SELLER = 3
FLEXIBLE_SELLERS = 2
#: the demo's stages from Proposal on have a probability of 50 or more: "late" (metrics/style.py)
LATE_STAGE = 3
STEADY_DAYS = 150
FLEXIBLE_DAYS = 200


@dataclass
class LeadershipPlan:
    steady_accounts: np.ndarray  # account rows, ACCOUNTS_PER_STEADY_SELLER per steady seller
    steady_deals: np.ndarray  # the lost creating deal that carried each one's change, same order
    steady_sellers: np.ndarray  # seller rows
    flexible_sellers: np.ndarray  # seller rows
    #: accounts the other plants use (starved, single-threaded, heavy change): the flexible sellers leave them be
    other_plants: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: per touch: the Task channel a flexible seller's touch takes (-1: unchanged)
    task_channel: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def leadership_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{seed}-leadership-plants".encode()))


def _now_stage(times: StageTimes, deal: int, at: int) -> int:
    entered = np.flatnonzero((times.entry[deal] >= 0) & (times.entry[deal] <= at))
    return int(entered.max()) if entered.shape[0] else 0


def choose(
    rng: np.random.Generator, org: SalesOrg, accounts: Accounts, contacts: Contacts, deals: Deals,
    times: StageTimes, plan: Plan, touches: Touches,
) -> LeadershipPlan:
    """Pick the steady-state accounts (with the lost deal that carried the change) and sellers, and the flexible sellers."""
    as_of = as_of_seconds()
    n_acc = accounts.account_id.shape[0]
    used = np.zeros(n_acc, dtype=bool)
    others = np.concatenate([plan.starved, plan.single_accounts, plan.heavy_accounts])
    used[others] = True
    # a creating deal live in the last 100 days makes every touch at the account "creating"
    creating = np.isin(deals.type, (NEW_BUSINESS, UPGRADE))
    live = creating & (deals.created < as_of) & (times.closed > as_of - 100 * DAY)
    used[deals.account[live]] = True
    per_account = np.bincount(contacts.account[: contacts.sampleable], minlength=n_acc)
    # the seller keeps touching the account: enough recent touches for a create share
    recent = np.bincount(touches.account[(touches.at >= as_of - 85 * DAY) & (touches.account >= 0)], minlength=n_acc)
    # lost 100-175 days ago after a life of 45 days or more (30 on a small company): room for its
    # changes in the window
    def pick(min_life: int, min_per_seller: int) -> tuple[np.ndarray, np.ndarray]:
        candidate = np.flatnonzero(
            creating
            & ~deals.won
            & (times.closed > as_of - 175 * DAY) & (times.closed < as_of - 100 * DAY)
            & (times.closed - deals.created >= min_life * DAY)
            & (deals.seller == accounts.owner[deals.account])
            & ~used[deals.account]
            & (per_account[deals.account] >= 6)
            & (recent[deals.account] >= 8)
        )
        _, first = np.unique(deals.account[candidate], return_index=True)
        candidate = candidate[first]  # one deal per account
        juniors = np.array([_present(contacts, int(a), JUNIOR, as_of - STEADY_DAYS * DAY)
                            for a in deals.account[candidate]], dtype=np.int64)
        candidate = candidate[juniors >= 0]
        owner = deals.seller[candidate]
        counts = np.bincount(owner, minlength=org.sellers.shape[0])
        # sellers who create elsewhere (not the tenders), those with the most such accounts first
        counts[org.seller_archetype == TENDER] = 0
        order = np.lexsort((rng.random(counts.shape[0]), -counts))
        sellers = np.sort(order[:STEADY_SELLERS][counts[order[:STEADY_SELLERS]] >= min_per_seller])
        picked = [np.sort(rng.choice(candidate[owner == s], min(ACCOUNTS_PER_STEADY_SELLER, int(counts[s])), replace=False))
                  for s in sellers]
        return sellers, (np.concatenate(picked) if picked else np.zeros(0, np.int64))

    sellers, steady_deals = pick(45, 2)
    if not sellers.shape[0]:  # a small demo company: one account per seller will do
        sellers, steady_deals = pick(30, 1)

    leading = np.setdiff1d(np.flatnonzero(org.seller_archetype == LEADING), sellers)
    flexible = np.sort(rng.choice(leading, min(FLEXIBLE_SELLERS, leading.shape[0]), replace=False))
    return LeadershipPlan(
        steady_accounts=deals.account[steady_deals], steady_deals=steady_deals, steady_sellers=sellers,
        flexible_sellers=flexible, other_plants=others,
    )


def _present(contacts: Contacts, account: int, band: int, at: int) -> int:
    """The first contact of ``account`` in ``band`` who is there at ``at`` and has not left; -1 if none."""
    lo, hi = contacts.band_start[account, band], contacts.band_start[account, band + 1]
    for c in range(lo, hi):
        if contacts.created[c] <= at and contacts.departed[c] == NO_DATE:
            return c
    return -1


def add_changes(rng: np.random.Generator, lp: LeadershipPlan, deals: Deals, times: StageTimes,
                changes: ChangePlan) -> ChangePlan:
    """Pushes, two stage regressions and two amount cuts on each steady account's lost deal, all in
    the last 175 days and while it was open."""
    as_of = as_of_seconds()
    d = lp.steady_deals
    start = np.maximum(deals.created[d], as_of - 175 * DAY) + DAY
    end = times.closed[d] - DAY

    def when(rows: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        span = end[rows] - start[rows]
        return (start[rows] + span * rng.uniform(lo, hi, rows.shape[0])).astype(np.int64)

    k = np.arange(d.shape[0])
    pushes = rng.integers(4, 6, d.shape[0])
    p_rows = np.repeat(k, pushes)
    p_days = rng.integers(14, 45, p_rows.shape[0])
    c_rows = np.repeat(k, 2)
    c_factor = np.round(rng.uniform(0.7, 0.85, c_rows.shape[0]), 2)
    r_rows = np.repeat(k, 2)
    r_when = np.column_stack([when(k, 0.2, 0.45), when(k, 0.6, 0.9)]).ravel()
    r_stage = np.array([max(_now_stage(times, int(d[r]), int(t)) - 1, 0) for r, t in zip(r_rows, r_when, strict=True)],
                       dtype=np.int64)

    def cat(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(np.concatenate([x, y]) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]

    return ChangePlan(
        push=cat(changes.push, (d[p_rows], when(p_rows), p_days)),
        amount=cat(changes.amount, (d[c_rows], when(c_rows), c_factor)),
        regression=cat(changes.regression, (d[r_rows], r_when, r_stage)),
        duplicate_rows_of=changes.duplicate_rows_of,
        closed_before_created=changes.closed_before_created,
        blank_amount=changes.blank_amount,
    )


def move_people(rng: np.random.Generator, lp: LeadershipPlan, contacts: Contacts, deals: Deals) -> None:
    """The deal's champion and two or three senior or middle colleagues leave in the last
    STEADY_DAYS (in place). Called after the activity is drawn, so that the company's touches
    (and every random draw after them) stay as they were; :func:`steady_touches` then moves every
    touch of those days to the junior person who stays."""
    as_of = as_of_seconds()
    for acc, deal in zip(lp.steady_accounts, lp.steady_deals, strict=True):
        champion = int(deals.group[deal, 0])
        lo, hi = contacts.band_start[acc, SENIOR], contacts.band_start[acc, MIDDLE + 1]
        others = [c for c in range(lo, hi) if c != champion and contacts.departed[c] == NO_DATE]
        leaving = list(rng.choice(others, min(len(others), int(rng.integers(3, 5))), replace=False)) if others else []
        if contacts.departed[champion] == NO_DATE and contacts.band[champion] != JUNIOR:
            leaving.append(champion)
        for c in leaving:
            contacts.departed[c] = (as_of - int(rng.integers(30, STEADY_DAYS - 5)) * DAY) // DAY * DAY


def steady_touches(lp: LeadershipPlan, contacts: Contacts, touches: Touches) -> None:
    """At the steady accounts, every touch of the last STEADY_DAYS is with one junior person (in place)."""
    as_of = as_of_seconds()
    since = as_of - STEADY_DAYS * DAY
    for acc in lp.steady_accounts:
        junior = _present(contacts, int(acc), JUNIOR, since)
        rows = np.flatnonzero((touches.account == acc) & (touches.at >= since) & (touches.contact >= 0))
        touches.contact[rows] = junior


def _others_there(contacts: Contacts, account: int, senior: bool, at: int) -> list[int]:
    """Contacts of ``account`` who are there at ``at``: the senior band, or everyone else."""
    bands = (SENIOR,) if senior else (MIDDLE, JUNIOR)
    out = []
    for band in bands:
        lo, hi = contacts.band_start[account, band], contacts.band_start[account, band + 1]
        out += [c for c in range(lo, hi) if contacts.created[c] <= at < contacts.departed[c]]
    return out


def flexible_touches(lp: LeadershipPlan, contacts: Contacts, deals: Deals, times: StageTimes, touches: Touches) -> None:
    """The flexible sellers' outbound touches of the last FLEXIBLE_DAYS follow the deal's stage.

    Their share of senior people stays what it was (so their reach does not change), but it goes
    to the latest-stage work first: late-stage deals, then early ones, then account work. A touch
    already with the right kind of person keeps its contact; another goes to someone of that kind
    at the account (spread over them, so deals stay multithreaded). Task calls, emails and to-dos
    become calls on a late-stage deal and emails elsewhere (kept in ``lp.task_channel`` for the
    Task file, see :func:`task_channels`)."""
    as_of = as_of_seconds()
    want = np.full(touches.at.shape[0], -1, dtype=np.int64)
    for seller in lp.flexible_sellers:
        rows = np.flatnonzero(
            (touches.seller == seller) & (touches.at >= as_of - FLEXIBLE_DAYS * DAY)
            & ~touches.inbound & (touches.account >= 0) & (touches.contact >= 0)
            & ~np.isin(touches.account, lp.other_plants)
        )
        if not rows.shape[0]:
            continue
        stage = np.zeros(rows.shape[0], dtype=np.int64)  # 0: no deal, 1: early, 2: late
        for k, r in enumerate(rows):
            deal, at = int(touches.deal[r]), int(touches.at[r])
            if deal >= 0 and at < times.closed[deal]:
                stage[k] = 2 if _now_stage(times, deal, at) >= LATE_STAGE else 1
        senior_share = float(np.mean(contacts.band[touches.contact[rows]] == SENIOR))
        order = np.lexsort((touches.at[rows], -stage))
        senior = np.zeros(rows.shape[0], dtype=bool)
        senior[order[: int(round(senior_share * rows.shape[0]))]] = True
        for k, r in enumerate(rows):
            if (contacts.band[touches.contact[r]] == SENIOR) != senior[k]:
                there = _others_there(contacts, int(touches.account[r]), bool(senior[k]), int(touches.at[r]))
                if there:
                    touches.contact[r] = there[int(r) % len(there)]
            want[r] = CALL if stage[k] == 2 else TASK_EMAIL
    lp.task_channel = want


def task_channels(lp: LeadershipPlan, task_rows: np.ndarray, channel: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The Task file's channels with the flexible sellers' calls and emails swapped in (rows in
    ``keep``, e.g. the dangling-contact calls, stay as they are). Call and email tasks are both
    Task rows, so no other file or id moves."""
    want = lp.task_channel[task_rows] if lp.task_channel.shape[0] else np.full(task_rows.shape[0], -1)
    swap = (want >= 0) & np.isin(channel, (CALL, TASK_EMAIL, TODO))
    swap[keep] = False
    return np.where(swap, want, channel)
