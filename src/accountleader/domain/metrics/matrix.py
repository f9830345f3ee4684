"""The right-things-right matrix: efficiency index x effectiveness index per seller and team.

Each component becomes a percentile within the company: ``percent_rank`` over the sellers
that have the component (0 = worst, 1 = best; flipped for lower-is-better components, ties
share a rank).  An index is the mean of the available component percentiles x 100, and is
null when fewer than half of its components are present.  Quadrants split both indices at 50.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import ibis
import ibis.expr.types as ir

__all__ = [
    "METRICS",
    "right_things_right_matrix",
    "team_matrix",
    "EFFICIENCY_COMPONENTS",
    "EFFECTIVENESS_COMPONENTS",
]

Direction = Literal["lower_is_better", "higher_is_better"]

METRICS = ("efficiency_index", "effectiveness_index", "quadrant")

EFFICIENCY_COMPONENTS: dict[str, Direction] = {
    "quote_turnaround_median_hours": "lower_is_better",
    "response_latency_median_hours": "lower_is_better",
    "followup_latency_median_hours": "lower_is_better",
    "stage_velocity_ratio": "lower_is_better",
    "first_activity_median_hours": "lower_is_better",
}
EFFECTIVENESS_COMPONENTS: dict[str, Direction] = {
    "high_fit_effort_share": "higher_is_better",
    "decision_maker_reach": "higher_is_better",
    "senior_contact_share": "higher_is_better",
    "multithreading": "higher_is_better",
}


def _percentiles(t: ir.Table, key: str, components: Mapping[str, Direction],
                 prefix: str) -> ir.Table:
    """One column ``{prefix}_{component}_pct`` (0-1) per component, keyed by ``key``."""
    out = t.select(key).distinct()
    for name, direction in components.items():
        if direction not in ("lower_is_better", "higher_is_better"):
            raise ValueError(f"component {name!r}: direction must be lower_is_better or "
                             f"higher_is_better, got {direction!r}")
        if name not in t.columns:
            raise ValueError(f"component {name!r} is not a column of the {prefix} table")
        has = t.filter(t[name].notnull())
        value = has[name].cast("float64")
        order = value.desc() if direction == "lower_is_better" else value.asc()
        n = has.count().over(ibis.window())
        pct = ibis.percent_rank().over(ibis.window(order_by=order))
        # a lone seller (n == 1) has no one to be ranked against: middle of the range
        ranked = has.select(
            _k=has[key], _p=ibis.ifelse(n > 1, pct, ibis.literal(0.5)).cast("float64")
        )
        col = f"{name}_pct"
        out = out.left_join(ranked, out[key] == ranked._k).drop("_k").rename({col: "_p"})
    return out


def _index(t: ir.Table, components: Mapping[str, Direction], name: str) -> ir.Table:
    cols = [t[f"{c}_pct"] for c in components]
    present = sum((c.notnull().cast("int64") for c in cols), ibis.literal(0))
    total = sum((ibis.coalesce(c, 0.0) for c in cols), ibis.literal(0.0))
    need = (len(cols) + 1) // 2
    return t.mutate(**{
        name.replace("_index", "_components_n"): present,
        name: ibis.ifelse((present >= need) & (present > 0), total / present * 100.0,
                          ibis.null("float64")),
    })


def _classify(t: ir.Table, low_threshold: float) -> ir.Table:
    eff, fx = t.efficiency_index, t.effectiveness_index
    quadrant = ibis.cases(
        (eff.isnull() | fx.isnull(), ibis.null("string")),
        ((eff >= 50) & (fx >= 50), "leading"),
        (eff >= 50, "busy"),
        (fx >= 50, "slow"),
        else_="at_risk",
    )
    thr = f"{low_threshold:g}"
    eff_low = ibis.ifelse(
        eff < low_threshold,
        "Efficiency index " + eff.round(0).cast("int64").cast("string")
        + " is below " + thr + ": work gets out slower than most of the company",
        ibis.null("string"),
    )
    fx_low = ibis.ifelse(
        fx < low_threshold,
        "Effectiveness index " + fx.round(0).cast("int64").cast("string")
        + " is below " + thr + ": effort goes to lower-fit accounts or junior contacts",
        ibis.null("string"),
    )
    missing = ibis.cases(
        (eff.isnull() & fx.isnull(), "Not enough data for either index"),
        (eff.isnull(), "Not enough efficiency data (fewer than half the components)"),
        (fx.isnull(), "Not enough effectiveness data (fewer than half the components)"),
        else_=ibis.null("string"),
    )
    both_below_median = (
        "At risk: efficiency " + eff.round(0).cast("int64").cast("string") + " and effectiveness "
        + fx.round(0).cast("int64").cast("string")
        + " are both below the company median: slower than peers and aimed at weaker targets"
    )
    warning = ibis.cases(
        (missing.notnull(), missing),
        (eff_low.notnull() & fx_low.notnull(), eff_low + "; " + fx_low),
        (eff_low.notnull(), eff_low),
        (fx_low.notnull(), fx_low),
        ((eff < 50) & (fx < 50), both_below_median),
        else_=ibis.null("string"),
    )
    return t.mutate(quadrant=quadrant, warning=warning)


def right_things_right_matrix(
    efficiency: ir.Table,
    effectiveness: ir.Table,
    *,
    efficiency_components: Mapping[str, Direction] = EFFICIENCY_COMPONENTS,
    effectiveness_components: Mapping[str, Direction] = EFFECTIVENESS_COMPONENTS,
    low_threshold: float = 25.0,
    key: str = "owner_id",
) -> ir.Table:
    """Efficiency and effectiveness indices (0-100) and quadrant per seller.

    Columns: ``key``, one ``{component}_pct`` (0-1) per component, ``efficiency_index``,
    ``efficiency_components_n``, ``effectiveness_index``, ``effectiveness_components_n``,
    ``quadrant`` (leading | busy | slow | at_risk, null when an index is null) and
    ``warning`` (plain text when an index is below ``low_threshold`` or missing, else null).
    Sellers present in either table are kept.
    """
    overlap = set(efficiency_components) & set(effectiveness_components)
    if overlap:
        raise ValueError(f"component {sorted(overlap)[0]!r} is in both indices")
    e = _percentiles(efficiency, key, efficiency_components, "efficiency")
    f = _percentiles(effectiveness, key, effectiveness_components, "effectiveness")
    f = f.rename(_fk=key)
    sellers = e.select(key).union(f.select(**{key: f._fk}), distinct=True)
    t = sellers.left_join(e, key).drop(f"{key}_right")
    t = t.left_join(f, t[key] == f._fk).drop("_fk")
    t = _index(t, efficiency_components, "efficiency_index")
    t = _index(t, effectiveness_components, "effectiveness_index")
    return _classify(t, low_threshold)


def team_matrix(
    matrix: ir.Table,
    users: ir.Table,
    *,
    low_threshold: float = 25.0,
    key: str = "owner_id",
) -> ir.Table:
    """Per team (``users.team``): the mean of its members' indices, then the same quadrant.

    Means of member indices (not indices of team aggregates) keep every seller's weight
    equal and keep the team figure on the same company-relative scale.  Columns: team,
    sellers_n, efficiency_index, efficiency_n (members with an index), effectiveness_index,
    effectiveness_n, quadrant, warning.
    """
    teams = users.select(_uid=users.user_id, team=users.team)
    m = matrix.join(teams, matrix[key] == teams._uid)
    m = m.filter(m.team.notnull())
    agg = m.group_by("team").aggregate(
        sellers_n=m.count(),
        efficiency_index=m.efficiency_index.mean(),
        efficiency_n=m.efficiency_index.count(),
        effectiveness_index=m.effectiveness_index.mean(),
        effectiveness_n=m.effectiveness_index.count(),
    )
    return _classify(agg, low_threshold)
