"""Support requests as the front ends use them (issue 15): asked, proposed, decided, done or
cancelled, by whom, and the figures of consultation, adoption and outcomes.

The workspace hands one out (``Workspace.requests(store)``), like support maps. Who may see a
request is decided here, where it is read (a WHERE of the store's query):

* a support user: the requests assigned to them;
* a seller (rep): the requests they made;
* a manager: the requests made by or assigned to anyone in their team (the app users whose CRM
  user id their Scope sees), and their own;
* an admin, and the command line without ``--as``: every request;
* anything else: the request does not exist (NotFoundError, never a 403 that leaks it).

Who may change one: only the requester decides or cancels (admins included), only the assignee
answers (propose) and records the outcome (done): PermissionDenied otherwise. Each change is
made to a version (EditConflict when it is stale) and emailed to whom it concerns when SMTP is
set up; a failed email is logged and reported, the change stands.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .domain import requests as rules
from .domain.requests import SupportRequest
from .errors import AccountLeaderError, InputError, NotFoundError, PermissionDenied
from .playbooks import CLI, Actor
from .results_reader import ResultsReader
from .store import Store, UserPublic
from .store import requests as records
from .store import users as store_users

__all__ = ["CLI", "Actor", "RequestView", "Requests"]

log = logging.getLogger(__name__)

#: what ``add`` takes besides the assignee
ASK_FIELDS = ("kind", "outcome", "needed_by", "constraints", "opportunity_id", "quote_id")
#: roles that ask (a support user is asked, never asks)
ASKING_ROLES = ("rep", "manager", "admin")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RequestView:
    """A request as the API and the pages show it: the record with people and deal names, and
    ``notification``: what became of the email this change sent (None: none was due)."""

    record: SupportRequest
    requester: Mapping[str, Any]
    assignee: Mapping[str, Any]
    opportunity_name: str | None = None
    account_name: str | None = None
    notification: Mapping[str, Any] | None = None

    @property
    def id(self) -> int:
        assert self.record.id is not None
        return self.record.id

    def as_dict(self) -> dict[str, Any]:
        r = self.record.as_dict()
        out = {k: r[k] for k in ("id", "version", "kind", "outcome", "needed_by", "constraints", "opportunity_id")}
        out["opportunity_name"] = self.opportunity_name
        out |= {k: r[k] for k in ("quote_id", "account_id")}
        out["account_name"] = self.account_name
        out["requester"], out["assignee"] = dict(self.requester), dict(self.assignee)
        out |= {k: r[k] for k in ("status", "proposal", "proposal_rationale", "reply", "proposed_at", "decision",
                                  "decision_note", "decided_at", "consulted", "done_at", "achieved", "on_time",
                                  "quality_note", "created_at")}
        if self.notification is not None:
            out["notification"] = dict(self.notification)
        return out


@dataclass
class _People:
    """The app users by id (one read per call)."""

    users: dict[int, UserPublic] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # CRM names by CRM user id

    def who(self, user_id: int) -> dict[str, Any]:
        u = self.users.get(user_id)
        if u is None:
            return {"id": user_id, "username": None, "name": None}
        return {"id": u.id, "username": u.username, "name": self.names.get(u.crm_user_id or "") or u.username}


class Requests:
    """Support requests of one workspace: ``store`` holds them; ``reader()`` the results (deal
    names and the deals a requester may link); ``settings()`` the workspace settings."""

    def __init__(self, store: Store, reader: Callable[..., ResultsReader], settings: Callable[[], Any] = lambda: None,
                 notify: Callable[..., Mapping[str, Any] | None] | None = None) -> None:
        self.store = store
        self._reader = reader
        self._settings = settings
        self._notify = notify
        self._read: ResultsReader | None = None
        self._read_failed = False

    # -- the results, when there are any ------------------------------------------------------

    def _results(self) -> ResultsReader | None:
        """The results reader, or None when this workspace has no results to read (requests
        still work: deals are shown by id)."""
        if self._read is None and not self._read_failed:
            try:
                reader = self._reader()
                reader.as_of  # noqa: B018 - the reader is lazy: this fails when there are no results
                self._read = reader
            except AccountLeaderError:
                self._read_failed = True
        return self._read

    def min_decisions(self) -> int:
        s = self._settings()
        return int(getattr(getattr(s, "requests", None), "min_decisions", 5))

    def _people(self, crm_names: bool = True) -> _People:
        users = {u.id: u for u in store_users.list_users(self.store)}
        names: dict[str, str] = {}
        r = self._results() if crm_names else None
        linked = sorted({u.crm_user_id for u in users.values() if u.crm_user_id})
        if r is not None and linked:
            try:
                names = {k: str(v["name"]) for k, v in r.people_named(user_ids=linked).items() if v.get("name")}
            except AccountLeaderError:
                names = {}
        return _People(users, names)

    # -- who sees what --------------------------------------------------------------------------

    def _filter(self, actor: Actor, people: _People) -> dict[str, set[int] | None]:
        """The store query's filter for this caller: ``requester_ids`` / ``assignee_ids``."""
        user, scope = actor.user, actor.scope
        if user is None or scope.role == "admin":
            return {"requester_ids": None, "assignee_ids": None}
        if scope.role == "support":
            return {"requester_ids": set(), "assignee_ids": {user.id}}
        if scope.role == "rep":
            return {"requester_ids": {user.id}, "assignee_ids": set()}
        if scope.role == "manager":
            team = {u.id for u in people.users.values() if u.crm_user_id and scope.can_see_user(u.crm_user_id)}
            team.add(user.id)
            return {"requester_ids": team, "assignee_ids": team}
        return {"requester_ids": set(), "assignee_ids": set()}

    def _visible(self, actor: Actor, people: _People, *, ids: Iterable[int] | None = None,
                 status: str | None = None) -> list[SupportRequest]:
        return records.read_requests(self.store, ids=ids, status=status, **self._filter(actor, people))

    def _one(self, actor: Actor, people: _People, request_id: int) -> SupportRequest:
        found = self._visible(actor, people, ids=[int(request_id)])
        if not found:
            raise NotFoundError(f"no request {request_id}")
        return found[0]

    def _views(self, rs: list[SupportRequest], people: _People,
               notification: Mapping[str, Any] | None = None) -> list[RequestView]:
        deals: dict[str, dict[str, Any]] = {}
        wanted = sorted({r.opportunity_id for r in rs if r.opportunity_id})
        reader = self._results() if wanted else None
        if reader is not None:
            try:
                deals = reader.deal_names(wanted)
            except AccountLeaderError:
                deals = {}
        return [RequestView(r, people.who(r.requester_id), people.who(r.assignee_id),
                            (deals.get(r.opportunity_id or "") or {}).get("name"),
                            (deals.get(r.opportunity_id or "") or {}).get("account_name"), notification) for r in rs]

    # -- reading --------------------------------------------------------------------------------

    def list(self, actor: Actor, *, status: str | None = None, mine: bool | None = None) -> list[RequestView]:
        """The requests the caller may see, oldest first; ``status`` one of the statuses;
        ``mine``: only those the caller made or is asked (True), or only the others (False)."""
        if status is not None and status not in rules.STATUSES:
            raise InputError(f"status {status!r}: must be one of " + ", ".join(rules.STATUSES), column="status",
                             value=status)
        people = self._people()
        rs = self._visible(actor, people, status=status)
        if mine is not None and actor.user is not None:
            me = actor.user.id
            rs = [r for r in rs if (me in (r.requester_id, r.assignee_id)) == mine]
        return self._views(rs, people)

    def get(self, actor: Actor, request_id: int) -> RequestView:
        people = self._people()
        return self._views([self._one(actor, people, request_id)], people)[0]

    def history(self, actor: Actor, request_id: int) -> builtins.list[dict[str, Any]]:
        """Who changed what, when: newest first."""
        self._one(actor, self._people(crm_names=False), request_id)
        return [e.as_dict() for e in records.history(self.store, request_id=int(request_id))]

    # -- writing --------------------------------------------------------------------------------

    def add(self, actor: Actor, **fields: Any) -> RequestView:
        """Ask for an outcome: ``kind``, ``outcome``, ``needed_by``, ``assignee`` (an app user with
        the support role: id or username), optionally ``constraints``, ``opportunity_id`` (a deal
        the caller may see) and ``quote_id``."""
        unknown = sorted(set(fields) - set(ASK_FIELDS) - {"assignee", "assignee_id"})
        if unknown:
            raise InputError(f"{unknown[0]}: not a field of a request (fields: {', '.join((*ASK_FIELDS, 'assignee'))})",
                             column=unknown[0], value=str(fields[unknown[0]]))
        user = self._acting(actor, "ask")
        if actor.scope.role not in ASKING_ROLES:
            raise PermissionDenied("a support user is asked, and does not ask: a seller or a manager asks for an "
                                   "outcome")
        people = self._people()
        assignee = self._assignee(people, fields.get("assignee", fields.get("assignee_id")))
        deal = self._deal(actor, fields.get("opportunity_id"))
        made, changes = rules.ask(
            kind=fields.get("kind"), outcome=fields.get("outcome"), needed_by=fields.get("needed_by"),
            requester_id=user.id, assignee_id=assignee.id, at=_now(), constraints=fields.get("constraints"),
            opportunity_id=deal, quote_id=fields.get("quote_id"), account_id=None)
        if made.opportunity_id:
            made = _with_account(made, self._results())
        stored = records.add_request(self.store, request=made, changes=changes, by=user.id, actor=user.username)
        return self._after("assigned", stored, people)

    def propose(self, actor: Actor, request_id: int, version: int, proposal: str | None = None,
                rationale: str | None = None, reply: str = "another_way") -> RequestView:
        """The assignee's answer: another way (proposal and rationale), or ``reply="as_asked"``."""
        return self._change(actor, request_id, version, "propose", "assignee",
                            lambda r, at: rules.propose(r, proposal=proposal, rationale=rationale, reply=reply, at=at),
                            notice="proposed")

    def decide(self, actor: Actor, request_id: int, version: int, decision: str, note: str | None = None
               ) -> RequestView:
        """The requester's decision: accept, modify (a note says how) or keep the original ask."""
        return self._change(actor, request_id, version, "decide", "requester",
                            lambda r, at: rules.decide(r, decision=decision, note=note, at=at), notice="decided")

    def done(self, actor: Actor, request_id: int, version: int, achieved: Any, quality_note: str | None = None
             ) -> RequestView:
        """The assignee records the outcome: achieved or not, a quality note (on time is derived)."""
        return self._change(actor, request_id, version, "record the outcome of", "assignee",
                            lambda r, at: rules.finish(r, achieved=achieved, quality_note=quality_note, at=at))

    def cancel(self, actor: Actor, request_id: int, version: int) -> RequestView:
        """The requester withdraws the request (any time before it is done)."""
        return self._change(actor, request_id, version, "cancel", "requester",
                            lambda r, at: rules.cancel(r, at=at))

    def _change(self, actor: Actor, request_id: int, version: Any, verb: str, who: str,
                step: Callable[[SupportRequest, datetime], tuple[SupportRequest, builtins.list[rules.Change]]],
                notice: str | None = None) -> RequestView:
        people = self._people()
        before = self._one(actor, people, request_id)
        user = self._acting(actor, verb)
        if user.id != (before.requester_id if who == "requester" else before.assignee_id):
            named = people.who(before.requester_id if who == "requester" else before.assignee_id)
            raise PermissionDenied(f"only the request's {who} ({named['username'] or 'a former user'}) may {verb} "
                                   f"request {before.id}")
        # a stale view is a conflict (who changed what since), before the rules judge the change
        records.check_version(self.store, request_id=int(request_id), version=_version(version))
        at = _now()
        after, changes = step(before, at)
        stored = records.write_request(self.store, request=after, version=_version(version), changes=changes,
                                       by=user.id, actor=user.username, at=at)
        return self._after(notice, stored, people)

    def _acting(self, actor: Actor, verb: str) -> UserPublic:
        if actor.user is None:
            raise InputError(f"say who you are to {verb} a request: the command line acts as an app user "
                             "(--as USERNAME)", column="as")
        return actor.user

    def _assignee(self, people: _People, given: Any) -> UserPublic:
        if given is None or str(given).strip() == "":
            raise InputError("assignee: is required (a support user to ask: username or id)", column="assignee")
        text = str(given).strip()
        if text.isdigit() and int(text) in people.users:
            found: UserPublic | None = people.users[int(text)]
        else:
            name = text.lower()
            found = next((u for u in people.users.values() if u.username == name), None)
        if found is None:
            raise InputError(f"assignee {text!r}: no such app user", column="assignee", value=text)
        if found.role != "support" or not found.active:
            why = "is not active" if not found.active else f"is a {found.role}, not a support user"
            raise InputError(f"assignee {text!r}: {found.username} {why}", column="assignee", value=text)
        return found

    def _deal(self, actor: Actor, given: Any) -> str | None:
        """The deal id a request links, checked against what the caller sees (when there are results)."""
        if given is None or str(given).strip() == "":
            return None
        oid = str(given).strip()
        r = self._results()
        if r is None:
            return oid
        if not r.deals([oid], actor.scope):
            raise InputError(f"opportunity_id {oid!r}: no deal with this id that you may see", column="opportunity_id",
                             value=oid)
        return oid

    def _after(self, event: str | None, stored: SupportRequest, people: _People) -> RequestView:
        view = self._views([stored], people)[0]
        if event is None or self._notify is None:
            return view
        try:
            sent = self._notify(event, view, people.users)
        except Exception as exc:  # noqa: BLE001 - an email never undoes the change it reports
            log.warning("request %s: the %s email failed: %s", stored.id, event, exc)
            sent = {"event": event, "sent": False, "error": f"{type(exc).__name__}: {exc}"}
        return view if sent is None else self._views([stored], people, sent)[0]

    # -- reminders ------------------------------------------------------------------------------

    def due(self, *, within_days: int, today: date | None = None) -> builtins.list[RequestView]:
        """Open requests needed by ``today + within_days`` or earlier (the cron reminder's list)."""
        day = (today or _now().date()) + timedelta(days=within_days)
        people = self._people()
        rs = [r for r in records.read_requests(self.store) if r.status in rules.OPEN and r.needed_by <= day]
        return self._views(rs, people)

    def remind(self, *, within_days: int, today: date | None = None) -> builtins.list[dict[str, Any]]:
        """Email whoever an open request due soon waits on (asked or decided: the assignee;
        proposed: the requester). One entry per request: what was sent, or why not."""
        people = self._people()
        out = []
        for view in self.due(within_days=within_days, today=today):
            entry: dict[str, Any] = {"id": view.id, "status": view.record.status,
                                     "needed_by": view.record.needed_by.isoformat()}
            if self._notify is None:
                entry["notification"] = {"event": "due", "sent": False, "error": "notifications are not set up"}
            else:
                try:
                    entry["notification"] = self._notify("due", view, people.users)
                except Exception as exc:  # noqa: BLE001 - one failed email does not stop the others
                    log.warning("request %s: the reminder failed: %s", view.id, exc)
                    entry["notification"] = {"event": "due", "sent": False, "error": f"{type(exc).__name__}: {exc}"}
            out.append(entry)
        return out

    # -- the demo -------------------------------------------------------------------------------

    def seed(self, planned: Iterable[Any], people: Mapping[str, tuple[str, str]]) -> dict[str, int]:
        """Write planned requests (:mod:`accountleader.demo.request_plants`) as they happened,
        step by step through the same rules, with their own times. ``people``: CRM user id ->
        (username, role) of the app users to act as (created with a random password when
        missing: an admin sets one with ``users passwd``). Returns counts."""
        import secrets

        users = {u.crm_user_id: u for u in store_users.list_users(self.store) if u.crm_user_id}
        made = 0
        for crm, (username, role) in sorted(people.items()):
            if crm not in users:
                users[crm] = store_users.create_user(self.store, username=username, password=secrets.token_urlsafe(24),
                                                     role=role, crm_user_id=crm, by="demo")
                made += 1
        n = 0
        for p in planned:
            asker, doer = users[p.requester], users[p.assignee]
            r, changes = rules.ask(kind=p.kind, outcome=p.outcome, needed_by=p.needed_by, requester_id=asker.id,
                                   assignee_id=doer.id, at=p.created_at, constraints=p.constraints,
                                   opportunity_id=p.opportunity_id)
            r = records.add_request(self.store, request=r, changes=changes, by=asker.id, actor=asker.username)
            steps: builtins.list[tuple[UserPublic, Any, str]] = []
            if p.reply is not None:
                steps.append((doer, p.proposed_at, "propose"))
            steps.append((asker, p.decided_at, "decide"))
            if p.done_at is not None:
                steps.append((doer, p.done_at, "done"))
            for who, at, action in steps:
                after, changes = _planned_step(r, p, action)
                r = records.write_request(self.store, request=after, version=r.version, changes=changes, by=who.id,
                                          actor=who.username, at=at)
            n += 1
        return {"requests": n, "users_added": made}

    # -- analytics ------------------------------------------------------------------------------

    def analytics(self, actor: Actor) -> dict[str, Any]:
        """Over the requests the caller may see: per requester (by CRM user id; ``app:<id>`` for
        an app user without one) ``consultation_rate`` and ``proposal_adoption_rate``; per
        assignee ``adoption_rate`` and ``resourcefulness_credit``; ``outcomes`` of adopted
        proposals against prescribed approaches. Each rate with ``_n``, ``_low``, ``_high``
        (Wilson 90%) and ``_reason`` (why there is none: too few decisions)."""
        people = self._people()
        rs = self._visible(actor, people)
        return figures(rs, people.users, people.names, min_decisions=self.min_decisions())

    def per_seller(self) -> dict[str, dict[str, Any]]:
        """Every requester's ``consultation_rate`` and ``proposal_adoption_rate`` (with ``_n``
        and ``_reason``) by CRM user id, over every request: ``show reps --json``."""
        users = {u.id: u for u in store_users.list_users(self.store)}
        found = figures(records.read_requests(self.store), users, {}, min_decisions=self.min_decisions())
        keep = ("consultation_rate", "proposal_adoption_rate")
        return {k: {f"{name}{suffix}": v[f"{name}{suffix}"] for name in keep for suffix in ("", "_n", "_reason")}
                for k, v in found["requesters"].items() if not k.startswith("app:")}


