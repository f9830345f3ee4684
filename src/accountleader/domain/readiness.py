"""Proposal readiness: 0-100 per open deal, less the points of each named gap.

``assess`` is pure: it reads one deal's signals (a row of ``opportunity_readiness``, plus
``has_playbook`` from the app store when the caller knows it) and the deal's support map (the
CRM draft with people's edits laid over it, ``support_map.merge``), and names the gaps.  Each
gap is a rule documented in docs/metrics.md ("Proposal readiness"); its points and thresholds
are settings (``readiness.*``).  When too little is known (no buyer contact on the deal) the
score is ``None`` with a note, never an invented number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from .playbooks import when as _when
from .support_map import Backer, Gap, Readiness, Stakeholder, SupportMap

__all__ = ["GAP_CODES", "assess", "draft_map", "readiness_fields"]

#: How the draft's evidence starts for a contact who left (domain/metrics/support.py).
#: Every gap, in the order they are reported.
GAP_CODES = (
    "no_champion",
    "economic_buyer_silent",
    "blocker_without_plan",
    "backer_not_committed",
    "single_threaded",
    "engagement_cooling",
)


class ReadinessRules(Protocol):
    """What ``assess`` reads of ``config.ReadinessSettings`` (kept as a protocol: domain stays pure)."""

    economic_buyer_days: int
    single_thread_share: float
    backer_needed_from: dict[str, float]
    cooling_momentum: float
    cooling_min_events: int
    points: dict[str, float]
    min_known_contacts: int


def _num(signals: Mapping[str, Any], key: str) -> float | None:
    v = signals.get(key)
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _days_since(at: datetime | None, as_of: datetime) -> float | None:
    if at is None:
        return None
    a, b = at.replace(tzinfo=None), as_of.replace(tzinfo=None)
    return (b - a).total_seconds() / 86_400


def assess(signals: Mapping[str, Any], support_map: SupportMap, *, as_of: datetime,
           settings: ReadinessRules) -> Readiness:
    """The deal's readiness at ``as_of``: 100 less the points of its gaps (never below 0).

    ``signals``: stage_probability, economic_buyer_days, contacts_engaged, contacts_baseline,
    contacts_baseline_n, momentum, momentum_n, and optionally has_playbook (an open playbook
    on the deal). Stances, backers and the economic buyer come from ``support_map`` where it
    names them (people's edits win), else from the signals."""
    oid = support_map.opportunity_id
    present = [s for s in support_map.stakeholders if not _left(s)]
    if len(present) < max(settings.min_known_contacts, 1):
        return Readiness(oid, None, (), note="no buyer contact known on the deal: too little to judge readiness")
    pts = settings.points
    gaps: list[Gap] = []

    def gap(code: str, text: str) -> None:
        gaps.append(Gap(code, text, float(pts.get(code, 0.0))))

    if not any(s.stance == "champion" for s in present):
        gap("no_champion", "no champion among the " + str(len(present)) + " buyer contacts on the deal")

    days_n = settings.economic_buyer_days
    ebs = [s for s in present if s.buyer_role == "economic_buyer"]
    eb_days = min((d for d in (_days_since(s.last_touch_at, as_of) for s in ebs) if d is not None), default=None)
    if eb_days is None and not ebs:
        eb_days = _num(signals, "economic_buyer_days")
    if eb_days is None:
        gap("economic_buyer_silent", f"no economic buyer engaged on the deal (none touched; rule: {days_n} days)")
    elif eb_days > days_n:
        gap("economic_buyer_silent", f"economic buyer last engaged {eb_days:.0f} days ago (rule: {days_n} days)")

    blockers = [s for s in present if s.stance == "blocker"]
    if blockers and not signals.get("has_playbook"):
        names = ", ".join(s.name or s.contact_id for s in blockers[:3])
        gap("blocker_without_plan", f"{len(blockers)} open blocker(s) ({names}) and no open playbook on the deal")

    stage_p = _num(signals, "stage_probability")
    if stage_p is not None:
        late = [b for b in support_map.backers if b.commitment == "asked"
                and stage_p >= settings.backer_needed_from.get(b.function, settings.backer_needed_from.get("other", 75.0))]
        if late:
            who = ", ".join(f"{b.name or b.user_id} ({b.function.replace('_', ' ')})" for b in late[:3])
            gap("backer_not_committed",
                f"{len(late)} internal backer(s) asked but not committed at a stage that needs them "
                f"(stage probability {stage_p:.0f}): {who}")

    engaged, base = _num(signals, "contacts_engaged"), _num(signals, "contacts_baseline")
    base_n = _num(signals, "contacts_baseline_n") or 0
    if engaged is not None and base is not None and base > 0 and base_n >= 5 \
            and engaged < settings.single_thread_share * base:
        gap("single_threaded", f"{engaged:.0f} contact(s) engaged in the window against {base:g} on won deals at "
            f"the same stage (n={base_n:.0f})")

    momentum, m_n = _num(signals, "momentum"), _num(signals, "momentum_n") or 0
    if momentum is not None and m_n >= settings.cooling_min_events and momentum <= settings.cooling_momentum:
        gap("engagement_cooling", f"momentum {momentum:+.2f} over {m_n:.0f} replies, meetings and new "
            "stakeholders (last 30 days against the 30 before)")

    score = max(0.0, 100.0 - sum(g.points for g in gaps))
    return Readiness(oid, round(score, 1), tuple(gaps))


def _left(s: Any) -> bool:
    """A drafted contact who had left the company by the look (``support_map_draft.left_company``):
    no longer on the map readiness reads. A person's edit of the row keeps them on it."""
    return bool(s.inferred) and bool(s.left)




def draft_map(opportunity_id: str, people: Iterable[Mapping[str, Any]],
              backers: Iterable[Mapping[str, Any]] = ()) -> SupportMap:
    """A deal's map as the CRM drafts it, from its ``support_map_draft`` and
    ``support_backers_draft`` rows, every row inferred: the primary contact first, then by name;
    backers by function. Contacts who left stay on it, marked ``left`` (the deal page shows the
    departure); readiness does not count them."""
    rows = sorted(people, key=lambda r: (not r.get("is_primary"), str(r.get("contact_name") or ""), r["contact_id"]))
    return SupportMap(opportunity_id, tuple(
        Stakeholder(r["contact_id"], name=r.get("contact_name"), title=r.get("title"), buyer_role=r.get("buyer_role"),
                    stance=r.get("stance") or "neutral", influence=r.get("influence") or "medium",
                    access=r.get("access") or "direct", last_touch_at=_when(r.get("last_touch_at")),
                    evidence=r.get("evidence"), left=bool(r.get("left_company")))
        for r in rows), tuple(
        Backer(b["user_id"], name=b.get("name"), function=b.get("function") or "other", ask=b.get("ask"),
               commitment=b.get("commitment") or "asked")
        for b in sorted(backers, key=lambda b: (str(b.get("function") or ""), b["user_id"]))))


def readiness_fields(r: Readiness | None, signals: Mapping[str, Any] | None) -> dict[str, Any]:
    """What an opportunity row shows of readiness and momentum (``show opportunities --json``,
    reports): readiness_score, readiness_gaps (code, text, points), readiness_note, momentum,
    momentum_n, cooling."""
    s = signals or {}
    return {
        "readiness_score": None if r is None else r.score,
        "readiness_gaps": [] if r is None else [{"code": g.code, "text": g.text, "points": g.points} for g in r.gaps],
        "readiness_note": "no readiness signals in these results (closed deal, or analysed before readiness existed)"
        if r is None else r.note,
        "momentum": s.get("momentum"), "momentum_n": s.get("momentum_n"), "cooling": s.get("cooling"),
    }
