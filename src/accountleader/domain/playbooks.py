"""Playbook triggers and scenario readiness: pure rules over result rows.

A playbook names a top risk (a deal or an account), the signal that detects it (the
trigger), the actions, an owner and a due date. Each ``analyze`` checks every open playbook's
trigger against the new results (``check``): the rows given here are those of
``opportunity_results`` (the subject deal, or the account's deals) and the account's
contacts with their buyer role and last touch (``contact_roles`` and ``contact_touches``).

Scenario readiness (``readiness``) is the share of a team's top-N open deals by value at
stake that have an owned open playbook (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import InputError

SUBJECT_KINDS = ("opportunity", "account")
STATUSES = ("open", "closed")
MAX_TITLE = 200
MAX_ACTIONS = 5000


@dataclass(frozen=True)
class TriggerRule:
    """One kind of trigger: its words and its one whole-number parameter."""

    kind: str
    label: str
    param: str  # "times" or "days"
    default: int
    low: int
    high: int
    column: str | None = None  # the opportunity_results count it reads (counting triggers)

    def describe(self, params: Mapping[str, int]) -> str:
        n = params.get(self.param, self.default)
        if self.kind == "champion_silent":
            return f"champion's last touch over {n} days ago"
        return f"{self.label} {n} time{'s' if n != 1 else ''} or more"


TRIGGERS: dict[str, TriggerRule] = {
    r.kind: r
    for r in (
        TriggerRule("close_date_pushed", "close date pushed", "times", 2, 1, 50, "close_date_pushes"),
        TriggerRule("stage_regression", "stage moved back", "times", 1, 1, 50, "stage_regressions"),
        TriggerRule("amount_cut", "amount cut", "times", 1, 1, 50, "amount_cuts"),
        TriggerRule("champion_silent", "champion silent", "days", 30, 1, 730),
    )
}


def trigger_params(kind: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
    """The trigger's parameters, checked: a whole number in range (the default when not given).
    Raises InputError naming the kind, parameter and value."""
    rule = TRIGGERS.get(kind)
    if rule is None:
        raise InputError(f"unknown trigger {kind!r}; choose one of {', '.join(TRIGGERS)}", column="trigger", value=kind)
    given = dict(params or {})
    unknown = sorted(set(given) - {rule.param})
    if unknown:
        raise InputError(f"trigger {kind} takes only {rule.param!r}, not {', '.join(map(repr, unknown))}",
                         column="trigger", value=unknown[0])
    raw = given.get(rule.param, rule.default)
    try:
        n = int(str(raw).strip())
    except ValueError:
        raise InputError(f"trigger {kind}: {rule.param} must be a whole number, not {raw!r}",
                         column=rule.param, value=str(raw)) from None
    if not rule.low <= n <= rule.high:
        raise InputError(f"trigger {kind}: {rule.param} must be between {rule.low} and {rule.high}, not {n}",
                         column=rule.param, value=str(raw))
    return {rule.param: n}


def check_title(title: str) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise InputError("a playbook needs a title", column="title", value=title)
    if len(text) > MAX_TITLE:
        raise InputError(f"title is longer than {MAX_TITLE} characters", column="title", value=text[:40] + "…")
    return text


def check_actions(actions: str) -> str:
    text = (actions or "").strip()
    if not text:
        raise InputError("a playbook needs its actions: what will be done when the trigger fires", column="actions")
    if len(text) > MAX_ACTIONS:
        raise InputError(f"actions are longer than {MAX_ACTIONS} characters", column="actions", value=text[:40] + "…")
    return text


def check_due(due: date | str | None) -> date:
    if isinstance(due, date) and not isinstance(due, datetime):
        return due
    text = str(due or "").strip()
    if not text:
        raise InputError("a playbook needs a due date (YYYY-MM-DD)", column="due_date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"due date {text!r} is not a date like 2026-10-31", column="due_date", value=text) from None


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise InputError(f"status {status!r} is not one of {', '.join(STATUSES)}", column="status", value=status)
    return status


def check_subject_kind(kind: str) -> str:
    if kind not in SUBJECT_KINDS:
        raise InputError(f"a playbook is on an opportunity or an account, not {kind!r}", column="subject_kind",
                         value=kind)
    return kind


# -- checking a trigger --------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What one analyze found for one trigger. ``met`` None: it cannot be judged at this as-of
    (the deal is not in the results, or is closed); ``evidence`` says what was found, in words."""

    met: bool | None
    evidence: str


