"""Support requests and their history (keyword-only repository functions; issue 15).

Who may see which request is decided by the service (:mod:`accountleader.requests`), which
passes the filter down: ``read_requests(..., requester_ids=..., assignee_ids=...)`` is a
``WHERE`` of the query, never a filter after it.

Every write is one transaction made to a version; a write to an older version raises
:class:`~accountleader.errors.EditConflict` naming who changed what since, and writes nothing.
Every changed field is kept in ``support_request_events``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..domain.requests import Change, SupportRequest
from ..errors import EditConflict, NotFoundError
from .db import Store
from .models import SupportRequestEvent, SupportRequestRecord

_COLUMNS = tuple(f.name for f in fields(SupportRequest))


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    by: int | None
    actor: str | None
    version: int
    change: Change

    def as_dict(self) -> dict[str, Any]:
        c = self.change
        return {"at": self.at.isoformat(timespec="seconds"), "by": self.by, "actor": self.actor,
                "version": self.version, "action": c.action, "field": c.field, "old": c.old, "new": c.new}


def _record(row: SupportRequestRecord) -> SupportRequest:
    return SupportRequest(**{k: getattr(row, k) for k in _COLUMNS})


# -- reading ----------------------------------------------------------------------------------


def read_requests(store: Store, *, ids: Iterable[int] | None = None, requester_ids: Iterable[int] | None = None,
                  assignee_ids: Iterable[int] | None = None, status: str | None = None) -> list[SupportRequest]:
    """Requests, oldest first. ``requester_ids`` / ``assignee_ids``: only those made by or
    assigned to these users (either matches); both None: every request."""
    q = select(SupportRequestRecord).order_by(SupportRequestRecord.id)
    if ids is not None:
        q = q.where(SupportRequestRecord.id.in_(sorted(set(ids))))
    if requester_ids is not None or assignee_ids is not None:
        q = q.where(or_(SupportRequestRecord.requester_id.in_(sorted(set(requester_ids or ()))),
                        SupportRequestRecord.assignee_id.in_(sorted(set(assignee_ids or ())))))
    if status is not None:
        q = q.where(SupportRequestRecord.status == status)
    with store.session() as s:
        return [_record(r) for r in s.scalars(q)]


def get_request(store: Store, *, request_id: int) -> SupportRequest:
    with store.session() as s:
        row = s.get(SupportRequestRecord, request_id)
        if row is None:
            raise NotFoundError(f"no request {request_id}")
        return _record(row)


def history(store: Store, *, request_id: int) -> list[HistoryEntry]:
    """Who changed what, when, on one request: newest first."""
    with store.session() as s:
        rows = s.scalars(select(SupportRequestEvent).where(SupportRequestEvent.request_id == request_id)
                         .order_by(SupportRequestEvent.id.desc()))
        return [_entry(e) for e in rows]


def _entry(e: SupportRequestEvent) -> HistoryEntry:
    return HistoryEntry(e.at, e.by, e.actor, e.version, Change(e.action, e.field, e.old, e.new))


def quote_requests(store: Store) -> list[tuple[str, str | None, datetime]]:
    """Quote requests made through the desk, for the quote turnaround metric: ``(opportunity_id,
    quote_id or None, created_at)`` of every request of kind ``quote`` with a deal, cancelled
    ones left out (nothing was asked in the end), oldest first."""
    q = (select(SupportRequestRecord.opportunity_id, SupportRequestRecord.quote_id, SupportRequestRecord.created_at)
         .where(SupportRequestRecord.kind == "quote", SupportRequestRecord.opportunity_id.is_not(None),
                SupportRequestRecord.status != "cancelled")
         .order_by(SupportRequestRecord.created_at, SupportRequestRecord.id))
    with store.session() as s:
        return [(str(o), q_id, at) for o, q_id, at in s.execute(q)]


# -- writing ----------------------------------------------------------------------------------


def add_request(store: Store, *, request: SupportRequest, changes: Sequence[Change], by: int | None,
                actor: str | None) -> SupportRequest:
    """Store a new request (version 1) and its first history rows; returns it with its id."""
    values = {k: getattr(request, k) for k in _COLUMNS if k not in ("id", "version")}
    with store.session() as s:
        row = SupportRequestRecord(**values, version=1)
        s.add(row)
        s.flush()
        _events(s, row.id, 1, request.created_at or datetime.now().astimezone(), changes, by, actor)
        s.flush()
        return _record(row)


def write_request(store: Store, *, request: SupportRequest, version: int, changes: Sequence[Change],
                  by: int | None, actor: str | None, at: datetime) -> SupportRequest:
    """Write ``request`` (its changed fields) over the stored one if that is still at ``version``;
    EditConflict otherwise, naming who changed what since. Returns it at its new version."""
    assert request.id is not None
    with store.session() as s:
        current = s.get(SupportRequestRecord, request.id)
        if current is None:
            raise NotFoundError(f"no request {request.id}")
        if current.version != version:
            raise _conflict(s, request.id, version, current.version)
        values = {c.field: getattr(request, c.field) for c in changes if c.field in _COLUMNS}
        done = s.execute(update(SupportRequestRecord)
                         .where(SupportRequestRecord.id == request.id, SupportRequestRecord.version == version)
                         .values(**values, version=version + 1)
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]  # another change won the race just now
            raise EditConflict(f"request {request.id} was changed by someone else just now (after version "
                               f"{version}); nothing of your change was saved: reload it and try again.",
                               details={"request_id": request.id, "your_version": version})
        _events(s, request.id, version + 1, at, changes, by, actor)
        s.flush()
        s.expire_all()
        row = s.get(SupportRequestRecord, request.id)
        assert row is not None
        return _record(row)


def check_version(store: Store, *, request_id: int, version: int) -> None:
    """EditConflict naming who changed what since, when ``version`` is not the stored one: a
    change made on a stale view is refused as a conflict before its rules are judged against a
    request that has moved on."""
    with store.session() as s:
        current = s.get(SupportRequestRecord, request_id)
        if current is not None and current.version != version:
            raise _conflict(s, request_id, version, current.version)


def _events(s: Session, request_id: int, version: int, at: datetime, changes: Sequence[Change], by: int | None,
            actor: str | None) -> None:
    s.add_all(SupportRequestEvent(request_id=request_id, at=at, by=by, actor=actor, version=version,
                                  action=c.action, field=c.field, old=c.old, new=c.new) for c in changes)


def _conflict(s: Session, request_id: int, version: int, current: int) -> EditConflict:
    events = s.scalars(select(SupportRequestEvent).where(SupportRequestEvent.request_id == request_id,
                                                         SupportRequestEvent.version > version)
                       .order_by(SupportRequestEvent.id)).all()
    by_version: dict[int, list[SupportRequestEvent]] = defaultdict(list)
    for e in events:
        by_version[e.version].append(e)
    said = [f"{es[0].actor or 'someone'} ({es[0].action}) at {es[0].at:%Y-%m-%d %H:%M} UTC changed "
            + ", ".join(f"{e.field} {e.old or '-'} → {e.new or '-'}" for e in es) for _, es in sorted(by_version.items())]
    if version > current:
        head = f"request {request_id} has no version {version}"
    else:
        head = f"request {request_id} was changed after the version you saw ({version}): " + (
            "; then ".join(said) or "by someone else")
    return EditConflict(
        f"{head}. It is now at version {current}; nothing of your change was saved: reload it and try again.",
        details={"request_id": request_id, "your_version": version, "current_version": current,
                 "changed_by": sorted({e.actor or "someone" for e in events}),
                 "changes": [_entry(e).as_dict() for e in events]})
