"""The scenario forecast: a Monte Carlo of bookings per month and quarter (docs/metrics.md, "Forecast").

Pure NumPy over arrays, vectorised: per (simulation, deal) a 16-bit draw decides whether the
deal is won (below ``p x 65536``) and a random byte picks which of its stage's observed slips
it takes (one of SLIP_SLOTS quantiles), and so the month and seller its amount is booked in.
Nothing loops per deal or per simulation; simulations run in chunks so memory stays flat. The same draws serve the base
case and every scenario (common random numbers), so a scenario's difference is its effect,
not noise between two runs.

Callers import this module lazily (it loads NumPy). Days are whole calendar days counted
from the as-of date (day 0); a deal cannot close before day 1.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from .scenarios import Scenario

#: Fewest won deals with a slip sample in a stage before its own distribution is used;
#: below it the stage falls back to the pooled distribution (and the output says so).
MIN_SLIP_SAMPLES = 20
#: Fewest closed deals through a stage before its historical win rate is used (as the win model).
MIN_STAGE_CLOSED = 10
#: Largest horizon, in months (memory grows with months x sellers x simulations).
MAX_MONTHS = 12
#: Cells (simulations x deals) drawn at once.
CHUNK_CELLS = 2_000_000
QUANTILES = (0.1, 0.5, 0.9)
PROBABILITY_BASES = ("model", "stage_history", "crm", "overall")


@dataclass(frozen=True)
class OpenDeals:
    """Open deals at the as-of date, one entry per deal in every array.

    ``close_day``: expected close, days after the as-of date (negative when overdue);
    ``probability``: 0-1; ``basis``: where it came from (one of PROBABILITY_BASES)."""

    opportunity_id: np.ndarray
    name: np.ndarray
    account_id: np.ndarray
    account_name: np.ndarray
    owner_id: np.ndarray
    owner_name: np.ndarray
    team: np.ndarray
    industry: np.ndarray
    product: np.ndarray
    stage: np.ndarray
    amount: np.ndarray
    close_day: np.ndarray
    probability: np.ndarray
    basis: np.ndarray
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.opportunity_id)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], *, as_of: date) -> OpenDeals:
        """Deals from dicts with the field names above, ``close_date`` a date and
        ``probability``/``basis`` set (see :func:`deal_probabilities`). Deals without a usable
        amount or close date are left out and counted in ``left_out``."""
        kept, left = [], {"no_amount": 0, "no_close_date": 0, "no_probability": 0}
        for r in rows:
            if r.get("amount") is None or not np.isfinite(r["amount"]) or r["amount"] <= 0:
                left["no_amount"] += 1
            elif r.get("close_date") is None:
                left["no_close_date"] += 1
            elif r.get("probability") is None:
                left["no_probability"] += 1
            else:
                kept.append(r)

        def text(key: str) -> np.ndarray:
            return np.array([("" if r.get(key) is None else str(r[key])) for r in kept], dtype=object)

        return cls(
            opportunity_id=text("opportunity_id"), name=text("name"), account_id=text("account_id"),
            account_name=text("account_name"), owner_id=text("owner_id"), owner_name=text("owner_name"),
            team=text("team"), industry=text("industry"), product=text("product"), stage=text("stage"),
            amount=np.array([float(r["amount"]) for r in kept], dtype=np.float64),
            close_day=np.array([(r["close_date"] - as_of).days for r in kept], dtype=np.int32),
            probability=np.clip(np.array([float(r["probability"]) for r in kept], dtype=np.float32), 0, 1),
            basis=text("basis"), left_out={k: v for k, v in left.items() if v},
        )


def deal_probabilities(
    model: Sequence[float | None], stage: Sequence[str | None], crm: Sequence[float | None],
    stage_rates: Mapping[str, tuple[int, int]], *, min_closed: int = MIN_STAGE_CLOSED,
) -> tuple[list[float | None], list[str | None]]:
    """Each deal's win probability (0-1) and its basis, best first: the win model's
    ``model`` value; the stage's historical win rate (``stage_rates``: stage -> (won, closed)
    with at least ``min_closed`` closed); the CRM's own probability (``crm``, 0-100); the
    overall historical win rate (``stage_rates[""]``). None when none of these exists."""
    won_all, closed_all = stage_rates.get("", (0, 0))
    overall = won_all / closed_all if closed_all else None
    probs: list[float | None] = []
    bases: list[str | None] = []
    for m, s, c in zip(model, stage, crm, strict=True):
        rate = stage_rates.get(s) if s else None
        if m is not None and np.isfinite(m):
            probs.append(float(m))
            bases.append("model")
        elif rate is not None and rate[1] >= min_closed:
            probs.append(rate[0] / rate[1])
            bases.append("stage_history")
        elif c is not None and np.isfinite(c):
            probs.append(float(c) / 100.0)
            bases.append("crm")
        elif overall is not None:
            probs.append(overall)
            bases.append("overall")
        else:
            probs.append(None)
            bases.append(None)
    return probs, bases


@dataclass(frozen=True)
class SlipModel:
    """Observed close-date slips (actual close minus the close date expected when the deal
    entered the stage, in days) per stage, and pooled over every stage."""

    by_stage: dict[str, np.ndarray]
    pooled: np.ndarray
    min_samples: int = MIN_SLIP_SAMPLES

    @classmethod
    def from_samples(cls, stages: Sequence[str | None], days: Sequence[float | None],
                     *, min_samples: int = MIN_SLIP_SAMPLES) -> SlipModel:
        pairs = [(s, int(round(d))) for s, d in zip(stages, days, strict=True) if s is not None and d is not None]
        by: dict[str, list[int]] = {}
        for s, d in pairs:
            by.setdefault(s, []).append(d)
        return cls({s: np.sort(np.array(v, dtype=np.int32)) for s, v in by.items()},
                   np.sort(np.array([d for _, d in pairs], dtype=np.int32)), min_samples)

    def samples_for(self, stage: str) -> tuple[np.ndarray, str]:
        """The samples a deal in ``stage`` draws from, and their basis."""
        own = self.by_stage.get(stage)
        if own is not None and len(own) >= self.min_samples:
            return own, "stage"
        if len(self.pooled) >= self.min_samples:
            return self.pooled, "pooled"
        return np.zeros(1, dtype=np.int32), "none"

    def describe(self, stages: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for s in stages:
            samples, basis = self.samples_for(s)
            out.append({"stage": s, "samples_n": int(len(self.by_stage.get(s, ()))), "basis": basis,
                        "median_days": None if basis == "none" else float(np.median(samples)),
                        "p90_days": None if basis == "none" else round(float(np.quantile(samples, 0.9)), 1)})
        return out


@dataclass(frozen=True)
class WonDeals:
    """Deals won from the start of the as-of's quarter up to the as-of (won-to-date)."""

    owner_id: Sequence[str]
    team: Sequence[str]
    close_date: Sequence[date]
    amount: Sequence[float]


