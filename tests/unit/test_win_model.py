"""The win model (domain/scoring/win.py) on small hand-built panels.

``_panel`` makes deals whose outcome follows a known logistic rule: later stages win more, each
close-date push costs, and recent activity helps; each deal is looked at 1-3 times while open
(every look shows the same deal, so it weighs one deal in all)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from accountleader.domain.scoring.win import (
    WinModel,
    WinRules,
    score_open_deals,
    stage_win_rates,
    training_rows,
)

AS_OF = pd.Timestamp("2025-06-30")
STAGES = {"Discovery": -1.2, "Proposal": 0.0, "Negotiation": 1.2}


def _panel(n: int, *, seed: int = 0, open_n: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        stage = rng.choice(list(STAGES))
        pushes = int(rng.choice(4, p=[0.5, 0.25, 0.15, 0.1]))
        acts = int(rng.poisson(4))
        logit = STAGES[stage] - 0.6 * pushes + 0.25 * (acts - 4)
        won = bool(rng.random() < 1 / (1 + np.exp(-logit)))
        is_open = i < open_n
        looks = 1 if is_open else int(rng.integers(1, 4))
        for k in range(looks):
            rows.append(dict(
                opportunity_id=f"o{i:05d}", account_id=f"a{i // 3:05d}", owner_id=f"u{i % 7}",
                snapshot_at=AS_OF if is_open else pd.Timestamp("2024-01-01") + pd.DateOffset(months=k + i % 12),
                closed=not is_open, is_won=won and not is_open, closed_at=None if is_open else pd.Timestamp("2025-03-01"),
                type="new_business", lead_source=None, product=None, attributes=None,
                amount=float(rng.lognormal(10, 0.5)), stage=stage, crm_probability=None,
                age_days=float(30 * (k + 1)), stage_days=float(rng.uniform(1, 40)), close_date_pushes=pushes,
                stage_regressions=0, amount_cuts=0, days_to_close=float(rng.uniform(-20, 90)),
                activities_30d=acts, contacts_30d=min(acts, 3), inbound_30d=0, days_since_activity=float(rng.uniform(0, 20)),
                account_won_before=0, account_lost_before=0, owner_won_before=0, owner_lost_before=0,
                _true=1 / (1 + np.exp(-logit)),
            ))
    return pd.DataFrame(rows).sort_values(["opportunity_id", "snapshot_at"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, WinModel]:
    df = _panel(1500)
    return df, WinModel(WinRules()).fit(training_rows(df))


def test_model_learns_the_planted_rule_and_is_calibrated_out_of_fold(fitted) -> None:
    _, model = fitted
    rep = model.report
    assert rep is not None and rep.basis == "model"
    assert rep.won_n + rep.lost_n == 1500
    assert rep.auc > 0.72 and rep.log_loss < rep.log_loss_base and rep.brier < rep.brier_base
    # out-of-fold calibration: every bin with 50 or more deals within 0.08 of what happened
    # (1,500 deals: a bin of 50 has a standard error near 0.07 at p=0.5)
    big = [b for b in rep.calibration_bins if b["n"] >= 100]
    assert big and all(abs(b["predicted"] - b["observed"]) <= 0.08 for b in big)
    assert 0.6 <= rep.calibration_slope <= 1.6
    # the rule's three inputs are used; features with one value everywhere are dropped, with why
    assert {"stage", "close_date_pushes", "activities_30d"} <= set(rep.features_used)
    assert rep.dropped["stage_regressions"] == "the same value on every closed deal"
    assert "type" in rep.dropped


def test_probabilities_follow_the_true_odds(fitted) -> None:
    df, model = fitted
    fresh = _panel(600, seed=1).drop_duplicates("opportunity_id")
    p, _ = model.predict(fresh)
    assert np.corrcoef(p, fresh["_true"])[0, 1] > 0.85
    assert abs(float(np.mean(p)) - float(fresh["_true"].mean())) < 0.05


def test_reasons_name_the_factors_with_the_rate_of_deals_like_it(fitted) -> None:
    df, model = fitted
    deal = df.drop_duplicates("opportunity_id").iloc[[0]].copy()
    deal["stage"], deal["close_date_pushes"], deal["activities_30d"] = "Discovery", 3, 4
    _, reasons = model.predict(deal)
    down = [r for r in reasons[0] if r.startswith("- ")]
    assert any(r.startswith("- Close date pushed 3 times (deals like this win") for r in down)
    assert any(r.startswith("- Stage Discovery (deals like this win") for r in down)
    assert not any(r.startswith("+ ") and "pushed" in r for r in reasons[0])
    good = deal.copy()
    good["stage"], good["close_date_pushes"] = "Negotiation", 0
    _, reasons = model.predict(good)
    assert any(r.startswith("+ Stage Negotiation") for r in reasons[0])


def test_same_deals_in_any_row_order_give_the_same_probabilities(fitted) -> None:
    df, model = fitted
    shuffled = training_rows(df).sample(frac=1.0, random_state=3)
    again = WinModel(WinRules()).fit(shuffled)
    probe = _panel(50, seed=2).drop_duplicates("opportunity_id")
    np.testing.assert_allclose(model.predict(probe)[0], again.predict(probe)[0], rtol=0, atol=1e-9)
    assert again.report.penalty_c == model.report.penalty_c


def test_too_few_closed_deals_fall_back_to_the_stage_rate_and_say_so() -> None:
    df = _panel(60, open_n=10)
    reached = df[["opportunity_id", "stage"]].drop_duplicates()
    closed = df[df["closed"]].drop_duplicates("opportunity_id")
    rates = stage_win_rates(reached, closed[["opportunity_id", "is_won"]])
    scores = score_open_deals(df, rates, as_of=AS_OF, rules=WinRules(min_closed_deals=100))
    assert scores.report.basis == "stage_rate"
    assert "win.min_closed_deals asks for 100" in scores.report.reason
    assert len(scores.deals) == 10 and set(scores.deals["win_basis"]) == {"stage_rate"}
    for _, row in scores.deals.iterrows():
        stage = df.loc[df["opportunity_id"] == row["opportunity_id"], "stage"].iloc[0]
        rate, n = rates[stage]
        reasons = json.loads(row["win_reasons"])
        if n >= 10:
            assert row["win_probability"] == pytest.approx(rate)
            assert reasons[0].startswith(f"Historical win rate of deals that reached {stage}: ")
        else:
            assert row["win_probability"] == pytest.approx(scores.report.base_rate)
        assert "Too few closed deals for a model" in reasons[-1]


def test_no_closed_deal_gives_no_probability() -> None:
    df = _panel(5, open_n=5)
    scores = score_open_deals(df, {}, as_of=AS_OF, rules=WinRules())
    assert scores.report.basis == "none"
    assert scores.deals["win_probability"].isna().all() and set(scores.deals["win_basis"]) == {"none"}


def test_attributes_without_signal_fall_back_instead_of_inventing_one() -> None:
    rng = np.random.default_rng(5)
    df = _panel(400)
    df = df.drop_duplicates("opportunity_id").reset_index(drop=True)
    df["is_won"] = rng.random(len(df)) < 0.4  # outcomes unrelated to anything
    keep = ["opportunity_id", "account_id", "closed", "is_won", "closed_at", "snapshot_at", "attributes"]
    noise = df[keep].assign(snapshot_at=None, attributes=[json.dumps({"colour": c}) for c in rng.choice(["red", "blue"], len(df))])
    model = WinModel(WinRules(attributes=("colour",))).fit(noise)
    assert model.report.basis == "stage_rate"
    assert model.report.reason.startswith("No reliable signal")
