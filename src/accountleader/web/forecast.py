"""The forecast page (/forecast, ui/forecast.py) and its JSON twin (/api/v1/forecast, api/forecast.py).

The forecast is the workspace's (``Workspace.forecast``), of the deals the caller's Scope may
see. Scenarios are shared by the whole team: anyone may read them; managers and admins may
change them (checked here, for the page and the API alike), each change made on the version
the editor read (a stale one is refused: 409) and noted in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import store as app_store
from ..domain import scenarios as kinds
from ..domain.access import Scope
from ..domain.as_of import AsOf
from ..errors import InputError, PermissionDenied
from ..store import UserPublic
from .accounts import audited
from .jsonable import jsonable
from .state import AppState, _stamp

#: Who may add, change or remove scenarios.
EDITORS = ("admin", "manager")
SIMULATIONS = 10_000
#: The form's fields per kind (the names of domain.scenarios' fields).
FIELDS = {kind: kinds.fields_of(kind) for kind in kinds.KINDS}


def can_edit(user: UserPublic) -> bool:
    return user.role in EDITORS


def _check_editor(user: UserPublic) -> None:
    if not can_edit(user):
        raise PermissionDenied(f"only a manager or an admin may change scenarios; you are signed in as a {user.role}")


def scenario_list(state: AppState, shown: set[str] | None = None) -> dict[str, Any]:
    """The scenarios file: its version and each scenario (those named in ``shown``, when given)
    with its effect in words."""
    doc = state.read(lambda ws: ws.scenarios())
    return {"version": doc.version,
            "scenarios": [jsonable(s.as_dict() | {"effect": s.description}) for s in doc.scenarios
                          if shown is None or s.name in shown]}


def forecast(state: AppState, scope: Scope, user: UserPublic, *, months: int = 3,
             as_of: AsOf | None = None) -> dict[str, Any]:
    """The base case and every scenario side by side, for the deals ``scope`` sees; plus the
    scenarios file and whether ``user`` may edit it. Cached until the results or
    scenarios.yaml change."""
    stamp = _stamp(state.workspace_path / kinds.FILE_NAME)

    def build(ws: Any) -> dict[str, Any]:
        return jsonable(ws.forecast(scope, months=months, simulations=SIMULATIONS, seed=0))

    data = dict(state.cached_at(as_of, ("forecast", scope, months, stamp), build))
    # the scenarios the forecast shows this scope (one naming an account or seller it cannot see is not)
    listed = scenario_list(state, {s["name"] for s in data["scenarios"]})
    return data | {"months_asked": months, "scenario_file": listed, "can_edit": can_edit(user),
                   "kinds": [{"kind": k, "label": label, "fields": list(FIELDS[k])} for k, label in kinds.KINDS.items()]}


def _owner(state: AppState, owner: str | None, user: UserPublic) -> str:
    """The scenario's owner: a user of this app (default: the one editing)."""
    name = (owner or "").strip() or user.username
    known = {u.username.casefold(): u.username for u in app_store.list_users(state.store) if u.active}
    if name.casefold() not in known:
        raise InputError(f"owner {name!r} is not a user of this app", column="owner", value=name)
    return known[name.casefold()]


def _scenario(state: AppState, user: UserPublic, values: Mapping[str, Any]) -> kinds.Scenario:
    kind = str(values.get("kind") or "")
    keep = set(kinds.COMMON) | set(FIELDS.get(kind, ()))
    # a form sends every kind's fields; only this kind's count, and empty ones are unset
    given = {k: v for k, v in values.items() if k in keep and v not in (None, "")}
    given["owner"] = _owner(state, given.get("owner"), user)
    return kinds.scenario(given, file="the scenario form")


def _saved(state: AppState, done: str) -> dict[str, Any]:
    version = state.read(lambda ws: ws.scenarios()).version
    return {"version": version, "done": f"{done} (scenarios.yaml version {version})"}


def _edit(state: AppState, user: UserPublic, event: str, name: str, change: Any, *, version: int | None) -> None:
    """Apply ``change`` to the scenarios at ``version``, noted in the audit log (who changed
    what, when; refused attempts too)."""
    audited(state, event, user, lambda: state.read(lambda ws: ws.edit_scenarios(change, version=version)),
            scenario=name, version=version)


def add(state: AppState, user: UserPublic, values: Mapping[str, Any], *, version: int | None) -> dict[str, Any]:
    _check_editor(user)
    new = _scenario(state, user, values)
    _edit(state, user, "scenario_add", new.name, lambda d: d.with_scenario(new), version=version)
    return _saved(state, f"scenario {new.name!r} added: {new.description}")


def replace(state: AppState, user: UserPublic, name: str, values: Mapping[str, Any], *,
            version: int | None) -> dict[str, Any]:
    _check_editor(user)
    new = _scenario(state, user, values)
    _edit(state, user, "scenario_change", name, lambda d: d.with_scenario(new, replacing=name), version=version)
    return _saved(state, f"scenario {new.name!r} saved: {new.description}")


def remove(state: AppState, user: UserPublic, name: str, *, version: int | None) -> dict[str, Any]:
    _check_editor(user)
    _edit(state, user, "scenario_remove", name, lambda d: d.without(name), version=version)
    return _saved(state, f"scenario {name!r} removed")
