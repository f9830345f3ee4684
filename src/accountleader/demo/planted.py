"""The planted behaviours: starved high-fit accounts, single-threaded big deals,
heavy-change accounts and a handful of data quirks.

Planting happens in three steps that bracket the ordinary generation: choose and
reshape the deals (:func:`plant_deals`, before stage times are fixed), add the
heavy-change history (:func:`plant_changes`), and move people (:func:`plant_departures`).
Activity directives (who goes dark, who is single-threaded) are applied in :mod:`activity`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .accounts import Accounts
from .clock import DAY, as_of_seconds
from .contacts import JUNIOR, NO_DATE, SENIOR, Contacts
from .history import ChangePlan
from .people import AT_RISK, BUSY, TENDER, SalesOrg
from .pipeline import NEGOTIATION, NEW_BUSINESS, PROPOSAL, UPGRADE, Deals, StageTimes, stage_entries
from .titles import pick_names


@dataclass
class Plan:
    """What was planted, as rows of the generated arrays."""

    _single_accounts: np.ndarray
    true_high_fit: np.ndarray  # bool per account: top fifth of hidden fit
    starved: np.ndarray  # account rows
    single_deals: np.ndarray  # deal rows
    single_contact: np.ndarray  # the one junior contact row, per single deal
    heavy_accounts: np.ndarray
    heavy_deals: np.ndarray  # one open deal per heavy account, same order
    dark_from: np.ndarray  # per heavy account: no activity from this instant (s)
    out_of_sequence: np.ndarray  # closed deal rows
    duplicate_history: np.ndarray  # closed deal rows
    blank_amount: np.ndarray

    @property
    def single_accounts(self) -> np.ndarray:
        """Account rows of the single-threaded deals."""
        return self._single_accounts


def _count(base: int, scale: float, floor: int) -> int:
    return max(floor, int(round(base * scale)))


def _shift_into_stage(
    deals: Deals, rows: np.ndarray, stage: np.ndarray, entered_ago: np.ndarray, stall: int
) -> None:
    """Re-time deals so that at the as-of date they sit in ``stage``, entered ``entered_ago`` s before."""
    deals.won[rows] = True
    deals.last_open_stage[rows] = NEGOTIATION
    deals.gaps[rows, stage] = np.maximum(deals.gaps[rows, stage], stall)
    times = stage_entries(deals)
    offset = times.entry[rows, stage] - deals.created[rows]
    deals.created[rows] = as_of_seconds() - entered_ago - offset


def plant_deals(
    rng: np.random.Generator,
    org: SalesOrg,
    accounts: Accounts,
    contacts: Contacts,
    deals: Deals,
    scale: float,
) -> Plan:
    """Choose the planted accounts and deals, and reshape those deals (in place)."""
    as_of = as_of_seconds()
    n_acc = accounts.account_id.shape[0]
    true_high_fit = accounts.fit_logit >= np.quantile(accounts.fit_logit, 0.8)
    owner_arch = org.seller_archetype[accounts.owner]
    mature = accounts.created < as_of - 400 * DAY
    used = np.zeros(n_acc, dtype=bool)

    # Starved: truly high-fit, mid-size or bigger, owned by busy or at-risk sellers.
    pool = np.flatnonzero(
        true_high_fit
        & accounts.high_fit_industry
        & (accounts.segment > 0)
        & np.isin(owner_arch, (BUSY, AT_RISK))
        & mature
    )
    starved = np.sort(rng.choice(pool, min(pool.shape[0], _count(20, scale, 4)), replace=False))
    used[starved] = True

    # Single-threaded: big new-business/upgrade deals of busy and at-risk sellers, sitting in
    # Proposal or Negotiation, worked only through one junior person.
    candidates = np.flatnonzero(
        np.isin(deals.type, (NEW_BUSINESS, UPGRADE))
        & np.isin(deals.archetype, (BUSY, AT_RISK))
        & mature[deals.account]
        & ~used[deals.account]
    )
    candidates = rng.permutation(candidates)
    _, first = np.unique(deals.account[candidates], return_index=True)
    single = np.sort(candidates[np.sort(first)][: _count(30, scale, 5)])
    used[deals.account[single]] = True
    lo = contacts.band_start[deals.account[single], JUNIOR]
    hi = contacts.band_start[deals.account[single], JUNIOR + 1]
    single_contact = np.empty(single.shape[0], dtype=np.int64)
    for k, (a, b) in enumerate(zip(lo, hi, strict=True)):
        stayers = [c for c in range(a, b) if contacts.departed[c] == NO_DATE] or list(range(a, b))
        single_contact[k] = stayers[0]
    stage = np.where(rng.random(single.shape[0]) < 0.5, PROPOSAL, NEGOTIATION)
    _shift_into_stage(deals, single, stage, rng.integers(15, 40, single.shape[0]) * DAY, 70 * DAY)
    p90 = np.quantile(deals.amount_usd, 0.9)
    deals.amount_usd[single] = np.maximum(deals.amount_usd[single], p90) * rng.uniform(
        1.0, 1.8, single.shape[0]
    )
    deals.group[single] = single_contact[:, None]
    deals.group_size[single] = 1
    # The junior person must have been there before the deal was opened.
    contacts.created[single_contact] = np.minimum(
        contacts.created[single_contact], deals.created[single] - 30 * DAY
    )

    # Heavy change: accounts with a real buying committee and an open deal that stalls.
    per_account = np.bincount(contacts.account[: contacts.sampleable], minlength=n_acc)
    candidates = np.flatnonzero(
        np.isin(deals.type, (NEW_BUSINESS, UPGRADE))
        & (deals.archetype != TENDER)
        & mature[deals.account]
        & ~used[deals.account]
        & (per_account[deals.account] >= 6)
    )
    candidates = rng.permutation(candidates)
    _, first = np.unique(deals.account[candidates], return_index=True)
    heavy_deals = np.sort(candidates[np.sort(first)][: _count(25, scale, 5)])
    heavy_accounts = deals.account[heavy_deals]
    used[heavy_accounts] = True
    stage = rng.integers(3, 6, heavy_deals.shape[0])
    _shift_into_stage(
        deals, heavy_deals, stage, rng.integers(150, 200, heavy_deals.shape[0]) * DAY, 400 * DAY
    )
    deals.group[heavy_deals, 0] = (
        contacts.band_start[heavy_accounts, SENIOR]
        + 1
        - (
            contacts.band_start[heavy_accounts, SENIOR + 1]
            - contacts.band_start[heavy_accounts, SENIOR]
            < 2
        )
    )
    deals.group_size[heavy_deals] = np.maximum(deals.group_size[heavy_deals], 3)
    dark_from = as_of - rng.integers(45, 80, heavy_deals.shape[0]) * DAY

    planted = np.zeros(deals.created.shape[0], dtype=bool)
    planted[single] = planted[heavy_deals] = True
    plain = rng.permutation(np.flatnonzero(~planted & ~used[deals.account]))
    plan = Plan(
        _single_accounts=deals.account[single],
        true_high_fit=true_high_fit,
        starved=starved,
        single_deals=single,
        single_contact=single_contact,
        heavy_accounts=heavy_accounts,
        heavy_deals=heavy_deals,
        dark_from=dark_from,
        out_of_sequence=np.zeros(0, np.int64),  # chosen among closed deals in plant_changes
        duplicate_history=np.zeros(0, np.int64),  # chosen among closed deals in plant_changes
        blank_amount=np.sort(plain[: max(5, deals.created.shape[0] // 200)]),
    )
    return plan


def _working_hour(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into a day that land in US working hours (13:00-22:00 UTC), to the second."""
    return rng.integers(13 * 3600, 22 * 3600, n)


