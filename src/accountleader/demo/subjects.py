"""Activity subject lines: creating work (discovery, demos, proposals, expansion) reads
differently from tending work (check-ins, renewals, service)."""

from __future__ import annotations

import numpy as np

# Per channel (call, task email, email, meeting, task): creating subjects, tending subjects.
_CREATE = (
    (
        "Discovery call",
        "Intro call",
        "Qualification call",
        "Call about proposal",
        "Pricing discussion",
    ),
    ("Email: Intro and case study", "Email: Proposal next steps", "Email: Business case draft"),
    (
        "Proposal next steps",
        "Business case for your team",
        "Pricing options",
        "Introduction",
        "Agenda for our demo",
    ),
    (
        "Discovery meeting",
        "Product demo",
        "Proposal walkthrough",
        "Executive briefing",
        "Expansion workshop",
    ),
    ("Prepare proposal", "Send case study", "Update mutual action plan", "Map buying committee"),
)
_TEND = (
    ("Check-in call", "Renewal check-in", "Quarterly check-in", "Invoice question"),
    ("Email: Renewal reminder", "Email: Usage report", "Email: Invoice copy"),
    ("Checking in", "Your renewal", "Usage report", "Invoice copy", "Service update"),
    ("Quarterly business review", "Renewal review", "Account review"),
    ("Update renewal forecast", "Log customer feedback", "Send invoice copy"),
)
_INBOUND_CALL = (
    "Inbound call: pricing question",
    "Inbound call: wants a quote",
    "Inbound call: renewal question",
)
_INBOUND_EMAIL = (
    "Question about pricing",
    "Request for quote",
    "Can we talk this week?",
    "Renewal question",
    "Question on contract terms",
)


def subjects_for(
    rng: np.random.Generator, channel: np.ndarray, inbound: np.ndarray, create: np.ndarray
) -> np.ndarray:
    """A subject line per activity from its channel (see ``activity``), direction and purpose."""
    n = channel.shape[0]
    out = np.empty(n, dtype=object)
    u = rng.random(n)
    for ch in range(5):
        for options, mask in ((_CREATE[ch], create), (_TEND[ch], ~create)):
            rows = np.flatnonzero((channel == ch) & mask)
            out[rows] = np.array(options, dtype=object)[(u[rows] * len(options)).astype(np.int64)]
    for ch, options in ((0, _INBOUND_CALL), (2, _INBOUND_EMAIL)):
        rows = np.flatnonzero((channel == ch) & inbound)
        out[rows] = np.array(options, dtype=object)[(u[rows] * len(options)).astype(np.int64)]
    return out
