"""A categorical B2B deal table with no dates but close dates, as sales teams keep them in a sheet.

About 450 deals, each with the attributes a bid/no-bid review records: whether the seller
reached the person with authority, whether it is an RFP response, how many competitors, the
client type, whether a budget is confirmed, whether there is a champion, the decision
timeline, the industry and the lead source.  The outcome is drawn from a logistic model of
those attributes (effects of the size reported in win/loss studies: access to authority and a
champion help most, unsolicited RFPs and several competitors hurt) plus deal-level noise, so
the attributes carry a real but imperfect signal, and industry and lead source carry none.

``write_holdout(directory, open_ids)`` writes ``users.csv``, ``accounts.csv`` and
``deals.csv`` plus ``mapping.yaml``; the deals in ``open_ids`` are written as open (stage
``Proposal``, no close date): their true outcome stays in the returned table only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ATTRIBUTES = ("authority", "rfp", "competitors", "client_type", "budget", "champion", "timeline", "industry", "source")

_LEVELS: dict[str, tuple[tuple[str, float, float], ...]] = {
    # attribute: (level, share of deals, effect on the log-odds of winning)
    "authority": (("economic buyer met", 0.35, 0.9), ("influencer only", 0.45, 0.0), ("unknown", 0.20, -0.5)),
    "rfp": (("no RFP", 0.55, 0.3), ("RFP we shaped", 0.15, 0.5), ("unsolicited RFP", 0.30, -0.8)),
    "competitors": (("none", 0.25, 0.6), ("one", 0.45, 0.0), ("several", 0.30, -0.6)),
    "client_type": (("existing customer", 0.35, 0.7), ("new logo", 0.50, -0.2), ("public sector", 0.15, -0.4)),
    "budget": (("confirmed", 0.40, 0.5), ("not confirmed", 0.60, -0.2)),
    "champion": (("yes", 0.30, 0.8), ("no", 0.70, -0.2)),
    "timeline": (("under 3 months", 0.30, 0.3), ("3-6 months", 0.40, 0.0), ("over 6 months", 0.20, -0.3),
                 ("unknown", 0.10, -0.4)),
    "industry": (("manufacturing", 0.3, 0.0), ("retail", 0.25, 0.0), ("services", 0.25, 0.0), ("health", 0.2, 0.0)),
    "source": (("outbound", 0.4, 0.0), ("inbound", 0.35, 0.0), ("partner", 0.25, 0.0)),
}


@dataclass(frozen=True)
class HoldoutDeals:
    ids: list[str]
    attributes: dict[str, list[str]]
    won: np.ndarray  # the true outcome of every deal

    def one_hot(self) -> np.ndarray:
        """The attributes as 0/1 columns (what the random forest is given)."""
        cols = []
        for a in ATTRIBUTES:
            values = np.array(self.attributes[a], dtype=object)
            cols.extend((values == level).astype(float) for level, _, _ in _LEVELS[a])
        return np.column_stack(cols)


def make_deals(n: int = 450, *, seed: int = 13) -> HoldoutDeals:
    rng = np.random.default_rng(seed)
    logit = np.full(n, -0.4) + rng.normal(0, 0.6, n)  # deal-level noise nobody records
    attrs: dict[str, list[str]] = {}
    for a in ATTRIBUTES:
        levels = _LEVELS[a]
        pick = rng.choice(len(levels), n, p=[s for _, s, _ in levels])
        attrs[a] = [levels[i][0] for i in pick]
        logit += np.array([levels[i][2] for i in pick])
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    return HoldoutDeals([f"D{i:04d}" for i in range(n)], attrs, won)


MAPPING = """ids: plain
tables:
  users:
    - file: users.csv
      columns:
        user_id: seller
        name: seller
        function: {{value: seller}}
        team: {{value: Field sales}}
  accounts:
    - file: accounts.csv
      columns:
        account_id: account
        name: account
  opportunities:
    - file: deals.csv
      columns:
        opportunity_id: deal_id
        name: deal_id
        account_id: account
        owner_id: seller
        stage: stage
        amount: amount
        close_date: close_date
        is_closed: {{column: stage, in: [Won, Lost]}}
        is_won: {{column: stage, in: [Won]}}
      attributes: [{}]
""".format(", ".join(ATTRIBUTES))


def write_holdout(directory: Path, deals: HoldoutDeals, open_ids: set[str], *, seed: int = 13) -> Path:
    """The CSV files and mapping; returns the mapping's path."""
    rng = np.random.default_rng(seed + 1)
    directory.mkdir(parents=True, exist_ok=True)
    sellers = [f"Seller {c}" for c in "ABCDE"]
    accounts = [f"Account {i:03d}" for i in range(300)]
    with (directory / "users.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["seller"])
        w.writerows([s] for s in sellers)
    with (directory / "accounts.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account"])
        w.writerows([a] for a in accounts)
    start = date(2025, 1, 6)
    with (directory / "deals.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["deal_id", "account", "seller", "stage", "amount", "close_date", *ATTRIBUTES])
        for i, did in enumerate(deals.ids):
            is_open = did in open_ids
            stage = "Proposal" if is_open else ("Won" if deals.won[i] else "Lost")
            close = "" if is_open else (start + timedelta(days=int(rng.integers(0, 540)))).isoformat()
            w.writerow([did, accounts[int(rng.integers(0, len(accounts)))], sellers[int(rng.integers(0, 5))], stage,
                        int(rng.lognormal(10.5, 0.6)), close, *(deals.attributes[a][i] for a in ATTRIBUTES)])
    mapping = directory / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping
