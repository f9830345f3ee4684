"""Support requests for the web pages (issue 15): the board (/requests), the ask form
(/requests/new) and one request (/requests/{id}) with the forms its viewer may use.

Who may see or change a request is the service's rule (:mod:`accountleader.requests`, given
the caller's Scope and user); nothing here filters by role. The board's filters (mine,
assigned to me, kind, status) only narrow what the service already returned.

Requests change without the results changing, so these contexts are never cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..domain import requests as rules
from ..domain.access import Scope
from ..errors import AccountLeaderError, NotFoundError, PermissionDenied
from ..playbooks import Actor
from ..requests import ASKING_ROLES
from ..store import UserPublic
from ..store import users as store_users
from .jsonable import jsonable
from .state import AppState

MAX_ID_DIGITS = 12
KINDS = rules.KINDS
# the board's columns, in the order a request moves through them; cancelled ones fold below
COLUMNS = (
    ("asked", "Asked", "Waiting for the assignee: a proposal of another way, or a reply 'as asked'"),
    ("proposed", "Proposed", "The assignee answered; waiting for the requester's decision"),
    ("decided", "Decided", "The requester decided; waiting for the outcome"),
    ("done", "Done", "The outcome is recorded: achieved or not, on time or late"),
)
STATUSES = rules.STATUSES
OPEN = frozenset(rules.OPEN)
DECISIONS = (("accept", "Accept the proposal"), ("modify", "Take it with changes (say which in the note)"),
             ("keep", "Keep my original ask"))
MAX_DEALS_OFFERED = 500
ACTIONS = {"add": "asked", "propose": "answered", "decide": "decided", "done": "recorded the outcome",
           "cancel": "cancelled"}


def request_id(raw: str) -> int:
    """A path's request id: anything but a plain number is an unknown id (404), never a 422."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
        raise NotFoundError(f"no request {raw!r}")
    return int(raw)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _shown(item: Any, today: str) -> dict[str, Any]:
    r = jsonable(item if isinstance(item, Mapping) else item.as_dict())
    r["overdue"] = r.get("status") in OPEN and bool(r.get("needed_by")) and str(r["needed_by"])[:10] < today
    return r  # type: ignore[no-any-return]


