"""Support maps: who backs a proposal, who blocks it, and who on our side has committed.

A support map belongs to one opportunity. It has two halves:

* **buyer stakeholders**: contacts with their buyer role, a *stance* (champion ... blocker),
  an *influence* (high, medium, low), an *access* (direct, or through another contact), and
  their last touch;
* **internal backers**: our own people in the support functions (pricing, sales
  engineering, legal, delivery, an executive sponsor), with what was asked of them, their
  *commitment* (asked, committed, delivered) and a due date.

The CRM holds none of the stances. ``analyze`` drafts a map from what it does hold (contact
roles, engagement, titles: the ``support_map_draft`` result table); every row of a draft is
marked ``inferred`` until a person confirms or edits it. What people enter is kept in the
app database with its history, and ``merge`` lays it over the draft.

This module is pure: vocabulary, the value types and the merge rule. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

__all__ = [
    "ACCESS",
    "BACKER_FUNCTIONS",
    "COMMITMENTS",
    "INFLUENCE",
    "STANCES",
    "Backer",
    "Gap",
    "Readiness",
    "Stakeholder",
    "SupportMap",
    "check_choice",
    "merge",
]

#: From most to least favourable to the proposal.
STANCES = ("champion", "supporter", "neutral", "skeptic", "blocker")
INFLUENCE = ("high", "medium", "low")
#: ``through``: reached only via another contact (``via_contact_id``).
ACCESS = ("direct", "through")
BACKER_FUNCTIONS = ("pricing", "sales_engineering", "legal", "delivery", "executive_sponsor", "other")
#: The life of an ask to a backer, in order.
COMMITMENTS = ("asked", "committed", "delivered")

CHOICES = {
    "stance": STANCES,
    "influence": INFLUENCE,
    "access": ACCESS,
    "function": BACKER_FUNCTIONS,
    "commitment": COMMITMENTS,
}


def check_choice(field: str, value: object) -> str:
    """``value`` normalised (trimmed, lower case, spaces as underscores) when it is one of the
    field's choices; ValueError naming the field, the value and the choices otherwise.
    Callers turn the ValueError into an InputError that names file/line/column or the form field."""
    allowed = CHOICES[field]
    text = str(value if value is not None else "").strip().lower().replace(" ", "_").replace("-", "_")
    if text not in allowed:
        raise ValueError(f"{field} {value!r} is not one of: {', '.join(allowed)}")
    return text


@dataclass(frozen=True)
class Stakeholder:
    """One buyer-side person on one deal."""

    contact_id: str
    name: str | None = None
    title: str | None = None
    buyer_role: str | None = None  # contact_roles.buyer_role (docs/metrics.md)
    stance: str = "neutral"
    influence: str = "medium"
    access: str = "direct"
    via_contact_id: str | None = None  # when access is "through"
    last_touch_at: datetime | None = None
    note: str | None = None
    inferred: bool = True  # True: drafted from the CRM, nobody has confirmed it
    evidence: str | None = None  # why the draft says so (plain words), for inferred rows
    left: bool = False  # the CRM shows them gone from the company (drafted rows only)


@dataclass(frozen=True)
class Backer:
    """One of our people asked to back the proposal."""

    user_id: str  # CRM user id
    name: str | None = None
    function: str = "other"
    ask: str | None = None
    commitment: str = "asked"
    due_date: date | None = None
    inferred: bool = True


@dataclass(frozen=True)
class SupportMap:
    """The map of one deal as it stands: the draft with people's edits laid over it."""

    opportunity_id: str
    stakeholders: tuple[Stakeholder, ...] = ()
    backers: tuple[Backer, ...] = ()
    version: int = 0  # 0: nothing stored yet (a pure draft); bumped by every stored edit
    updated_by: str | None = None
    updated_at: datetime | None = None

    def stakeholder(self, contact_id: str) -> Stakeholder | None:
        return next((s for s in self.stakeholders if s.contact_id == contact_id), None)

    @property
    def confirmed(self) -> bool:
        """Somebody has confirmed or edited at least one row."""
        return any(not s.inferred for s in self.stakeholders) or any(not b.inferred for b in self.backers)


@dataclass(frozen=True)
class Gap:
    """One named reason a proposal is not ready: a documented rule (docs/metrics.md)."""

    code: str  # e.g. "no_champion", "economic_buyer_silent", "blocker_without_plan"
    text: str  # plain words with the numbers behind it
    points: float  # what the gap takes off the 100


@dataclass(frozen=True)
class Readiness:
    """Proposal readiness (0-100) of one open deal, with the gaps that took points off."""

    opportunity_id: str
    score: float | None  # None when too little is known to say (with ``note``)
    gaps: tuple[Gap, ...] = ()
    note: str | None = None


def merge(draft: SupportMap, stored_stakeholders: Iterable[Stakeholder] = (),
          stored_backers: Iterable[Backer] = (), *, version: int = 0,
          updated_by: str | None = None, updated_at: datetime | None = None) -> SupportMap:
    """The map people see: stored rows replace the draft's row for the same contact (or
    backer), keep the draft's facts the store does not hold (name, title, buyer role, last
    touch), and are not inferred. Draft rows nobody touched stay, marked inferred; stored rows
    with no draft row are added. Order: the draft's order, then added rows."""
    stored_s = {s.contact_id: s for s in stored_stakeholders}
    people: list[Stakeholder] = []
    for d in draft.stakeholders:
        s = stored_s.pop(d.contact_id, None)
        if s is None:
            people.append(d)
            continue
        people.append(replace(
            s,
            name=s.name or d.name,
            title=s.title or d.title,
            buyer_role=s.buyer_role or d.buyer_role,
            last_touch_at=d.last_touch_at if d.last_touch_at is not None else s.last_touch_at,
            inferred=False,
            evidence=None,
        ))
    people.extend(replace(s, inferred=False) for s in stored_s.values())

    stored_b = {b.user_id: b for b in stored_backers}
    backers: list[Backer] = []
    for d in draft.backers:
        b = stored_b.pop(d.user_id, None)
        backers.append(d if b is None else replace(b, name=b.name or d.name, inferred=False))
    backers.extend(replace(b, inferred=False) for b in stored_b.values())
    return SupportMap(draft.opportunity_id, tuple(people), tuple(backers), version=version,
                      updated_by=updated_by, updated_at=updated_at)
