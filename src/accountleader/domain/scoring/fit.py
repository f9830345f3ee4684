"""Right companies: an account fit model learned from the workspace's own wins and losses.

The model learns *accounts*, not territories, and is honest on small data:

1. **Attributes.** Each firmographic attribute (industry, size band, revenue band, region,
   country, customer status, each product bought, and any other text column given) is split
   into levels.  Levels seen on fewer than ``min_level_accounts`` accounts with closed deals
   count as unknown.
2. **Owner confounding.** When the frame has ``owner_id``, an attribute whose levels
   coincide with one owner (territory = seller: the deal-weighted share of each level's
   deals owned by that level's top owner is at least ``owner_purity`` and well above the
   top owner's overall share) is dropped: it would learn sellers, not accounts.  The reason
   is kept in :attr:`FitReport.dropped` and in every account's ``fit_reasons``.
3. **Model.** A logistic regression on one-hot main effects plus all pairwise level
   combinations (industry x size and the like), the pairwise columns scaled by
   ``interaction_scale`` so that they are shrunk harder than main effects.  The L2 strength
   is chosen from a small grid by account-grouped out-of-fold log-loss.
4. **Signal test.** Out-of-fold predictions over folds of *accounts* (never splitting an
   account's deals): deal-weighted log-loss against the training-fold base rate, AUC and
   Brier; a permutation test shuffles whole accounts' (won, lost) pairs and repeats the
   same cross-validation.  There is a signal when the model beats the base rate out of fold
   by ``min_relative_gain`` and the permutation p-value is at most ``alpha``.
5. **Calibration.** A logistic (Platt) fit of outcomes on the out-of-fold log-odds, slope
   kept in [0, 1] so it can only damp the model.  Without a signal every account scores
   the base rate and no tier is assigned.

``fit_score`` is the calibrated win probability in percent.  Tiers compare it with the base
rate on the log-odds scale (absolute cut-offs, never quantiles, so noise is not spread into
tiers): A >= +0.4, B >= +0.1, C > -0.4, D <= -0.4.  scikit-learn is imported lazily.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "AccountFitModel",
    "FitReport",
    "FitResult",
    "fit_account_scores",
    "tier_for",
    "TIER_CUTS",
    "size_band",
    "owner_confounding",
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
#: Columns that are never attributes (ids, outcomes, the owner, free text).
_RESERVED = frozenset({"account_id", "won_n", "lost_n", "open_n", "owner_id", "name", "employees",
                       "annual_revenue", "products", "created_at", "updated_at"})
#: L2 strengths tried (sklearn's C: prior variance of a coefficient, per deal-weighted loss).
_C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
NO_DEALS_REASON = "Scored from attributes: no deals yet"
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
    auc: float | None = None
    brier_base: float | None = None
    features_used: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    penalty_c: float | None = None
    seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the metrics `accountleader model fit --json` prints."""
        r = (lambda v, d=4: None if v is None else round(float(v), d))  # noqa: E731
        return {
            "signal": self.signal, "reason": self.reason,
            "won_n": self.n_won, "lost_n": self.n_lost, "accounts_n": self.n_accounts,
            "base_rate": r(self.base_rate), "auc": r(self.auc),
            "log_loss": r(self.cv_log_loss_model), "log_loss_base": r(self.cv_log_loss_base),
            "brier": r(self.brier), "brier_base": r(self.brier_base),
            "permutation_p": r(self.permutation_p), "permutations_n": self.n_permutations,
            "calibration_slope": r(self.calibration_slope),
            "calibration_intercept": r(self.calibration_intercept),
            "calibration_bins": self.calibration_bins, "penalty_c": self.penalty_c,
            "features_used": list(self.features_used), "dropped": dict(self.dropped),
            "attributes": self.attributes, "seconds": r(self.seconds, 3),
        }


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


def _clean(v: Any) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
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


def _display(col: str) -> str:
    return col.replace("_", " ").capitalize()