def _linked(state: AppState, scope: Scope, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the requests whose deal the viewer may open (``deal_link``): a support user asked
    about a deal outside their scope sees its name, not a link to a page that is not there."""
    wanted = sorted({r["opportunity_id"] for r in items if r.get("opportunity_id")})
    seen: set[str] = set()
    if wanted:
        try:
            seen = {d["opportunity_id"] for d in state.read(lambda ws: ws.reader().deals(wanted, scope))}
        except AccountLeaderError:  # no results yet: names are unknown too
            seen = set()
    for r in items:
        r["deal_link"] = r.get("opportunity_id") in seen
    return items


def shows(role: str) -> list[dict[str, str]]:
    """The board's "show" choices for a role: everything the viewer may see comes first."""
    everything = {"admin": "Everyone's", "manager": "My team's", "rep": "Mine", "support": "Assigned to me"}[role]
    choices = [{"value": "all", "label": everything}]
    if role in ("admin", "manager"):
        choices += [{"value": "mine", "label": "Mine (I asked)"}, {"value": "assigned", "label": "Assigned to me"}]
    return choices


def board(state: AppState, scope: Scope, user: UserPublic, *, show: str = "all", kind: str | None = None,
          status: str | None = None) -> dict[str, Any]:
    """The requests the viewer may see, by status, narrowed by the filters."""
    actor = Actor(scope, user)
    found = state.read(lambda ws: ws.requests(state.store).list(actor, status=status or None))
    today = _today()
    items = _linked(state, scope, [_shown(r, today) for r in found])
    if show == "mine":
        items = [r for r in items if (r.get("requester") or {}).get("id") == user.id]
    elif show == "assigned":
        items = [r for r in items if (r.get("assignee") or {}).get("id") == user.id]
    if kind:
        items = [r for r in items if r.get("kind") == kind]
    items.sort(key=lambda r: (str(r.get("needed_by") or ""), r.get("id") or 0))
    columns = [{"status": s, "label": label, "hint": hint, "requests": [r for r in items if r.get("status") == s]}
               for s, label, hint in COLUMNS]
    return {"filter": {"show": show, "kind": kind, "status": status}, "shows": shows(user.role), "kinds": list(KINDS),
            "statuses": list(STATUSES), "columns": columns,
            "cancelled": [r for r in items if r.get("status") == "cancelled"],
            "total": len(items), "overdue_n": sum(1 for r in items if r["overdue"]),
            "may_ask": user.role in ASKING_ROLES, "api": "/api/v1/requests"}


def _support_users(state: AppState) -> list[dict[str, Any]]:
    """Active app users with the support role, named as the CRM names them when linked."""
    people = [u for u in store_users.list_users(state.store) if u.role == "support" and u.active]
    linked = [u.crm_user_id for u in people if u.crm_user_id]
    names = state.read(lambda ws: ws.reader().people_named(user_ids=linked)) if linked else {}
    return sorted(({"id": u.id, "username": u.username,
                    "name": (names.get(u.crm_user_id) or {}).get("name") if u.crm_user_id else None} for u in people),
                  key=lambda a: str(a["name"] or a["username"]).lower())


def ask_form(state: AppState, scope: Scope, *, opportunity_id: str | None = None) -> dict[str, Any]:
    """What the ask form offers: the kinds, the support users to ask, the caller's open deals,
    and the deal named by ``opportunity_id`` (404 when the caller may not see it). A support
    user is asked and does not ask (403, as the service answers their POST)."""
    if scope.role not in ASKING_ROLES:
        raise PermissionDenied("a support user is asked, and does not ask: a seller or a manager asks for an outcome")
    def read(ws: Any) -> dict[str, Any]:
        deals = ws.reader().opportunities(scope, open_only=True)
        deal = None
        if opportunity_id:
            deal = next((d for d in deals if d["opportunity_id"] == opportunity_id), None)
            if deal is None:
                known = ws.reader().deals([opportunity_id], scope)
                if not known:
                    raise NotFoundError(f"no opportunity {opportunity_id!r}")
                deal = known[0]
        return {"deals": sorted(deals, key=lambda d: str(d.get("name") or ""))[:MAX_DEALS_OFFERED], "deal": deal}

    found = state.read(read)
    deal = found["deal"]
    deals = [{"opportunity_id": d["opportunity_id"], "name": d.get("name") or d["opportunity_id"]} for d in found["deals"]]
    if deal is not None and all(d["opportunity_id"] != deal["opportunity_id"] for d in deals):
        deals.insert(0, {"opportunity_id": deal["opportunity_id"], "name": deal.get("name") or deal["opportunity_id"]})
    return jsonable({
        "kinds": list(KINDS), "assignees": _support_users(state), "deals": deals,
        "deal": None if deal is None else {"opportunity_id": deal["opportunity_id"], "name": deal.get("name"),
                                           "account_id": deal.get("account_id")},
        "new": {"kind": "quote" if deal else "pricing", "opportunity_id": opportunity_id or ""},
        "api": "/api/v1/requests",
    })


def add(state: AppState, scope: Scope, user: UserPublic, values: Mapping[str, Any]) -> dict[str, Any]:
    """Ask: the new request as the service made it."""
    made = state.read(lambda ws: ws.requests(state.store).add(Actor(scope, user), **values))
    return _shown(made, _today())


# fields the history does not repeat: ids and times the row's own columns already say
_UNSHOWN = frozenset({"id", "version", "requester_id", "created_at", "proposed_at", "decided_at", "done_at",
                      "account_id"})


def _history(state: AppState, actor: Actor, rid: int, r: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The history as the page shows it: one entry per change (newest first), each with the
    fields it changed in plain words (the service gives one row per field, ids included)."""
    found = jsonable(state.read(lambda ws: ws.requests(state.store).history(actor, rid)))
    names = {("assignee_id", str((r.get("assignee") or {}).get("id"))): _name(r.get("assignee")),
             ("opportunity_id", str(r.get("opportunity_id"))): r.get("opportunity_name")}
    out: list[dict[str, Any]] = []
    for e in found:
        key = (e.get("at"), e.get("actor"), e.get("version"), e.get("action"))
        if not out or out[-1]["key"] != key:
            out.append({"key": key, "at": e.get("at"), "actor": e.get("actor"), "version": e.get("version"),
                        "action": e.get("action"), "changes": []})
        field = e.get("field")
        if not field or field in _UNSHOWN or (field == "status" and e.get("action") == "add"):
            continue
        new = names.get((field, str(e.get("new")))) or e.get("new")
        label = {"assignee_id": "assigned to", "opportunity_id": "deal"}.get(field, field.replace("_", " "))
        text = f"{label}: {e['old']} → {new}" if e.get("old") not in (None, "") else f"{label}: {new}"
        out[-1]["changes"].insert(0, text)  # the service lists a change's fields last first
    for entry in out:
        del entry["key"]
    return out


def _name(person: Mapping[str, Any] | None) -> str | None:
    return None if not person else (person.get("name") or person.get("username"))


def page(state: AppState, scope: Scope, user: UserPublic, raw_id: str) -> dict[str, Any]:
    """One request (404 when the caller may not see it), its history, and the forms the viewer
    may use: the assignee answers and records the outcome, the requester decides and cancels.
    The service enforces the same rules on every write (403 otherwise)."""
    rid = request_id(raw_id)
    actor = Actor(scope, user)
    r = _linked(state, scope, [_shown(state.read(lambda ws: ws.requests(state.store).get(actor, rid)), _today())])[0]
    mine = (r.get("requester") or {}).get("id") == user.id
    assigned = (r.get("assignee") or {}).get("id") == user.id
    status = r.get("status")
    may = {"propose": assigned and status == "asked", "decide": mine and status in ("asked", "proposed"),
           "done": assigned and status == "decided", "cancel": mine and status in OPEN}
    note = ("This request is closed." if status in ("done", "cancelled") else
            "Only the person asked answers and records the outcome; only the requester decides or cancels.")
    return {"request": r, "history": _history(state, actor, rid, r), "may": may, "overdue": r["overdue"],
            "decisions": DECISIONS, "actions": ACTIONS, "read_only_note": note, "api": f"/api/v1/requests/{rid}"}


def act(state: AppState, scope: Scope, user: UserPublic, raw_id: str, action: str, *, version: int,
        fields: Mapping[str, Any]) -> dict[str, Any]:
    """One of the service's writes (propose, decide, done, cancel) at ``version``."""
    rid = request_id(raw_id)
    actor = Actor(scope, user)
    done = state.read(lambda ws: getattr(ws.requests(state.store), action)(actor, rid, version, **fields))
    return _shown(done, _today())
