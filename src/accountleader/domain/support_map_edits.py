"""Edits to a support map: checking what a person entered, and what an edit changed.

Pure, like :mod:`accountleader.domain.support_map` (whose vocabulary it uses): the store keeps
the rows and the history, the service decides who may write; this module says whether a row
is valid (a :class:`FieldError` naming the field and value otherwise) and lists the changes
between the map before and after an edit, one per field, in plain words
("stance of Ana Ruiz: neutral → champion"). The history keeps those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .support_map import CHOICES, Backer, Stakeholder, SupportMap

__all__ = ["BACKER_FIELDS", "STAKEHOLDER_FIELDS", "Change", "FieldError", "backer_from", "diff", "stakeholder_from"]

#: What a person sets on a stakeholder and on a backer (the rest comes from the CRM).
STAKEHOLDER_FIELDS = ("stance", "influence", "access", "via_contact_id", "note")
BACKER_FIELDS = ("function", "ask", "commitment", "due_date")
MAX_ID = 64
MAX_TEXT = 2000


class FieldError(ValueError):
    """One bad value: ``field`` and ``value`` as given, ``reason`` in plain words."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.value, self.reason = field, value, reason


def _choice(field: str, value: object, default: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if text not in CHOICES[field]:
        raise FieldError(field, value, f"{value!r} is not one of: {', '.join(CHOICES[field])}")
    return text


def _id(field: str, value: object, *, required: bool) -> str | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise FieldError(field, value, "is empty")
        return None
    if len(text) > MAX_ID:
        raise FieldError(field, value, f"is longer than {MAX_ID} characters")
    return text


def _text(field: str, value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    if len(text) > MAX_TEXT:
        raise FieldError(field, value, f"is longer than {MAX_TEXT} characters")
    return text or None


def _day(field: str, value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, value, f"{value!r} is not a date (YYYY-MM-DD)") from None


def stakeholder_from(values: Mapping[str, Any], base: Stakeholder | None = None) -> Stakeholder:
    """A stakeholder row from what a person entered; fields not given keep ``base``'s (the
    row as it stands), else the defaults. FieldError on a bad value."""
    contact_id = _id("contact_id", values.get("contact_id", base.contact_id if base else None), required=True)
    assert contact_id is not None
    start = base or Stakeholder(contact_id)

    def given(name: str) -> Any:
        return values[name] if name in values else getattr(start, name)

    access = _choice("access", given("access"), "direct")
    via = _id("via_contact_id", given("via_contact_id"), required=False)
    # a row the draft already has as "through" (the intermediary unknown to the CRM) may stay so;
    # a person who says "through" names who through
    if access == "through" and via is None and start.access != "through":
        raise FieldError("via_contact_id", None, "access 'through' needs the contact it goes through")
    if via == contact_id:
        raise FieldError("via_contact_id", via, "a contact cannot be reached through themself")
    return replace(start, contact_id=contact_id, stance=_choice("stance", given("stance"), "neutral"),
                   influence=_choice("influence", given("influence"), "medium"), access=access,
                   via_contact_id=via if access == "through" else None, note=_text("note", given("note")),
                   inferred=False, evidence=None)


def backer_from(values: Mapping[str, Any], base: Backer | None = None) -> Backer:
    """A backer row from what a person entered, like :func:`stakeholder_from`."""
    user_id = _id("user_id", values.get("user_id", base.user_id if base else None), required=True)
    assert user_id is not None
    start = base or Backer(user_id)

    def given(name: str) -> Any:
        return values[name] if name in values else getattr(start, name)

    return replace(start, user_id=user_id, function=_choice("function", given("function"), "other"),
                   ask=_text("ask", given("ask")), commitment=_choice("commitment", given("commitment"), "asked"),
                   due_date=_day("due_date", given("due_date")), inferred=False)


@dataclass(frozen=True)
class Change:
    """One field of one person changed by one edit."""

    kind: str  # "stakeholder" or "backer"
    subject_id: str  # contact id or CRM user id
    subject_name: str | None
    field: str  # a field name, or "added", "removed", "confirmed"
    old: str | None
    new: str | None

    @property
    def text(self) -> str:
        who = self.subject_name or self.subject_id
        if self.field == "added":
            return f"added {who} ({self.new})"
        if self.field == "removed":
            return f"removed {who} (was {self.old})"
        if self.field == "confirmed":
            return f"{who}: {self.old} → {self.new}"
        return f"{self.field.replace('_', ' ')} of {who}: {self.old or '—'} → {self.new or '—'}"


def _shown(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _summary(row: Stakeholder | Backer) -> str:
    if isinstance(row, Stakeholder):
        return f"{row.stance}, {row.influence} influence, {row.access}"
    return f"{row.function}, {row.commitment}"


def _rows(kind: str, before: tuple[Any, ...], after: tuple[Any, ...], key: str,
          names: tuple[str, ...]) -> list[Change]:
    old = {getattr(r, key): r for r in before}
    new = {getattr(r, key): r for r in after}
    out: list[Change] = []
    for ident in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(ident), new.get(ident)
        name = (b.name if b is not None else None) or (a.name if a is not None else None)
        if a is None and b is not None:
            out.append(Change(kind, ident, name, "added", None, _summary(b)))
            continue
        if b is None and a is not None:
            out.append(Change(kind, ident, name, "removed", _summary(a), None))
            continue
        assert a is not None and b is not None
        changed = [Change(kind, ident, name, f, _shown(getattr(a, f)), _shown(getattr(b, f)))
                   for f in names if getattr(a, f) != getattr(b, f)]
        if a.inferred != b.inferred and not changed:
            changed.append(Change(kind, ident, name, "confirmed", "inferred" if a.inferred else "confirmed",
                                  "inferred" if b.inferred else "confirmed"))
        out.extend(changed)
    return out


def diff(before: SupportMap, after: SupportMap) -> list[Change]:
    """What changed from ``before`` to ``after`` (both as people see them: the draft with the
    stored rows laid over it), stakeholders first, each in the map's order. A row that was
    inferred and is now confirmed unchanged is one "confirmed" change; a stored row dropped
    again shows as its values going back to the draft's (or as removed, without a draft row)."""
    return (_rows("stakeholder", before.stakeholders, after.stakeholders, "contact_id", STAKEHOLDER_FIELDS)
            + _rows("backer", before.backers, after.backers, "user_id", BACKER_FIELDS))
