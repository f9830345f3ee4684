"""Playbooks, their history and their alerts (keyword-only repository functions).

Who may see a playbook is decided here, as a filter in each query: the playbook's deal or
account must be owned by a seller the caller's Scope sees (or, for support, be on an assigned
account). Who may change one: anyone who sees it, except support people, who change only the
playbooks they own. Ids outside the scope answer exactly like ids that do not exist.

Every edit names the version it was made to; an edit to an older version is refused with
:class:`~accountleader.errors.EditConflict`, naming who changed what since (optimistic
concurrency), never applied over the other change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.orm import Session

from ..domain import playbooks as rules
from ..domain.access import EVERYONE, Scope
from ..errors import EditConflict, InputError, NotFoundError, PermissionDenied
from .db import Store
from .models import Playbook, PlaybookAlert, PlaybookEvent, User, utcnow

#: What a person may change on a playbook (owner_user_id is "assign").
EDITABLE = ("title", "actions", "due_date", "status", "owner_user_id", "trigger_kind", "trigger_params")
SYSTEM = "analyze"  # the actor of firings and re-arming


@dataclass(frozen=True)
class PlaybookPublic:
    id: int
    subject_kind: str
    subject_id: str
    subject_name: str | None
    subject_owner_id: str | None
    subject_account_id: str | None
    title: str
    trigger_kind: str
    trigger_params: dict[str, int]
    actions: str
    owner_user_id: int
    owner_username: str
    owner_crm_user_id: str | None
    due_date: date
    status: str
    version: int
    trigger_state: str
    fired_as_of: datetime | None
    last_checked_as_of: datetime | None
    last_check: str | None
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None

    @property
    def trigger(self) -> str:
        return rules.TRIGGERS[self.trigger_kind].describe(self.trigger_params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "subject_kind": self.subject_kind, "subject_id": self.subject_id,
            "subject_name": self.subject_name, "subject_owner_id": self.subject_owner_id,
            "subject_account_id": self.subject_account_id, "title": self.title,
            "trigger_kind": self.trigger_kind, "trigger_params": self.trigger_params, "trigger": self.trigger,
            "actions": self.actions, "owner": self.owner_username, "owner_user_id": self.owner_user_id,
            "owner_crm_user_id": self.owner_crm_user_id, "due_date": self.due_date.isoformat(),
            "status": self.status, "version": self.version, "trigger_state": self.trigger_state,
            "fired_as_of": _iso(self.fired_as_of), "last_checked_as_of": _iso(self.last_checked_as_of),
            "last_check": self.last_check, "created_at": _iso(self.created_at), "created_by": self.created_by,
            "updated_at": _iso(self.updated_at), "updated_by": self.updated_by,
        }


@dataclass(frozen=True)
class PlaybookAlertPublic:
    id: int
    playbook_id: int
    title: str
    subject_kind: str
    subject_id: str
    subject_name: str | None
    trigger: str
    as_of: datetime
    fired_at: datetime
    evidence: str
    owner_user_id: int
    owner_username: str
    due_date: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "playbook_id": self.playbook_id, "title": self.title, "subject_kind": self.subject_kind,
            "subject_id": self.subject_id, "subject_name": self.subject_name, "trigger": self.trigger,
            "as_of": _iso(self.as_of), "fired_at": _iso(self.fired_at), "evidence": self.evidence,
            "owner": self.owner_username, "owner_user_id": self.owner_user_id, "due_date": self.due_date.isoformat(),
        }


@dataclass(frozen=True)
class PlaybookEventPublic:
    at: datetime
    actor: str | None
    event: str
    version: int
    changes: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"at": _iso(self.at), "actor": self.actor, "event": self.event, "version": self.version,
                "changes": self.changes}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _public(p: Playbook, owner: User) -> PlaybookPublic:
    return PlaybookPublic(
        p.id, p.subject_kind, p.subject_id, p.subject_name, p.subject_owner_id, p.subject_account_id, p.title,
        p.trigger_kind, json.loads(p.trigger_params), p.actions, p.owner_user_id, owner.username, owner.crm_user_id,
        p.due_date, p.status, p.version, p.trigger_state, p.fired_as_of, p.last_checked_as_of, p.last_check,
        p.created_at, p.created_by, p.updated_at, p.updated_by,
    )


def visible(scope: Scope) -> ColumnElement[bool] | None:
    """The Scope as a condition on playbooks (None: every playbook), as ``Scope.owns`` on results."""
    if scope.user_ids is None:
        return None
    conds: list[ColumnElement[bool]] = []
    if scope.user_ids:
        conds.append(Playbook.subject_owner_id.in_(sorted(scope.user_ids)))
    if scope.account_ids:
        conds.append(Playbook.subject_account_id.in_(sorted(scope.account_ids)))
    return or_(*conds) if conds else false()


def _scoped(query: Any, scope: Scope) -> Any:
    cond = visible(scope)
    return query if cond is None else query.where(cond)


def _owner(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None or not user.active:
        raise InputError(f"no active user with id {user_id} to own the playbook", column="owner", value=str(user_id))
    return user


def _note(s: Session, p: Playbook, *, actor: str | None, event: str, changes: Mapping[str, Any] | None = None) -> None:
    s.add(PlaybookEvent(playbook_id=p.id, actor=actor, event=event, version=p.version,
                        changes=json.dumps(changes, sort_keys=True, default=str) if changes else None))


# -- writing ----------------------------------------------------------------------------------


def create_playbook(store: Store, *, subject_kind: str, subject_id: str, subject_name: str | None,
                    subject_owner_id: str | None, subject_account_id: str | None, title: str, trigger_kind: str,
                    trigger_params: Mapping[str, Any] | None, actions: str, owner_user_id: int,
                    due_date: date | str, by: str | None) -> PlaybookPublic:
    """A new open playbook, armed. The subject's CRM owner and account are given by the caller,
    who checked the subject exists and is visible (see accountleader.playbooks)."""
    kind = rules.check_subject_kind(subject_kind)
    params = rules.trigger_params(trigger_kind, trigger_params)
    fields = {"title": rules.check_title(title), "actions": rules.check_actions(actions),
              "due_date": rules.check_due(due_date)}
    with store.session() as s:
        owner = _owner(s, owner_user_id)
        p = Playbook(subject_kind=kind, subject_id=subject_id, subject_name=subject_name,
                     subject_owner_id=subject_owner_id, subject_account_id=subject_account_id,
                     trigger_kind=trigger_kind, trigger_params=json.dumps(params, sort_keys=True),
                     owner_user_id=owner.id, status="open", version=1, trigger_state="armed",
                     created_by=by, updated_by=by, **fields)
        s.add(p)
        s.flush()
        _note(s, p, actor=by, event="created", changes={
            "subject": f"{kind} {subject_id}", "title": p.title, "trigger": rules.TRIGGERS[trigger_kind].describe(params),
            "owner": owner.username, "due_date": p.due_date.isoformat()})
        return _public(p, owner)


def _value(p: Playbook, name: str) -> Any:
    value = getattr(p, name)
    return json.loads(value) if name == "trigger_params" else value


def _checked(p: Playbook, changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"cannot change {', '.join(unknown)} of a playbook; editable: {', '.join(EDITABLE)}",
                         column=unknown[0])
    out: dict[str, Any] = {}
    kind = changes.get("trigger_kind", p.trigger_kind)
    for name, raw in changes.items():
        if name == "title":
            out[name] = rules.check_title(raw)
        elif name == "actions":
            out[name] = rules.check_actions(raw)
        elif name == "due_date":
            out[name] = rules.check_due(raw)
        elif name == "status":
            out[name] = rules.check_status(raw)
        elif name == "owner_user_id":
            out[name] = int(raw)
        elif name == "trigger_kind":
            rules.trigger_params(raw, {})  # a known kind
            out[name] = raw
    if "trigger_kind" in changes or "trigger_params" in changes:
        given = changes.get("trigger_params")
        if given is None and kind == p.trigger_kind:
            given = json.loads(p.trigger_params)
        out["trigger_params"] = rules.trigger_params(kind, given)
    return {k: v for k, v in out.items() if v != _value(p, k)}


def _shown(name: str, value: Any, s: Session) -> Any:
    if name == "owner_user_id":
        user = s.get(User, value)
        return user.username if user else value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _label(name: str) -> str:
    return {"owner_user_id": "owner", "due_date": "due date", "trigger_kind": "trigger",
            "trigger_params": "trigger parameters"}.get(name, name)


def _conflict(s: Session, p: Playbook, version: int) -> EditConflict:
    events = s.scalars(select(PlaybookEvent).where(PlaybookEvent.playbook_id == p.id, PlaybookEvent.version > version)
                       .order_by(PlaybookEvent.id)).all()
    said = []
    for e in events:
        changes = json.loads(e.changes) if e.changes else {}
        what = "; ".join(f"{k} {v[0]} → {v[1]}" if isinstance(v, list) and len(v) == 2 else f"{k} {v}"
                         for k, v in changes.items())
        said.append(f"{e.actor or 'someone'} at {e.at:%Y-%m-%d %H:%M} UTC {e.event} it{': ' + what if what else ''}")
    return EditConflict(
        f"playbook {p.id} was changed after the version you edited ({version}): "
        + ("; then ".join(said) or "by someone else")
        + f". It is now at version {p.version}; nothing of your edit was saved: reload it and make your change again.",
        details={"playbook_id": p.id, "your_version": version, "current_version": p.version,
                 "changed_by": sorted({e.actor or "someone" for e in events})},
    )


def may_edit(p: PlaybookPublic | Playbook, *, scope: Scope, user_id: int | None) -> bool:
    """Anyone who sees the playbook may change it, except support people: only their own."""
    return scope.role != "support" or (user_id is not None and p.owner_user_id == user_id)


def update_playbook(store: Store, *, playbook_id: int, version: int, changes: Mapping[str, Any],
                    scope: Scope = EVERYONE, user_id: int | None = None, by: str | None = None) -> PlaybookPublic:
    """Apply ``changes`` (any of EDITABLE) made to ``version``; the version goes up by one.

    Raises NotFoundError outside the scope, PermissionDenied when the caller may see but not
    change it, EditConflict when the playbook is no longer at ``version``. Changing the trigger
    arms it again; assigning checks the new owner is an active user."""
    with store.session() as s:
        p = s.scalar(_scoped(select(Playbook).where(Playbook.id == playbook_id), scope))
        if p is None:
            raise NotFoundError(f"no playbook {playbook_id}")
        if not may_edit(p, scope=scope, user_id=user_id):
            raise PermissionDenied("a support member changes only the playbooks they own")
        if p.version != version:
            raise _conflict(s, p, version)
        diff = _checked(p, changes)
        if "owner_user_id" in diff:
            _owner(s, diff["owner_user_id"])
        if not diff:
            return _public(p, s.get(User, p.owner_user_id))  # type: ignore[arg-type]
        values: dict[str, Any] = {k: (json.dumps(v, sort_keys=True) if k == "trigger_params" else v)
                                  for k, v in diff.items()}
        if "trigger_kind" in diff or "trigger_params" in diff:
            values |= {"trigger_state": "armed", "fired_as_of": None}
        values |= {"version": version + 1, "updated_at": utcnow(), "updated_by": by}
        said = {_label(k): [_shown(k, _value(p, k), s), _shown(k, v, s)] for k, v in diff.items()}
        done = s.execute(update(Playbook).where(Playbook.id == playbook_id, Playbook.version == version)
                         .values(**values).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]  # another edit won the race just now
            raise EditConflict(f"playbook {playbook_id} was changed by someone else just now (after version {version}); "
                               "nothing of your edit was saved: reload it and make your change again.",
                               details={"playbook_id": playbook_id, "your_version": version})
        s.expire(p)
        event = ("closed" if diff.get("status") == "closed" else "reopened" if diff.get("status") == "open"
                 else "assigned" if set(diff) == {"owner_user_id"} else "edited")
        _note(s, p, actor=by, event=event, changes=said)
        return _public(p, s.get(User, p.owner_user_id))  # type: ignore[arg-type]


def record_check(store: Store, *, playbook_id: int, as_of: datetime, met: bool | None, evidence: str,
                 subject: Mapping[str, str | None] | None = None) -> bool:
    """Note what an analyze found for one playbook; True when its trigger fires now.

    It fires once: at the first check that meets it while armed and open (an alert is kept),
    then stays fired while the trigger stays met. A check at a later as-of that no longer meets
    it arms it again; a closed playbook never fires. ``subject``: the deal's or account's name,
    CRM owner and account as these results have them."""
    with store.session() as s:
        p = s.get(Playbook, playbook_id)
        if p is None:
            return False
        p.last_checked_as_of, p.last_check = as_of, evidence
        for key, value in (subject or {}).items():
            if value is not None:
                setattr(p, f"subject_{key}", value)
        if met and p.trigger_state == "armed" and p.status == "open":
            fired = s.execute(update(Playbook).where(Playbook.id == p.id, Playbook.trigger_state == "armed",
                                                     Playbook.status == "open")
                              .values(trigger_state="fired", fired_as_of=as_of)
                              .execution_options(synchronize_session=False))
            if fired.rowcount == 1:  # type: ignore[attr-defined]
                s.add(PlaybookAlert(playbook_id=p.id, as_of=as_of, owner_user_id=p.owner_user_id, evidence=evidence))
                _note(s, p, actor=SYSTEM, event="fired", changes={"as_of": as_of.isoformat(), "evidence": evidence})
                return True
        elif met is False and p.trigger_state == "fired" and p.fired_as_of is not None and as_of > p.fired_as_of:
            p.trigger_state, p.fired_as_of = "armed", None
            _note(s, p, actor=SYSTEM, event="rearmed", changes={"as_of": as_of.isoformat(), "evidence": evidence})
        return False


# -- reading ----------------------------------------------------------------------------------


def get_playbook(store: Store, *, playbook_id: int, scope: Scope = EVERYONE) -> PlaybookPublic:
    with store.session() as s:
        row = s.execute(_scoped(select(Playbook, User).join(User, User.id == Playbook.owner_user_id)
                                .where(Playbook.id == playbook_id), scope)).first()
        if row is None:
            raise NotFoundError(f"no playbook {playbook_id}")
        return _public(*row)


def list_playbooks(store: Store, *, scope: Scope = EVERYONE, status: str | None = None,
                   owner_user_id: int | None = None, subject_ids: Sequence[str] | None = None) -> list[PlaybookPublic]:
    """Playbooks the scope sees, open first, then by due date."""
    q = select(Playbook, User).join(User, User.id == Playbook.owner_user_id)
    if status is not None:
        q = q.where(Playbook.status == rules.check_status(status))
    if owner_user_id is not None:
        q = q.where(Playbook.owner_user_id == owner_user_id)
    if subject_ids is not None:
        q = q.where(Playbook.subject_id.in_(list(subject_ids)))
    q = _scoped(q, scope).order_by(Playbook.status.desc(), Playbook.due_date, Playbook.id)
    with store.session() as s:
        return [_public(p, u) for p, u in s.execute(q).all()]


def playbook_history(store: Store, *, playbook_id: int, scope: Scope = EVERYONE) -> list[PlaybookEventPublic]:
    """Who changed what, when: oldest first."""
    get_playbook(store, playbook_id=playbook_id, scope=scope)  # NotFound outside the scope
    with store.session() as s:
        rows = s.scalars(select(PlaybookEvent).where(PlaybookEvent.playbook_id == playbook_id).order_by(PlaybookEvent.id))
        return [PlaybookEventPublic(e.at, e.actor, e.event, e.version, json.loads(e.changes) if e.changes else None)
                for e in rows]


def list_alerts(store: Store, *, scope: Scope = EVERYONE, owner_user_ids: Sequence[int] | None = None,
                playbook_id: int | None = None, active_only: bool = True) -> list[PlaybookAlertPublic]:
    """Fired alerts the scope sees, newest as-of first. ``active_only``: the alert of each open
    playbook whose trigger stands fired (what the cockpit shows); else every firing kept."""
    q = (select(PlaybookAlert, Playbook, User).join(Playbook, Playbook.id == PlaybookAlert.playbook_id)
         .join(User, User.id == Playbook.owner_user_id))
    if active_only:
        q = q.where(and_(Playbook.status == "open", Playbook.trigger_state == "fired",
                         PlaybookAlert.as_of == Playbook.fired_as_of))
    if owner_user_ids is not None:
        q = q.where(Playbook.owner_user_id.in_(list(owner_user_ids)))
    if playbook_id is not None:
        q = q.where(Playbook.id == playbook_id)
    q = _scoped(q, scope).order_by(PlaybookAlert.as_of.desc(), PlaybookAlert.id.desc())
    with store.session() as s:
        out = []
        for a, p, u in s.execute(q).all():
            trigger = rules.TRIGGERS[p.trigger_kind].describe(json.loads(p.trigger_params))
            out.append(PlaybookAlertPublic(a.id, p.id, p.title, p.subject_kind, p.subject_id, p.subject_name, trigger,
                                           a.as_of, a.fired_at, a.evidence, p.owner_user_id, u.username, p.due_date))
        return out


def open_playbook_ids(store: Store) -> list[int]:
    """Every open playbook (what each analyze checks), for the system: no scope."""
    with store.session() as s:
        return list(s.scalars(select(Playbook.id).where(Playbook.status == "open").order_by(Playbook.id)))


def users_linked_to(store: Store, *, crm_user_id: str) -> list[int]:
    """The app users who are this CRM user (a seller's alerts are those of the playbooks they own)."""
    with store.session() as s:
        return list(s.scalars(select(User.id).where(User.crm_user_id == crm_user_id)))
