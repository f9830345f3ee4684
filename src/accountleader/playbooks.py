"""Playbooks as the front ends use them: the app database's records joined with the results.

The workspace hands one out (``Workspace.playbooks(store)``), like the results reader. It
checks a playbook's deal or account against the results (it must exist and be visible to
the caller), checks the owner may see it, checks every open trigger after each analyze, and
gathers alerts and scenario readiness. Who may see what is the store's filter by Scope
(:mod:`accountleader.store.playbooks`); this module adds no visibility rule of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .domain import playbooks as rules
from .domain.access import EVERYONE, Scope
from .domain.as_of import AsOf
from .errors import InputError, NotFoundError, PermissionDenied
from .results_reader import ResultsReader
from .store import Store, UserPublic
from .store import playbooks as records
from .store import users as store_users


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user with their scope, or the command line (``user`` None: all rights)."""

    scope: Scope = EVERYONE
    user: UserPublic | None = None

    @property
    def name(self) -> str:
        return self.user.username if self.user else "cli"

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None


CLI = Actor()


class Playbooks:
    """Playbooks of one workspace: ``store`` holds them; ``reader(as_of)`` gives the results."""

    def __init__(self, store: Store, reader: Callable[..., ResultsReader]) -> None:
        self.store = store
        self._reader = reader

    # -- the subject and the owner --------------------------------------------------------------

    def subject(self, kind: str, subject_id: str, scope: Scope = EVERYONE) -> dict[str, str | None]:
        """The deal or account as the current results have it: name, CRM owner, account.
        NotFoundError when it is not there or outside ``scope``."""
        rules.check_subject_kind(kind)
        r = self._reader()
        if kind == "opportunity":
            o = next((x for x in r.opportunities(scope) if x["opportunity_id"] == subject_id), None)
            if o is None:
                raise NotFoundError(f"no opportunity {subject_id!r}")
            return {"name": o.get("name"), "owner_id": o.get("owner_id"), "account_id": o.get("account_id")}
        account_id = r.resolve_account(subject_id)
        found = next((a for a in r.accounts(scope) if a["account_id"] == account_id), None)
        if found is None:
            raise NotFoundError(f"no account {subject_id!r}")
        return {"name": found.get("name"), "owner_id": found.get("owner_id"), "account_id": account_id}

    def _owner(self, owner: str | int, subject: Mapping[str, str | None]) -> UserPublic:
        """The user to own a playbook: active, and able to see its deal or account."""
        if isinstance(owner, int) or str(owner).isdigit():
            user = store_users.get_user(self.store, user_id=int(owner))
        else:
            name = store_users.normalize_username(str(owner))
            named = next((u for u in store_users.list_users(self.store) if u.username == name), None)
            if named is None:
                raise InputError(f"no user named {name!r} to own the playbook", column="owner", value=str(owner))
            user = named
        if not user.active:
            raise InputError(f"{user.username} is disabled and cannot own a playbook", column="owner", value=user.username)
        seen = self._reader().scope_for(user.role, user.crm_user_id)
        if not (seen.can_see_user(subject.get("owner_id"))
                or (seen.account_ids is not None and subject.get("account_id") in seen.account_ids)):
            raise InputError(f"{user.username} cannot see {subject.get('name') or 'this deal or account'}: "
                             "assign the playbook to someone who works on it", column="owner", value=user.username)
        return user

    # -- writing --------------------------------------------------------------------------------

    def add(self, actor: Actor, *, subject_kind: str, subject_id: str, title: str, trigger_kind: str,
            trigger_params: Mapping[str, Any] | None, actions: str, owner: str | int | None,
            due_date: str | Any) -> records.PlaybookPublic:
        """A new playbook on a deal or account the actor sees; the owner defaults to the actor."""
        if actor.scope.role == "support":
            raise PermissionDenied("a support member works on playbooks they are given; ask the deal's seller")
        subject = self.subject(subject_kind, subject_id.strip(), actor.scope)
        if owner in (None, ""):
            if actor.user is None:
                raise InputError("name the playbook's owner (--owner USERNAME)", column="owner")
            owner = actor.user.id
        who = self._owner(owner, subject)  # type: ignore[arg-type]
        return records.create_playbook(
            self.store, subject_kind=subject_kind,
            subject_id=subject_id.strip() if subject_kind == "opportunity" else str(subject["account_id"]),
            subject_name=subject["name"], subject_owner_id=subject["owner_id"], subject_account_id=subject["account_id"],
            title=title, trigger_kind=trigger_kind, trigger_params=trigger_params, actions=actions,
            owner_user_id=who.id, due_date=due_date, by=actor.name)

    def edit(self, actor: Actor, playbook_id: int, *, version: int, changes: Mapping[str, Any]) -> records.PlaybookPublic:
        """Change a playbook made at ``version`` (EditConflict when it moved on since). ``owner``
        (a username or id) assigns it; the new owner must be able to see its deal or account."""
        wanted = dict(changes)
        if "owner" in wanted:
            owner = wanted.pop("owner")
            current = records.get_playbook(self.store, playbook_id=playbook_id, scope=actor.scope)
            subject = {"name": current.subject_name, "owner_id": current.subject_owner_id,
                       "account_id": current.subject_account_id}
            wanted["owner_user_id"] = self._owner(owner, subject).id
        return records.update_playbook(self.store, playbook_id=playbook_id, version=version, changes=wanted,
                                       scope=actor.scope, user_id=actor.user_id, by=actor.name)

    # -- reading --------------------------------------------------------------------------------

    def list_for(self, scope: Scope = EVERYONE, *, status: str | None = None,
             owner: UserPublic | None = None) -> list[dict[str, Any]]:
        found = records.list_playbooks(self.store, scope=scope, status=status,
                                       owner_user_id=owner.id if owner else None)
        return [p.as_dict() for p in found]

    def page(self, playbook_id: int, scope: Scope = EVERYONE, *, user_id: int | None = None) -> dict[str, Any]:
        """One playbook with its history and every firing kept (NotFoundError outside the scope)."""
        p = records.get_playbook(self.store, playbook_id=playbook_id, scope=scope)
        return {
            "playbook": p.as_dict(),
            "may_edit": records.may_edit(p, scope=scope, user_id=user_id),
            "history": [e.as_dict() for e in records.playbook_history(self.store, playbook_id=playbook_id, scope=scope)],
            "alerts": [a.as_dict() for a in records.list_alerts(self.store, scope=scope, playbook_id=playbook_id,
                                                                active_only=False)],
        }

    def alerts(self, scope: Scope = EVERYONE, *, seller_id: str | None = None) -> list[dict[str, Any]]:
        """Standing alerts of open playbooks the scope sees; ``seller_id``: only those owned by
        the users linked to that CRM user (the seller page and the seller's report)."""
        owners = None if seller_id is None else records.users_linked_to(self.store, crm_user_id=seller_id)
        return [a.as_dict() for a in records.list_alerts(self.store, scope=scope, owner_user_ids=owners)]

    def readiness(self, scope: Scope = EVERYONE, *, top_n: int = rules.READINESS_TOP_N) -> dict[str, Any]:
        """Per team, the share of the top-N open deals by value at stake with an owned open playbook."""
        if not 1 <= top_n <= 100:
            raise InputError(f"top must be between 1 and 100, not {top_n}", column="top", value=str(top_n))
        r = self._reader()
        deals = r.opportunities(scope, open_only=True)
        team_of = {x["user_id"]: x.get("team") for x in r.reps(scope)}
        open_ones = records.list_playbooks(self.store, scope=scope, status="open")
        teams = rules.readiness(
            deals, team_of, top_n=top_n,
            covered_deals={p.subject_id for p in open_ones if p.subject_kind == "opportunity"},
            covered_accounts={p.subject_id for p in open_ones if p.subject_kind == "account"})
        return {"as_of": r.as_of, "top_n": top_n, "teams": [t for t in teams if t["team"] is None or scope.can_see_team(t["team"])]}

    # -- after each analyze ---------------------------------------------------------------------

    def evaluate(self, as_of: AsOf | None = None) -> list[dict[str, Any]]:
        """Check every open playbook's trigger against the results kept for ``as_of`` (default:
        the current ones); returns the alerts that fired now. Reads nothing when none is open."""
        if not records.open_playbook_ids(self.store):
            return []
        r = self._reader(as_of)
        when = datetime.fromisoformat(r.as_of)
        stamp = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        naive = stamp.replace(tzinfo=None)
        open_ones = records.list_playbooks(self.store, status="open")
        deals = {o["opportunity_id"]: o for o in r.opportunities()}
        by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for o in deals.values():
            by_account[str(o.get("account_id"))].append(o)
        accounts = {a["account_id"]: a for a in r.accounts()} if any(p.subject_kind == "account" for p in open_ones) else {}
        account_of = {p.id: (deals[p.subject_id].get("account_id") if p.subject_id in deals else p.subject_account_id)
                      if p.subject_kind == "opportunity" else p.subject_id for p in open_ones}
        wanted = sorted({a for p in open_ones if p.trigger_kind == "champion_silent" and (a := account_of[p.id])})
        people: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in r.account_contacts(wanted):
            people[c["account_id"]].append(c)
        fired = []
        for p in open_ones:
            if p.subject_kind == "opportunity":
                rows = [deals[p.subject_id]] if p.subject_id in deals else []
                row = rows[0] if rows else {}
                subject = {"name": row.get("name"), "owner_id": row.get("owner_id"), "account_id": row.get("account_id")}
            else:
                rows = by_account.get(p.subject_id, [])
                acc = accounts.get(p.subject_id, {})
                subject = {"name": acc.get("name"), "owner_id": acc.get("owner_id"), "account_id": p.subject_id}
            found = rules.check(p.trigger_kind, p.trigger_params, subject_kind=p.subject_kind,
                                subject_name=subject["name"] or p.subject_name, deals=rows,
                                contacts=people.get(account_of[p.id] or "", []), as_of=naive)
            if records.record_check(self.store, playbook_id=p.id, as_of=stamp, met=found.met,
                                    evidence=found.evidence, subject=subject):
                fired.append({"playbook_id": p.id, "title": p.title, "owner": p.owner_username,
                              "as_of": stamp.isoformat(timespec="seconds"), "evidence": found.evidence})
        return fired
