"""Support maps for the web: the deal page's section (ui/support_maps.py) and its JSON twins
(api/support_maps.py) call these. Who may see or change a deal's map is the service's rule
(:mod:`accountleader.support_maps`); nothing here filters.

Maps change without the results changing, so these contexts are never cached. An edit answers
with the section as it is after it, read by the same service object (one read of the results).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..domain.access import EVERYONE, Scope
from ..domain.as_of import AsOf
from ..errors import NotFoundError
from ..store import UserPublic
from ..support_maps import BACKER, Actor, SupportMaps
from . import context
from .jsonable import jsonable
from .state import AppState


def section(state: AppState, scope: Scope, opportunity_id: str) -> dict[str, Any]:
    """The map as people see it, readiness and gaps, history, and what the caller may change."""
    return jsonable(state.read(lambda ws: ws.support_maps(state.store).view(scope, opportunity_id)))


def deal_page(state: AppState, scope: Scope, opportunity_id: str, *, as_of: AsOf | None = None,
              support: dict[str, Any] | None = None) -> dict[str, Any]:
    """The deal page's context with its support map (``support``: the section already read). A
    support member who backs the deal sees it even when their Scope does not (read-only, but
    for their own commitment)."""
    try:
        page = context.opportunity(state, scope, opportunity_id=opportunity_id, as_of=as_of)
    except NotFoundError:
        if scope.role != "support":
            raise
        access = state.read(lambda ws: ws.support_maps(state.store).deal(scope, opportunity_id).access)
        if access != BACKER:
            raise
        page = context.opportunity(state, EVERYONE, opportunity_id=opportunity_id, as_of=as_of)
    if support is None:
        try:
            support = section(state, scope, opportunity_id)
        except NotFoundError:  # a kept snapshot's deal that the current results no longer hold
            support = None
    return {**page, "support": support}


def opportunities(state: AppState, scope: Scope, *, as_of: AsOf | None = None) -> dict[str, Any]:
    """The opportunity list (``GET /api/v1/opportunities``): the Scope's, and for a support member
    also the deals they back (``backed: true``), which their Scope alone does not reach."""
    data = context.opportunities(state, scope, as_of=as_of)
    if scope.role != "support":
        return data
    backed = jsonable(state.read(lambda ws: ws.support_maps(state.store).backed_deals(scope)))
    ids = {b["opportunity_id"] for b in backed}
    listed = [o if o["opportunity_id"] not in ids else {**o, "backed": True} for o in data["opportunities"]]
    seen = {o["opportunity_id"] for o in listed}
    return {**data, "opportunities": listed + [{**b, "backed": True} for b in backed if b["opportunity_id"] not in seen]}


def get(state: AppState, scope: Scope, opportunity_id: str) -> dict[str, Any]:
    """GET /api/v1/opportunities/{id}/support-map."""
    return section(state, scope, opportunity_id)


def _edit(state: AppState, scope: Scope, opportunity_id: str, change: Callable[[SupportMaps], object]) -> dict[str, Any]:
    def run(ws: Any) -> dict[str, Any]:
        maps = ws.support_maps(state.store)
        change(maps)
        return maps.view(scope, opportunity_id)  # type: ignore[no-any-return]

    return jsonable(state.read(run))


def save(state: AppState, scope: Scope, user: UserPublic, opportunity_id: str, *, version: int,
         stakeholders: Sequence[Mapping[str, Any]], backers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """PUT: the whole stored map at ``version``."""
    return _edit(state, scope, opportunity_id, lambda m: m.save(
        Actor(scope, user), opportunity_id, version, stakeholders=stakeholders, backers=backers))


def set_stakeholder(state: AppState, scope: Scope, user: UserPublic, opportunity_id: str, contact_id: str, *,
                    version: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    return _edit(state, scope, opportunity_id, lambda m: m.set_stakeholder(
        Actor(scope, user), opportunity_id, version, contact_id, **fields))


def set_backer(state: AppState, scope: Scope, user: UserPublic, opportunity_id: str, user_id: str, *,
               version: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    return _edit(state, scope, opportunity_id, lambda m: m.set_backer(
        Actor(scope, user), opportunity_id, version, user_id, **fields))
