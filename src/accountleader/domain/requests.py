"""Support requests framed as outcomes (issue 15): the record, its transitions and the analytics.

A seller or manager (the requester) asks a support user (the assignee) for a result: what is
needed, by when, under which constraints. The assignee may propose another way (or reply that
they will do it as asked) before the requester decides to accept, modify or keep the original
ask; the assignee then records the outcome. Everything here is pure: each transition returns
the new record and the fields it changed, or raises :class:`InputError` naming the field and
the value; who may make it is the service's rule (:mod:`accountleader.requests`).

The analytics ("Results over obedience" in docs/metrics.md) count decisions and outcomes over
a list of records: consultation and proposal adoption per requester, adoption and
resourcefulness credit per assignee, and the outcomes of adopted proposals against prescribed
approaches, each rate with its n, a Wilson 90% interval, and a reason when n is too small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from ..errors import InputError

KINDS = ("quote", "pricing", "engineering", "legal", "delivery", "other")
STATUSES = ("asked", "proposed", "decided", "done", "cancelled")
OPEN = ("asked", "proposed", "decided")
REPLIES = ("another_way", "as_asked")
DECISIONS = ("accept", "modify", "keep")
ADOPTING = ("accept", "modify")  # decisions that take the assignee's proposal
MAX_TEXT = 4000
MAX_ID = 64
#: z of a two-sided 90% interval
Z90 = 1.6448536269514722


@dataclass(frozen=True)
class SupportRequest:
    """One request. ``requester_id`` and ``assignee_id`` are app user ids."""

    kind: str
    outcome: str
    needed_by: date
    requester_id: int
    assignee_id: int
    id: int | None = None
    version: int = 0  # 0: not stored yet
    constraints: str | None = None
    opportunity_id: str | None = None
    quote_id: str | None = None
    account_id: str | None = None
    status: str = "asked"
    proposal: str | None = None
    proposal_rationale: str | None = None
    reply: str | None = None
    proposed_at: datetime | None = None
    decision: str | None = None
    decision_note: str | None = None
    decided_at: datetime | None = None
    consulted: bool | None = None
    done_at: datetime | None = None
    achieved: bool | None = None
    quality_note: str | None = None
    created_at: datetime | None = None

    @property
    def on_time(self) -> bool | None:
        """Done on or before the day it was needed by (derived, never typed); None until done."""
        return None if self.done_at is None else self.done_at.date() <= self.needed_by

    @property
    def adopted(self) -> bool:
        """The assignee proposed another way and the requester took it (accepted or modified)."""
        return self.reply == "another_way" and self.decision in ADOPTING

    def as_dict(self) -> dict[str, Any]:
        """The record with ISO dates and ``on_time`` (no names: the service adds those)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.isoformat() if isinstance(v, date | datetime) else v
        out["on_time"] = self.on_time
        return out


@dataclass(frozen=True)
class Change:
    """One changed field of one transition: ``action`` (add, propose, decide, done, cancel)."""

    action: str
    field: str
    old: str | None
    new: str | None


# -- checking input ---------------------------------------------------------------------------


def _bad(field: str, value: Any, reason: str) -> InputError:
    shown = "" if value is None else str(value)
    return InputError(f"{field} {shown!r}: {reason}" if shown else f"{field}: {reason}", column=field,
                      value=shown or None)