def when(value: Any) -> datetime | None:
    """A result row's timestamp as a datetime (a date is its midnight; text is ISO 8601)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def check(kind: str, params: Mapping[str, int], *, subject_kind: str, subject_name: str | None,
          deals: Sequence[Mapping[str, Any]], contacts: Sequence[Mapping[str, Any]], as_of: datetime) -> Check:
    """Whether the trigger is met in these results.

    ``deals``: the ``opportunity_results`` rows of the subject (its one deal, or the account's
    deals); ``contacts``: the subject account's contacts with ``buyer_role``, ``last_touch``,
    ``departed_at`` and ``name``; ``as_of``: the results' as-of (naive UTC)."""
    rule = TRIGGERS[kind]
    day = as_of.date().isoformat()
    if subject_kind == "opportunity":
        if not deals:
            return Check(None, f"the deal is not in the results as of {day} (created later, or no longer in the data)")
        if deals[0].get("is_closed"):
            return Check(None, f"the deal is closed as of {day}")
    open_deals = [d for d in deals if not d.get("is_closed")]
    column = rule.column
    if column is not None:
        if not open_deals:
            return Check(False, f"no open deals at the account as of {day}")
        needed = params[rule.param]
        worst = max(open_deals, key=lambda d: (d.get(column) or 0, d.get("amount") or 0))
        n = int(worst.get(column) or 0)
        where = f" on {worst.get('name')}" if subject_kind == "account" else ""
        words = f"{rule.label} {n} time{'s' if n != 1 else ''}{where} by {day}"
        return Check(n >= needed, words if n >= needed else f"{words} (fires at {needed})")
    return _champion_silent(params[rule.param], contacts, as_of, subject_name)


def _champion_silent(days: int, contacts: Sequence[Mapping[str, Any]], as_of: datetime,
                     subject_name: str | None) -> Check:
    day = as_of.date().isoformat()
    champions = [c for c in contacts if c.get("buyer_role") == "champion"
                 and not ((left := when(c.get("departed_at"))) is not None and left <= as_of)]
    if not champions:
        return Check(False, f"no champion known at {subject_name or 'the account'} as of {day}")

    def touched(c: Mapping[str, Any]) -> datetime | None:
        at = when(c.get("last_touch"))
        return at if at is not None and at <= as_of else None

    latest = max(champions, key=lambda c: touched(c) or datetime.min)
    at = touched(latest)
    if at is None:
        names = ", ".join(sorted(str(c.get("name")) for c in champions))
        return Check(True, f"champion {names} never touched by {day}")
    quiet = (as_of - at).days
    words = f"champion {latest.get('name')} last touched {at.date().isoformat()}, {quiet} days before {day}"
    return Check(quiet > days, words if quiet > days else f"{words} (fires after {days})")


# -- scenario readiness ---------------------------------------------------------------------------

READINESS_TOP_N = 10


def at_stake(deal: Mapping[str, Any]) -> tuple[float | None, str]:
    """The value a risk on this open deal would take away, and its basis: amount × win
    probability, or the amount when no probability is known yet."""
    amount = deal.get("amount")
    if amount is None or amount != amount or amount <= 0:
        return None, "no amount"
    p = deal.get("win_probability")
    if p is None or p != p:
        return float(amount), "amount (no win probability yet)"
    return float(amount) * float(p), "amount × win probability"


def readiness(deals: Iterable[Mapping[str, Any]], team_of: Mapping[str, str | None], *,
              covered_deals: set[str], covered_accounts: set[str], top_n: int = READINESS_TOP_N) -> list[dict[str, Any]]:
    """Per team: of its ``top_n`` open deals with the most value at stake, how many have an
    owned open playbook, on the deal or on its account. Deals without an amount are left out
    and counted (``unpriced_n``)."""
    by_team: dict[str | None, list[tuple[float, str, Mapping[str, Any]]]] = {}
    unpriced: dict[str | None, int] = {}
    for d in deals:
        if d.get("is_closed"):
            continue
        team = team_of.get(str(d.get("owner_id")))
        value, basis = at_stake(d)
        if value is None:
            unpriced[team] = unpriced.get(team, 0) + 1
            continue
        by_team.setdefault(team, []).append((value, basis, d))
    out = []
    for team in sorted(set(by_team) | set(unpriced), key=lambda t: (t is None, t or "")):
        ranked = sorted(by_team.get(team, []), key=lambda x: (-x[0], str(x[2].get("opportunity_id"))))[:top_n]
        risks = [{"opportunity_id": d.get("opportunity_id"), "name": d.get("name"), "owner_id": d.get("owner_id"),
                  "account_id": d.get("account_id"), "at_stake": round(v, 2), "basis": b,
                  "covered": d.get("opportunity_id") in covered_deals or d.get("account_id") in covered_accounts}
                 for v, b, d in ranked]
        n = len(risks)
        covered_n = sum(1 for r in risks if r["covered"])
        out.append({
            "team": team, "top_n": top_n, "risks_n": n, "covered_n": covered_n,
            "share": round(covered_n / n, 3) if n else None,
            "note": None if n else "no open deals with an amount",
            "unpriced_n": unpriced.get(team, 0), "risks": risks,
        })
    return out