@dataclass(frozen=True)
class _Periods:
    months: list[date]  # first day of each month in the horizon
    end_day: int  # the first day after the horizon, days from as_of
    month_of_day: np.ndarray  # day offset 0..end_day -> month index; end_day -> len(months)
    quarters: list[tuple[str, date, list[int]]]  # label, first day, month indexes in horizon


def _periods(as_of: date, months: int) -> _Periods:
    starts = []
    y, m = as_of.year, as_of.month
    for _ in range(months + 1):
        starts.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    end_day = (starts[-1] - as_of).days
    bounds = np.array([(s - as_of).days for s in starts[1:]], dtype=np.int32)
    month_of_day = np.searchsorted(bounds, np.arange(end_day + 1), side="right").astype(np.int8)
    quarters: dict[str, tuple[date, list[int]]] = {}
    for i, s in enumerate(starts[:-1]):
        q = (s.month - 1) // 3
        quarters.setdefault(f"{s.year}-Q{q + 1}", (date(s.year, 3 * q + 1, 1), []))[1].append(i)
    return _Periods(starts[:-1], end_day, month_of_day, [(k, v[0], v[1]) for k, v in quarters.items()])


#: Slots of each deal's close-month table: a stage's observed slips as this many evenly spaced
#: quantiles of their empirical distribution; a random byte picks one slot.
SLIP_SLOTS = 256
#: Win draws are 16-bit: a deal is won when its draw is below round(p x 65536).
WIN_LEVELS = 65536