def _text(field: str, value: Any, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _bad(field, None, "is required")
        return None
    if not isinstance(value, str):
        raise _bad(field, value, "must be text")
    text = value.strip()
    if len(text) > limit:
        raise _bad(field, text[:40] + "…", f"is {len(text)} characters long; at most {limit}")
    return text


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower() if value is not None else ""
    if text not in choices:
        raise _bad(field, value, "must be one of " + ", ".join(choices)) if text else _bad(
            field, None, "is required: one of " + ", ".join(choices))
    return text


def _day(field: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip() if value is not None else ""
    if not text:
        raise _bad(field, None, "is required (a date, YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(field, text, "is not a date (YYYY-MM-DD)") from None


def _flag(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in ("yes", "true", "1", "y"):
        return True
    if text in ("no", "false", "0", "n"):
        return False
    raise _bad(field, value, "must be yes or no") if text else _bad(field, None, "is required: yes or no")


def _crm_id(field: str, value: Any) -> str | None:
    text = _text(field, value, required=False, limit=MAX_ID)
    if text is not None and not all(c.isalnum() or c in "-_" for c in text):
        raise _bad(field, text, "is not a CRM id (letters, digits, - and _)")
    return text


def _status(r: SupportRequest, action: str, allowed: tuple[str, ...]) -> None:
    if r.status not in allowed:
        raise _bad("status", r.status, f"a request that is {r.status} cannot be {action}; only one that is "
                   + " or ".join(allowed))


def _changes(action: str, before: SupportRequest | None, after: SupportRequest) -> list[Change]:
    out = []
    for f in fields(after):
        if f.name in ("id", "version") or (before is not None and f.name in ("created_at", "requester_id")):
            continue
        old = None if before is None else getattr(before, f.name)
        new = getattr(after, f.name)
        if old != new and not (before is None and new is None):
            out.append(Change(action, f.name, _shown(old), _shown(new)))
    return out


def _shown(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


# -- transitions ------------------------------------------------------------------------------


def ask(*, kind: Any, outcome: Any, needed_by: Any, requester_id: int, assignee_id: int, at: datetime,
        constraints: Any = None, opportunity_id: Any = None, quote_id: Any = None,
        account_id: str | None = None) -> tuple[SupportRequest, list[Change]]:
    """A new request, asked at ``at``: the outcome (the result, not the steps) and the day it is
    needed by (not before ``at``'s day)."""
    needed = _day("needed_by", needed_by)
    if needed < at.date():
        raise _bad("needed_by", needed.isoformat(), f"is before the day it is asked ({at.date().isoformat()})")
    r = SupportRequest(
        kind=_choice("kind", kind, KINDS), outcome=_text("outcome", outcome, required=True) or "",
        needed_by=needed, requester_id=requester_id, assignee_id=assignee_id,
        constraints=_text("constraints", constraints, required=False),
        opportunity_id=_crm_id("opportunity_id", opportunity_id), quote_id=_crm_id("quote_id", quote_id),
        account_id=account_id, status="asked", created_at=at)
    return r, _changes("add", None, r)


def propose(r: SupportRequest, *, proposal: Any, rationale: Any, reply: Any, at: datetime
            ) -> tuple[SupportRequest, list[Change]]:
    """The assignee's answer before the decision: another way (a proposal and its rationale are
    required) or "as asked" (a note is optional). Only while the request is asked."""
    _status(r, "answered", ("asked",))
    how = _choice("reply", reply, REPLIES)
    other = how == "another_way"
    after = replace(r, status="proposed", reply=how, proposed_at=at,
                    proposal=_text("proposal", proposal, required=other),
                    proposal_rationale=_text("proposal_rationale", rationale, required=other))
    return after, _changes("propose", r, after)


def decide(r: SupportRequest, *, decision: Any, note: Any, at: datetime) -> tuple[SupportRequest, list[Change]]:
    """The requester's decision: accept or modify the proposal (modify needs a note saying how),
    or keep the original ask (after an "as asked" reply, accept and keep both mean the ask
    stands). Straight from asked (no answer yet) only ``keep`` is possible, and the record says
    the assignee was not consulted."""
    _status(r, "decided", ("asked", "proposed"))
    how = _choice("decision", decision, DECISIONS)
    text = _text("decision_note", note, required=how == "modify")
    if how in ADOPTING and r.status == "asked":
        raise _bad("decision", how, f"nothing was proposed yet: there is no proposal to {how}; decide keep, "
                   "or wait for the assignee's answer")
    after = replace(r, status="decided", decision=how, decision_note=text, decided_at=at,
                    consulted=r.status == "proposed")
    return after, _changes("decide", r, after)


def finish(r: SupportRequest, *, achieved: Any, quality_note: Any, at: datetime) -> tuple[SupportRequest, list[Change]]:
    """The assignee records the outcome: achieved or not, a quality note; on time is derived."""
    _status(r, "done", ("decided",))
    after = replace(r, status="done", done_at=at, achieved=_flag("achieved", achieved),
                    quality_note=_text("quality_note", quality_note, required=False))
    return after, _changes("done", r, after)


def cancel(r: SupportRequest, *, at: datetime) -> tuple[SupportRequest, list[Change]]:
    """The requester withdraws the request, any time before it is done."""
    _status(r, "cancelled", OPEN)
    after = replace(r, status="cancelled")
    return after, _changes("cancel", r, after)


# -- analytics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A share with its sample size and Wilson 90% interval; ``rate`` None (with ``reason``)
    below the minimum sample."""

    rate: float | None
    n: int
    hits: int
    low: float | None = None
    high: float | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "n": self.n, "hits": self.hits, "low": self.low, "high": self.high,
                "reason": self.reason}

    def flat(self, name: str) -> dict[str, Any]:
        """``name``, ``name_n``, ``name_low``, ``name_high``, ``name_reason``: a JSON row's columns."""
        return {name: self.rate, f"{name}_n": self.n, f"{name}_low": self.low, f"{name}_high": self.high,
                f"{name}_reason": self.reason}


def wilson(hits: int, n: int, z: float = Z90) -> tuple[float, float]:
    """The Wilson score interval of ``hits`` out of ``n`` (n > 0)."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    return low, 1.0 if hits == n else min(1.0, centre + half)


def rate(hits: int, n: int, *, min_n: int, noun: str) -> Rate:
    """``hits``/``n`` with its interval, or None with the reason ("3 decisions; 5 needed")."""
    if n < max(min_n, 1):
        counted = f"{n} {noun}" + ("" if n == 1 else "s")
        return Rate(None, n, hits, reason=f"{counted}; {max(min_n, 1)} needed")
    low, high = wilson(hits, n)
    return Rate(hits / n, n, hits, low, high)


def decided(records: Iterable[SupportRequest]) -> list[SupportRequest]:
    """Requests with a decision (decided or done)."""
    return [r for r in records if r.decision is not None and r.status in ("decided", "done")]


def requester_figures(records: Iterable[SupportRequest], *, min_decisions: int) -> dict[str, Any]:
    """One requester's ``consultation_rate`` (decisions made after a proposal or reply, over
    decisions) and ``proposal_adoption_rate`` (proposals of another way they accepted or
    modified, over such proposals decided)."""
    ds = decided(records)
    other = [r for r in ds if r.reply == "another_way"]
    return {"decisions_n": len(ds),
            "consultation_rate": rate(sum(1 for r in ds if r.consulted), len(ds), min_n=min_decisions,
                                      noun="decision"),
            "proposal_adoption_rate": rate(sum(1 for r in other if r.adopted), len(other), min_n=min_decisions,
                                           noun="decided proposal")}


def assignee_figures(records: Iterable[SupportRequest], *, min_decisions: int) -> dict[str, Any]:
    """One assignee's ``adoption_rate`` (their proposals of another way taken, over those
    decided), ``resourcefulness_credit`` (requests done their way, not the ask's, with the
    result achieved), and the outcomes of their requests by approach: ``adopted_achieved_rate``,
    ``adopted_on_time_rate``, ``prescribed_achieved_rate``, ``prescribed_on_time_rate``."""
    rs = list(records)
    other = [r for r in decided(rs) if r.reply == "another_way"]
    out: dict[str, Any] = {
        "requests_n": len(rs), "proposals_n": sum(1 for r in rs if r.reply == "another_way"),
        "adoption_rate": rate(sum(1 for r in other if r.adopted), len(other), min_n=min_decisions,
                              noun="decided proposal"),
        "resourcefulness_credit": sum(1 for r in rs if r.status == "done" and r.adopted and r.achieved)}
    for approach, figures in outcome_figures(rs, min_decisions=min_decisions).items():
        out |= {f"{approach}_{name}": v for name, v in figures.items()}
    return out


def outcome_figures(records: Iterable[SupportRequest], *, min_decisions: int) -> dict[str, dict[str, Rate]]:
    """Done requests by approach: ``adopted`` (the assignee's other way, accepted or modified)
    against ``prescribed`` (the original ask kept, replied 'as asked', or decided without a
    proposal): the achieved rate and the on-time rate of each."""
    done = [r for r in records if r.status == "done" and r.achieved is not None]
    out = {}
    for approach, rows in (("adopted", [r for r in done if r.adopted]),
                           ("prescribed", [r for r in done if not r.adopted])):
        out[approach] = {
            "achieved_rate": rate(sum(1 for r in rows if r.achieved), len(rows), min_n=min_decisions,
                                  noun="done request"),
            "on_time_rate": rate(sum(1 for r in rows if r.on_time), len(rows), min_n=min_decisions,
                                 noun="done request")}
    return out


def by(records: Iterable[SupportRequest], key: Callable[[SupportRequest], Hashable]
       ) -> dict[Hashable, list[SupportRequest]]:
    out: dict[Hashable, list[SupportRequest]] = {}
    for r in records:
        out.setdefault(key(r), []).append(r)
    return out


def flatten(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Figures with each :class:`Rate` spread into ``name``, ``name_n``, ... columns."""
    out: dict[str, Any] = {}
    for k, v in figures.items():
        out.update(v.flat(k) if isinstance(v, Rate) else {k: v})
    return out