def owner_confounding(codes: np.ndarray, owners: Sequence[str | None], weights: np.ndarray,
                      *, purity_min: float = 0.8, excess_min: float = 0.6) -> dict[str, float] | None:
    """How far an attribute's levels coincide with one owner (territory = seller).

    Over rows with a known level and owner, weighted by ``weights`` (closed deals): purity is
    the share of each level's weight owned by that level's top owner; ``base`` the top
    owner's share overall; Cramér's V the usual association.  Returns the figures when the
    attribute is confounded (purity >= ``purity_min`` and (purity - base) / (1 - base) >=
    ``excess_min``, at least 2 levels and 2 owners), else ``None``.
    """
    own = np.array([o if o is not None else "" for o in owners], dtype=object)
    keep = (codes >= 0) & (own != "") & (weights > 0)
    if keep.sum() < 2:
        return None
    lv, ow, w = codes[keep], own[keep], weights[keep]
    owner_codes, owner_idx = np.unique(ow, return_inverse=True)
    levels, level_idx = np.unique(lv, return_inverse=True)
    if len(owner_codes) < 2 or len(levels) < 2:
        return None
    table = np.zeros((len(levels), len(owner_codes)))
    np.add.at(table, (level_idx, owner_idx), w)
    total = table.sum()
    purity = float(table.max(axis=1).sum() / total)
    base = float(table.sum(axis=0).max() / total)
    excess = (purity - base) / (1 - base) if base < 1 else 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(np.sum(np.divide((table - expected) ** 2, expected, out=np.zeros_like(table),
                                  where=expected > 0)))
    v = math.sqrt(chi2 / (total * (min(table.shape) - 1)))
    if purity >= purity_min and excess >= excess_min:
        return {"purity": purity, "base": base, "cramers_v": v}
    return None


def _unknown_where_rare(codes: np.ndarray, rare: np.ndarray) -> np.ndarray:
    """Codes of rare levels become -1 (unknown). An attribute with no levels at all (every
    value missing) has nothing to keep."""
    if not len(rare):
        return np.full_like(codes, -1)
    return np.where((codes >= 0) & rare[np.clip(codes, 0, len(rare) - 1)], -1, codes)