@dataclass
class _Pass:
    """Deals simulated together: ``deals`` (indexes; None: every deal), their win thresholds
    (won when the 16-bit draw is below), their tables of SLIP_SLOTS (seller, month) buckets, one
    per slip quantile, and what each booking adds (the amount; negative to take the base case's
    bookings of those deals back out)."""

    deals: np.ndarray | None
    threshold: np.ndarray
    table: np.ndarray  # (deals, SLIP_SLOTS)
    weight: np.ndarray
    keyed: dict[int, np.ndarray] = field(default_factory=dict)  # table shifted, per chunk size


@dataclass
class _Variant:
    """One case simulated, the base or a scenario. A scenario that changes some deals only is
    the base case's simulations, less those deals as the base has them, plus those deals as the
    scenario has them (``on_base``): the same draws, so the same result as simulating every deal
    again, for the cost of the deals it changes."""

    p: np.ndarray
    in_horizon: np.ndarray  # per deal: the share of its slips that close in the horizon
    matched: np.ndarray
    notes: list[str]
    passes: list[_Pass]
    on_base: bool
    sims: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (simulations, owners x (months + 1))


def _close_days(start_day: np.ndarray, slots: np.ndarray, shift: np.ndarray,
                freeze: tuple[np.ndarray, int, int] | None) -> np.ndarray:
    """Close day per (deal, slot): expected close (tomorrow at the earliest) + the slot's slip +
    the scenario's shift, never before tomorrow; a frozen deal closing in the freeze moves past it
    by the freeze's length."""
    close = np.maximum(start_day[:, None] + slots + shift[:, None], 1)
    if freeze is not None:
        mask, lo, hi = freeze
        frozen = mask[:, None] & (close >= lo) & (close < hi)
        close[frozen] += hi - lo
    return close


