"""The right-things-right matrix: efficiency index x effectiveness index per seller and team.

Each component becomes a percentile within the company: ``percent_rank`` over the sellers
that have the component (0 = worst, 1 = best; flipped for lower-is-better components, ties
share a rank).  An index is the mean of the available component percentiles x 100, and is
null when fewer than half of its components are present.  Quadrants split both indices at 50.

The verdict (``quadrant``) reads the two indices and whether the seller creates business:
``leading`` needs both indices at 50 or more *and* creating (create share at or above
``min_create_share`` and new pipeline above ``min_new_pipeline_amount``); a seller at 50 or
more on effectiveness who does not create is ``tending`` (managing the accounts, not
leading them), however fast; ``busy``, ``slow`` and ``at_risk`` split the rest.  With fewer
than ``min_peers`` comparable sellers (both indices known) there is no percentile verdict:
``not_enough_peers``, and the indices are left empty (never a percentile of one).

A component that most sellers miss is a process problem (:func:`process_problems`); the
sellers it affects are ranked without it (``excluded``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

__all__ = [
    "METRICS",
    "right_things_right_matrix",
    "team_matrix",
    "EFFICIENCY_COMPONENTS",
    "EFFECTIVENESS_COMPONENTS",
    "PROCESS_STANDARDS",
    "ProcessStandard",
    "process_problems",
    "VERDICTS",
]

Direction = Literal["lower_is_better", "higher_is_better"]

METRICS = ("efficiency_index", "effectiveness_index", "quadrant")
VERDICTS = ("leading", "tending", "busy", "slow", "at_risk", "not_enough_peers")

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
                 prefix: str, excluded: ir.Table | None = None) -> ir.Table:
    """One column ``{prefix}_{component}_pct`` (0-1) per component, keyed by ``key``.

    ``excluded`` (columns ``key``, ``component``): sellers left out of a component's ranking
    (and without its percentile)."""
    out = t.select(key).distinct()
    for name, direction in components.items():
        if direction not in ("lower_is_better", "higher_is_better"):
            raise ValueError(f"component {name!r}: direction must be lower_is_better or "
                             f"higher_is_better, got {direction!r}")
        if name not in t.columns:
            raise ValueError(f"component {name!r} is not a column of the {prefix} table")
        has = t.filter(t[name].notnull())
        if excluded is not None:
            drop = excluded.filter(excluded.component == name).select(_x=excluded[key])
            has = has.anti_join(drop, has[key] == drop._x).select(*has.columns)
        value = has[name].cast("float64")
        order = value.desc() if direction == "lower_is_better" else value.asc()
        n = has.count().over(ibis.window())
        pct = ibis.percent_rank().over(ibis.window(order_by=order))
        # a lone seller (n == 1) has no one to be ranked against: a placeholder mid-range
        # value, so the seller counts as placed; with fewer than min_peers comparable
        # sellers every percentile and index is emptied below (min_peers is at least 2)
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


def _classify(t: ir.Table, low_threshold: float, creating: ir.BooleanValue | None = None,
              tending_note: ir.StringValue | None = None) -> ir.Table:
    eff, fx = t.efficiency_index, t.effectiveness_index
    creates = ibis.literal(True) if creating is None else creating
    quadrant = ibis.cases(
        (eff.isnull() | fx.isnull(), ibis.null("string")),
        ((fx >= 50) & ~creates, "tending"),
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
    tending = ibis.null("string") if tending_note is None else ibis.ifelse(
        quadrant == "tending", tending_note, ibis.null("string"))
    warning = ibis.cases(
        (missing.notnull(), missing),
        (tending.notnull() & eff_low.notnull(), tending + "; " + eff_low),
        (tending.notnull(), tending),
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
    creation: ir.Table | None = None,
    min_create_share: float = 0.2,
    min_new_pipeline_amount: float = 0.0,
    min_peers: int = 5,
    excluded: ir.Table | None = None,
) -> ir.Table:
    """Efficiency and effectiveness indices (0-100) and the verdict per seller.

    Columns: ``key``, one ``{component}_pct`` (0-1) per component, ``efficiency_index``,
    ``efficiency_components_n``, ``effectiveness_index``, ``effectiveness_components_n``,
    ``comparable_sellers_n`` (sellers with both indices), ``quadrant`` (the verdict: leading |
    tending | busy | slow | at_risk | not_enough_peers, null when an index is null) and
    ``warning`` (plain text when an index is below ``low_threshold`` or missing, when
    tending, else null).  ``creation`` (columns ``key``, ``create_share``,
    ``new_pipeline_amount``) says who creates business; without it nobody is ``tending``.
    ``excluded`` (``key``, ``component``) leaves sellers out of a component's ranking: a
    process problem is not theirs.  Sellers present in either table are kept.
    """
    overlap = set(efficiency_components) & set(effectiveness_components)
    if overlap:
        raise ValueError(f"component {sorted(overlap)[0]!r} is in both indices")
    if min_peers < 2:
        raise ValueError(f"min_peers must be at least 2 (a percentile of one is no verdict), got {min_peers}")
    e = _percentiles(efficiency, key, efficiency_components, "efficiency", excluded)
    f = _percentiles(effectiveness, key, effectiveness_components, "effectiveness")
    f = f.rename(_fk=key)
    sellers = e.select(key).union(f.select(**{key: f._fk}), distinct=True)
    t = sellers.left_join(e, key).drop(f"{key}_right")
    t = t.left_join(f, t[key] == f._fk).drop("_fk")
    t = _index(t, efficiency_components, "efficiency_index")
    t = _index(t, effectiveness_components, "effectiveness_index")
    both = (t.efficiency_index.notnull() & t.effectiveness_index.notnull()).cast("int64")
    t = t.mutate(comparable_sellers_n=both.sum().over(ibis.window()))
    enough = t.comparable_sellers_n >= min_peers
    pct_cols = [f"{c}_pct" for c in (*efficiency_components, *effectiveness_components)]
    placed = t.efficiency_index.notnull() & t.effectiveness_index.notnull()
    # too few comparable sellers: no index, no percentile (a lone seller is not "the median")
    t = t.mutate(
        _few=~enough & placed,
        **{c: ibis.ifelse(enough, t[c], ibis.null("float64")) for c in
           (*pct_cols, "efficiency_index", "effectiveness_index")},
    )
    creating = tending_note = None
    if creation is not None:
        c = creation.select(_ck=creation[key], _cs=creation.create_share.cast("float64"),
                            _np=creation.new_pipeline_amount.cast("float64"))
        t = t.left_join(c, t[key] == c._ck).drop("_ck")
        creating = ((t._cs >= min_create_share) & (ibis.coalesce(t._np, 0.0) > min_new_pipeline_amount)).fill_null(False)
        share = ibis.ifelse(t._cs.isnull(), "not measured",
                            (t._cs * 100).round(0).cast("int64").cast("string") + "%")
        tending_note = ("Tending, not leading: works the right accounts and people but creates little "
                        "new business (create share " + share + ", needs " + f"{min_create_share:.0%}"
                        + "; new pipeline " + ibis.coalesce(t._np, 0.0).round(0).cast("int64").cast("string")
                        + ")")
    out = _classify(t, low_threshold, creating, tending_note)
    few_note = ("Not enough peers: " + out.comparable_sellers_n.cast("string") + " comparable seller(s), fewer than "
                + str(min_peers) + "; no percentile verdict")
    out = out.mutate(
        quadrant=ibis.ifelse(out._few, "not_enough_peers", out.quadrant),
        warning=ibis.ifelse(out._few, few_note, out.warning),
    )
    return out.drop(*[c for c in ("_few", "_cs", "_np") if c in out.columns])


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


@dataclass(frozen=True)
class ProcessStandard:
    """A standard every seller should meet, owned by a process when most of them miss it.

    A seller *misses* it when ``measure`` (a column of the efficiency table) is at or above
    the miss threshold, on at least ``process_min_measured`` samples (``n_column``)."""

    component: str  # the efficiency component it feeds
    measure: str
    n_column: str
    process: str
    owner: str
    standard: str


PROCESS_STANDARDS = (
    ProcessStandard("quote_turnaround_median_hours", "quote_over_sla_share", "quote_turnaround_n",
                    "quoting", "the quote desk (pricing)", "quotes within the quote SLA"),
    ProcessStandard("response_latency_median_hours", "response_latency_median_hours", "response_latency_n",
                    "inbound replies", "the support team (inbound routing)", "a median inbound reply within the response SLA"),
)


def process_problems(
    efficiency: ir.Table,
    users: ir.Table,
    *,
    seller_miss_share: float = 0.9,
    response_sla_hours: float = 24.0,
    process_share: float = 0.6,
    min_measured: int = 3,
    standards: tuple[ProcessStandard, ...] = PROCESS_STANDARDS,
    key: str = "owner_id",
) -> tuple[ir.Table, ir.Table]:
    """Standards most sellers miss: a process problem, not a person's.

    A seller misses the quote standard with at least ``seller_miss_share`` of their quotes
    over the SLA, the reply standard with a median reply over ``response_sla_hours``; each
    on at least ``min_measured`` samples.  When at least ``process_share`` of the measured
    sellers of the whole company miss a standard, that is one company-wide problem; else
    each team (at least ``min_measured`` measured sellers) where that share miss it is one.

    Returns ``(problems, excluded)``.  ``problems``: scope (company | team), team (null for
    the company), component, process, owner, standard, sellers_n (measured), affected_n
    (missing it), share.  ``excluded``: (``key``, component) for every seller in the scope of
    a problem: the component leaves their index.
    """
    u = users.select(_uid=users.user_id, _team=users.team)
    e = efficiency.join(u, efficiency[key] == u._uid)
    problems, excluded = [], []
    for s in standards:
        if s.measure not in e.columns or s.n_column not in e.columns:
            continue
        limit = response_sla_hours if s.measure == "response_latency_median_hours" else seller_miss_share
        m = e.filter(e[s.measure].notnull() & (e[s.n_column] >= min_measured))
        m = m.mutate(_miss=(m[s.measure] >= limit) if s.measure != "response_latency_median_hours"
                     else (m[s.measure] > limit))
        lit = {"component": ibis.literal(s.component), "process": ibis.literal(s.process),
               "owner": ibis.literal(s.owner), "standard": ibis.literal(s.standard)}
        company = m.aggregate(sellers_n=m.count(), affected_n=m._miss.cast("int64").sum())
        company = company.mutate(scope=ibis.literal("company"), team=ibis.null("string"), **lit)
        company = company.filter((company.sellers_n >= min_measured)
                                 & (company.affected_n >= process_share * company.sellers_n))
        mt = m.filter(m._team.notnull())
        teams = mt.group_by(team=mt._team).aggregate(sellers_n=mt.count(), affected_n=mt._miss.cast("int64").sum())
        teams = teams.mutate(scope=ibis.literal("team"), **lit)
        teams = teams.filter((teams.sellers_n >= min_measured) & (teams.affected_n >= process_share * teams.sellers_n))
        # company-wide: once, for the company; no team finding repeats it
        seen = company.select(_cc=company.component)
        teams = teams.anti_join(seen, teams.component == seen._cc)
        cols = ["scope", "team", "component", "process", "owner", "standard", "sellers_n", "affected_n"]
        both = company.select(*cols).union(teams.select(*cols))
        problems.append(both)
        everyone = u.select(_k=u._uid, _t=u._team)
        in_company = everyone.cross_join(company.select(_c=company.component)).select(_k="_k", _c="_c")
        tt = teams.select(_tt=teams.team, _c=teams.component)
        in_team = everyone.join(tt, everyone._t == tt._tt).select(_k="_k", _c="_c")
        excluded.append(in_company.union(in_team))
    if not problems:
        empty = ibis.memtable({"scope": [], "team": [], "component": [], "process": [], "owner": [], "standard": [],
                               "sellers_n": [], "affected_n": []},
                              schema={"scope": "string", "team": "string", "component": "string", "process": "string",
                                      "owner": "string", "standard": "string", "sellers_n": "int64", "affected_n": "int64"})
        return empty.mutate(share=ibis.null("float64")), ibis.memtable(
            {key: [], "component": []}, schema={key: "string", "component": "string"})
    p = ibis.union(*problems, distinct=False)
    p = p.mutate(share=p.affected_n.cast("float64") / p.sellers_n)
    x = ibis.union(*excluded, distinct=True)
    return p, x.select(**{key: x._k, "component": x._c})