def plant_changes(
    rng: np.random.Generator, plan: Plan, deals: Deals, times: StageTimes, changes: ChangePlan
) -> ChangePlan:
    """Add pushes, a stage regression and an amount cut to each heavy-change deal, and the quirks."""
    as_of = as_of_seconds()
    hd = plan.heavy_deals
    pushes = rng.integers(3, 6, hd.shape[0])
    p_deal = np.repeat(hd, pushes)
    p_when = (
        as_of - rng.integers(10, 180, p_deal.shape[0]) * DAY + _working_hour(rng, p_deal.shape[0])
    )
    p_days = rng.integers(14, 45, p_deal.shape[0])
    now_stage = np.array(
        [np.flatnonzero((times.entry[d] >= 0) & (times.entry[d] < as_of)).max() for d in hd],
        dtype=np.int64,
    )
    r_when = as_of - rng.integers(60, 130, hd.shape[0]) * DAY + _working_hour(rng, hd.shape[0])
    a_when = as_of - rng.integers(40, 120, hd.shape[0]) * DAY + _working_hour(rng, hd.shape[0])
    cut = np.round(rng.uniform(0.5, 0.8, hd.shape[0]), 2)
    # Big single-threaded deals keep their size: drop ordinary amount changes on them.
    keep = ~np.isin(changes.amount[0], plan.single_deals)
    changes.amount = tuple(x[keep] for x in changes.amount)  # type: ignore[assignment]
    closed = times.closed < as_of
    plain = np.flatnonzero(
        closed
        & ~np.isin(
            np.arange(closed.shape[0]),
            np.concatenate([plan.single_deals, hd, plan.blank_amount]),
        )
    )
    # Closed deals have at least two history rows (opened, closed): room for a duplicate.
    quirky = rng.choice(plain, min(5, plain.shape[0]), replace=False)
    plan.out_of_sequence = np.sort(quirky[:3])
    plan.duplicate_history = np.sort(quirky[3:])
    return ChangePlan(
        push=tuple(
            np.concatenate([a, b])
            for a, b in zip(changes.push, (p_deal, p_when, p_days), strict=True)
        ),  # type: ignore[arg-type]
        amount=tuple(
            np.concatenate([a, b]) for a, b in zip(changes.amount, (hd, a_when, cut), strict=True)
        ),  # type: ignore[arg-type]
        regression=(hd, r_when, np.maximum(now_stage - 1, 0)),
        duplicate_rows_of=plan.duplicate_history,
        closed_before_created=plan.out_of_sequence,
        blank_amount=plan.blank_amount,
    )