def simulate(
    deals: OpenDeals,
    slip: SlipModel,
    *,
    as_of: date,
    months: int = 3,
    simulations: int = 10_000,
    seed: int = 0,
    scenarios: Sequence[Scenario] = (),
    won: WonDeals | None = None,
    drivers: int = 10,
    groups: bool = True,
) -> dict[str, Any]:
    """Bookings P10/P50/P90 per month, per quarter and over the horizon (the as-of's month and
    the ``months - 1`` after it) for all deals, each team and each seller, plus won-to-date;
    for each scenario its P50 difference against the base and the deals that drive it.
    Deterministic for a given ``seed``. ``groups=False`` leaves out teams and sellers."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be 1 to {MAX_MONTHS}")
    if simulations < 1:
        raise ValueError("simulations must be at least 1")
    per = _periods(as_of, months)
    n, n_months = deals.n, len(per.months)
    owners = sorted(set(deals.owner_id.tolist()) | {o or "" for o in (won.owner_id if won else [])})
    effects = [scenario_effect(sc, deals, as_of=as_of) for sc in scenarios]
    extra_team: dict[str, str] = {}
    for effect in effects:
        for key, team in effect.new_owners.items():
            if key not in owners:
                owners.append(key)
                extra_team[key] = team
    team_of_owner = [extra_team.get(o, t) for o, t in zip(owners, _team_of_owner(deals, won, owners), strict=True)]
    teams = sorted(set(team_of_owner))

    # each deal's stage's slips as SLIP_SLOTS quantiles
    stages = sorted(set(deals.stage.tolist()))
    grid = (np.arange(SLIP_SLOTS) + 0.5) / SLIP_SLOTS
    by_stage = {}
    for s in stages:
        samples, _ = slip.samples_for(s)
        q = samples[np.minimum((grid * len(samples)).astype(np.int64), len(samples) - 1)]
        by_stage[s] = q.astype(np.int32)
    slots = np.stack([by_stage[s] for s in deals.stage.tolist()]) if n else np.zeros((0, SLIP_SLOTS), np.int32)
    start_day = np.maximum(deals.close_day, 1).astype(np.int32)
    width = (len(owners) if groups else 1) * (n_months + 1)
    amount = deals.amount.astype(np.float64)

    def tables(idx: np.ndarray | None, p: np.ndarray, owner: np.ndarray, shift: np.ndarray,
               freeze: tuple[np.ndarray, int, int] | None) -> tuple[_Pass, np.ndarray]:
        """A pass over the deals ``idx`` (None: all) with these per-deal (full-length) inputs,
        and their shares of slips that close in the horizon."""
        def sub(a: np.ndarray) -> np.ndarray:
            return a if idx is None else a[idx]

        frozen = None if freeze is None else (sub(freeze[0]), freeze[1], freeze[2])
        close = _close_days(sub(start_day), sub(slots), sub(shift), frozen)
        month = per.month_of_day[np.minimum(close, per.end_day)].astype(np.int32)
        bucket = (sub(owner)[:, None] * (n_months + 1) if groups else 0) + month
        threshold = np.minimum(np.round(sub(p) * WIN_LEVELS), WIN_LEVELS - 1).astype(np.uint16)
        return _Pass(idx, threshold, bucket.astype(np.int32), sub(amount)), (month < n_months).mean(axis=1)

    owner_idx = _index(deals.owner_id, owners)
    no_shift = np.zeros(n, np.int32)
    whole, in_horizon = tables(None, deals.probability, owner_idx, no_shift, None)
    base = _Variant(deals.probability.astype(np.float32), in_horizon, np.ones(n, bool), [], [whole], False)
    variants = [base]
    for effect in effects:
        owner = owner_idx.copy()
        if effect.reassign_to is not None:
            owner[effect.matched] = owners.index(effect.reassign_to)
        freeze = None
        if effect.freeze is not None:
            lo, hi = max(1, (effect.freeze[0] - as_of).days), (effect.freeze[1] - as_of).days
            freeze = (effect.matched, lo, hi) if hi > lo else None
        p = (deals.probability * effect.factor).astype(np.float32)
        v = _Variant(p, base.in_horizon.copy(), effect.matched, list(effect.notes), [], True)
        changed = np.flatnonzero(effect.matched)
        if len(changed) == n:  # every deal changes: simulate them all again
            v.on_base = False
            passes, v.in_horizon = tables(None, p, owner, effect.shift_days, freeze)
            v.passes = [passes]
        elif len(changed):
            old = _Pass(changed, whole.threshold[changed], whole.table[changed], -amount[changed])
            new, v.in_horizon[changed] = tables(changed, p, owner, effect.shift_days, freeze)
            v.passes = [old, new]
        variants.append(v)

    bits = np.random.default_rng(seed).bit_generator
    chunk = max(1, min(simulations, CHUNK_CELLS // max(n, 1)))
    for v in variants:
        v.sims = np.zeros((simulations, width), np.float32)
    for first in range(0, simulations, chunk):
        c = min(chunk, simulations - first)
        # deal-major (deal, simulation) cells: a deal's cells sit together, and so do its table reads
        wins = bits.random_raw(-(-c * n // 4)).view(np.uint16)[:c * n].reshape(n, c)
        slot = bits.random_raw(-(-c * n // 8)).view(np.uint8)[:c * n].reshape(n, c)
        for v in variants:
            cells = [kw for kw in (_cells(ps, wins, slot, c, width) for ps in v.passes) if kw is not None]
            if not cells:
                continue
            keys, weights = (cells[0] if len(cells) == 1 else
                             (np.concatenate([k for k, _ in cells]), np.concatenate([w for _, w in cells])))
            v.sims[first:first + c] += np.bincount(keys, weights=weights, minlength=c * width).reshape(c, width)
    for v in variants[1:]:
        if v.on_base:
            v.sims += base.sims

    won_month, won_quarter = _won_to_date(won, as_of, per, owners, teams, team_of_owner)
    out_base = _summaries(base, per, won_month, won_quarter, owners, teams, team_of_owner, deals, groups)
    result: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "months": [m.isoformat()[:7] for m in per.months],
        "quarters": [{"quarter": q, "months": [per.months[i].isoformat()[:7] for i in idx],
                      "partial": len(idx) < 3} for q, _, idx in per.quarters],
        "simulations": simulations,
        "seed": seed,
        "deals_n": n,
        "open_amount": _r(deals.amount.sum()),
        "left_out": dict(deals.left_out),
        "probability_basis": {b: int((deals.basis == b).sum()) for b in PROBABILITY_BASES},
        "slip": slip.describe(stages),
        "base": out_base,
        "scenarios": [],
    }
    for sc, effect, v in zip(scenarios, effects, variants[1:], strict=True):
        summary = _summaries(v, per, won_month, won_quarter, owners, teams, team_of_owner, deals, groups)
        result["scenarios"].append({
            "name": sc.name, "owner": sc.owner, "kind": sc.kind, "params": _plain(sc.params),
            "effect": effect.description, "matched_deals_n": int(effect.matched.sum()), "notes": v.notes,
            "p50_change": _p50_change(out_base["all"], summary["all"]),
            "drivers": _drivers(base, v, deals, drivers),
            **summary,
        })
    return result


def _cells(ps: _Pass, wins: np.ndarray, slot: np.ndarray, c: int,
           width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The won cells of one pass over one chunk of ``c`` simulations: each books the deal's
    weight in the bucket its slot byte picks from the deal's table, as (bincount key =
    simulation x width + bucket, weight); None when nothing is won."""
    if ps.deals is not None:
        wins, slot = wins[ps.deals], slot[ps.deals]
    m = wins.shape[0]
    won = wins < ps.threshold[:, None]
    flat = np.flatnonzero(won)
    if not len(flat):
        return None
    per_deal = np.count_nonzero(won, axis=1)
    keyed = ps.keyed.get(c)
    if keyed is None:
        # bucket - deal x c x width: then flat x width + keyed = simulation x width + bucket
        keyed = ps.keyed[c] = (ps.table.astype(np.int64) - (np.arange(m, dtype=np.int64) * c * width)[:, None]).ravel()
    start = np.repeat(np.arange(m, dtype=np.int64) * SLIP_SLOTS, per_deal)
    return flat * width + keyed[start + slot.ravel()[flat]], np.repeat(ps.weight, per_deal)


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}


