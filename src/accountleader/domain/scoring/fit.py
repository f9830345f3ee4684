"""Right companies: an account fit model learned from the workspace's own wins and losses.

The model is deliberately simple so that it is honest on small data:

1. Each firmographic attribute (industry, size band, revenue band, region, country, customer
   status, each product bought) is split into levels.  The win rate of every level is shrunk
   towards the overall win rate with a beta-binomial prior whose strength is estimated from
   the data (empirical Bayes, method of moments, with the binomial variance inflated by the
   between-account over-dispersion).  An attribute whose levels differ no more than chance
   gets an infinitely strong prior: all its levels sit at the base rate.
2. An account's raw log-odds lift is the sum over attributes of
   ``logit(shrunk level rate) - logit(base rate)``.
3. Signal test: account-grouped k-fold cross-validated log-loss of the model against the base
   rate, and a permutation test that shuffles whole accounts' (won, lost) pairs.  There is a
   signal when the model beats the base rate out of fold and the permutation p-value is below
   ``alpha``.
4. Calibration: a logistic (Platt) fit of outcomes on the out-of-fold lift, with its slope kept
   in [0, 1] so it can only damp the naive sum.  Without a signal the slope is 0: every account
   scores the base rate and no tier is assigned.

``fit_score`` is the calibrated win probability in percent.  Tiers compare it with the base
rate on the log-odds scale (absolute cut-offs, never quantiles, so noise is not spread into
tiers): A >= +0.4, B >= +0.1, C > -0.4, D <= -0.4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

__all__ = [
    "AccountFitModel",
    "FitReport",
    "FitResult",
    "fit_account_scores",
    "tier_for",
    "TIER_CUTS",
    "size_band",
]

#: Lower bound of log-odds lift over the base rate for tiers A, B, C (D below C's bound).
TIER_CUTS: tuple[tuple[str, float], ...] = (("A", 0.4), ("B", 0.1), ("C", -0.4 + 1e-12))

_SIZE_EDGES = (0, 50, 250, 1000, 5000)
_SIZE_LABELS = ("1-49 employees", "50-249 employees", "250-999 employees",
                "1,000-4,999 employees", "5,000+ employees")
_CATEGORICAL = (
    ("industry", "Industry"),
    ("region", "Region"),
    ("country", "Country"),
    ("account_type", "Customer status"),
)
_EPS = 1e-6


def _logit(p: Any) -> Any:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def size_band(employees: float | None) -> str | None:
    """Employee-count band label, ``None`` when unknown or not positive."""
    if employees is None or not np.isfinite(employees) or employees <= 0:
        return None
    idx = int(np.searchsorted(_SIZE_EDGES, employees, side="right")) - 1
    return _SIZE_LABELS[max(idx, 0)]


def tier_for(score: float | None, base_rate: float | None) -> str | None:
    """A-D from a fit score (percent) relative to the base rate (fraction); None if either is."""
    if score is None or base_rate is None or not np.isfinite(score):
        return None
    lift = float(_logit(score / 100.0) - _logit(base_rate))
    for tier, cut in TIER_CUTS:
        if lift >= cut:
            return tier
    return "D"


@dataclass(frozen=True)
class FitReport:
    """Model-level evidence: is there a signal, on how much data, and how well calibrated."""

    signal: bool
    reason: str
    n_won: int
    n_lost: int
    n_accounts: int
    base_rate: float | None = None
    cv_log_loss_model: float | None = None
    cv_log_loss_base: float | None = None
    permutation_p: float | None = None
    n_permutations: int = 0
    calibration_slope: float | None = None
    calibration_intercept: float | None = None
    calibration_bins: list[dict[str, float]] = field(default_factory=list)
    brier: float | None = None
    attributes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FitResult:
    """Per-account scores (account_id, fit_score, fit_tier, fit_reasons, won_n, lost_n) + report."""

    accounts: pd.DataFrame
    report: FitReport


@dataclass
class _Attribute:
    name: str
    display: str
    labels: list[str]
    codes: np.ndarray  # int, -1 = unknown
    product: bool = False


@dataclass
class _LevelTable:
    contrib: np.ndarray  # log-odds lift per level
    rate: np.ndarray  # raw win rate per level
    n: np.ndarray  # closed deals per level
    prior_strength: float


def _clean(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _split_products(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, str):
        parts = v.replace(",", ";").split(";")
    else:
        parts = list(v)
    return sorted({p.strip() for p in map(str, parts) if p and p.strip()})


def _encode(values: Sequence[str | None], labels: list[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    return np.array([index.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64)


class AccountFitModel:
    """Fit on accounts with closed-deal counts, then predict fit scores for any accounts.

    Input columns: ``account_id``, ``won_n``, ``lost_n`` and any of ``industry``,
    ``employees``, ``annual_revenue``, ``region``, ``country``, ``account_type``,
    ``products`` (list or ``;``-separated string of products the account already buys).
    Products must describe what the account held *before* the deals counted, or the
    model learns the outcome from itself.
    """

    def __init__(
        self,
        *,
        min_closed: int = 10,
        n_permutations: int = 199,
        alpha: float = 0.05,
        min_relative_gain: float = 0.005,
        n_folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.min_closed = min_closed
        self.n_permutations = n_permutations
        self.alpha = alpha
        self.min_relative_gain = min_relative_gain
        self.n_folds = n_folds
        self.seed = seed
        self.report: FitReport | None = None
        self._spec: dict[str, Any] = {}
        self._tables: dict[str, _LevelTable] = {}
        self._slope = 0.0
        self._intercept = 0.0

    # -- features -------------------------------------------------------------------------
    def _attributes(self, df: pd.DataFrame, *, learn: bool) -> list[_Attribute]:
        out: list[_Attribute] = []
        spec = self._spec
        for col, display in _CATEGORICAL:
            if col not in df.columns:
                continue
            vals = [_clean(v) for v in df[col].tolist()]
            if learn:
                spec[col] = sorted({v for v in vals if v is not None})
            if col in spec:
                out.append(_Attribute(col, display, spec[col], _encode(vals, spec[col])))
        if "employees" in df.columns:
            vals = [size_band(float(v)) if _clean(v) is not None else None
                    for v in df["employees"].tolist()]
            out.append(_Attribute("size_band", "Size", list(_SIZE_LABELS),
                                  _encode(vals, list(_SIZE_LABELS))))
        if "annual_revenue" in df.columns:
            rev = pd.to_numeric(df["annual_revenue"], errors="coerce").to_numpy(dtype=float)
            if learn:
                good = rev[np.isfinite(rev)]
                spec["revenue_edges"] = (
                    sorted(set(np.quantile(good, [0.25, 0.5, 0.75]).tolist())) if len(good) >= 8
                    else []
                )
            edges = spec.get("revenue_edges", [])
            if edges:
                labels = [f"quartile {i + 1}" for i in range(len(edges) + 1)]
                bounds = [f"< {edges[0]:,.0f}"] + [
                    f"{a:,.0f}-{b:,.0f}" for a, b in zip(edges[:-1], edges[1:], strict=True)
                ] + [f">= {edges[-1]:,.0f}"]
                labels = [f"{b} ({q})" for b, q in zip(bounds, labels, strict=True)]
                codes = np.where(np.isfinite(rev), np.searchsorted(edges, rev, side="right"), -1)
                out.append(_Attribute("revenue_band", "Revenue", labels, codes.astype(np.int64)))
        if "products" in df.columns:
            bought = [_split_products(v) for v in df["products"].tolist()]
            if learn:
                spec["products"] = sorted({p for ps in bought for p in ps})
            for prod in spec.get("products", []):
                codes = np.array([1 if prod in ps else 0 for ps in bought], dtype=np.int64)
                out.append(_Attribute(f"product:{prod}", prod,
                                      [f"not buying {prod}", f"buying {prod}"], codes, True))
        return out

    # -- the shrunk level tables ----------------------------------------------------------
    @staticmethod
    def _level_table(codes: np.ndarray, n_levels: int, won: np.ndarray, lost: np.ndarray,
                     p0: float, phi: float) -> _LevelTable:
        known = codes >= 0
        w = np.bincount(codes[known], weights=won[known], minlength=n_levels)
        lo = np.bincount(codes[known], weights=lost[known], minlength=n_levels)
        n = w + lo
        rate = np.divide(w, n, out=np.full(n_levels, np.nan), where=n > 0)
        seen = n > 0
        n_total = n.sum()
        sigma2 = p0 * (1 - p0)
        k = math.inf
        if seen.sum() >= 2 and n_total > 0 and 0 < p0 < 1:
            q = float(np.sum(n[seen] * (rate[seen] - p0) ** 2))
            denom = n_total - float(np.sum(n[seen] ** 2)) / n_total
            tau2 = (q - (seen.sum() - 1) * phi * sigma2) / denom if denom > 0 else 0.0
            if tau2 > 0:
                k = max(sigma2 / tau2 - 1.0, 1.0)
        if math.isinf(k):
            contrib = np.zeros(n_levels)
        else:
            shrunk = (w + k * p0) / (n + k)
            contrib = _logit(shrunk) - _logit(p0)
        return _LevelTable(contrib, rate, n, k)

    @staticmethod
    def _overdispersion(won: np.ndarray, lost: np.ndarray, p0: float) -> float:
        n = won + lost
        has = n > 0
        if has.sum() < 3 or not 0 < p0 < 1:
            return 1.0
        chi2 = np.sum((won[has] - n[has] * p0) ** 2 / (n[has] * p0 * (1 - p0)))
        return max(1.0, float(chi2) / (has.sum() - 1))

    def _fit_tables(self, attrs: list[_Attribute], won: np.ndarray, lost: np.ndarray,
                    rows: np.ndarray) -> tuple[float, dict[str, _LevelTable]]:
        w, lo = won[rows], lost[rows]
        p0 = float(w.sum() / max(w.sum() + lo.sum(), 1))
        phi = self._overdispersion(w, lo, p0)
        tables = {a.name: self._level_table(a.codes[rows], len(a.labels), w, lo, p0, phi)
                  for a in attrs}
        return p0, tables

    @staticmethod
    def _lift(attrs: list[_Attribute], tables: dict[str, _LevelTable],
              rows: np.ndarray) -> np.ndarray:
        total = np.zeros(len(rows))
        for a in attrs:
            codes = a.codes[rows]
            c = tables[a.name].contrib
            if len(c) == 0:  # an attribute with no known level anywhere (e.g. no regions)
                continue
            total += np.where(codes >= 0, c[np.clip(codes, 0, None)], 0.0)
        return total

    def _cv(self, attrs: list[_Attribute], won: np.ndarray, lost: np.ndarray,
            folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float, np.ndarray]:
        """Deal-weighted out-of-fold log-loss (model, base) and out-of-fold lift per row."""
        ll_model = ll_base = 0.0
        oof = np.zeros(len(won))
        for train, test in folds:
            p0, tables = self._fit_tables(attrs, won, lost, train)
            lift = self._lift(attrs, tables, test)
            oof[test] = lift
            pm = np.clip(_sigmoid(_logit(p0) + lift), _EPS, 1 - _EPS)
            pb = np.clip(p0, _EPS, 1 - _EPS)
            ll_model -= float(np.sum(won[test] * np.log(pm) + lost[test] * np.log(1 - pm)))
            ll_base -= float(np.sum(won[test] * np.log(pb) + lost[test] * np.log(1 - pb)))
        n = float(won.sum() + lost.sum())
        return ll_model / n, ll_base / n, oof

    # -- public API -----------------------------------------------------------------------
    def fit(self, accounts: pd.DataFrame) -> AccountFitModel:
        df = accounts.reset_index(drop=True)
        won = pd.to_numeric(df.get("won_n", 0), errors="coerce").fillna(0).to_numpy(float)
        lost = pd.to_numeric(df.get("lost_n", 0), errors="coerce").fillna(0).to_numpy(float)
        n_won, n_lost = int(won.sum()), int(lost.sum())
        closed = won + lost
        n_acc = int((closed > 0).sum())
        self._spec = {}
        attrs = self._attributes(df, learn=True)
        if n_won + n_lost < self.min_closed or n_won == 0 or n_lost == 0:
            self.report = FitReport(
                False,
                f"Not enough history: {n_won + n_lost} closed deals ({n_won} won, {n_lost} lost); "
                f"need at least {self.min_closed}, with both wins and losses.",
                n_won, n_lost, n_acc,
            )
            self._tables = {}
            return self
        rows = np.flatnonzero(closed > 0)
        p0, tables = self._fit_tables(attrs, won, lost, rows)
        self._base_rate = p0
        self._tables = tables
        attr_report = [
            {"attribute": a.name, "levels": int((tables[a.name].n > 0).sum()),
             "prior_strength": None if math.isinf(tables[a.name].prior_strength)
             else round(float(tables[a.name].prior_strength), 1),
             "max_abs_lift": round(float(np.max(np.abs(tables[a.name].contrib), initial=0.0)), 3)}
            for a in attrs
        ]
        n_splits = min(self.n_folds, len(rows))
        if len(rows) < 5 or not attrs:
            why = ("no firmographic attributes given" if not attrs
                   else f"only {len(rows)} accounts with closed deals (need 5) to test for a signal")
            self._slope, self._intercept = 0.0, float(_logit(p0))
            self.report = FitReport(False, f"No signal test possible: {why}; every account scores "
                                    f"the base rate of {p0:.0%}.", n_won, n_lost, n_acc,
                                    base_rate=p0, attributes=attr_report)
            return self
        kf = KFold(n_splits=n_splits, shuffle=True, random_state=self.seed)
        folds = [(rows[tr], rows[te]) for tr, te in kf.split(rows)]
        ll_m, ll_b, oof = self._cv(attrs, won, lost, folds)
        gain = ll_b - ll_m
        rng = np.random.default_rng(self.seed)
        beats = 0
        for _ in range(self.n_permutations):
            perm = rows.copy()
            rng.shuffle(perm)
            pw, pl = won.copy(), lost.copy()
            pw[rows], pl[rows] = won[perm], lost[perm]
            m, b, _ = self._cv(attrs, pw, pl, folds)
            beats += (b - m) >= gain
        p_value = (1 + beats) / (1 + self.n_permutations)
        rel_gain = gain / ll_b if ll_b > 0 else 0.0
        signal = rel_gain >= self.min_relative_gain and p_value < self.alpha
        slope, intercept = self._calibrate(oof[rows], won[rows], lost[rows], p0) if signal \
            else (0.0, float(_logit(p0)))
        self._slope, self._intercept = slope, intercept
        pred = _sigmoid(intercept + slope * oof[rows])
        bins, brier = self._reliability(pred, won[rows], lost[rows])
        if signal:
            reason = (f"Firmographics predict wins: out-of-fold log-loss {ll_m:.4f} vs {ll_b:.4f} "
                      f"for the {p0:.0%} base rate, permutation p={p_value:.3f} "
                      f"({n_won} won, {n_lost} lost over {n_acc} accounts).")
        else:
            reason = (f"No reliable signal: firmographics do not predict wins beyond the {p0:.0%} "
                      f"base rate (out-of-fold log-loss {ll_m:.4f} vs {ll_b:.4f}, a "
                      f"{rel_gain:.2%} gain, needs {self.min_relative_gain:.1%}; permutation "
                      f"p={p_value:.2f}; {n_won} won, {n_lost} lost over {n_acc} accounts). "
                      "Every account scores the base rate and no tier is assigned.")
        self.report = FitReport(
            signal, reason, n_won, n_lost, n_acc, base_rate=p0, cv_log_loss_model=ll_m,
            cv_log_loss_base=ll_b, permutation_p=p_value, n_permutations=self.n_permutations,
            calibration_slope=slope, calibration_intercept=intercept, calibration_bins=bins,
            brier=brier, attributes=attr_report,
        )
        return self

    @staticmethod
    def _calibrate(lift: np.ndarray, won: np.ndarray, lost: np.ndarray,
                   p0: float) -> tuple[float, float]:
        x = np.concatenate([lift, lift]).reshape(-1, 1)
        y = np.concatenate([np.ones(len(lift)), np.zeros(len(lift))])
        wt = np.concatenate([won, lost])
        keep = wt > 0
        if np.ptp(lift) < 1e-9:
            return 0.0, float(_logit(p0))
        lr = LogisticRegression(C=np.inf).fit(x[keep], y[keep], sample_weight=wt[keep])
        slope = float(lr.coef_[0, 0])
        if 0.0 <= slope <= 1.0:
            return slope, float(lr.intercept_[0])
        return (1.0, float(_logit(p0))) if slope > 1.0 else (0.0, float(_logit(p0)))

    @staticmethod
    def _reliability(pred: np.ndarray, won: np.ndarray,
                     lost: np.ndarray) -> tuple[list[dict[str, float]], float]:
        n = won + lost
        order = np.argsort(pred, kind="stable")
        cum = np.cumsum(n[order]) / n.sum()
        bins: list[dict[str, float]] = []
        for q in range(5):
            sel = order[(cum > q / 5) & (cum <= (q + 1) / 5 + 1e-12)]
            if n[sel].sum() == 0:
                continue
            bins.append({
                "predicted": round(float(np.average(pred[sel], weights=n[sel])), 4),
                "observed": round(float(won[sel].sum() / n[sel].sum()), 4),
                "n_deals": int(n[sel].sum()),
            })
        brier = float(np.sum(won * (1 - pred) ** 2 + lost * pred**2) / n.sum())
        return bins, brier

    def predict(self, accounts: pd.DataFrame) -> pd.DataFrame:
        """Columns: account_id, fit_score (0-100 or null), fit_tier (A-D or null), fit_reasons."""
        if self.report is None:
            raise RuntimeError("call fit() before predict()")
        df = accounts.reset_index(drop=True)
        rep = self.report
        ids = df["account_id"].tolist() if "account_id" in df.columns else list(range(len(df)))
        if not self._tables or rep.base_rate is None:
            return pd.DataFrame({"account_id": ids, "fit_score": [None] * len(df),
                                 "fit_tier": [None] * len(df),
                                 "fit_reasons": [[rep.reason] for _ in ids]})
        attrs = self._attributes(df, learn=False)
        rows = np.arange(len(df))
        lift = self._lift(attrs, self._tables, rows)
        p = _sigmoid(self._intercept + self._slope * lift)
        p0 = rep.base_rate
        scores = np.round(p * 100, 1)
        tiers = [tier_for(float(s), p0) if rep.signal else None for s in scores]
        reasons = [self._reasons(attrs, int(i)) if rep.signal else [rep.reason] for i in rows]
        if "won_n" in df.columns and "lost_n" in df.columns:
            for i in rows:
                w, lo = df.at[i, "won_n"], df.at[i, "lost_n"]
                if pd.notna(w) and pd.notna(lo) and (w or lo):
                    reasons[i].append(f"Own history: {int(w)} won, {int(lo)} lost")
        return pd.DataFrame({"account_id": ids, "fit_score": scores.astype(float),
                             "fit_tier": tiers, "fit_reasons": reasons})

    def _reasons(self, attrs: list[_Attribute], i: int) -> list[str]:
        p0 = self.report.base_rate if self.report else None
        assert p0 is not None
        found: list[tuple[float, str]] = []
        for a in attrs:
            code = int(a.codes[i])
            t = self._tables[a.name]
            effect = self._slope * (t.contrib[code] if code >= 0 else 0.0)
            if code < 0 or abs(effect) < 0.05:
                continue
            label = a.labels[code]
            what = (f"Accounts {label}" if a.product else f"{a.display} {label}")
            verb = "win" if a.product else "wins"
            found.append((abs(effect), f"{what} {verb} {t.rate[code]:.0%} vs {p0:.0%} overall "
                          f"(n={int(t.n[code])})"))
        found.sort(key=lambda x: -x[0])
        if not found:
            return [f"Attributes close to the overall win rate of {p0:.0%}"]
        return [text for _, text in found[:3]]


def fit_account_scores(accounts: pd.DataFrame, **params: Any) -> FitResult:
    """Fit :class:`AccountFitModel` on ``accounts`` and score the same accounts."""
    model = AccountFitModel(**params).fit(accounts)
    scored = model.predict(accounts)
    for col in ("won_n", "lost_n"):
        scored[col] = accounts[col].to_numpy() if col in accounts.columns else 0
    assert model.report is not None
    return FitResult(scored, model.report)
