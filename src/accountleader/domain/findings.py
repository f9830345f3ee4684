"""Findings: plain-language sentences a sales leader can act on, each backed by its numbers.

Pure: inputs are a seller's result row plus :class:`SellerFacts` (counts the report layer
gathers), and a :class:`TeamBaseline` to compare against.  Every finding keeps the numbers
it quotes in ``evidence`` so a front end can show or check them.

Thresholds (documented in ``docs/reports.md``):

* ``overdue_quotes``: at least ``MIN_QUOTES`` quotes measured and at least
  ``OVERDUE_SHARE`` of them slower than the SLA (high severity from ``HIGH_OVERDUE_SHARE``);
* ``effort_on_low_fit``: fit tiers known and at least ``LOW_FIT_EFFORT_SHARE`` of the
  seller's activities on tier C/D accounts;
* ``low_decision_maker_reach`` / ``mostly_tending``: below ``BELOW_TEAM`` times the team median;
* ``single_threaded_deals``: any open deal with one contact and no decision maker engaged;
* ``at_risk``: the seller sits in the at-risk quadrant;
* ``verdict_note``: the verdict and the seller's results disagree (or there are too few
  peers for a verdict), as the reps result's ``verdict_note`` says;
* ``process``: most sellers of the company or a team miss one standard (the
  ``process_problems`` result): one finding names the process and its owner, and reports
  lead with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any

from .actions import money, pct

Row = Mapping[str, Any]

MIN_QUOTES = 5
OVERDUE_SHARE = 0.25
HIGH_OVERDUE_SHARE = 0.5
LOW_FIT_EFFORT_SHARE = 0.5
BELOW_TEAM = 0.6
HEAVY_CHANGE = 50.0
SEVERITY_ORDER = {"high": 0, "medium": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # high | medium | info
    text: str
    subject_id: str | None = None
    subject_name: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0  # orders findings of the same severity: bigger first

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SellerFacts:
    """Counts about one seller the result tables do not hold directly.

    ``activities_by_tier``: the seller's activities in the window by the fit tier of the
    account touched (key ``None`` for accounts without a tier).  ``tier_a_accounts_n``:
    tier-A accounts the seller owns; ``tier_a_touches_n``: the seller's activities on them.
    ``quote_business_days``: the seller's measured quote turnarounds, in business days.
    """

    activities_by_tier: Mapping[str | None, int] = field(default_factory=dict)
    tier_a_accounts_n: int = 0
    tier_a_touches_n: int = 0
    quote_business_days: Sequence[float] = ()
    quotes_over_sla_n: int = 0
    pending_overdue_quotes_n: int = 0
    single_threaded_deals: Sequence[Row] = ()
    only_tended_accounts_n: int = 0
    accounts_n: int = 0


@dataclass(frozen=True)
class TeamBaseline:
    """Medians over the sellers being compared (None when nobody has the measure)."""

    quote_business_days: float | None
    decision_maker_reach: float | None
    create_share: float | None

    @classmethod
    def of(cls, reps: Sequence[Row], quote_days_by_rep: Mapping[str, Sequence[float]]) -> TeamBaseline:
        def med(values: Sequence[float | None]) -> float | None:
            xs = [float(v) for v in values if v is not None]
            return median(xs) if xs else None

        return cls(
            quote_business_days=med([med(list(v)) for v in quote_days_by_rep.values() if v]),
            decision_maker_reach=med([r.get("decision_maker_reach") for r in reps]),
            create_share=med([r.get("create_share") for r in reps]),
        )


def seller_findings(rep: Row, facts: SellerFacts, baseline: TeamBaseline, *, sla_business_days: float,
                    window_days: int) -> list[Finding]:
    """What stands out about one seller, most severe first."""
    name = rep.get("name") or rep.get("user_id")
    uid = rep.get("user_id")
    out: list[Finding] = []

    def add(kind: str, severity: str, text: str, weight: float, **evidence: Any) -> None:
        out.append(Finding(kind, severity, text, uid, name, evidence, weight))

    quotes_n = len(facts.quote_business_days)
    if quotes_n >= MIN_QUOTES:
        share = facts.quotes_over_sla_n / quotes_n
        if share >= OVERDUE_SHARE:
            med_days = median(facts.quote_business_days)
            team = (f" (team median {baseline.quote_business_days:.1f})"
                    if baseline.quote_business_days is not None else "")
            waiting = (f"; {facts.pending_overdue_quotes_n} requested quotes are still waiting past the SLA"
                       if facts.pending_overdue_quotes_n else "")
            add("overdue_quotes", "high" if share >= HIGH_OVERDUE_SHARE else "medium",
                f"{name} sent {facts.quotes_over_sla_n} of {quotes_n} quotes ({pct(share)}) after the "
                f"{sla_business_days:g}-business-day SLA; median turnaround {med_days:.1f} business days{team}{waiting}.",
                share, quotes_n=quotes_n, over_sla_n=facts.quotes_over_sla_n, over_sla_share=round(share, 3),
                median_business_days=round(med_days, 2), team_median_business_days=baseline.quote_business_days,
                pending_overdue_n=facts.pending_overdue_quotes_n)

    tiered = {t: n for t, n in facts.activities_by_tier.items() if t}
    total = sum(facts.activities_by_tier.values())
    if tiered and total:
        low = (tiered.get("C", 0) + tiered.get("D", 0)) / total
        if low >= LOW_FIT_EFFORT_SHARE:
            a_share = facts.tier_a_touches_n / total
            add("effort_on_low_fit", "high" if low >= 0.7 else "medium",
                f"{name} spends {pct(low)} of effort on tier C/D accounts; their {facts.tier_a_accounts_n} tier-A "
                f"accounts got {pct(a_share)} of touches in the last {window_days} days.",
                low, low_fit_share=round(low, 3), activities_n=total, tier_a_accounts_n=facts.tier_a_accounts_n,
                tier_a_touch_share=round(a_share, 3))

    reach, team_reach = rep.get("decision_maker_reach"), baseline.decision_maker_reach
    if reach is not None and team_reach and reach < BELOW_TEAM * team_reach:
        add("low_decision_maker_reach", "medium",
            f"{name} reaches decision makers in {pct(reach)} of contact touches (team median {pct(team_reach)}).",
            team_reach - reach, decision_maker_reach=reach, team_median=team_reach)

    create, team_create = rep.get("create_share"), baseline.create_share
    if create is not None and team_create and create < BELOW_TEAM * team_create:
        tended = (f"; {facts.only_tended_accounts_n} of their {facts.accounts_n} accounts are only tended"
                  if facts.only_tended_accounts_n else "")
        add("mostly_tending", "medium",
            f"{name} creates business in {pct(create)} of activities (team median {pct(team_create)}){tended}.",
            team_create - create, create_share=create, team_median=team_create,
            only_tended_accounts_n=facts.only_tended_accounts_n)

    deals = list(facts.single_threaded_deals)
    if deals:
        worth = sum(float(d.get("amount") or 0) for d in deals)
        named = ", ".join(f"{d.get('name')} ({money(d.get('amount'))})" for d in deals[:3])
        more = f" and {len(deals) - 3} more" if len(deals) > 3 else ""
        add("single_threaded_deals", "high" if worth >= 100_000 else "medium",
            f"{name} has {len(deals)} open deal{'s' if len(deals) != 1 else ''} worth {money(worth)} with one contact "
            f"and no decision maker engaged: {named}{more}.",
            worth / 1e6, deals_n=len(deals), amount=worth,
            opportunity_ids=[d.get("opportunity_id") for d in deals])

    if rep.get("verdict_note"):
        add("verdict_note", "medium", f"{name}: {rep['verdict_note']}", 0.5,
            quadrant=rep.get("quadrant"), results_vs_expected=rep.get("results_vs_expected"),
            results_vs_expected_low=rep.get("results_vs_expected_low"),
            results_vs_expected_high=rep.get("results_vs_expected_high"), expected_n=rep.get("expected_n"))

    if rep.get("quadrant") == "at_risk":
        add("at_risk", "high",
            f"{name} is at risk: efficiency index {rep.get('efficiency_index', 0):.0f} and effectiveness index "
            f"{rep.get('effectiveness_index', 0):.0f}, both below 50.",
            1.0, efficiency_index=rep.get("efficiency_index"), effectiveness_index=rep.get("effectiveness_index"))
    return order(out)


def matrix_position(rep: Row) -> str:
    """Where a seller stands in the matrix and why, in one or two sentences."""
    eff, effe = rep.get("efficiency_index"), rep.get("effectiveness_index")
    name = rep.get("name") or rep.get("user_id")
    if eff is None or effe is None:
        return f"{name} has too little data for a matrix position."
    meaning = {
        "leading": "doing the right things right",
        "busy": "fast, but effort goes to the wrong accounts or people",
        "slow": "working the right accounts and people, but slowly",
        "at_risk": "slow, and effort goes to the wrong accounts or people",
        "tending": "working the right accounts and people, but creating little new business: managing, not leading",
    }.get(rep.get("quadrant") or "", "")
    if rep.get("quadrant") == "not_enough_peers":
        return f"{name} has too few comparable sellers for a percentile verdict. {rep.get('verdict_note') or ''}".strip()
    parts = [f"{name} is {str(rep.get('quadrant') or 'unplaced').replace('_', ' ')} ({meaning}): "
             f"efficiency {eff:.0f}, effectiveness {effe:.0f} of 100 among sellers."]
    why = []
    if rep.get("quote_turnaround_median_hours") is not None:
        why.append(f"median quote turnaround {rep['quote_turnaround_median_hours']:.0f} business hours "
                   f"({pct(rep.get('quote_over_sla_share'))} over SLA)")
    if rep.get("response_latency_median_hours") is not None:
        why.append(f"inbound replies in {rep['response_latency_median_hours']:.1f} h")
    if rep.get("high_fit_effort_share") is not None:
        why.append(f"{pct(rep['high_fit_effort_share'])} of effort on tier A/B accounts")
    if rep.get("decision_maker_reach") is not None:
        why.append(f"{pct(rep['decision_maker_reach'])} of contact touches with decision makers")
    if why:
        parts.append("Why: " + "; ".join(why) + ".")
    if rep.get("results_vs_expected") is not None:
        parts.append(f"Results: won {money(rep.get('won_amount'))} at a {pct(rep.get('win_rate'))} win rate, "
                     f"{rep['results_vs_expected']:.2f}x the wins their accounts' fit predicts "
                     f"({rep.get('expected_basis')}, {rep.get('expected_n')} closed deals).")
    if rep.get("verdict_note"):
        parts.append(str(rep["verdict_note"]))
    return " ".join(parts)


def team_findings(reps: Sequence[Row], top_change_accounts: Sequence[Row], fit_model: Row | None) -> list[Finding]:
    """Team-wide observations: the matrix at a glance, fast-changing accounts, fit caveats."""
    out: list[Finding] = []
    placed = [r for r in reps if r.get("quadrant")]
    if placed:
        kinds = ("leading", "tending", "busy", "slow", "at_risk", "not_enough_peers")
        counts = {q: [r.get("name") for r in placed if r.get("quadrant") == q] for q in kinds}
        if len(counts["not_enough_peers"]) == len(placed):
            text = (f"None of the {len(placed)} sellers gets a percentile verdict: too few comparable sellers; "
                    "each is judged against the absolute standards instead")
        else:
            text = (f"{len(counts['leading'])} of {len(placed)} sellers are leading; {len(counts['tending'])} tending, "
                    f"{len(counts['busy'])} busy, {len(counts['slow'])} slow, {len(counts['at_risk'])} at risk")
            if counts["at_risk"]:
                text += f" ({', '.join(str(n) for n in counts['at_risk'])})"
        out.append(Finding("matrix", "info", text + ".", None, None, {q: len(v) for q, v in counts.items()}, 0.0))
    elif reps:
        out.append(Finding(
            "matrix_unknown", "info",
            f"None of the {len(reps)} sellers can be placed in the matrix: the data has too few measured quotes, "
            "replies, meetings and contact touches (an export with deals but no activities gives no indices).",
            None, None, {"sellers_n": len(reps)}, 0.0,
        ))
    # the analysis's documented rule (leadership_mode, docs/metrics.md); results from before it: the old cut
    if any("leadership_mode" in a for a in top_change_accounts):
        heavy = [a for a in top_change_accounts if a.get("leadership_mode") == "lead"]
        why = "lead mode"
    else:
        heavy = [a for a in top_change_accounts if (a.get("change_index") or 0) >= HEAVY_CHANGE]
        why = f"change index {HEAVY_CHANGE:.0f} or more"
    if heavy:
        top = heavy[0]
        drivers = "; ".join(top.get("change_drivers") or []) or "no drivers recorded"
        out.append(Finding(
            "heavy_change", "medium",
            f"{len(heavy)} of the top accounts are changing fast ({why}) and need "
            f"leading, not managing; {top.get('name')} leads at {top.get('change_index'):.0f} ({drivers}).",
            top.get("account_id"), top.get("name"),
            {"accounts_n": len(heavy), "top_change_index": top.get("change_index")}, float(len(heavy)),
        ))
    if fit_model is not None and not fit_model.get("signal"):
        out.append(Finding("no_fit_signal", "info",
                           "Account fit: the company's wins and losses show no reliable firmographic signal, so no "
                           "tiers are assigned and effort-versus-fit findings are left out.",
                           None, None, {"won_n": fit_model.get("won_n"), "lost_n": fit_model.get("lost_n")}, 0.0))
    return out


def process_findings(problems: Sequence[Row], *, sla_business_days: float, response_sla_hours: float) -> list[Finding]:
    """One finding per process problem (``process_problems`` result rows): the process, its
    owner and the share of sellers affected, once for the company or the team."""
    out = []
    for p in problems:
        where = "across the company" if p.get("scope") == "company" else f"in team {p.get('team')}"
        std = p.get("standard") or ""
        if p.get("component") == "quote_turnaround_median_hours":
            std = f"quotes within the {sla_business_days:g}-business-day SLA"
        elif p.get("component") == "response_latency_median_hours":
            std = f"a median inbound reply within {response_sla_hours:g} business hours"
        share = float(p.get("share") or 0)
        out.append(Finding(
            "process", "high",
            f"A process problem, not {p.get('affected_n')} people's: {p.get('affected_n')} of {p.get('sellers_n')} "
            f"sellers {where} ({pct(share)}) miss {std}. That is {p.get('process')}, owned by {p.get('owner')}; "
            f"it is left out of those sellers' verdicts until it is fixed.",
            p.get("team"), p.get("team") or "company",
            {"scope": p.get("scope"), "team": p.get("team"), "component": p.get("component"),
             "process": p.get("process"), "owner": p.get("owner"), "sellers_n": p.get("sellers_n"),
             "affected_n": p.get("affected_n"), "share": share},
            10.0 + share,
        ))
    return out


def order(findings: Sequence[Finding]) -> list[Finding]:
    """Process findings first, then most severe first; within a severity, the larger ``weight`` first."""
    return sorted(findings, key=lambda f: (f.kind != "process", SEVERITY_ORDER.get(f.severity, 9), -f.weight,
                                           f.subject_name or "", f.kind))
