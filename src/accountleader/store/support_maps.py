"""Support maps as people entered them, and their history (keyword-only repository functions).

A map's stored rows are the stakeholders and backers a person confirmed or entered; the CRM
draft they are laid over lives in the results (see :mod:`accountleader.support_maps`, which
also decides who may read or write which deal: these functions are given deal ids already
checked against the caller's Scope).

Every write is one transaction and names the version it was made to; a write to an older
version raises :class:`~accountleader.errors.EditConflict` naming who changed what since, and
writes nothing (optimistic concurrency). Every changed field is kept in the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.support_map import Backer, Stakeholder
from ..domain.support_map_edits import Change
from ..errors import EditConflict
from .db import Store
from .models import SupportBacker, SupportMapEvent, SupportMapRecord, SupportStakeholder, utcnow


@dataclass(frozen=True)
class StoredMap:
    """What is stored of one deal's map (no draft in it)."""

    opportunity_id: str
    version: int = 0  # 0: nothing stored
    updated_by: str | None = None
    updated_at: datetime | None = None
    stakeholders: tuple[Stakeholder, ...] = ()
    backers: tuple[Backer, ...] = ()


@dataclass(frozen=True)
class MapWrite:
    """One deal's whole stored map after an edit, made to ``version``, with what it changed."""

    opportunity_id: str
    version: int
    stakeholders: Sequence[Stakeholder]
    backers: Sequence[Backer]
    changes: Sequence[Change]
    deal_name: str | None = None  # for messages
    owner_id: str | None = None  # the deal's CRM owner and account now
    account_id: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str | None
    version: int
    change: Change

    def as_dict(self) -> dict[str, Any]:
        c = self.change
        return {"at": self.at.isoformat(timespec="seconds"), "actor": self.actor, "version": self.version,
                "kind": c.kind, "subject_id": c.subject_id, "subject_name": c.subject_name, "field": c.field,
                "old": c.old, "new": c.new, "text": c.text}


# -- reading ----------------------------------------------------------------------------------


#: Deal ids per query: SQLite binds at most 32,766 parameters (older builds 999) and PostgreSQL 65,535.
IDS_PER_READ = 900


def read_maps(store: Store, *, opportunity_ids: Iterable[str]) -> dict[str, StoredMap]:
    """The stored maps of these deals (deals with nothing stored are left out), in three reads
    per IDS_PER_READ deals."""
    ids = sorted(set(opportunity_ids))
    out: dict[str, StoredMap] = {}
    for start in range(0, len(ids), IDS_PER_READ):
        out |= _read_maps(store, ids[start:start + IDS_PER_READ])
    return out


def _read_maps(store: Store, ids: list[str]) -> dict[str, StoredMap]:
    with store.session() as s:
        heads = s.scalars(select(SupportMapRecord).where(SupportMapRecord.opportunity_id.in_(ids))).all()
        people: dict[str, list[Stakeholder]] = defaultdict(list)
        for r in s.scalars(select(SupportStakeholder).where(SupportStakeholder.opportunity_id.in_(ids))
                           .order_by(SupportStakeholder.id)):
            people[r.opportunity_id].append(Stakeholder(
                r.contact_id, stance=r.stance, influence=r.influence, access=r.access,
                via_contact_id=r.via_contact_id, note=r.note, inferred=False, evidence=None))
        backers: dict[str, list[Backer]] = defaultdict(list)
        for b in s.scalars(select(SupportBacker).where(SupportBacker.opportunity_id.in_(ids)).order_by(SupportBacker.id)):
            backers[b.opportunity_id].append(Backer(b.user_id, function=b.function, ask=b.ask,
                                                    commitment=b.commitment, due_date=b.due_date, inferred=False))
        return {h.opportunity_id: StoredMap(h.opportunity_id, h.version, h.updated_by, h.updated_at,
                                            tuple(people[h.opportunity_id]), tuple(backers[h.opportunity_id]))
                for h in heads}


def backed_by(store: Store, *, user_id: str) -> list[str]:
    """The deals whose stored map lists this CRM user as a backer."""
    with store.session() as s:
        return sorted(set(s.scalars(select(SupportBacker.opportunity_id).where(SupportBacker.user_id == user_id))))


def history(store: Store, *, opportunity_id: str) -> list[HistoryEntry]:
    """Who changed what, when, on one deal's map: newest first."""
    with store.session() as s:
        rows = s.scalars(select(SupportMapEvent).where(SupportMapEvent.opportunity_id == opportunity_id)
                         .order_by(SupportMapEvent.id.desc()))
        return [_entry(e) for e in rows]


