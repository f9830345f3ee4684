"""Quotes: one per deal that reached Proposal/Price Quote.

The buyer's request is the moment the deal entered Proposal/Price Quote. Half the
quotes record it in ``Requested_Date__c`` (a few hours earlier, when the email came
in); the others leave it blank, so turnaround must be measured from stage entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import HOUR, MINUTE, as_of_seconds
from .history import History
from .pipeline import CLOSED_WON, Deals, StageTimes


@dataclass(frozen=True)
class Quotes:
    """Quotes as parallel arrays; instants in seconds, -1 where blank."""

    deal: np.ndarray
    created: np.ndarray
    requested: np.ndarray  # Requested_Date__c, -1 where not recorded
    sent: np.ndarray  # -1 while still a draft
    status: np.ndarray
    amount: np.ndarray  # USD, NaN where the deal has no amount


def build_quotes(
    rng: np.random.Generator, deals: Deals, times: StageTimes, history: History
) -> Quotes:
    """Quotes for every deal whose Proposal stage began before the as-of date."""
    as_of = as_of_seconds()
    deal = np.flatnonzero((times.quote_requested >= 0) & (times.quote_requested < as_of))
    request = times.quote_requested[deal]
    sent = times.quote_sent[deal]
    is_sent = sent < as_of
    work = np.maximum(sent - request, 10 * MINUTE)
    created = request + np.minimum(work // 5, 4 * HOUR) // MINUTE * MINUTE
    recorded = rng.random(deal.shape[0]) < 0.5
    requested = np.where(recorded, request - rng.integers(0, 3 * 60, deal.shape[0]) * MINUTE, -1)
    stage_now = history.stage_now[deal]
    status = np.where(
        ~is_sent,
        "Draft",
        np.where(
            history.is_closed[deal],
            np.where(stage_now == CLOSED_WON, "Accepted", "Denied"),
            "Presented",
        ),
    ).astype(object)
    return Quotes(
        deal=deal,
        created=created,
        requested=requested,
        sent=np.where(is_sent, sent, -1),
        status=status,
        amount=history.amount_now[deal],
    )
