"""Support maps for the web: the deal page's section (ui/support_maps.py) and its JSON twins
(api/support_maps.py) call these. Who may see or change a deal's map is the service's rule
(:mod:`accountleader.support_maps`); nothing here filters.

Maps change without the results changing, so these contexts are never cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.access import EVERYONE, Scope
from ..domain.as_of import AsOf
from ..errors import NotFoundError
from ..store import UserPublic
from ..support_maps import BACKER, Actor
from . import context
from .jsonable import jsonable
from .state import AppState


def section(state: AppState, scope: Scope, opportunity_id: str) -> dict[str, Any]:
    """The map as people see it, readiness and gaps, history, and what the caller may change."""
    return jsonable(state.read(lambda ws: ws.support_maps(state.store).view(scope, opportunity_id)))


def deal_page(state: AppState, scope: Scope, opportunity_id: str, *, as_of: AsOf | None = None) -> dict[str, Any]:
    """The deal page's context with its support map. A support member who backs the deal sees
    it even when their Scope does not (read-only, but for their own commitment)."""
    try:
        page = context.opportunity(state, scope, opportunity_id=opportunity_id, as_of=as_of)
    except NotFoundError:
        if scope.role != "support":
            raise
        access = state.read(lambda ws: ws.support_maps(state.store).deal(scope, opportunity_id).access)
        if access != BACKER:
            raise
        page = context.opportunity(state, EVERYONE, opportunity_id=opportunity_id, as_of=as_of)
    try:
        support = section(state, scope, opportunity_id)
    except NotFoundError:  # a kept snapshot's deal that the current results no longer hold
        support = None
    return {**page, "support": support}


def get(state: AppState, scope: Scope, opportunity_id: str) -> dict[str, Any]:
    """GET /api/v1/opportunities/{id}/support-map."""
    return section(state, scope, opportunity_id)


def save(state: AppState, scope: Scope, user: UserPublic, opportunity_id: str, *, version: int,
         stakeholders: Sequence[Mapping[str, Any]], backers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """PUT: the whole stored map at ``version``."""
    state.read(lambda ws: ws.support_maps(state.store).save(Actor(scope, user), opportunity_id, version,
                                                            stakeholders=stakeholders, backers=backers))
    return section(state, scope, opportunity_id)


def set_stakeholder(state: AppState, scope: Scope, user: UserPublic, opportunity_id: str, contact_id: str, *,
                    version: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    state.read(lambda ws: ws.support_maps(state.store).set_stakeholder(Actor(scope, user), opportunity_id, version,
                                                                       contact_id, **fields))
    return section(state, scope, opportunity_id)


def set_backer(state: AppState, scope: Scope, user: UserPublic, opportunity_id: str, user_id: str, *,
               version: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    state.read(lambda ws: ws.support_maps(state.store).set_backer(Actor(scope, user), opportunity_id, version,
                                                                  user_id, **fields))
    return section(state, scope, opportunity_id)


__all__ = ["deal_page", "get", "save", "section", "set_backer", "set_stakeholder"]