def plant_departures(
    rng: np.random.Generator, plan: Plan, contacts: Contacts, deals: Deals
) -> None:
    """At heavy-change accounts the champion and 2-4 colleagues leave within the last
    180 days, and 2-3 new people arrive within the last 120 (appended, in place)."""
    as_of = as_of_seconds()
    champions = deals.group[plan.heavy_deals, 0]
    contacts.departed[champions] = (
        (as_of - rng.integers(50, 150, champions.shape[0]) * DAY) // DAY * DAY
    )
    new_rows: list[tuple[int, int, int]] = []
    for acc, champ in zip(plan.heavy_accounts, champions, strict=True):
        lo, hi = contacts.band_start[acc, 0], contacts.band_start[acc, 3]
        others = np.array([c for c in range(lo, hi) if c != champ and c != lo])
        leaving = rng.choice(others, min(others.shape[0], int(rng.integers(2, 5))), replace=False)
        contacts.departed[leaving] = (
            (as_of - rng.integers(20, 175, leaving.shape[0]) * DAY) // DAY * DAY
        )
        for k in range(int(rng.integers(2, 4))):
            new_rows.append((int(acc), int(champ) if k == 0 else int(rng.choice(others)), int(lo)))
    if not new_rows:
        return
    template = np.array([r[1] for r in new_rows])
    boss = np.array([r[2] for r in new_rows])
    count = template.shape[0]
    contacts.account = np.concatenate([contacts.account, contacts.account[template]])
    contacts.seniority = np.concatenate([contacts.seniority, contacts.seniority[template]])
    contacts.title = np.concatenate([contacts.title, contacts.title[template]])
    contacts.department = np.concatenate([contacts.department, contacts.department[template]])
    first, last, _ = pick_names(rng, rng.random(count) < 0.3)
    contacts.first_name = np.concatenate([contacts.first_name, first])
    contacts.last_name = np.concatenate([contacts.last_name, last])
    domain = np.array([e.split("@", 1)[1] for e in contacts.email[template]], dtype=object)
    local = np.array(
        [f"{f[0]}{la}".lower() for f, la in zip(first, last, strict=True)], dtype=object
    )
    local = np.array(
        [
            unicodedata.normalize("NFKD", x).encode("ascii", "ignore").decode().replace("'", "")
            for x in local
        ],
        dtype=object,
    )
    contacts.email = np.concatenate([contacts.email, local + ".new@" + domain])
    contacts.reports_to = np.concatenate([contacts.reports_to, boss])
    contacts.created = np.concatenate(
        [contacts.created, (as_of - rng.integers(10, 120, count) * DAY) // 60 * 60]
    )
    contacts.departed = np.concatenate([contacts.departed, np.full(count, NO_DATE)])
