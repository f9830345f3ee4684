"""Accounts: firmographics, owners, and each account's hidden true fit.

Fit is a logit driven by industry and size (plus a little noise); won/lost outcomes
in :mod:`pipeline` follow it, so a model trained on won/lost history can recover it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .clock import DAY, window_start_seconds
from .ids import make_ids
from .people import SPANISH_REGIONS, SalesOrg

INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",  # high fit
    "Manufacturing",
    "Professional Services",
    "Telecommunications",
    "Energy",
    "Transportation",
    "Retail",
    "Hospitality",
    "Education",  # low fit
)
HIGH_FIT_INDUSTRIES = frozenset(INDUSTRIES[:3])
LOW_FIT_INDUSTRIES = frozenset(INDUSTRIES[-3:])
_INDUSTRY_SHARE = np.array([0.11, 0.10, 0.09, 0.10, 0.09, 0.07, 0.07, 0.07, 0.11, 0.09, 0.10])
_INDUSTRY_FIT = np.array([1.3, 1.2, 1.1, 0.1, 0.2, 0.0, -0.1, -0.2, -1.7, -1.8, -1.6])
_REVENUE_PER_EMPLOYEE = np.array([260, 400, 180, 220, 150, 300, 500, 200, 120, 80, 60]) * 1_000.0
#: Size segments by employees: small < 200 <= mid < 2000 <= enterprise.
SEGMENTS = ("small", "mid", "enterprise")
_SEGMENT_FIT = np.array([-0.6, 0.35, 0.5])

_COUNTRIES = (
    ("United States",),
    ("United States", "Canada"),
    ("United Kingdom", "Germany", "France", "Netherlands", "Ireland"),
    ("Mexico", "Colombia", "Chile", "Argentina", "Peru"),
    ("Spain",),
)
CURRENCY_OF_COUNTRY = {
    "United Kingdom": "GBP",
    "Germany": "EUR",
    "France": "EUR",
    "Netherlands": "EUR",
    "Ireland": "EUR",
    "Spain": "EUR",
}

_EN_WORDS = "North Blue Summit Harbor Granite Pioneer Beacon Silver Evergreen Atlas Keystone Redwood Crescent Liberty Cobalt Meridian Pinnacle Sterling Vantage Horizon".split()
_EN_CORE = "Analytics Systems Health Capital Logistics Foods Energy Learning Retail Partners Labs Networks Hotels Manufacturing Media Dynamics Holdings Works Solutions Group".split()
_EN_LEGAL = ("Inc.", "LLC", "Corp.", "Ltd", "Co.", "")
_ES_WORDS = "Andina Pacífico Sol Cóndor Austral Horizonte Maya Ibérica Cumbre Aurora Río Valle Sierra Alba Meridiano Nogal Olivo Faro Estrella Plata".split()
_ES_CORE = "Soluciones Servicios Logística Alimentos Energía Salud Finanzas Tecnología Comercial Hoteles Educación Industrias Distribuidora Consultores Grupo Sistemas Datos Transportes Minería Seguros".split()
_ES_LEGAL = ("S.A.", "S.A. de C.V.", "S.L.", "SpA", "S.A.S.", "")


@dataclass(frozen=True)
class Accounts:
    """Accounts as parallel arrays, one row per account."""

    account_id: np.ndarray
    name: np.ndarray
    domain: np.ndarray
    industry: np.ndarray  # index into INDUSTRIES
    employees: np.ndarray
    revenue: np.ndarray  # USD
    segment: np.ndarray  # index into SEGMENTS
    country: np.ndarray
    currency: np.ndarray
    region: np.ndarray  # index into people.REGIONS
    owner: np.ndarray  # index into SalesOrg.sellers
    parent: np.ndarray  # account row or -1
    created: np.ndarray  # seconds
    base_customer: np.ndarray  # a customer before the history window starts
    fit_logit: np.ndarray  # hidden true fit

    @property
    def high_fit_industry(self) -> np.ndarray:
        return self.industry < 3

    @property
    def low_fit_industry(self) -> np.ndarray:
        return self.industry >= len(INDUSTRIES) - 3

    @property
    def spanish(self) -> np.ndarray:
        return np.isin(self.region, SPANISH_REGIONS)


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    for legal in (
        "s.a. de c.v.",
        "s.a.s.",
        "s.a.",
        "s.l.",
        "spa",
        "inc.",
        "llc",
        "corp.",
        "ltd",
        "co.",
    ):
        text = text.removesuffix(" " + legal)
    return "".join(ch for ch in text if ch.isalnum())


def build_accounts(rng: np.random.Generator, scale: float, org: SalesOrg) -> Accounts:
    """About 2,000 accounts per unit of ``scale``, spread evenly over the sellers."""
    n = max(100, int(round(2000 * scale)))
    industry = rng.choice(len(INDUSTRIES), n, p=_INDUSTRY_SHARE / _INDUSTRY_SHARE.sum())
    # Deal accounts out class by class so every seller owns a similar mix of fit.
    fit_class = np.where(industry < 3, 0, np.where(industry >= len(INDUSTRIES) - 3, 2, 1))
    n_sellers = org.sellers.shape[0]
    owner = np.empty(n, dtype=np.int64)
    owner[np.lexsort((rng.random(n), fit_class))] = rng.permutation(n_sellers)[
        np.arange(n) % n_sellers
    ]
    region = org.team_region[org.seller_team[owner]]
    employees = np.clip(np.round(np.exp(rng.normal(5.6, 1.5, n))), 5, 250_000).astype(np.int64)
    segment = np.searchsorted(np.array([200, 2000]), employees, side="right")
    revenue = np.round(
        employees * _REVENUE_PER_EMPLOYEE[industry] * np.exp(rng.normal(0, 0.35, n)), -4
    )
    fit_logit = _INDUSTRY_FIT[industry] + _SEGMENT_FIT[segment] + rng.normal(0, 0.3, n)
    base_customer = rng.random(n) < 1 / (1 + np.exp(-(-0.7 + 0.3 * fit_logit)))

    start = window_start_seconds()
    created = np.where(
        base_customer | (rng.random(n) < 0.6),
        start - (rng.random(n) * 6 * 365 * DAY).astype(np.int64) - 30 * DAY,
        start + (rng.random(n) * 2.5 * 365 * DAY).astype(np.int64),
    )
    created = created // 60 * 60

    country = np.empty(n, dtype=object)
    for r, options in enumerate(_COUNTRIES):
        rows = np.flatnonzero(region == r)
        country[rows] = np.array(options, dtype=object)[
            rng.integers(0, len(options), rows.shape[0])
        ]
    currency = np.array([CURRENCY_OF_COUNTRY.get(c, "USD") for c in country], dtype=object)

    spanish = np.isin(region, SPANISH_REGIONS)
    w = rng.integers(0, 20, n)
    c = rng.integers(0, 20, n)
    legal = rng.integers(0, 6, n)
    names = np.where(
        spanish,
        np.char.add(
            np.char.add(np.array(_ES_CORE, dtype=object)[c], " "),
            np.array(_ES_WORDS, dtype=object)[w],
        ),
        np.char.add(
            np.char.add(np.array(_EN_WORDS, dtype=object)[w], " "),
            np.array(_EN_CORE, dtype=object)[c],
        ),
    ).astype(object)
    suffix = np.where(
        spanish, np.array(_ES_LEGAL, dtype=object)[legal], np.array(_EN_LEGAL, dtype=object)[legal]
    )
    names = np.array([f"{a} {s}".strip() for a, s in zip(names, suffix, strict=True)], dtype=object)
    # A few partnership names carry commas and quotes, as real exports do.
    odd = np.flatnonzero(~spanish & (rng.random(n) < 0.01))
    for i in odd:
        names[i] = f'{_EN_WORDS[w[i]]}, {_EN_WORDS[c[i]]} & Partners "{_EN_CORE[c[i]]}"'
    seen: dict[str, int] = {}
    domains = np.empty(n, dtype=object)
    tld = np.where(spanish, np.where(region == 4, ".es", ".com.mx"), ".com")
    for i, name in enumerate(names):
        base = _slug(name) + tld[i]
        k = seen.get(base, 0)
        seen[base] = k + 1
        domains[i] = base if k == 0 else base.replace(".", f"{k + 1}.", 1)

    parent = np.full(n, -1)
    big = np.flatnonzero(segment == 2)
    if big.shape[0] > 1:
        kids = np.flatnonzero((segment > 0) & (rng.random(n) < 0.05))
        parent[kids] = big[rng.integers(0, big.shape[0], kids.shape[0])]
        parent[parent == np.arange(n)] = -1

    order = np.argsort(created, kind="stable")
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)
    parent = np.where(parent >= 0, inv[np.maximum(parent, 0)], -1)[order]
    return Accounts(
        account_id=make_ids("Account", n, 50_000 + int(rng.integers(0, 500_000))),
        name=names[order],
        domain=domains[order],
        industry=industry[order],
        employees=employees[order],
        revenue=revenue[order],
        segment=segment[order],
        country=country[order],
        currency=currency[order],
        region=region[order],
        owner=owner[order],
        parent=parent,
        created=created[order],
        base_customer=base_customer[order],
        fit_logit=fit_logit[order],
    )
