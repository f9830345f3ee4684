"""Contacts: the buyers at each account, with titles at every seniority, reporting
lines, and the few who have left.

Contacts are stored sorted by (account, seniority) so that the senior, middle and
junior people of an account are contiguous ranges (:attr:`Contacts.band_start`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .accounts import Accounts
from .clock import DAY, as_of_seconds, window_start_seconds
from .ids import make_ids
from .titles import (
    INDIVIDUAL,
    TITLE_DEPARTMENT,
    TITLE_SENIORITY,
    pick_names,
    pick_titles,
    title_text,
)

#: Seniority bands used to aim effort: senior (C-level, VP, director), middle (manager), junior.
SENIOR, MIDDLE, JUNIOR = range(3)
_BAND_OF_LEVEL = np.array([SENIOR, SENIOR, SENIOR, MIDDLE, JUNIOR])
_LEVEL_MIX = np.array([0.06, 0.12, 0.20, 0.27, 0.35])
NO_DATE = np.iinfo(np.int64).max


@dataclass
class Contacts:
    """Contacts as parallel arrays. ``departed`` is :data:`NO_DATE` for people still there."""

    account: np.ndarray
    seniority: np.ndarray
    title: np.ndarray
    department: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    reports_to: np.ndarray  # contact row or -1
    created: np.ndarray  # seconds
    departed: np.ndarray  # seconds or NO_DATE
    band_start: np.ndarray  # (accounts, 4): start rows of senior/middle/junior, and the end
    sampleable: int  # rows below this take part in everyday activity

    @property
    def band(self) -> np.ndarray:
        return _BAND_OF_LEVEL[self.seniority]

    def pick(self, rng: np.random.Generator, account: np.ndarray, band: np.ndarray) -> np.ndarray:
        """One contact row per (account, wanted band), falling back to any contact of the account.

        Within a band, choice is skewed so that a few people get most of the attention.
        """
        lo = self.band_start[account, band]
        hi = self.band_start[account, band + 1]
        empty = hi <= lo
        lo = np.where(empty, self.band_start[account, 0], lo)
        hi = np.where(empty, self.band_start[account, 3], hi)
        return lo + np.floor((hi - lo) * rng.random(account.shape[0]) ** 1.6).astype(np.int64)


def _emails(first: np.ndarray, last: np.ndarray, domain: np.ndarray) -> np.ndarray:
    ascii_map = {}
    for name in np.unique(np.concatenate([first, last])):
        ascii_map[name] = (
            unicodedata.normalize("NFKD", name)
            .encode("ascii", "ignore")
            .decode()
            .lower()
            .replace("'", "")
        )
    local = np.array(
        [ascii_map[f] + "." + ascii_map[la] for f, la in zip(first, last, strict=True)],
        dtype=object,
    )
    full = (local + "@" + domain).astype(str)
    _, inverse = np.unique(full, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    sorted_inv = inverse[order]
    starts = np.searchsorted(sorted_inv, sorted_inv, side="left")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0]) - starts
    suffix = np.where(rank > 0, (rank + 1).astype(str), "")
    return (local + suffix.astype(object) + "@" + domain).astype(object)


def build_contacts(rng: np.random.Generator, scale: float, accounts: Accounts) -> Contacts:
    """About 7.5 contacts per account (15,000 at scale 1), more at bigger companies."""
    n_acc = accounts.account_id.shape[0]
    weight = np.array([0.6, 1.1, 2.2])[accounts.segment]
    lam = 4.5 * weight / weight.mean()
    per_account = 3 + rng.poisson(lam)
    account = np.repeat(np.arange(n_acc), per_account)
    n = account.shape[0]
    starts = np.concatenate([[0], np.cumsum(per_account)[:-1]])
    position = np.arange(n) - starts[account]
    seniority = rng.choice(5, n, p=_LEVEL_MIX)
    seniority = np.where(
        position == 0, 0, np.where(position == 1, 2, np.where(position == 2, INDIVIDUAL, seniority))
    )
    order = np.lexsort((seniority, account))
    account, seniority = account[order], seniority[order]

    key = account * 8 + seniority
    band_start = np.stack(
        [np.searchsorted(key, np.arange(n_acc) * 8 + lvl) for lvl in (0, 3, 4, 8)], axis=1
    )

    spanish = accounts.spanish[account] ^ (rng.random(n) < 0.08)
    first, last, female = pick_names(rng, spanish)
    title_index = pick_titles(rng, seniority)
    title = title_text(title_index, spanish, female)
    assert (TITLE_SENIORITY[title_index] == seniority).all()

    level_start = np.searchsorted(key, key)
    acc_start = band_start[account, 0]
    room = level_start - acc_start
    boss = level_start - 1 - np.floor(rng.random(n) * np.minimum(room, 3)).astype(np.int64)
    reports_to = np.where(room > 0, boss, -1)

    start = window_start_seconds()
    end = as_of_seconds()
    created = accounts.created[account] + (rng.random(n) * 120 * DAY).astype(np.int64)
    joined_later = rng.random(n) < 0.1
    created = np.where(
        joined_later,
        np.maximum(created, start + (rng.random(n) * (end - start - 200 * DAY)).astype(np.int64)),
        created,
    )
    created = np.minimum(created, end - 200 * DAY) // 60 * 60
    left = rng.random(n) < 0.03
    departed_at = np.maximum(
        created + 60 * DAY, start + (rng.random(n) * (end - start - DAY)).astype(np.int64)
    )
    departed = np.where(left & (departed_at < end - DAY), departed_at // DAY * DAY, NO_DATE)

    return Contacts(
        account=account,
        seniority=seniority,
        title=title,
        department=TITLE_DEPARTMENT[title_index],
        first_name=first,
        last_name=last,
        email=_emails(first, last, accounts.domain[account]),
        reports_to=reports_to,
        created=created,
        departed=departed,
        band_start=band_start,
        sampleable=n,
    )


def contact_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Ids for ``count`` contacts in row order."""
    return make_ids("Contact", count, 2_000_000 + int(rng.integers(0, 1_000_000)))
