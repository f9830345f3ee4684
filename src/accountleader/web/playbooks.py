"""Playbooks for the web: the /playbooks pages (ui/playbooks.py) and their JSON twins
(api/playbooks.py) call these. Visibility is the store's Scope filter; nothing here filters.

Playbooks change without the results changing, so these contexts are never cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain import playbooks as rules
from ..domain.access import Scope
from ..errors import NotFoundError
from ..playbooks import Actor
from ..store import UserPublic
from .jsonable import jsonable
from .state import AppState

MAX_ID_DIGITS = 12
ALERTS_SHOWN = 20


def playbook_id(raw: str) -> int:
    """A path's playbook id: anything but a plain number is an unknown id (404), never a 422."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
        raise NotFoundError(f"no playbook {raw!r}")
    return int(raw)


def triggers() -> list[dict[str, Any]]:
    """The trigger kinds a form offers, with their parameter and its default."""
    return [{"kind": r.kind, "label": r.label, "param": r.param, "default": r.default, "low": r.low, "high": r.high}
            for r in rules.TRIGGERS.values()]


def listing(state: AppState, scope: Scope, *, status: str | None = "open", top_n: int = rules.READINESS_TOP_N) -> dict[str, Any]:
    """The playbooks the scope sees, their standing alerts and scenario readiness per team."""
    def read(ws: Any) -> dict[str, Any]:
        desk = ws.playbooks(state.store)
        return {"status": status or "all", "playbooks": desk.list_for(scope, status=status), "alerts": desk.alerts(scope),
                "readiness": desk.readiness(scope, top_n=top_n), "triggers": triggers()}

    return jsonable(state.read(read))


def page(state: AppState, scope: Scope, user: UserPublic, raw_id: str) -> dict[str, Any]:
    pid = playbook_id(raw_id)
    return jsonable(state.read(lambda ws: ws.playbooks(state.store).page(pid, scope, user_id=user.id))
                    | {"triggers": triggers()})


def alerts(state: AppState, scope: Scope, *, seller_id: str | None = None) -> list[dict[str, Any]]:
    """Standing alerts for the team page (all the scope sees) or a seller page (``seller_id``:
    those of the playbooks the people linked to that seller own)."""
    found = state.read(lambda ws: ws.playbooks(state.store).alerts(scope, seller_id=seller_id))
    return jsonable(found[:ALERTS_SHOWN])


def create(state: AppState, scope: Scope, user: UserPublic, values: Mapping[str, Any]) -> dict[str, Any]:
    def make(ws: Any) -> Any:
        return ws.playbooks(state.store).add(
            Actor(scope, user), subject_kind=str(values.get("subject_kind") or ""),
            subject_id=str(values.get("subject_id") or ""), title=str(values.get("title") or ""),
            trigger_kind=str(values.get("trigger_kind") or ""), trigger_params=values.get("trigger_params"),
            actions=str(values.get("actions") or ""), owner=values.get("owner") or None,
            due_date=values.get("due_date"))

    return {"playbook": jsonable(state.read(make).as_dict())}


def edit(state: AppState, scope: Scope, user: UserPublic, raw_id: str, *, version: int,
         changes: Mapping[str, Any]) -> dict[str, Any]:
    pid = playbook_id(raw_id)
    done = state.read(lambda ws: ws.playbooks(state.store).edit(Actor(scope, user), pid, version=version,
                                                               changes=changes))
    return {"playbook": jsonable(done.as_dict())}


def form_trigger(kind: str, param: str | None) -> dict[str, Any] | None:
    """The trigger parameters a form sent (one number for the kind chosen); None: the default."""
    rule = rules.TRIGGERS.get(kind)
    if rule is None or param is None or not str(param).strip():
        return None
    return {rule.param: str(param).strip()}
