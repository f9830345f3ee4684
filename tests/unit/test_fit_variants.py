"""Planted fit variants: an interaction is learned, a territory is dropped, a wide weak
categorical deal table is not over-confident, and "plan a first move" never lands on an
account with wins or open deals."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from accountleader.domain import actions as act
from accountleader.domain.scoring.fit import NO_DEALS_REASON, fit_account_scores, owner_confounding


def _interaction(seed: int = 3, n: int = 600) -> pd.DataFrame:
    """Fit is industry x size: Software/Finance win when big, Retail/Mining when small."""
    rng = np.random.default_rng(seed)
    ind = rng.choice(["Software", "Finance", "Retail", "Mining", "Health"], n)
    emp = (rng.choice([30, 150, 600, 2500, 9000], n) * rng.uniform(0.8, 1.2, n)).round()
    big = emp >= 1000
    hot = (np.isin(ind, ["Software", "Finance"]) & big) | (np.isin(ind, ["Retail", "Mining"]) & ~big)
    deals = rng.integers(1, 5, n)
    deals[:40] = 0  # accounts with no history yet
    won = rng.binomial(deals, np.where(hot, 0.69, 0.08))
    return pd.DataFrame({"account_id": [f"a{i:04d}" for i in range(n)], "industry": ind, "employees": emp,
                         "country": rng.choice(["Chile", "Mexico", "Spain", "Peru"], n),
                         "owner_id": rng.choice([f"u{i}" for i in range(8)], n),
                         "won_n": won, "lost_n": deals - won, "hot": hot})


def _territory(seed: int = 4, n: int = 400) -> pd.DataFrame:
    """One seller per country; Chile always wins."""
    rng = np.random.default_rng(seed)
    countries = ["Chile", "Mexico", "Spain", "Peru", "Colombia"]
    c = rng.choice(countries, n)
    deals = rng.integers(1, 5, n)
    won = rng.binomial(deals, np.where(c == "Chile", 1.0, 0.3))
    return pd.DataFrame({"account_id": [f"t{i:04d}" for i in range(n)], "country": c,
                         "owner_id": [f"u{countries.index(x)}" for x in c],
                         "industry": rng.choice(["Software", "Finance", "Retail", "Mining"], n),
                         "employees": rng.integers(10, 20000, n), "won_n": won, "lost_n": deals - won})


B2B_ATTRIBUTES = {
    "authority": ["decision maker", "influencer", "user", "unknown"], "rfp": ["yes", "no"],
    "competitors": ["none", "one", "two+", "unknown"], "client_type": ["new", "existing", "lapsed"],
    "region": ["north", "south", "east", "west", "centre"], "sector": ["public", "private", "ngo"],
    "budget_confirmed": ["yes", "no", "partial"], "source": ["referral", "inbound", "outbound", "event", "partner"],
    "deal_size": ["small", "medium", "large", "xl"], "product_line": ["core", "addon", "services", "bundle"],
    "lead_time": ["<1m", "1-3m", "3-6m", ">6m"], "incumbent": ["us", "competitor", "none"],
    "champion": ["yes", "no"], "pricing": ["list", "discount", "custom"], "contract": ["1y", "2y", "3y"],
    "channel": ["direct", "reseller"], "segment": ["smb", "mid", "ent"], "language": ["es", "en", "pt"],
    "demo_done": ["yes", "no"], "poc": ["yes", "no", "na"], "legal_review": ["yes", "no"],
    "quarter": ["q1", "q2", "q3", "q4"],
}


def b2b_deals(seed: int = 5, n: int = 448) -> pd.DataFrame:
    """448 deals x 22 categorical attributes, a weak real signal in five (one deal per row)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({k: rng.choice(v, n, p=rng.dirichlet(np.ones(len(v)) * 3))
                       for k, v in B2B_ATTRIBUTES.items()})
    logit = (-0.1 + 0.9 * (df.authority == "decision maker") - 0.5 * (df.authority == "user")
             + 0.6 * (df.client_type == "existing") - 0.5 * (df.competitors == "two+") + 0.4 * (df.rfp == "no"))
    won = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df.insert(0, "account_id", [f"d{i:04d}" for i in range(n)])
    return df.assign(won_n=won, lost_n=1 - won)


@pytest.fixture(scope="module")
def interaction() -> tuple[pd.DataFrame, object]:
    df = _interaction()
    return df, fit_account_scores(df.drop(columns=["hot"]))


def test_an_industry_by_size_interaction_is_found_and_tiers_the_hot_accounts(interaction) -> None:  # type: ignore[no-untyped-def]
    df, result = interaction
    rep = result.report
    assert rep.signal is True, rep.reason
    assert rep.cv_log_loss_model < rep.cv_log_loss_base and rep.auc > 0.75
    scored = result.accounts.merge(df[["account_id", "hot"]], on="account_id")
    assert scored[scored.hot].fit_tier.isin(["A", "B"]).mean() > 0.8
    assert scored[~scored.hot].fit_tier.isin(["C", "D"]).mean() > 0.8
    fresh = scored[(df.won_n + df.lost_n == 0).to_numpy()]
    assert len(fresh) and fresh.fit_tier.notna().all()
    assert all(NO_DEALS_REASON in r for r in fresh.fit_reasons)


def test_a_country_that_is_one_sellers_territory_is_dropped_with_a_reason() -> None:
    result = fit_account_scores(_territory())
    rep = result.report
    assert "country" in rep.dropped and "country" not in rep.features_used
    assert "coincide with one seller" in rep.dropped["country"]
    assert "Country left out" in rep.reason
    assert all(any("Country left out" in r for r in rs) for rs in result.accounts.fit_reasons)
    # no tier from the territory: Chile's accounts are not all tier A
    chile = result.accounts[_territory().country.eq("Chile").to_numpy()]
    assert not chile.fit_tier.eq("A").all()


def test_owner_confounding_ignores_attributes_spread_over_sellers() -> None:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, 300)
    owners = [f"u{i}" for i in rng.integers(0, 6, 300)]
    assert owner_confounding(codes, owners, np.ones(300)) is None
    assert owner_confounding(codes, [f"u{c}" for c in codes], np.ones(300)) is not None


def test_a_wide_weak_categorical_deal_table_is_not_over_confident() -> None:
    rep = fit_account_scores(b2b_deals()).report
    assert len(rep.features_used) == 22
    assert rep.cv_log_loss_model is not None and rep.cv_log_loss_base is not None
    assert rep.cv_log_loss_model <= rep.cv_log_loss_base + 0.01 or not rep.signal


def test_first_move_is_never_planned_at_an_account_with_wins_or_open_deals() -> None:
    ctx = act.ActionContext(as_of=date(2026, 9, 30))
    gaps = [{"gap": "starved", "account_id": a, "owner_id": "u1", "fit_tier": "A", "fit_score": 82.0,
             "activities_n": 1} for a in ("won", "open", "new")]
    accounts = {"won": {"name": "Won Co", "won_n": 12, "open_n": 0},
                "open": {"name": "Open Co", "won_n": 0, "open_n": 4},
                "new": {"name": "New Co", "won_n": 0, "open_n": 0}}
    reasons = {a.account_id: a.reason for a in act.invest_in_starved_accounts(gaps, accounts, ctx)}
    assert reasons["new"].startswith("Plan a first move at New Co")
    assert "first move" not in reasons["won"] and "12 won" in reasons["won"]
    assert "first move" not in reasons["open"] and "4 open deals" in reasons["open"]
