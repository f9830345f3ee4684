"""The audit log: logins (good and bad) and admin actions, newest first when read.

``note`` writes inside the caller's unit of work, so an action and its record commit together;
``record`` is its own unit of work (logins, imports, settings saves).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from .db import Store
from .models import AuditEvent

MAX_LIST = 10_000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    event: str
    actor: str | None
    subject: str | None
    address: str | None
    success: bool
    detail: dict[str, Any] | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds"),
            "event": self.event,
            "actor": self.actor,
            "subject": self.subject,
            "address": self.address,
            "success": self.success,
            "detail": self.detail,
        }


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


def note(s: Session, *, event: str, actor: str | None = None, subject: str | None = None,
         address: str | None = None, success: bool = True, detail: dict[str, Any] | None = None) -> None:
    """Add one entry to the open unit of work ``s``."""
    s.add(AuditEvent(
        event=event[:40], actor=_clip(actor, 150), subject=_clip(subject, 150), address=_clip(address, 64),
        success=success, detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
    ))


def record(store: Store, *, event: str, actor: str | None = None, subject: str | None = None,
           address: str | None = None, success: bool = True, detail: dict[str, Any] | None = None) -> None:
    with store.session() as s:
        note(s, event=event, actor=actor, subject=subject, address=address, success=success, detail=detail)


def list_audit(store: Store, *, limit: int = 50) -> list[AuditEntry]:
    """The newest ``limit`` entries."""
    if not 1 <= limit <= MAX_LIST:
        raise InputError(f"limit must be between 1 and {MAX_LIST}", value=str(limit))
    with store.session() as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
        return [AuditEntry(r.id, r.at, r.event, r.actor, r.subject, r.address, r.success,
                           json.loads(r.detail) if r.detail else None) for r in rows]
