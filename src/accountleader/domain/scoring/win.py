"""Win probability per open deal: a calibrated model of the workspace's own closed deals.

Input is the deal-by-date panel of ``domain/metrics/win_features.py``: each closed deal as it
stood while it was open (features read at month starts, never at its close), and each open
deal as it stands at ``as_of``.  The steps:

1. **Features.** Numbers are transformed (logs, caps) and standardised on the training rows;
   a number missing on some rows is imputed with the training median and gets a "missing"
   column.  Text features (stage, type, lead source, product, declared attributes) are one-hot;
   levels on fewer than ``MIN_LEVEL_DEALS`` closed deals count as "other".  Time in stage is
   the ratio to the median time in that stage over the training rows (no norm from the future).
   A feature with no value on any closed deal, or one value on all of them, is dropped, and the
   report says why.
2. **Weights.** Every closed deal weighs the same: its rows share one unit of weight.
3. **Model.** L2 logistic regression; the strength is chosen from a grid by out-of-fold
   log-loss, folds grouped by account (an account's deals never sit in two folds), fold of an
   account fixed by a CRC-32 of its id so every engine gives the same folds.
4. **Honesty.** With fewer than ``min_closed_deals`` closed deals (or fewer than
   ``min_each_outcome`` won or lost), or when the model does not beat the base rate out of fold,
   open deals get the historical win rate of deals that reached their stage instead
   (``win_basis = stage_rate``) and the reason says so.  With no closed deal at all there is no
   probability (``none``).
5. **Calibration.** A Platt fit of outcomes on the out-of-fold log-odds (slope kept in
   [0, 2]).  The calibration bins reported are out of fold.
6. **Reasons.** Each feature's contribution to the deal's log-odds (coefficient x distance
   from the training mean, summed over the feature's columns, times the Platt slope); the two
   strongest positive and negative ones are told in words with the win rate of training deals
   in the same bucket, e.g. "Close date pushed 2 times (deals like this win 18% vs 31%)".

numpy only (Newton steps on a few dozen columns: no scikit-learn needed); pandas frames in and out.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["WinModel", "WinReport", "WinRules", "rates_by_stage", "reliability", "score_open_deals", "stage_win_rates",
           "weighted_auc"]

#: Levels of a text feature on fewer closed deals than this count as "other".
MIN_LEVEL_DEALS = 5
_EPS = 1e-6
_C_GRID_SMALL = (0.01, 0.03, 0.1, 0.3, 1.0)
_C_GRID_LARGE = (0.03, 0.3)
_SMALL = 3000  # closed deals: below this the full grid and 5 folds, above it 2 values and 3


@dataclass(frozen=True)
class WinRules:
    """The settings the model reads (``win.*`` in settings.yaml, docs/settings.md)."""

    min_closed_deals: int = 100
    min_each_outcome: int = 20
    attributes: tuple[str, ...] = ()
    max_training_deals: int = 5_000


@dataclass(frozen=True)
class WinReport:
    """Model-level evidence, as `accountleader model win --json` prints it."""

    basis: str  # model, stage_rate or none
    reason: str
    won_n: int = 0
    lost_n: int = 0
    rows_n: int = 0
    accounts_n: int = 0
    base_rate: float | None = None
    auc: float | None = None
    brier: float | None = None
    log_loss: float | None = None
    log_loss_base: float | None = None
    brier_base: float | None = None
    calibration_slope: float | None = None
    calibration_intercept: float | None = None
    calibration_bins: list[dict[str, Any]] = field(default_factory=list)
    penalty_c: float | None = None
    folds_n: int = 0
    features_used: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    sampled_deals_n: int | None = None
    seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        r = (lambda v, d=4: None if v is None else round(float(v), d))  # noqa: E731
        return {
            "basis": self.basis, "reason": self.reason, "won_n": self.won_n, "lost_n": self.lost_n,
            "rows_n": self.rows_n, "accounts_n": self.accounts_n, "base_rate": r(self.base_rate),
            "auc": r(self.auc), "brier": r(self.brier), "brier_base": r(self.brier_base),
            "log_loss": r(self.log_loss), "log_loss_base": r(self.log_loss_base),
            "calibration_slope": r(self.calibration_slope), "calibration_intercept": r(self.calibration_intercept),
            "calibration_bins": self.calibration_bins, "penalty_c": self.penalty_c, "folds_n": self.folds_n,
            "features_used": list(self.features_used), "dropped": dict(self.dropped),
            "sampled_deals_n": self.sampled_deals_n, "seconds": r(self.seconds, 3),
        }


def _logit(p: Any) -> Any:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _pct(x: float) -> str:
    return f"{x:.0%}"


# -- features ------------------------------------------------------------------------------------


@dataclass
class _Numeric:
    name: str
    transform: Callable[[pd.DataFrame], np.ndarray]
    edges: tuple[float, ...]  # bucket edges on the *raw* value, for the reasons
    raw: Callable[[pd.DataFrame], np.ndarray]
    words: Callable[[float], str]
    unknown: str | None = None  # words for a row without a raw value


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def _times(n: float, one: str, many: str) -> str:
    return f"{int(n)} {one if int(n) == 1 else many}"


def _days(v: float) -> str:
    return f"{v:,.0f} day{'s' if round(v) != 1 else ''}"


def _numeric_features(stage_norm: dict[str, float], p0: float) -> list[_Numeric]:
    def ratio(df: pd.DataFrame) -> np.ndarray:
        days = _col(df, "stage_days")
        norm = np.array([stage_norm.get(s, np.nan) if isinstance(s, str) else np.nan
                         for s in df.get("stage", pd.Series([None] * len(df))).tolist()], dtype=float)
        return (days + 1) / (norm + 1)

    def record(prefix: str, strength: float) -> Callable[[pd.DataFrame], np.ndarray]:
        def f(df: pd.DataFrame) -> np.ndarray:
            w, lo = _col(df, f"{prefix}_won_before"), _col(df, f"{prefix}_lost_before")
            return (w + strength * p0) / (w + lo + strength)
        return f

    def share(prefix: str) -> Callable[[pd.DataFrame], np.ndarray]:
        def f(df: pd.DataFrame) -> np.ndarray:
            w, lo = _col(df, f"{prefix}_won_before"), _col(df, f"{prefix}_lost_before")
            return np.divide(w, w + lo, out=np.full(len(df), np.nan), where=(w + lo) > 0)
        return f

    return [
        _Numeric("age", lambda d: np.log1p(np.clip(_col(d, "age_days"), 0, None)), (30, 90, 180),
                 lambda d: _col(d, "age_days"), lambda v: f"Open {_days(v)}"),
        _Numeric("time_in_stage", lambda d: np.log(np.clip(ratio(d), 0.05, 20)), (0.5, 1.0, 2.0, 4.0),
                 ratio, lambda v: f"Time in its stage {v:.1f}x the usual"),
        _Numeric("close_date_pushes", lambda d: np.minimum(_col(d, "close_date_pushes"), 3), (1, 2, 3),
                 lambda d: _col(d, "close_date_pushes"),
                 lambda v: "Close date never pushed" if v == 0 else f"Close date pushed {_times(v, 'time', 'times')}"),
        _Numeric("stage_regressions", lambda d: np.minimum(_col(d, "stage_regressions"), 2), (1, 2),
                 lambda d: _col(d, "stage_regressions"),
                 lambda v: "No step back in stage" if v == 0 else f"Stage moved back {_times(v, 'time', 'times')}"),
        _Numeric("amount_cuts", lambda d: np.minimum(_col(d, "amount_cuts"), 2), (1, 2),
                 lambda d: _col(d, "amount_cuts"),
                 lambda v: "Amount never cut" if v == 0 else f"Amount cut {_times(v, 'time', 'times')}"),
        _Numeric("amount", lambda d: np.log1p(np.clip(_col(d, "amount"), 0, None)), (),
                 lambda d: _col(d, "amount"), lambda v: f"Amount {v:,.0f}"),
        _Numeric("activities_30d", lambda d: np.log1p(_col(d, "activities_30d")), (1, 3, 6, 11),
                 lambda d: _col(d, "activities_30d"),
                 lambda v: f"{_times(v, 'activity', 'activities')} on the deal in 30 days"),
        _Numeric("contacts_30d", lambda d: np.minimum(_col(d, "contacts_30d"), 5), (1, 2, 3, 4),
                 lambda d: _col(d, "contacts_30d"),
                 lambda v: f"{_times(v, 'buyer contact', 'buyer contacts')} engaged in 30 days"),
        _Numeric("inbound_30d", lambda d: np.log1p(_col(d, "inbound_30d")), (1, 2),
                 lambda d: _col(d, "inbound_30d"),
                 lambda v: f"{_times(v, 'inbound touch', 'inbound touches')} in 30 days"),
        _Numeric("days_since_activity",
                 lambda d: np.log1p(np.where(np.isnan(_col(d, "days_since_activity")) & ~np.isnan(_col(d, "activities_30d")),
                                             90.0, np.clip(_col(d, "days_since_activity"), 0, 90))),
                 (8, 31, 90), lambda d: np.where(np.isnan(_col(d, "days_since_activity")) & ~np.isnan(_col(d, "activities_30d")),
                                                 90.0, _col(d, "days_since_activity")),
                 lambda v: "No activity in 90 days" if v >= 90 else f"Last activity {_days(v)} ago"),
        _Numeric("days_to_close", lambda d: np.clip(_col(d, "days_to_close"), -120, 240) / 30, (0, 31, 91),
                 lambda d: _col(d, "days_to_close"),
                 lambda v: f"Close date {_days(-v)} overdue" if v < 0 else f"Close date {_days(v)} away"),
        _Numeric("account_record", lambda d: _logit(record("account", 2.0)(d)), (0.34, 0.67), share("account"),
                 lambda v: f"Account won {v:.0%} of its earlier closed deals",
                 "No earlier closed deal at the account"),
        _Numeric("owner_record", lambda d: _logit(record("owner", 5.0)(d)), (), share("owner"),
                 lambda v: f"Seller won {v:.0%} of their earlier closed deals", "Seller's first closed deal"),
    ]


_TEXT = (("stage", "Stage"), ("type", "Type"), ("lead_source", "Lead source"), ("product", "Product"))


def _text_values(df: pd.DataFrame, name: str) -> list[str | None]:
    if name.startswith("attr:"):
        key = name[5:]
        out: list[str | None] = []
        for raw in df.get("attributes", pd.Series([None] * len(df))).tolist():
            v = None
            if isinstance(raw, str) and raw:
                try:
                    v = json.loads(raw).get(key)
                except (ValueError, AttributeError):
                    v = None
            out.append(None if v is None or str(v).strip() == "" else str(v).strip())
        return out
    if name not in df.columns:
        return [None] * len(df)
    col = df[name].astype("string").str.strip()
    return [None if v is pd.NA or v == "" else v for v in col.tolist()]


def _display(name: str) -> str:
    if name.startswith("attr:"):
        return name[5:].replace("_", " ").capitalize()
    return dict(_TEXT).get(name, name.replace("_", " ").capitalize())


class _Design:
    """The columns learned on the training rows, applied to any rows."""

    def __init__(self, train: pd.DataFrame, weights: np.ndarray, y: np.ndarray, rules: WinRules,
                 deal_ids: np.ndarray) -> None:
        self.dropped: dict[str, str] = {}
        self.p0 = float(np.average(y, weights=weights))
        stage = np.array(_text_values(train, "stage"), dtype=object)
        sd = _col(train, "stage_days")
        norm: dict[str, float] = {}
        for s in sorted({s for s in stage.tolist() if s is not None}):
            vals = sd[(stage == s) & ~np.isnan(sd)]
            if len(vals):
                norm[s] = float(np.median(vals))
        self.stage_norm = norm
        self.numeric: list[tuple[_Numeric, float, float, float, bool]] = []  # spec, median, mean, sd, with-missing
        for spec in _numeric_features(norm, self.p0):
            x = spec.transform(train)
            ok = np.isfinite(x)
            if not ok.any():
                self.dropped[spec.name] = "no closed deal has a value for it while open"
                continue
            med = float(np.median(x[ok]))
            xf = np.where(ok, x, med)
            sdv = float(np.sqrt(np.average((xf - np.average(xf, weights=weights)) ** 2, weights=weights)))
            if sdv < 1e-9:
                self.dropped[spec.name] = "the same value on every closed deal"
                continue
            self.numeric.append((spec, med, float(np.average(xf, weights=weights)), sdv, bool((~ok).any())))
        self.text: list[tuple[str, list[str]]] = []
        for name in [n for n, _ in _TEXT] + [f"attr:{a}" for a in rules.attributes]:
            vals = _text_values(train, name)
            deals: dict[str, set[str]] = {}
            for v, d in zip(vals, deal_ids, strict=True):
                if v is not None:
                    deals.setdefault(v, set()).add(d)
            if not deals:
                self.dropped[name] = ("no closed deal has a value for it while open" if name == "stage"
                                      else "no closed deal has a value")
                continue
            levels = sorted(v for v, ds in deals.items() if len(ds) >= MIN_LEVEL_DEALS)
            if len(levels) == 0 or (len(levels) == 1 and all(v == levels[0] for v in vals)):
                self.dropped[name] = ("one value on every closed deal" if len(deals) == 1
                                      else f"no value on {MIN_LEVEL_DEALS} or more closed deals")
                continue
            self.text.append((name, levels))
        self.columns: list[tuple[str, str]] = []  # (feature, column label)
        for spec, *_rest in self.numeric:
            self.columns.append((spec.name, "value"))
            if _rest[3]:
                self.columns.append((spec.name, "missing"))
        for name, levels in self.text:
            self.columns.extend((name, lev) for lev in levels)
        self.features = [s.name for s, *_ in self.numeric] + [n for n, _ in self.text]
        self.center = np.zeros(len(self.columns))

    def matrix(self, df: pd.DataFrame) -> np.ndarray:
        cols: list[np.ndarray] = []
        for spec, med, mean, sdv, with_missing in self.numeric:
            x = spec.transform(df)
            ok = np.isfinite(x)
            cols.append((np.where(ok, x, med) - mean) / sdv)
            if with_missing:
                cols.append((~ok).astype(float))
        for name, levels in self.text:
            vals = np.array([v if v is not None else "" for v in _text_values(df, name)], dtype=object)
            cols.extend((vals == lev).astype(float) for lev in levels)
        return np.column_stack(cols) if cols else np.zeros((len(df), 0))


# -- fitting -------------------------------------------------------------------------------------


def _groups(df: pd.DataFrame) -> np.ndarray:
    acc = df["account_id"].tolist() if "account_id" in df.columns else [None] * len(df)
    return np.array([a if isinstance(a, str) and a else f"deal:{o}" for a, o in
                     zip(acc, df["opportunity_id"].tolist(), strict=True)], dtype=object)


def _folds(groups: np.ndarray, k: int) -> np.ndarray:
    """Fold of each row: accounts ranked by a CRC-32 of their id, dealt round-robin."""
    uniq = sorted(set(groups.tolist()), key=lambda g: (zlib.crc32(str(g).encode()), str(g)))
    fold_of = {g: i % k for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups.tolist()], dtype=np.int64)


@dataclass
class _Logistic:
    coef: np.ndarray
    intercept: float


def _fit_lr(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> _Logistic:
    """L2 logistic regression by Newton's method: minimises ``c * sum(w * log-loss) + |coef|^2 / 2``
    (scikit-learn's objective; the intercept is not penalised).  A few dozen columns, so each
    step is one small linear solve: fast and the same on every machine."""
    n, k = x.shape
    xa = np.column_stack([x, np.ones(n)])
    beta = np.zeros(k + 1)
    beta[-1] = float(_logit(np.clip(np.average(y, weights=w), 0.01, 0.99)))
    penalty = np.full(k + 1, 1.0 / c if np.isfinite(c) and c > 0 else 0.0)
    penalty[-1] = 0.0
    for _ in range(50):
        p = _sigmoid(xa @ beta)
        grad = xa.T @ (w * (p - y)) + penalty * beta
        h = (xa * (w * p * (1 - p))[:, None]).T @ xa + np.diag(penalty) + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(h, grad)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return _Logistic(beta[:-1].copy(), float(beta[-1]))


def _log_loss(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    p = np.clip(_sigmoid(z), _EPS, 1 - _EPS)
    return float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))) / w.sum())


def weighted_auc(score: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float | None:
    """Weighted ROC AUC (ties count half); None without both outcomes."""
    w = np.ones(len(y)) if w is None else w
    order = np.argsort(score, kind="stable")
    s, yy, ww = score[order], y[order], w[order]
    _, start = np.unique(s, return_index=True)
    pos = np.add.reduceat(ww * yy, start) if len(s) else np.array([])
    neg = np.add.reduceat(ww * (1 - yy), start) if len(s) else np.array([])
    below = np.cumsum(neg) - neg
    den = float(pos.sum() * neg.sum())
    return float(np.sum(pos * (below + 0.5 * neg)) / den) if den > 0 else None


def reliability(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, bins: int = 10) -> list[dict[str, Any]]:
    """Calibration bins of width 1/``bins``: mean predicted, observed rate and weight (deals)."""
    w = np.ones(len(y)) if w is None else w
    out = []
    idx = np.minimum((p * bins).astype(int), bins - 1)
    for b in range(bins):
        sel = idx == b
        n = float(w[sel].sum())
        if n <= 0:
            continue
        out.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                    "predicted": round(float(np.average(p[sel], weights=w[sel])), 4),
                    "observed": round(float(np.average(y[sel], weights=w[sel])), 4),
                    "n": round(n, 1), "rows_n": int(sel.sum())})
    return out


def brier(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    w = np.ones(len(y)) if w is None else w
    return float(np.average((p - y) ** 2, weights=w))


def _deal_weights(ids: np.ndarray) -> np.ndarray:
    _, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
    return 1.0 / counts[inv]


class WinModel:
    """Fit on the panel rows of closed deals; predict any panel rows."""

    def __init__(self, rules: WinRules | None = None) -> None:
        self.rules = rules or WinRules()
        self.report: WinReport | None = None
        self.design: _Design | None = None
        self._coef = np.zeros(0)
        self._intercept = 0.0
        self._slope = 1.0
        self._shift = 0.0
        self._bucket_rates: dict[str, list[tuple[float, float, float]]] = {}
        self._level_rates: dict[tuple[str, str], tuple[float, float]] = {}

    def fit(self, train: pd.DataFrame) -> WinModel:
        # One BLAS thread: the matrices are small, and OpenBLAS's threads only fight the engine's
        # (on a busy 2-core machine a fit took 15 s with them, 0.4 s without).
        try:
            from threadpoolctl import threadpool_limits  # comes with scikit-learn
        except ImportError:  # pragma: no cover
            return self._fit(train)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(train)

    def _fit(self, train: pd.DataFrame) -> WinModel:  # noqa: PLR0915
        started = time.perf_counter()
        rules = self.rules
        df = train.reset_index(drop=True)
        ids = df["opportunity_id"].astype(str).to_numpy(dtype=object)
        y_all = df["is_won"].fillna(False).astype(bool).to_numpy(dtype=float)
        deal_won = pd.Series(y_all, index=ids).groupby(level=0).max()
        won_n, lost_n = int(deal_won.sum()), int((deal_won == 0).sum())
        accounts_n = len(set(_groups(df).tolist())) if len(df) else 0
        common: dict[str, Any] = {"won_n": won_n, "lost_n": lost_n, "rows_n": len(df), "accounts_n": accounts_n}
        if won_n + lost_n == 0:
            self.report = WinReport("none", "No closed deals yet: no win probability.", **common,
                                    seconds=time.perf_counter() - started)
            return self
        p0 = won_n / (won_n + lost_n)
        common["base_rate"] = p0
        if won_n + lost_n < rules.min_closed_deals or min(won_n, lost_n) < rules.min_each_outcome:
            self.report = WinReport(
                "stage_rate",
                f"Too few closed deals for a model: {won_n + lost_n} ({won_n} won, {lost_n} lost); the setting "
                f"win.min_closed_deals asks for {rules.min_closed_deals}, with at least {rules.min_each_outcome} "
                "won and lost. Open deals get the historical win rate of deals that reached their stage.",
                **common, seconds=time.perf_counter() - started)
            return self
        sampled = None
        if won_n + lost_n > rules.max_training_deals:
            keep_ids = training_sample(list(deal_won.index), rules.max_training_deals) or []
            keep = pd.Series(ids).isin(set(keep_ids)).to_numpy()
            df, ids, y_all = df[keep].reset_index(drop=True), ids[keep], y_all[keep]
            sampled = len(keep_ids)
        w = _deal_weights(ids)
        design = _Design(df, w, y_all, rules, ids)
        self.design = design
        x = design.matrix(df)
        groups = _groups(df)
        n_deals = len(set(ids.tolist()))
        k = 5 if n_deals < _SMALL else 3
        grid = _C_GRID_SMALL if n_deals < _SMALL else _C_GRID_LARGE
        fold = _folds(groups, k)
        if x.shape[1] == 0:
            self.report = WinReport("stage_rate", "No feature to learn from: every one was dropped. Open deals get "
                                    "the historical win rate of deals that reached their stage.", **common,
                                    dropped=dict(design.dropped), seconds=time.perf_counter() - started)
            return self
        oofs, lls = [], []
        base_oof = np.zeros(len(y_all))
        for f in range(k):
            tr = fold != f
            base_oof[~tr] = _logit(np.average(y_all[tr], weights=w[tr])) if tr.any() else _logit(p0)
        ll_base = _log_loss(base_oof, y_all, w)
        for c in grid:
            z = np.zeros(len(y_all))
            for f in range(k):
                tr, te = fold != f, fold == f
                if not te.any():
                    continue
                if len(set(y_all[tr].tolist())) < 2:
                    z[te] = base_oof[te]
                    continue
                m = _fit_lr(x[tr], y_all[tr], w[tr], c)
                z[te] = x[te] @ m.coef + m.intercept
            oofs.append(z)
            lls.append(_log_loss(z, y_all, w))
        best = int(np.argmin(lls))
        c_best, oof, ll_m = grid[best], oofs[best], lls[best]
        slope, intercept = self._calibrate(oof, y_all, w, p0)
        p_oof = _sigmoid(intercept + slope * oof)
        auc = weighted_auc(oof, y_all, w)
        common |= {"auc": auc, "log_loss": _log_loss(intercept + slope * oof, y_all, w), "log_loss_base": ll_base,
                   "brier": brier(p_oof, y_all, w), "brier_base": brier(_sigmoid(base_oof), y_all, w),
                   "calibration_slope": slope, "calibration_intercept": intercept,
                   "calibration_bins": reliability(p_oof, y_all, w), "penalty_c": c_best, "folds_n": k,
                   "features_used": list(design.features), "dropped": dict(design.dropped),
                   "sampled_deals_n": sampled}
        if not ll_m < ll_base - 1e-4 or slope <= 0:
            self.report = WinReport(
                "stage_rate",
                f"No reliable signal: out of fold the model's log-loss {ll_m:.4f} does not beat the base rate's "
                f"{ll_base:.4f} ({won_n} won, {lost_n} lost). Open deals get the historical win rate of deals "
                "that reached their stage.", **common, seconds=time.perf_counter() - started)
            return self
        final = _fit_lr(x, y_all, w, c_best)
        self._coef, self._intercept = final.coef, final.intercept
        self._slope, self._shift = slope, intercept
        design.center = np.average(x, axis=0, weights=w)
        self._learn_buckets(df, design, y_all, w)
        self.report = WinReport(
            "model",
            f"Model of {won_n + lost_n} closed deals ({won_n} won, {lost_n} lost): out-of-fold AUC {auc:.2f}, "
            f"log-loss {common['log_loss']:.4f} vs {ll_base:.4f} for the {p0:.0%} base rate.",
            **common, seconds=time.perf_counter() - started)
        return self

    @staticmethod
    def _calibrate(z: np.ndarray, y: np.ndarray, w: np.ndarray, p0: float) -> tuple[float, float]:
        if np.ptp(z) < 1e-9:
            return 0.0, float(_logit(p0))
        lr = _fit_lr(z.reshape(-1, 1), y, w, math.inf)
        slope = float(lr.coef[0])
        if 0.0 <= slope <= 2.0:
            return slope, lr.intercept
        return (2.0, float(_logit(p0))) if slope > 2.0 else (0.0, float(_logit(p0)))

    def _learn_buckets(self, df: pd.DataFrame, design: _Design, y: np.ndarray, w: np.ndarray) -> None:
        self._bucket_rates = {}
        for spec, *_ in design.numeric:
            raw = spec.raw(df)
            edges = spec.edges or tuple(np.unique(np.nanquantile(raw, [0.25, 0.5, 0.75])).tolist()) if np.isfinite(raw).any() else ()
            b = np.searchsorted(np.array(edges, dtype=float), raw, side="right")
            rates = []
            for i in range(len(edges) + 1):
                sel = (b == i) & np.isfinite(raw)
                n = float(w[sel].sum())
                rates.append((float(np.average(y[sel], weights=w[sel])) if n > 0 else float("nan"), n, 0.0))
            self._bucket_rates[spec.name] = [(e, r, n) for e, (r, n, _) in zip((-np.inf, *edges), rates, strict=True)]
        self._level_rates = {}
        for name, levels in design.text:
            vals = np.array([v if v is not None else "" for v in _text_values(df, name)], dtype=object)
            for lev in levels:
                sel = vals == lev
                self._level_rates[(name, lev)] = (float(np.average(y[sel], weights=w[sel])), float(w[sel].sum()))

    def predict(self, rows: pd.DataFrame) -> tuple[np.ndarray, list[list[str]]]:
        """Calibrated win probability and reasons for each row (basis ``model`` only)."""
        assert self.design is not None and self.report is not None and self.report.basis == "model"
        df = rows.reset_index(drop=True)
        x = self.design.matrix(df)
        z = x @ self._coef + self._intercept
        p = _sigmoid(self._shift + self._slope * z)
        contrib = (x - self.design.center) * self._coef * self._slope
        by_feature: dict[str, list[int]] = {}
        for j, (feat, _) in enumerate(self.design.columns):
            by_feature.setdefault(feat, []).append(j)
        feats = list(by_feature)
        per = np.column_stack([contrib[:, js].sum(axis=1) for js in by_feature.values()]) if feats else np.zeros((len(df), 0))
        # each feature's raw values and levels once for all rows (the reasons read them per deal)
        values: dict[str, list[Any]] = {spec.name: spec.raw(df).tolist() for spec, *_ in self.design.numeric}
        values |= {name: _text_values(df, name) for name, _ in self.design.text}
        reasons = [self._reasons({f: v[i] for f, v in values.items()}, per[i], feats) for i in range(len(df))]
        return p, reasons

    def _reasons(self, row: dict[str, Any], effects: np.ndarray, feats: list[str]) -> list[str]:
        p0 = self.report.base_rate if self.report else None
        assert p0 is not None and self.design is not None
        order = np.argsort(-np.abs(effects), kind="stable")
        up: list[str] = []
        down: list[str] = []
        for j in order:
            if abs(effects[j]) < 0.1:
                break
            side = up if effects[j] > 0 else down
            if len(side) >= 2:
                continue
            found = self._words(row, feats[j], p0)
            # told only where closed deals like it agree with the direction (a model effect
            # against the plain rate would read as a contradiction)
            if found and (found[1] is None or (found[1] > p0) == (effects[j] > 0)):
                side.append(("+ " if effects[j] > 0 else "- ") + found[0])
        return [*up, *down] or [f"Close to the overall win rate of {_pct(p0)}: no factor stands out"]

    def _words(self, row: dict[str, Any], feat: str, p0: float) -> tuple[str, float | None] | None:
        """The factor in words, and the win rate of closed deals like it (None: not known)."""
        assert self.design is not None
        for spec, *_ in self.design.numeric:
            if spec.name != feat:
                continue
            v = float(row[feat])
            if not np.isfinite(v):
                return (spec.unknown or f"{feat.replace('_', ' ').capitalize()} unknown"), None
            rate, n = float("nan"), 0.0
            for lo, r, nn in self._bucket_rates.get(feat, []):
                if v >= lo:
                    rate, n = r, nn
            if not np.isfinite(rate):
                return spec.words(v), None
            return spec.words(v) + f" (deals like this win {_pct(rate)} vs {_pct(p0)}, n={n:,.0f})", rate
        for name, _levels in self.design.text:
            if name != feat:
                continue
            v = row[name]
            rate_n = self._level_rates.get((name, v)) if v is not None else None
            label = v if v is not None else "unknown"
            if rate_n is None:
                return f"{_display(name)} {label} (a value seldom seen on closed deals)", None
            return (f"{_display(name)} {label} (deals like this win {_pct(rate_n[0])} vs {_pct(p0)}, "
                    f"n={rate_n[1]:,.0f})", rate_n[0])
        return None


# -- the stage win rate --------------------------------------------------------------------------


def stage_win_rates(reached: pd.DataFrame, outcomes: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """Win rate of the closed deals in ``outcomes`` (``opportunity_id``, ``is_won``) that reached
    each stage (``reached``: ``opportunity_id``, ``stage``): {stage: (rate, deals)}."""
    if reached.empty or outcomes.empty:
        return {}
    m = reached[["opportunity_id", "stage"]].drop_duplicates().merge(
        outcomes[["opportunity_id", "is_won"]], on="opportunity_id")
    if m.empty:
        return {}
    g = m.groupby("stage")["is_won"].agg(["sum", "count"])
    return {str(s): (float(r["sum"] / r["count"]), int(r["count"])) for s, r in g.iterrows()}


def stage_rate_probability(stages: Sequence[Any], rates: dict[str, tuple[float, int]], p0: float | None,
                           why: str) -> tuple[list[float | None], list[list[str]]]:
    """The stage-rate fallback for deals in ``stages``: the stage's rate when 10 or more closed
    deals reached it, else the overall rate."""
    probs: list[float | None] = []
    reasons: list[list[str]] = []
    for s in stages:
        hit = rates.get(s) if isinstance(s, str) else None
        if hit and hit[1] >= 10:
            probs.append(hit[0])
            reasons.append([f"Historical win rate of deals that reached {s}: {_pct(hit[0])} (n={hit[1]})", why])
        elif p0 is not None:
            probs.append(p0)
            what = (f"fewer than 10 closed deals reached {s}" if isinstance(s, str) else "stage unknown")
            reasons.append([f"Overall win rate {_pct(p0)} ({what})", why])
        else:
            probs.append(None)
            reasons.append([why])
    return probs, reasons


# -- the analysis step ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WinScores:
    """One row per open deal scored (``opportunity_id``, ``win_probability``, ``win_basis``,
    ``win_reasons`` as a JSON list), and the model's report."""

    deals: pd.DataFrame
    report: WinReport


def training_sample(closed_ids: Sequence[str], most: int) -> list[str] | None:
    """The closed deals the model learns from when there are more than ``most``: the first
    ``most`` by a CRC-32 of the id (the same on every engine and run); None: all of them."""
    if len(closed_ids) <= most:
        return None
    return sorted(sorted(closed_ids, key=lambda d: (zlib.crc32(d.encode()), d))[:most])


def training_rows(panel: pd.DataFrame, before: Any | None = None) -> pd.DataFrame:
    """Rows of deals closed (by the panel's as_of, or strictly before ``before``)."""
    closed = panel["closed"].fillna(False).astype(bool)
    if before is None:
        return panel[closed]
    at = pd.to_datetime(panel["closed_at"])
    snap = pd.to_datetime(panel["snapshot_at"])
    return panel[closed & at.notna() & (at < before) & snap.notna() & (snap < before)]


def score_open_deals(panel: pd.DataFrame, stage_rates: dict[str, tuple[float, int]], *, as_of: Any,
                     rules: WinRules) -> WinScores:
    """Fit on the closed deals of ``panel`` and score the deals open at ``as_of``.

    ``panel`` is :func:`~accountleader.domain.metrics.win_features.deal_panel`'s rows sorted by
    ``opportunity_id`` and ``snapshot_at``; ``stage_rates`` {stage: (win rate, closed deals)} over
    every deal closed by ``as_of`` that reached the stage (the fallback)."""
    panel = panel.reset_index(drop=True)
    train = training_rows(panel)
    snap = pd.to_datetime(panel["snapshot_at"])
    open_now = ~panel["closed"].fillna(False).astype(bool) & ((snap == pd.Timestamp(as_of)) | snap.isna())
    now = panel[open_now].reset_index(drop=True)
    model = WinModel(rules).fit(train)
    rep = model.report
    assert rep is not None
    if rep.basis == "model" and len(now):
        p, reasons = model.predict(now)
        probs: list[float | None] = [float(v) for v in p]
        basis = ["model"] * len(now)
    else:
        rates = stage_rates if rep.basis != "none" else {}
        probs, reasons = stage_rate_probability(now["stage"].tolist() if len(now) else [], rates, rep.base_rate,
                                                rep.reason)
        basis = [rep.basis if v is not None else "none" for v in probs]
    deals = pd.DataFrame({
        "opportunity_id": now["opportunity_id"].astype(str).tolist() if len(now) else [],
        "win_probability": probs,
        "win_basis": basis,
        "win_reasons": [json.dumps(r, ensure_ascii=False) for r in reasons],
    })
    return WinScores(deals, rep)


def rates_by_stage(table: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """{stage: (win rate, deals)} from ``stage``, ``won_n``, ``deals_n`` rows."""
    return {str(r.stage): (float(r.won_n) / float(r.deals_n), int(r.deals_n))
            for r in table.itertuples() if r.deals_n and isinstance(r.stage, str)}