def figures(rs: list[SupportRequest], users: Mapping[int, UserPublic], names: Mapping[str, str], *,
            min_decisions: int) -> dict[str, Any]:
    """The analytics of :meth:`Requests.analytics` over these records."""
    def key(user_id: int) -> str:
        u = users.get(user_id)
        return u.crm_user_id if u is not None and u.crm_user_id else f"app:{user_id}"

    def person(user_id: int) -> dict[str, Any]:
        u = users.get(user_id)
        return {"app_user_id": user_id, "username": u.username if u else None,
                "name": (names.get(u.crm_user_id or "") if u else None) or (u.username if u else None)}

    requesters = {}
    for uid, mine in sorted(rules.by(rs, lambda r: r.requester_id).items(), key=lambda kv: int(str(kv[0]))):
        requesters[key(int(str(uid)))] = person(int(str(uid))) | rules.flatten(
            rules.requester_figures(mine, min_decisions=min_decisions))
    assignees = {}
    for uid, mine in sorted(rules.by(rs, lambda r: r.assignee_id).items(), key=lambda kv: int(str(kv[0]))):
        assignees[key(int(str(uid)))] = person(int(str(uid))) | rules.flatten(
            rules.assignee_figures(mine, min_decisions=min_decisions))
    outcomes = {k: rules.flatten(v) for k, v in rules.outcome_figures(rs, min_decisions=min_decisions).items()}
    return {"min_decisions": min_decisions, "requests_n": len(rs), "requesters": requesters, "assignees": assignees,
            "outcomes": outcomes}