def _entry(e: SupportMapEvent) -> HistoryEntry:
    return HistoryEntry(e.at, e.actor, e.version, Change(e.kind, e.subject_id, e.subject_name, e.field, e.old, e.new))


# -- writing ----------------------------------------------------------------------------------


def write_maps(store: Store, *, writes: Sequence[MapWrite], by: str | None) -> dict[str, int]:
    """Write every map in one transaction: all or nothing. Returns each deal's new version.
    A write with no change writes nothing for that deal (its version stays)."""
    with store.session() as s:
        return {w.opportunity_id: _write(s, w, by) for w in writes}


def _write(s: Session, w: MapWrite, by: str | None) -> int:
    head = s.get(SupportMapRecord, w.opportunity_id)
    current = head.version if head is not None else 0
    if current != w.version:
        raise _conflict(s, w, current)
    if not w.changes:
        return current
    now, new_version = utcnow(), w.version + 1
    if head is None:
        s.add(SupportMapRecord(opportunity_id=w.opportunity_id, owner_id=w.owner_id, account_id=w.account_id,
                               version=new_version, created_at=now, updated_at=now, updated_by=by))
        try:
            s.flush()
        except IntegrityError:  # another first edit of this deal won the race just now
            raise _raced(w) from None
    else:
        done = s.execute(update(SupportMapRecord)
                         .where(SupportMapRecord.opportunity_id == w.opportunity_id,
                                SupportMapRecord.version == w.version)
                         .values(version=new_version, updated_at=now, updated_by=by, owner_id=w.owner_id,
                                 account_id=w.account_id)
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]  # another edit won the race just now
            raise _raced(w)
    s.execute(delete(SupportStakeholder).where(SupportStakeholder.opportunity_id == w.opportunity_id))
    s.execute(delete(SupportBacker).where(SupportBacker.opportunity_id == w.opportunity_id))
    s.add_all(SupportStakeholder(opportunity_id=w.opportunity_id, contact_id=p.contact_id, stance=p.stance,
                                 influence=p.influence, access=p.access, via_contact_id=p.via_contact_id, note=p.note)
              for p in w.stakeholders)
    s.add_all(SupportBacker(opportunity_id=w.opportunity_id, user_id=b.user_id, function=b.function, ask=b.ask,
                            commitment=b.commitment, due_date=b.due_date) for b in w.backers)
    s.add_all(SupportMapEvent(opportunity_id=w.opportunity_id, at=now, actor=by, version=new_version, kind=c.kind,
                              subject_id=c.subject_id, subject_name=c.subject_name, field=c.field, old=c.old,
                              new=c.new) for c in w.changes)
    s.flush()
    return new_version


def _deal(w: MapWrite) -> str:
    return f"the support map of {w.deal_name or w.opportunity_id}"


def _raced(w: MapWrite) -> EditConflict:
    return EditConflict(f"{_deal(w)} was changed by someone else just now (after version {w.version}); "
                        "nothing of your edit was saved: reload it and make your change again.",
                        details={"opportunity_id": w.opportunity_id, "your_version": w.version})


def _conflict(s: Session, w: MapWrite, current: int) -> EditConflict:
    """The refusal of a write made to an older version, naming who changed what since."""
    events = s.scalars(select(SupportMapEvent).where(SupportMapEvent.opportunity_id == w.opportunity_id,
                                                     SupportMapEvent.version > w.version)
                       .order_by(SupportMapEvent.id)).all()
    by_version: dict[int, list[SupportMapEvent]] = defaultdict(list)
    for e in events:
        by_version[e.version].append(e)
    said = [f"{es[0].actor or 'someone'} changed it at {es[0].at:%Y-%m-%d %H:%M} UTC: "
            + "; ".join(_entry(e).change.text for e in es) for _, es in sorted(by_version.items())]
    if w.version > current:
        head = f"{_deal(w)} has no version {w.version}"
    else:
        head = f"{_deal(w)} was changed after the version you edited ({w.version}): " + ("; then ".join(said)
                                                                                      or "by someone else")
    return EditConflict(
        f"{head}. It is now at version {current}; nothing of your edit was saved: reload it and make your "
        "change again.",
        details={"opportunity_id": w.opportunity_id, "your_version": w.version, "current_version": current,
                 "changed_by": sorted({e.actor or "someone" for e in events}),
                 "changes": [_entry(e).as_dict() for e in events]},
    )
