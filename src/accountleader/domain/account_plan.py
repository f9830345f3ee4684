"""Rules for what an account page and account plan show: stakeholder order, role gaps,
which change drivers describe deals, and how a change event reads.

Pure: plain rows in, plain rows or text out.  The figures themselves are result tables
(:mod:`accountleader.domain.metrics.views`); these rules only order and word them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .metrics.change import DRIVERS as CHANGE_DRIVERS
from .schema import BUYER_ROLES

Row = Mapping[str, Any]

#: The buyer roles an account plan wants engaged; those with no live, touched contact are gaps.
KEY_ROLES = ("executive", "economic_buyer", "decision_maker", "champion", "technical_evaluator", "procurement")
#: Stakeholders are listed by buyer role in this order, then by name.
ROLE_RANK = {r: i for i, r in enumerate(BUYER_ROLES)}
#: The labels of the change drivers read from deals (their reasons start with them).
DEAL_DRIVER_LABELS = tuple(
    f"{d.label}:" for d in CHANGE_DRIVERS
    if d.column in ("close_date_pushes", "close_date_push_days", "stage_regressions", "amount_cuts")
)
HIDDEN_DEALS_NOTE = "deal-based change drivers are left out: this account has deals outside your view"
#: The newest change events an account page lists.
TIMELINE_LIMIT = 100


def stakeholder_key(person: Row) -> tuple[int, str, str]:
    """Sort key: buyer role in :data:`ROLE_RANK` order (unknown roles last), then name, then
    contact id (two people of one name and role always list in the same order)."""
    return (ROLE_RANK.get(person["buyer_role"], 99), person["name"] or "", person["contact_id"] or "")


def role_gaps(stakeholders: Iterable[Row]) -> list[str]:
    """The key roles no contact still at the account has been touched in."""
    engaged = {p["buyer_role"] for p in stakeholders if p["touches_n"] and not p["departed_at"]}
    return [r for r in KEY_ROLES if r not in engaged]


def account_level_drivers(drivers: Sequence[Any] | None) -> list[Any]:
    """The change drivers that are about the account itself, not about its deals."""
    return [d for d in drivers or [] if not str(d).startswith(DEAL_DRIVER_LABELS)]


def event_detail(event: Row) -> str:
    """One change event's line, from its ``kind`` and before/after values (an
    ``account_timeline`` row)."""
    kind, before, after = event["kind"], event["from_text"], event["to_text"]
    if kind == "close_date_pushed":
        return f"close date {before} → {after}"
    if kind == "amount_cut":
        return f"{event['from_amount']:,.0f} → {event['to_amount']:,.0f}"
    if kind == "person_left":
        return f"{before} ({after or 'no title'}) left"
    return f"{before} → {after}"