def _planned_step(r: SupportRequest, p: Any, action: str) -> tuple[SupportRequest, list[rules.Change]]:
    """One step of a planned demo request, through the same rules as a person's."""
    if action == "propose":
        return rules.propose(r, proposal=p.proposal, rationale=p.rationale, reply=p.reply, at=p.proposed_at)
    if action == "decide":
        return rules.decide(r, decision=p.decision, note=p.decision_note, at=p.decided_at)
    return rules.finish(r, achieved=p.achieved, quality_note=p.quality_note, at=p.done_at)


def _version(given: Any) -> int:
    try:
        v = int(str(given).strip())
    except (TypeError, ValueError):
        raise InputError(f"version {given!r}: must be the version number you saw", column="version",
                         value=str(given)) from None
    if v < 1:
        raise InputError(f"version {given!r}: must be 1 or more", column="version", value=str(given))
    return v


def _with_account(r: SupportRequest, reader: ResultsReader | None) -> SupportRequest:
    """The deal's account, when the results know the deal."""
    from dataclasses import replace

    if reader is None or not r.opportunity_id:
        return r
    try:
        row = reader.deal_names([r.opportunity_id]).get(r.opportunity_id)
    except AccountLeaderError:
        return r
    return r if row is None else replace(r, account_id=row.get("account_id"))