class AccountFitModel:
    """Fit on accounts with closed-deal counts, then predict fit scores for any accounts.

    Input columns: ``account_id``, ``won_n``, ``lost_n``, optionally ``owner_id`` (the
    account's seller, for the confounding check) and any of ``industry``, ``employees``,
    ``annual_revenue``, ``region``, ``country``, ``account_type``, ``products`` (list or
    ``;``-separated string of products the account already buys), plus any other text
    column, taken as a categorical attribute.  Products must describe what the account held
    *before* the deals counted, or the model learns the outcome from itself.
    """

    def __init__(
        self,
        *,
        min_closed: int = 10,
        n_permutations: int = 19,
        alpha: float = 0.05,
        min_relative_gain: float = 0.005,
        n_folds: int = 5,
        seed: int = 0,
        interaction_scale: float = 0.5,
        min_level_accounts: int = 3,
        owner_purity: float = 0.8,
    ) -> None:
        self.min_closed = min_closed
        self.n_permutations = n_permutations
        self.alpha = alpha
        self.min_relative_gain = min_relative_gain
        self.n_folds = n_folds
        self.seed = seed
        self.interaction_scale = interaction_scale
        self.min_level_accounts = min_level_accounts
        self.owner_purity = owner_purity
        self.report: FitReport | None = None
        self._spec: dict[str, Any] = {}
        self._attrs_used: list[str] = []
        self._dropped: dict[str, str] = {}
        self._coef: np.ndarray | None = None
        self._intercept_raw = 0.0
        self._slope = 0.0
        self._intercept = 0.0
        self._level_stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._pair_stats: dict[tuple[str, str], dict[int, tuple[float, int]]] = {}
        self._columns: list[tuple[Any, ...]] = []

    # -- features -------------------------------------------------------------------------
    def _attributes(self, df: pd.DataFrame, *, learn: bool) -> list[_Attribute]:
        out: list[_Attribute] = []
        spec = self._spec
        known = {c for c, _ in _CATEGORICAL}
        if learn:
            spec["extra"] = [c for c in df.columns if c not in _RESERVED and c not in known
                             and (pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])
                                  or isinstance(df[c].dtype, pd.CategoricalDtype))]
        for col, display in [*_CATEGORICAL, *((c, _display(c)) for c in spec.get("extra", []))]:
            if col not in df.columns and not (not learn and col in spec):
                continue
            vals = ([_clean(v) for v in df[col].tolist()] if col in df.columns else [None] * len(df))
            if learn:
                spec[col] = sorted({v for v in vals if v is not None})
            if col in spec:
                out.append(_Attribute(col, display, spec[col], _encode(vals, spec[col])))
        if "employees" in df.columns or (not learn and "size_band" in spec):
            emp = df["employees"].tolist() if "employees" in df.columns else [None] * len(df)
            vals = [size_band(float(v)) if _clean(v) is not None else None for v in emp]
            spec["size_band"] = list(_SIZE_LABELS)
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

    def _rare_to_unknown(self, attrs: list[_Attribute], rows: np.ndarray) -> None:
        """Levels on fewer than ``min_level_accounts`` training accounts become unknown."""
        for a in attrs:
            counts = np.bincount(a.codes[rows][a.codes[rows] >= 0], minlength=len(a.labels))
            rare = counts < self.min_level_accounts
            self._spec.setdefault("rare", {})[a.name] = rare
            a.codes = _unknown_where_rare(a.codes, rare)

    def _apply_rare(self, attrs: list[_Attribute]) -> None:
        for a in attrs:
            rare = self._spec.get("rare", {}).get(a.name)
            if rare is not None:
                a.codes = _unknown_where_rare(a.codes, rare)

    # -- the design matrix ----------------------------------------------------------------
    def _learn_columns(self, attrs: list[_Attribute], rows: np.ndarray) -> None:
        """Columns: (attr, level) main effects and (attr, attr, level, level) cells seen in
        training on at least ``min_level_accounts`` accounts."""
        cols: list[tuple[Any, ...]] = []
        for a in attrs:
            present = np.unique(a.codes[rows][a.codes[rows] >= 0])
            cols += [(a.name, int(c)) for c in present]
        if self.interaction_scale > 0:
            for a, b in itertools.combinations(attrs, 2):
                ca, cb = a.codes[rows], b.codes[rows]
                ok = (ca >= 0) & (cb >= 0)
                cell = ca[ok] * len(b.labels) + cb[ok]
                vals, counts = np.unique(cell, return_counts=True)
                for v in vals[counts >= self.min_level_accounts]:
                    cols.append((a.name, b.name, int(v) // len(b.labels), int(v) % len(b.labels)))
        self._columns = cols

    def _design(self, attrs: list[_Attribute], rows: np.ndarray) -> Any:
        import scipy.sparse as sp

        by_name = {a.name: a for a in attrs}
        r_idx: list[np.ndarray] = []
        c_idx: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        main: dict[str, dict[int, int]] = {}
        pair: dict[tuple[str, str], dict[tuple[int, int], int]] = {}
        for j, col in enumerate(self._columns):
            if len(col) == 2:
                main.setdefault(col[0], {})[col[1]] = j
            else:
                pair.setdefault((col[0], col[1]), {})[(col[2], col[3])] = j
        n = len(rows)
        for name, levels in main.items():
            codes = by_name[name].codes[rows]
            lut = np.full(len(by_name[name].labels) + 1, -1)
            for lv, j in levels.items():
                lut[lv] = j
            js = lut[np.where(codes >= 0, codes, len(lut) - 1)]
            ok = js >= 0
            r_idx.append(np.flatnonzero(ok))
            c_idx.append(js[ok])
            vals.append(np.ones(ok.sum()))
        for (na, nb), cells in pair.items():
            ca, cb = by_name[na].codes[rows], by_name[nb].codes[rows]
            kb = len(by_name[nb].labels)
            lut = np.full(len(by_name[na].labels) * kb + 1, -1)
            for (la, lb), j in cells.items():
                lut[la * kb + lb] = j
            key = np.where((ca >= 0) & (cb >= 0), ca * kb + cb, len(lut) - 1)
            js = lut[key]
            ok = js >= 0
            r_idx.append(np.flatnonzero(ok))
            c_idx.append(js[ok])
            vals.append(np.full(ok.sum(), self.interaction_scale))
        if not r_idx:
            return sp.csr_matrix((n, max(len(self._columns), 1)))
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
                             shape=(n, max(len(self._columns), 1)))

    # -- fitting --------------------------------------------------------------------------
    @staticmethod
    def _fit_lr(x: Any, y: np.ndarray, w: np.ndarray, c: float, warm: Any = None) -> Any:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=c, max_iter=200, warm_start=warm is not None)
        if warm is not None:
            lr.coef_, lr.intercept_ = warm.coef_.copy(), warm.intercept_.copy()
        return lr.fit(x, y, sample_weight=w)

    def _cv(self, fold_x: list[tuple[Any, Any]], won: np.ndarray, lost: np.ndarray,
            folds: list[tuple[np.ndarray, np.ndarray]],
            grid: Sequence[float]) -> tuple[list[float], float, list[np.ndarray]]:
        """Deal-weighted out-of-fold log-loss per C (model) and for the base rate, and the
        out-of-fold log-odds per C.  Each account is two rows (won with weight won_n, lost
        with weight lost_n); ``fold_x`` holds each fold's (train, test) design rows."""
        n_deals = float(won.sum() + lost.sum())
        ll_model = [0.0] * len(grid)
        ll_base = 0.0
        oof = [np.zeros(len(won)) for _ in grid]
        for (train, test), (x_tr, x_te) in zip(folds, fold_x, strict=True):
            p0 = float(won[train].sum() / max(won[train].sum() + lost[train].sum(), 1))
            pb = np.clip(p0, _EPS, 1 - _EPS)
            ll_base -= float(np.sum(won[test] * np.log(pb) + lost[test] * np.log(1 - pb)))
            y = np.r_[np.ones(len(train)), np.zeros(len(train))]
            sw = np.r_[won[train], lost[train]]
            prev = None
            for k, c in enumerate(grid):
                prev = self._fit_lr(x_tr, y, sw, c, warm=prev)
                z = prev.decision_function(x_te)
                oof[k][test] = z
                pm = np.clip(_sigmoid(z), _EPS, 1 - _EPS)
                ll_model[k] -= float(np.sum(won[test] * np.log(pm) + lost[test] * np.log(1 - pm)))
        return [m / n_deals for m in ll_model], ll_base / n_deals, oof

    def _folds(self, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        from sklearn.model_selection import KFold

        # rows are accounts, so every fold holds whole accounts (grouped by account)
        kf = KFold(n_splits=min(self.n_folds, n), shuffle=True, random_state=self.seed)
        return list(kf.split(np.arange(n)))

    def _confounded(self, df: pd.DataFrame, attrs: list[_Attribute], rows: np.ndarray,
                    weights: np.ndarray) -> dict[str, str]:
        if "owner_id" not in df.columns:
            return {}
        owners = [_clean(v) for v in df["owner_id"].to_numpy()[rows]]
        dropped: dict[str, str] = {}
        for a in attrs:
            if a.product:
                continue
            found = owner_confounding(a.codes[rows], owners, weights, purity_min=self.owner_purity)
            if found:
                dropped[a.name] = (
                    f"{a.display} left out: its levels coincide with one seller "
                    f"({found['purity']:.0%} of each {a.display.lower()}'s closed deals are at accounts "
                    f"of its top seller, Cramér's V {found['cramers_v']:.2f}), so it would learn "
                    "territories, not accounts")
        return dropped

    # -- public API -----------------------------------------------------------------------
    def fit(self, accounts: pd.DataFrame) -> AccountFitModel:
        started = time.perf_counter()
        df = accounts.reset_index(drop=True)
        won = pd.to_numeric(df.get("won_n", 0), errors="coerce").fillna(0).to_numpy(float)
        lost = pd.to_numeric(df.get("lost_n", 0), errors="coerce").fillna(0).to_numpy(float)
        if won.ndim == 0:
            won = np.zeros(len(df))
        if lost.ndim == 0:
            lost = np.zeros(len(df))
        n_won, n_lost = int(won.sum()), int(lost.sum())
        closed = won + lost
        n_acc = int((closed > 0).sum())
        self._spec = {}
        self._coef = None
        attrs = self._attributes(df, learn=True)
        rows = np.flatnonzero(closed > 0)
        self._dropped = self._confounded(df, attrs, rows, closed[rows]) if len(rows) else {}
        for a in attrs:
            if a.name not in self._dropped and not (a.codes[rows] >= 0).any():
                self._dropped[a.name] = f"{a.display} left out: no account with closed deals has a value"
        attrs = [a for a in attrs if a.name not in self._dropped]
        self._attrs_used = [a.name for a in attrs]
        self._spec["used"] = list(self._attrs_used)
        common = {"features_used": list(self._attrs_used), "dropped": dict(self._dropped)}
        if n_won + n_lost < self.min_closed or n_won == 0 or n_lost == 0:
            self.report = FitReport(
                False,
                f"Not enough history: {n_won + n_lost} closed deals ({n_won} won, {n_lost} lost); "
                f"need at least {self.min_closed}, with both wins and losses.",
                n_won, n_lost, n_acc, seconds=time.perf_counter() - started, **common,
            )
            return self
        p0 = float(n_won / (n_won + n_lost))
        self._base_rate = p0
        self._rare_to_unknown(attrs, rows)
        self._learn_stats(attrs, rows, won, lost)
        self._learn_columns(attrs, rows)
        drop_note = self._drop_note()
        if len(rows) < 5 or not self._columns:
            why = ("no firmographic attributes to learn from" if not self._columns
                   else f"only {len(rows)} accounts with closed deals (need 5) to test for a signal")
            self._slope, self._intercept = 0.0, float(_logit(p0))
            self.report = FitReport(False, f"No signal test possible: {why}; every account scores "
                                    f"the base rate of {p0:.0%}.{drop_note}", n_won, n_lost, n_acc,
                                    base_rate=p0, seconds=time.perf_counter() - started, **common)
            return self
        x = self._design(attrs, rows)
        w, lo = won[rows], lost[rows]
        folds = self._folds(len(rows))
        import scipy.sparse as sp

        fold_x = [(sp.vstack([x[tr], x[tr]]).tocsr(), x[te]) for tr, te in folds]
        lls, ll_b, oofs = self._cv(fold_x, w, lo, folds, _C_GRID)
        best = int(np.argmin(lls))
        c_best = _C_GRID[best]
        ll_m, oof = lls[best], oofs[best]
        gain = ll_b - ll_m
        rel_gain = gain / ll_b if ll_b > 0 else 0.0
        # permutations: whole accounts' (won, lost) pairs shuffled, the same CV at the chosen C;
        # stopped early once the p-value can no longer reach alpha
        rng = np.random.default_rng(self.seed)
        beats, done = 0, 0
        need = self.alpha * (1 + self.n_permutations) - 1  # most beats that can still pass
        for _ in range(self.n_permutations):
            perm = rng.permutation(len(rows))
            m, b, _ = self._cv(fold_x, w[perm], lo[perm], folds, (c_best,))
            done += 1
            beats += (b - m[0]) >= gain
            if beats > need + 1e-9:
                break
        p_value = (1 + beats) / (1 + done)
        signal = rel_gain >= self.min_relative_gain and p_value <= self.alpha + 1e-12
        auc = _weighted_auc(oof, w, lo)
        slope, intercept = self._calibrate(oof, w, lo, p0) if signal else (0.0, float(_logit(p0)))
        self._slope, self._intercept = slope, intercept
        final = self._fit_lr(sp.vstack([x, x]).tocsr(), np.r_[np.ones(len(w)), np.zeros(len(w))],
                             np.r_[w, lo], c_best)
        self._coef, self._intercept_raw = final.coef_[0].copy(), float(final.intercept_[0])
        pred = _sigmoid(intercept + slope * oof)
        bins, _ = self._reliability(pred, w, lo)
        brier_base = float(p0 * (1 - p0))
        brier_oof = float(np.sum(w * (1 - _sigmoid(oof)) ** 2 + lo * _sigmoid(oof) ** 2) / (w + lo).sum())
        if signal:
            reason = (f"Firmographics predict wins: out-of-fold log-loss {ll_m:.4f} vs {ll_b:.4f} "
                      f"for the {p0:.0%} base rate, AUC {auc:.2f}, permutation p={p_value:.3f} "
                      f"({n_won} won, {n_lost} lost over {n_acc} accounts).{drop_note}")
        else:
            reason = (f"No reliable signal: firmographics do not predict wins beyond the {p0:.0%} "
                      f"base rate (out-of-fold log-loss {ll_m:.4f} vs {ll_b:.4f}, a "
                      f"{rel_gain:.2%} gain, needs {self.min_relative_gain:.1%}; AUC {auc:.2f}; "
                      f"permutation p={p_value:.2f}; {n_won} won, {n_lost} lost over {n_acc} "
                      f"accounts). Every account scores the base rate and no tier is assigned."
                      f"{drop_note}")
        self.report = FitReport(
            signal, reason, n_won, n_lost, n_acc, base_rate=p0, cv_log_loss_model=ll_m,
            cv_log_loss_base=ll_b, permutation_p=p_value, n_permutations=done,
            calibration_slope=slope, calibration_intercept=intercept, calibration_bins=bins,
            brier=brier_oof, attributes=self._attribute_report(attrs), auc=auc,
            brier_base=brier_base, penalty_c=c_best, seconds=time.perf_counter() - started,
            **common,
        )
        return self

    def _drop_note(self) -> str:
        return "".join(f" {why}." for why in self._dropped.values())

    def _learn_stats(self, attrs: list[_Attribute], rows: np.ndarray, won: np.ndarray,
                     lost: np.ndarray) -> None:
        """Raw level and cell win rates on the training rows, for the reasons."""
        self._level_stats = {}
        for a in attrs:
            codes = a.codes[rows]
            ok = codes >= 0
            wv = np.bincount(codes[ok], weights=won[rows][ok], minlength=len(a.labels))
            nv = wv + np.bincount(codes[ok], weights=lost[rows][ok], minlength=len(a.labels))
            self._level_stats[a.name] = (np.divide(wv, nv, out=np.full(len(nv), np.nan), where=nv > 0), nv)
        self._pair_stats = {}
        for a, b in itertools.combinations(attrs, 2):
            ca, cb = a.codes[rows], b.codes[rows]
            ok = (ca >= 0) & (cb >= 0)
            key = ca[ok] * len(b.labels) + cb[ok]
            stats: dict[int, tuple[float, int]] = {}
            if ok.any():
                size = len(a.labels) * len(b.labels)
                wv = np.bincount(key, weights=won[rows][ok], minlength=size)
                nv = wv + np.bincount(key, weights=lost[rows][ok], minlength=size)
                for k in np.flatnonzero(nv > 0):
                    stats[int(k)] = (float(wv[k] / nv[k]), int(nv[k]))
            self._pair_stats[(a.name, b.name)] = stats

    def _attribute_report(self, attrs: list[_Attribute]) -> list[dict[str, Any]]:
        out = []
        coef = self._coef if self._coef is not None else np.zeros(len(self._columns))
        for a in attrs:
            js = [j for j, c in enumerate(self._columns) if len(c) == 2 and c[0] == a.name]
            pj = [j for j, c in enumerate(self._columns) if len(c) == 4 and a.name in (c[0], c[1])]
            out.append({
                "attribute": a.name,
                "levels": int((self._level_stats[a.name][1] > 0).sum()),
                "max_abs_lift": round(float(np.max(np.abs(coef[js]), initial=0.0)), 3),
                "max_abs_interaction": round(float(np.max(np.abs(coef[pj]) * self.interaction_scale,
                                                          initial=0.0)), 3),
            })
        return out

    @staticmethod
    def _calibrate(z: np.ndarray, won: np.ndarray, lost: np.ndarray,
                   p0: float) -> tuple[float, float]:
        from sklearn.linear_model import LogisticRegression

        if np.ptp(z) < 1e-9:
            return 0.0, float(_logit(p0))
        x = np.concatenate([z, z]).reshape(-1, 1)
        y = np.concatenate([np.ones(len(z)), np.zeros(len(z))])
        wt = np.concatenate([won, lost])
        keep = wt > 0
        lr = LogisticRegression(C=np.inf).fit(x[keep], y[keep], sample_weight=wt[keep])
        slope = float(lr.coef_[0, 0])
        if 0.0 <= slope <= 1.0:
            return slope, float(lr.intercept_[0])
        return (1.0, 0.0) if slope > 1.0 else (0.0, float(_logit(p0)))

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
        dropped = [f"{why}." for why in self._dropped.values()]
        if rep.base_rate is None:
            return pd.DataFrame({"account_id": ids, "fit_score": [None] * len(df),
                                 "fit_tier": [None] * len(df),
                                 "fit_reasons": [[rep.reason] for _ in ids]})
        rows = np.arange(len(df))
        p0 = rep.base_rate
        if self._coef is None or not rep.signal:
            scores = np.full(len(df), round(p0 * 100, 1))
            return pd.DataFrame({"account_id": ids, "fit_score": scores.astype(float),
                                 "fit_tier": [None] * len(df),
                                 "fit_reasons": [[rep.reason] for _ in ids]})
        attrs = [a for a in self._attributes(df, learn=False) if a.name in self._attrs_used]
        self._apply_rare(attrs)
        x = self._design(attrs, rows)
        z = x @ self._coef + self._intercept_raw
        p = _sigmoid(self._intercept + self._slope * z)
        scores = np.round(p * 100, 1)
        tiers = [tier_for(float(s), p0) for s in scores]
        contrib = x.multiply(self._coef * self._slope).tocsr()
        reasons = [self._reasons(attrs, contrib, int(i)) + dropped for i in rows]
        has_counts = "won_n" in df.columns and "lost_n" in df.columns
        for i in rows:
            w = df.at[i, "won_n"] if has_counts else None
            lo = df.at[i, "lost_n"] if has_counts else None
            if has_counts and pd.notna(w) and pd.notna(lo) and (w or lo):
                reasons[i].append(f"Own history: {int(w)} won, {int(lo)} lost")
            else:
                reasons[i].append(NO_DEALS_REASON)
        return pd.DataFrame({"account_id": ids, "fit_score": scores.astype(float),
                             "fit_tier": tiers, "fit_reasons": reasons})

    def _reasons(self, attrs: list[_Attribute], contrib: Any, i: int) -> list[str]:
        p0 = self.report.base_rate if self.report else None
        assert p0 is not None
        by_name = {a.name: a for a in attrs}
        row = contrib.getrow(i)
        found: list[tuple[float, str]] = []
        for j, effect in zip(row.indices, row.data, strict=True):
            if abs(effect) < 0.05:
                continue
            col = self._columns[j]
            if len(col) == 2:
                a = by_name[col[0]]
                rate, n = self._level_stats[a.name]
                label = a.labels[col[1]]
                what = f"Accounts {label}" if a.product else f"{a.display} {label}"
                verb = "win" if a.product else "wins"
                found.append((abs(effect), f"{what} {verb} {rate[col[1]]:.0%} vs {p0:.0%} overall "
                              f"(n={int(n[col[1]])})"))
            else:
                a, b = by_name[col[0]], by_name[col[1]]
                r, n = self._pair_stats[(a.name, b.name)].get(col[2] * len(b.labels) + col[3], (p0, 0))
                found.append((abs(effect), f"{a.display} {a.labels[col[2]]} with {b.display.lower()} "
                              f"{b.labels[col[3]]} wins {r:.0%} vs {p0:.0%} overall (n={n})"))
        found.sort(key=lambda x: -x[0])
        if not found:
            return [f"Attributes close to the overall win rate of {p0:.0%}"]
        return [text for _, text in found[:3]]


def _weighted_auc(z: np.ndarray, won: np.ndarray, lost: np.ndarray) -> float:
    """Deal-weighted ROC AUC of scores ``z`` (ties count half)."""
    order = np.argsort(z, kind="stable")
    zs, ws, ls = z[order], won[order], lost[order]
    # group ties
    uniq, start = np.unique(zs, return_index=True)
    wg = np.add.reduceat(ws, start) if len(zs) else np.array([])
    lg = np.add.reduceat(ls, start) if len(zs) else np.array([])
    lost_below = np.cumsum(lg) - lg
    num = float(np.sum(wg * (lost_below + 0.5 * lg)))
    den = float(won.sum() * lost.sum())
    del uniq
    return num / den if den > 0 else float("nan")


def fit_account_scores(accounts: pd.DataFrame, **params: Any) -> FitResult:
    """Fit :class:`AccountFitModel` on ``accounts`` and score the same accounts."""
    model = AccountFitModel(**params).fit(accounts)
    scored = model.predict(accounts)
    for col in ("won_n", "lost_n"):
        scored[col] = accounts[col].to_numpy() if col in accounts.columns else 0
    assert model.report is not None
    return FitResult(scored, model.report)
