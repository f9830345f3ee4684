"""Support cases at customer accounts, worked by the customer-support desk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import Accounts
from .clock import DAY, HOUR, as_of_seconds, business_instants, window_start_seconds
from .contacts import Contacts
from .people import SalesOrg

CASE_SUBJECTS = np.array(
    [
        "Login issue after upgrade",
        "Report export failing",
        "Invoice discrepancy",
        "Integration sync errors",
        "Request for additional licenses",
        "Slow dashboard performance",
        "How to configure user roles",
        "Data import question",
        "API rate limit reached",
        "Feature request: custom fields",
    ],
    dtype=object,
)
_TYPES = np.array(
    [
        "Problem",
        "Problem",
        "Question",
        "Question",
        "Feature Request",
        "Problem",
        "Question",
        "Question",
        "Problem",
        "Feature Request",
    ],
    dtype=object,
)


@dataclass(frozen=True)
class Cases:
    """Cases as parallel arrays; ``closed`` is -1 while open."""

    account: np.ndarray
    contact: np.ndarray
    owner: np.ndarray  # user row
    subject: np.ndarray
    type: np.ndarray
    status: np.ndarray
    priority: np.ndarray
    origin: np.ndarray
    created: np.ndarray
    closed: np.ndarray


def build_cases(
    rng: np.random.Generator, org: SalesOrg, accounts: Accounts, contacts: Contacts
) -> Cases:
    """About 1.5 cases per customer account per year over the history window."""
    as_of, start = as_of_seconds(), window_start_seconds()
    customers = np.flatnonzero(accounts.base_customer)
    per = rng.poisson(1.5 * (as_of - start) / (365 * DAY), customers.shape[0])
    account = np.repeat(customers, per)
    n = account.shape[0]
    created = business_instants(rng, np.full(n, start), np.full(n, as_of), 8, 22)
    lo = contacts.band_start[account, 0]
    hi = contacts.band_start[account, 3]
    contact = lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)
    desk = org.support_agents if org.support_agents.shape[0] else org.sales_engineers
    subject_index = rng.integers(0, CASE_SUBJECTS.shape[0], n)
    closed = created + (np.exp(rng.normal(np.log(3 * DAY), 1.0, n))).astype(np.int64) + HOUR
    is_open = closed >= as_of
    status = np.where(
        is_open, rng.choice(np.array(["New", "Working", "Escalated"], dtype=object), n), "Closed"
    ).astype(object)
    order = np.argsort(created, kind="stable")
    return Cases(
        account=account[order],
        contact=contact[order],
        owner=desk[rng.integers(0, desk.shape[0], n)][order],
        subject=CASE_SUBJECTS[subject_index][order],
        type=_TYPES[subject_index][order],
        status=status[order],
        priority=rng.choice(
            np.array(["Low", "Medium", "High"], dtype=object), n, p=[0.35, 0.5, 0.15]
        )[order],
        origin=rng.choice(np.array(["Email", "Phone", "Web"], dtype=object), n, p=[0.5, 0.3, 0.2])[
            order
        ],
        created=created[order],
        closed=np.where(is_open, -1, closed)[order],
    )