def _index(values: np.ndarray, names: list[str]) -> np.ndarray:
    lookup = {name: i for i, name in enumerate(names)}
    return np.array([lookup[x] for x in values.tolist()], dtype=np.int32)


def _team_of_owner(deals: OpenDeals, won: WonDeals | None, owners: list[str]) -> list[str]:
    team: dict[str, str] = {}
    for o, t in zip(deals.owner_id.tolist(), deals.team.tolist(), strict=True):
        team.setdefault(o, t)
    if won is not None:
        for o, t in zip(won.owner_id, won.team, strict=True):
            team.setdefault(o or "", t or "")
    return [team.get(o, "") for o in owners]


def _won_to_date(won: WonDeals | None, as_of: date, per: _Periods, owners: list[str], teams: list[str],
                 team_of_owner: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Won amounts already booked in the as-of's month and in each horizon quarter, per group."""
    shapes = {"all": 1, "team": len(teams), "seller": len(owners)}
    month = {k: np.zeros((g, len(per.months))) for k, g in shapes.items()}
    quarter = {k: np.zeros((g, len(per.quarters))) for k, g in shapes.items()}
    if won is None:
        return month, quarter
    for o, d, a in zip(won.owner_id, won.close_date, won.amount, strict=True):
        if d is None or a is None or d > as_of:
            continue
        oi = owners.index(o or "")
        where = {"all": 0, "seller": oi, "team": teams.index(team_of_owner[oi])}
        for k, i in where.items():
            if d >= per.months[0]:
                month[k][i, 0] += a
            if d >= per.quarters[0][1]:  # only the first quarter has started by the as-of
                quarter[k][i, 0] += a
    return month, quarter


def _summaries(v: _Variant, per: _Periods, won_month: dict[str, np.ndarray], won_quarter: dict[str, np.ndarray],
               owners: list[str], teams: list[str], team_of_owner: list[str], deals: OpenDeals,
               groups: bool) -> dict[str, Any]:
    m = len(per.months)
    sims = v.sims.reshape(v.sims.shape[0], -1, m + 1)[:, :, :m]  # (simulations, sellers or 1, months)
    out: dict[str, Any] = {"all": _one(sims.sum(axis=1, keepdims=True), per, won_month["all"],
                                       won_quarter["all"])[0]}
    if groups:
        names = dict(zip(deals.owner_id.tolist(), deals.owner_name.tolist(), strict=True))
        member = np.zeros((len(owners), len(teams)), np.float32)
        member[np.arange(len(owners)), [teams.index(t) for t in team_of_owner]] = 1
        by_team = np.tensordot(sims, member, axes=([1], [0])).transpose(0, 2, 1)
        team_rows = _one(by_team, per, won_month["team"], won_quarter["team"])
        out["teams"] = [{"team": t or None, **row} for t, row in zip(teams, team_rows, strict=True)]
        seller_rows = _one(sims, per, won_month["seller"], won_quarter["seller"])
        out["sellers"] = [{"owner_id": o or None, "name": names.get(o) or o or None, "team": t or None, **row}
                          for o, t, row in zip(owners, team_of_owner, seller_rows, strict=True)
                          if row["total"]["p90"] or row["total"]["won_to_date"] or o in names]
    return out


def _one(sims: np.ndarray, per: _Periods, won_month: np.ndarray, won_quarter: np.ndarray) -> list[dict[str, Any]]:
    """Rows of bands for simulated bookings shaped (simulations, groups, months). Won-to-date is
    the same in every simulation, so it is added to the quantiles, not to each simulation."""
    total = sims.sum(axis=2)
    by_quarter = np.stack([sims[:, :, idx].sum(axis=2) for _, _, idx in per.quarters], axis=2)
    qm, qq, qt = (_quantiles(x) for x in (sims, by_quarter, total))
    qm, qq, qt = qm + won_month[None], qq + won_quarter[None], qt + won_month.sum(axis=1)[None]
    rows: list[dict[str, Any]] = []
    for g in range(sims.shape[1]):
        rows.append({
            "months": [{"month": per.months[i].isoformat()[:7], "won_to_date": _r(won_month[g, i]),
                        **_band(qm[:, g, i])} for i in range(len(per.months))],  # type: ignore[dict-item]
            "quarters": [{"quarter": label, "won_to_date": _r(won_quarter[g, qi]), **_band(qq[:, g, qi])}
                         for qi, (label, _, _) in enumerate(per.quarters)],
            "total": {"won_to_date": _r(won_month[g].sum()), **_band(qt[:, g])},
        })
    return rows


def _quantiles(x: np.ndarray) -> np.ndarray:
    """QUANTILES over axis 0 (the simulations), interpolated linearly as ``np.quantile`` does;
    shaped (len(QUANTILES), *x.shape[1:]). A sort along contiguous rows is about twice as fast
    as ``np.quantile``'s partition along a strided axis."""
    n = x.shape[0]
    rows = np.sort(np.ascontiguousarray(x.reshape(n, -1).T), axis=1)
    out = []
    for q in QUANTILES:
        h = (n - 1) * q
        lo = int(np.floor(h))
        hi = min(lo + 1, n - 1)
        out.append(rows[:, lo] + (h - lo) * (rows[:, hi].astype(np.float64) - rows[:, lo]))
    return np.stack(out).reshape((len(QUANTILES), *x.shape[1:]))


def _band(q: np.ndarray) -> dict[str, float]:
    return {"p10": _r(q[0]), "p50": _r(q[1]), "p90": _r(q[2])}


def _r(x: float) -> float:
    """Whole currency units: the simulation is far coarser than cents."""
    return float(round(float(x)))


def _p50_change(base: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": _r(case["total"]["p50"] - base["total"]["p50"]),
        "months": [{"month": b["month"], "change": _r(c["p50"] - b["p50"])}
                   for b, c in zip(base["months"], case["months"], strict=True)],
        "quarters": [{"quarter": b["quarter"], "change": _r(c["p50"] - b["p50"])}
                     for b, c in zip(base["quarters"], case["quarters"], strict=True)],
    }


def _drivers(base: _Variant, case: _Variant, deals: OpenDeals, limit: int) -> list[dict[str, Any]]:
    """The deals whose expected bookings in the horizon (amount x p x the share of its slips
    that close in the horizon) fall most under the scenario."""
    before = deals.amount * base.p * base.in_horizon
    after = deals.amount * case.p * case.in_horizon
    change = after - before
    order = np.argsort(change, kind="stable")
    out = []
    for i in order[:limit]:
        if change[i] > -0.5:
            break
        out.append({"opportunity_id": deals.opportunity_id[i], "name": deals.name[i] or None,
                    "account_id": deals.account_id[i] or None, "account": deals.account_name[i] or None,
                    "owner_id": deals.owner_id[i] or None, "owner": deals.owner_name[i] or None,
                    "stage": deals.stage[i], "amount": _r(deals.amount[i]), "expected_base": _r(before[i]),
                    "expected_scenario": _r(after[i]), "expected_change": _r(change[i])})
    return out


# -- scenarios: what each kind does to the deals (docs/metrics.md, "Forecast") -----------------


@dataclass(frozen=True)
class ScenarioEffect:
    """A scenario as per-deal changes: probability factor, added slip days, the deals it
    touches; a reassignment (new owner key and the owners it adds, with their team) and a
    freeze window (first frozen date, first date after) where the kind has one."""

    factor: np.ndarray
    shift_days: np.ndarray
    matched: np.ndarray
    description: str
    notes: tuple[str, ...] = ()
    reassign_to: str | None = None
    new_owners: dict[str, str] = field(default_factory=dict)
    freeze: tuple[date, date] | None = None


def _same(values: np.ndarray, given: str) -> np.ndarray:
    return np.array([v.casefold() == given.casefold() for v in values.tolist()], dtype=bool)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def names_an_account_or_seller(case: Mapping[str, Any]) -> bool:
    """Whether a scenario (as :func:`simulate` reports it) names an account or a seller."""
    return case["kind"] in ("champion_leaves", "seller_leaves") or bool(case["params"].get("account"))


def scenario_effect(sc: Scenario, deals: OpenDeals, *, as_of: date) -> ScenarioEffect:
    """What ``sc`` does to each open deal (the rules are documented in docs/metrics.md)."""
    n, p = deals.n, sc.params
    factor = np.ones(n, np.float32)
    shift = np.zeros(n, np.int32)
    notes: list[str] = []
    reassign, new_owners, freeze = None, {}, None
    if sc.kind == "champion_leaves":
        matched = (deals.account_id == p["account"]) | _same(deals.account_name, p["account"])
        factor[matched] = p["factor"]
    elif sc.kind == "budget_freeze":
        matched = _same(deals.industry, p["industry"])
        start = p.get("start") or as_of + timedelta(days=1)
        freeze = (start, _add_months(start, p["months"]))
    elif sc.kind == "seller_leaves":
        matched = (deals.owner_id == p["seller"]) | _same(deals.owner_name, p["seller"])
        factor[matched] = p["factor"]
        shift[matched] = p["slip_days"]
        leaving = deals.owner_name[matched][0] if matched.any() else p["seller"]
        team = deals.team[matched][0] if matched.any() else ""
        to = p.get("reassign_to")
        if to:
            existing = (deals.owner_id == to) | _same(deals.owner_name, to)
            reassign = str(deals.owner_id[existing][0]) if existing.any() else f"(new) {to}"
        else:
            reassign = f"(unassigned) from {leaving}"
        if not (to and existing.any()):
            new_owners[reassign] = team
    elif sc.kind == "competitor_enters":
        matched = np.ones(n, bool)
        for key, values in (("industry", deals.industry), ("product", deals.product)):
            if p.get(key):
                matched &= _same(values, p[key])
        if p.get("account"):
            matched &= (deals.account_id == p["account"]) | _same(deals.account_name, p["account"])
        factor[matched] = p["factor"]
    elif sc.kind == "general_slip":
        matched = np.ones(n, bool)
        shift[:] = p["days"]
    else:  # parse() admits only the kinds above
        raise ValueError(f"unknown scenario kind {sc.kind!r}")
    if not matched.any():
        notes.append("no open deal matches this scenario: it changes nothing")
    return ScenarioEffect(factor, shift, matched, sc.description, tuple(notes), reassign, new_owners, freeze)


# -- from what the results reader gives (ResultsReader.forecast_inputs) --------------------------


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def prepared(inputs: Mapping[str, Any], *, as_of: date) -> tuple[OpenDeals, SlipModel, WonDeals]:
    """The simulation's inputs from the reader's rows: each open deal's probability and basis
    (:func:`deal_probabilities`; the win model's own stage-rate fallback counts as stage
    history), the observed slips and the won deals."""
    deals = inputs["deals"]
    rates = {r["stage"]: (int(r["won_n"] or 0), int(r["closed_n"] or 0)) for r in inputs["stage_rates"]}
    probs, bases = deal_probabilities([d.get("model_probability") for d in deals], [d.get("stage") for d in deals],
                                      [d.get("crm_probability") for d in deals], rates)
    rows = []
    for d, p, b in zip(deals, probs, bases, strict=True):
        if b == "model" and d.get("model_basis") not in (None, "model"):
            b = "stage_history"  # the win model fell back to the stage rate itself, and says so
        rows.append({**d, "probability": p, "basis": b, "close_date": _day(d.get("close_date"))})
    slips = inputs["slips"]
    won = inputs["won"]
    return (OpenDeals.from_rows(rows, as_of=as_of),
            SlipModel.from_samples(slips["stage"], slips["slip_days"]),
            WonDeals([w["owner_id"] for w in won], [w["team"] for w in won],
                     [_day(w["close_date"]) for w in won], [w["amount"] for w in won]))  # type: ignore[misc]
