"""The reports' "Results over obedience" section (issue 15): the micromanagement index with its
parts, and the outcomes of the deals the style touched against the same sellers' others, each
with n and its interval (docs/metrics.md, "Results over obedience: from the CRM"); and, from the
support requests in the app database, how often each seller consulted the support team before
deciding and adopted its proposals ("Results over obedience: support requests")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PART_NAMES = {
    "steps": "instructions written as steps (of steps + outcome asks)",
    "check_ins": "check-ins per assignment",
    "overrides": "overrides per deal touched",
    "reassignments": "reassignments per deal touched",
    "density": "assignments per deal touched",
}


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def _interval(row: dict[str, Any], side: str, fig: str, unit: str, *, pct: bool = False) -> str:
    v, lo, hi = row.get(f"{side}_{fig}"), row.get(f"{side}_{fig}_low"), row.get(f"{side}_{fig}_high")
    if v is None:
        return "not compared"
    if pct:
        return f"{v:.0%} ({lo:.0%}-{hi:.0%})"
    return f"{v:.1f} {unit} ({lo:.1f}-{hi:.1f})"


def section(rows: Sequence[dict[str, Any]], name_of: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Per delegation_style row: ``title``, ``index`` (a sentence), ``parts`` and ``outcomes`` (sentences)."""
    out = []
    for r in rows:
        who = (name_of or {}).get(r["user_id"]) or r.get("name") or r["user_id"]
        role = "as a manager of others' work" if r["role"] == "exercised" else "as received"
        if r.get("micromanagement_index") is None:
            index = f"No micromanagement index: {r.get('micromanagement_reason') or 'no signals'}."
        else:
            index = (f"Micromanagement index {r['micromanagement_index']:.0f} / 100 over {r['signals_n']} signals "
                     f"({r['tasks_n']} tasks for others, {r['overrides_n']} overrides, {r['reassignments_n']} reassignments; "
                     f"{r['deals_n']} deals).")
        parts = r.get("micromanagement_parts") or {}
        part_lines = [f"{PART_NAMES.get(k, k)}: {_rate(p.get('rate'))} (n {p.get('n')}), {p.get('contribution'):.1f} points"
                      for k, p in parts.items()]
        outcomes = [
            f"win rate on the deals the style touched {_interval(r, 'touched', 'win_rate', '', pct=True)} of "
            f"{r.get('touched_closed_n', 0)} closed, against {_interval(r, 'other', 'win_rate', '', pct=True)} of "
            f"{r.get('other_closed_n', 0)} on the same sellers' other deals",
            f"cycle {_interval(r, 'touched', 'cycle_days', 'days')} (n {r.get('touched_cycle_days_n', 0)}) against "
            f"{_interval(r, 'other', 'cycle_days', 'days')} (n {r.get('other_cycle_days_n', 0)})",
            f"quote turnaround {_interval(r, 'touched', 'quote_turnaround_days', 'business days')} "
            f"(n {r.get('touched_quote_turnaround_days_n', 0)}) against "
            f"{_interval(r, 'other', 'quote_turnaround_days', 'business days')} (n {r.get('other_quote_turnaround_days_n', 0)})",
        ]
        if r.get("outcome_reason"):
            outcomes.append(r["outcome_reason"])
        out.append({"title": f"{who}, {role}", "index": index, "parts": part_lines, "outcomes": outcomes})
    return out


def _share(row: dict[str, Any], name: str, label: str, noun: str) -> str:
    if row.get(name) is None:
        return f"{label}: not measured ({row.get(f'{name}_reason') or 'none yet'})"
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    interval = "" if low is None or high is None else f" (90% interval {low:.0%}-{high:.0%})"
    return f"{label}: {row[name]:.0%} of {row.get(f'{name}_n') or 0} {noun}{interval}"


def desk(rows: Sequence[dict[str, Any]]) -> list[str]:
    """One sentence per seller with decided support requests: consultation before the decision
    and adoption of the team's proposals (``Workspace.with_request_figures`` rows)."""
    return [f"{r.get('name') or r.get('user_id')}: "
            + _share(r, "consultation_rate", "consulted the support team before deciding", "decisions") + "; "
            + _share(r, "proposal_adoption_rate", "took the team's other way", "proposals")
            for r in rows if r.get("consultation_rate_n") or r.get("proposal_adoption_rate_n")]


def to_markdown(items: Sequence[dict[str, Any]], desk_lines: Sequence[str] = ()) -> list[str]:
    out = ["## Results over obedience", "",
           "From the CRM: tasks others were given, check-ins, overrides and reassignments, set against the outcomes "
           "of the deals they touched (intervals are 95%; docs/metrics.md).", ""]
    if not items:
        out += ["No one here created tasks for others or edited their deals in the window.", ""]
    for it in items:
        out += [f"### {it['title']}", "", it["index"], ""]
        out += [f"- {p}" for p in it["parts"]] + [""]
        out += ["Outcomes:", "", *[f"- {o}" for o in it["outcomes"]], ""]
    out += ["### Support requests", "", DESK_INTRO, ""]
    out += [f"- {line}" for line in desk_lines] or ["No decided support requests here.", ""]
    return [*out, ""] if desk_lines else out


DESK_INTRO = ("From the support requests in the app database: how often the seller let the support team propose "
              "another way before deciding, and how often they took it (docs/metrics.md).")
