"""The backtest: replay the win model at monthly as-of dates and score it against what happened.

At each month start ``T`` in the range:

* the model is trained on the panel rows of deals closed before ``T`` (each closed deal as it
  stood while open, all looks before ``T``) and scores every deal open at ``T`` from its look
  at ``T``: the same code as the analysis at as-of ``T``;
* the CRM's own probability is the deal's ``probability`` as the history last set it by ``T``,
  else the stage's default (the mean probability of history rows in that stage);
* the historical stage rate is the win rate of the deals closed before ``T`` that reached the
  deal's stage at ``T`` (10 or more), else the overall rate before ``T``.

Deals open at ``T`` that are still open at the end of the data have no outcome yet and are left
out (the panel looks at them at the end of the data only).  Brier score, AUC and calibration bins (width 0.1) are given per
date and over all dates (a deal open at several dates counts at each).  Forecast against
actual: per period (``T`` to the next month start), the sum of probability x amount over the
deals open at ``T`` whose expected close date (as it stood at ``T``) falls in the period,
against the amounts actually won in the period, by those deals and by all deals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from .win import (
    WinModel,
    WinRules,
    brier,
    reliability,
    stage_rate_probability,
    stage_win_rates,
    training_rows,
    weighted_auc,
)

METHODS = ("model", "crm_probability", "stage_rate")


def _scores(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    ok = np.isfinite(p)
    p, y = p[ok], y[ok]
    if not len(y):
        return {"n": 0, "brier": None, "auc": None, "calibration_bins": []}
    auc = weighted_auc(p, y)
    return {"n": int(len(y)), "brier": round(brier(p, y), 4), "auc": None if auc is None else round(auc, 4),
            "mean_predicted": round(float(p.mean()), 4), "observed": round(float(y.mean()), 4),
            "calibration_bins": reliability(p, y)}


def _month_after(t: datetime) -> datetime:
    return datetime(t.year + (t.month == 12), t.month % 12 + 1, 1)


def backtest(panel: pd.DataFrame, reached: pd.DataFrame, deals: pd.DataFrame, stage_defaults: dict[str, float], *,
             dates: Sequence[datetime], rules: WinRules, data_end: datetime) -> dict[str, Any]:
    """Replay at each of ``dates`` (month starts present in ``panel``).

    ``deals``: one row per deal (``opportunity_id``, ``is_won``, ``closed``, ``closed_at``,
    ``amount``) with the outcomes known at ``data_end``; ``stage_defaults``: {stage: CRM default
    probability 0-100}."""
    panel = panel.reset_index(drop=True)
    snap = pd.to_datetime(panel["snapshot_at"])
    reached_at = pd.to_datetime(reached["reached_at"]) if len(reached) else pd.Series([], dtype="datetime64[ns]")
    d_closed_at = pd.to_datetime(deals["closed_at"])
    ids_all = deals["opportunity_id"].astype(str).tolist()
    closed_of = dict(zip(ids_all, deals["closed"].fillna(False).astype(bool).tolist(), strict=True))
    won_of = dict(zip(ids_all, deals["is_won"].fillna(False).astype(bool).tolist(), strict=True))
    closed_at_of = dict(zip(ids_all, d_closed_at.tolist(), strict=True))
    periods: list[dict[str, Any]] = []
    pooled: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    pooled_y: list[np.ndarray] = []
    for t in dates:
        ts = pd.Timestamp(t)
        train = training_rows(panel, ts)
        now = panel[snap == ts].reset_index(drop=True)
        model = WinModel(rules).fit(train)
        rep = model.report
        assert rep is not None
        entry: dict[str, Any] = {"as_of": t.isoformat(), "open_n": len(now), "basis": rep.basis,
                                 "trained_won_n": rep.won_n, "trained_lost_n": rep.lost_n}
        if not len(now) or rep.basis == "none":
            entry["note"] = "no open deals" if not len(now) else rep.reason
            periods.append(entry)
            continue
        outcomes = train.drop_duplicates("opportunity_id")[["opportunity_id", "is_won"]]
        rates = stage_win_rates(reached[reached_at < ts], outcomes)
        p_stage = np.array([np.nan if v is None else v for v in
                            stage_rate_probability(now["stage"].tolist(), rates, rep.base_rate, "")[0]], dtype=float)
        p_model = model.predict(now)[0] if rep.basis == "model" else p_stage
        crm = pd.to_numeric(now["crm_probability"], errors="coerce").to_numpy(dtype=float)
        default = np.array([stage_defaults.get(s, np.nan) if isinstance(s, str) else np.nan for s in now["stage"]])
        p_crm = np.where(np.isfinite(crm), crm, default) / 100.0
        ids = now["opportunity_id"].astype(str).tolist()
        known = np.array([closed_of.get(i, False) for i in ids], dtype=bool)
        y = np.array([float(won_of.get(i, False)) for i in ids])
        probs = {"model": p_model, "crm_probability": p_crm, "stage_rate": p_stage}
        entry["scores"] = {m: {k: v for k, v in _scores(p[known], y[known]).items() if k != "calibration_bins"}
                           for m, p in probs.items()}
        for m, p in probs.items():
            pooled[m].append(p[known])
        pooled_y.append(y[known])
        # forecast against actual, for the period up to the next month start
        end = pd.Timestamp(_month_after(t))
        expected_close = ts + pd.to_timedelta(pd.to_numeric(now["days_to_close"], errors="coerce"), unit="D")
        due = (expected_close >= ts) & (expected_close < end)
        amount = pd.to_numeric(now["amount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        won_in = np.array([won_of.get(i, False) and pd.notna(closed_at_of.get(i)) and ts <= closed_at_of[i] < end
                           for i in ids], dtype=bool)
        all_won = deals[deals["is_won"].fillna(False).astype(bool) & (d_closed_at >= ts) & (d_closed_at < end)]
        entry["forecast"] = {
            "period_end": end.to_pydatetime().isoformat(),
            "due_n": int(due.sum()),
            **{f"{m}_amount": round(float(np.nansum(p[due.to_numpy()] * amount[due.to_numpy()])), 2) for m, p in probs.items()},
            "won_from_open_amount": round(float(amount[won_in].sum()), 2),
            "won_amount": round(float(pd.to_numeric(all_won["amount"], errors="coerce").fillna(0).sum()), 2),
            "complete": bool(end <= pd.Timestamp(data_end)),
        }
        periods.append(entry)
    y_all = np.concatenate(pooled_y) if pooled_y else np.zeros(0)
    overall = {m: _scores(np.concatenate(pooled[m]) if pooled[m] else np.zeros(0), y_all) for m in METHODS}
    best = None
    briers = {m: overall[m]["brier"] for m in METHODS if overall[m]["brier"] is not None}
    if briers:
        best = min(briers, key=lambda m: briers[m])
    return {"dates_n": len(periods), "overall": overall, "best_brier": best, "periods": periods}
