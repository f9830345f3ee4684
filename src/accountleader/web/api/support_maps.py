"""JSON routes of support maps: GET and PUT /api/v1/opportunities/{id}/support-map (the whole
stored map), PUT .../support-map/stakeholders/{contact_id} and .../backers/{user_id} (one row:
the twins of the deal page's in-place forms).

A PUT carries the ``version`` it was made to and the whole stored map; when the map moved on
since, the answer is 409 ``edit_conflict`` naming who changed what, and nothing is saved. A bad
value (a stance that is not one, an unknown contact) is 422 naming the field and the value.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ...domain import support_map as sm
from ...errors import InputError
from .. import support_maps
from ..deps import CsrfChecked, PrincipalDep, ScopeDep, StateDep
from ..errors import error_response
from .routes import _ERRORS, ErrorBody

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
View = dict[str, Any]
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The map changed after the version you edited: nothing was saved; "
                                              "the message names who changed what."}}


class StakeholderFields(BaseModel):
    stance: str | None = Field(None, max_length=40, description=", ".join(sm.STANCES))
    influence: str | None = Field(None, max_length=40, description=", ".join(sm.INFLUENCE))
    access: str | None = Field(None, max_length=40, description=", ".join(sm.ACCESS))
    via_contact_id: str | None = Field(None, max_length=64, description="The contact reached through (access 'through')")
    note: str | None = Field(None, max_length=2000)


class BackerFields(BaseModel):
    function: str | None = Field(None, max_length=40, description=", ".join(sm.BACKER_FUNCTIONS))
    ask: str | None = Field(None, max_length=2000)
    commitment: str | None = Field(None, max_length=40, description=", ".join(sm.COMMITMENTS))
    due_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD")


def _version() -> Any:
    return Field(description="The version you are changing (from GET); a stale one is refused with 409")


class StakeholderIn(StakeholderFields):
    contact_id: str = Field(max_length=64, description="The buyer's CRM contact id")


class BackerIn(BackerFields):
    user_id: str = Field(max_length=64, description="The backer's CRM user id")


class StakeholderEdit(StakeholderFields):
    version: int = _version()


class BackerEdit(BackerFields):
    version: int = _version()


class SupportMapPut(BaseModel):
    version: int = _version()
    stakeholders: list[StakeholderIn] = Field(default_factory=list, max_length=500,
                                              description="Every stakeholder people confirmed or entered")
    backers: list[BackerIn] = Field(default_factory=list, max_length=100)


@router.get("/opportunities/{opportunity_id}/support-map", response_model=View,
            summary="A deal's support map (the CRM draft with people's edits), readiness, history")
def get_support_map(opportunity_id: str, state: StateDep, scope: ScopeDep, _: PrincipalDep) -> JSONResponse:
    return JSONResponse(support_maps.get(state, scope, opportunity_id))


@router.put("/opportunities/{opportunity_id}/support-map", response_model=View, dependencies=[CsrfChecked],
            responses=_CONFLICT, summary="Replace a deal's stored support map at the version you read")
def put_support_map(request: Request, opportunity_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                    body: Annotated[SupportMapPut | None, Body()] = None) -> Response:
    if body is None:
        return error_response(request, 422, "send the map's version, stakeholders and backers as JSON")
    return _edited(request, lambda: support_maps.save(
        state, scope, principal.user, opportunity_id, version=body.version,
        stakeholders=[s.model_dump(exclude_unset=True) for s in body.stakeholders],
        backers=[b.model_dump(exclude_unset=True) for b in body.backers]))



def _edited(request: Request, edit: Any) -> Response:
    try:
        return JSONResponse(edit())
    except InputError as exc:
        return error_response(request, 422, str(exc), details={"field": exc.column, "value": exc.value})


@router.put("/opportunities/{opportunity_id}/support-map/stakeholders/{contact_id}", response_model=View,
            dependencies=[CsrfChecked], responses=_CONFLICT,
            summary="Change one stakeholder's fields at the version you read (twin of the deal page's row form)")
def put_stakeholder(request: Request, opportunity_id: str, contact_id: str, state: StateDep, scope: ScopeDep,
                    principal: PrincipalDep, body: Annotated[StakeholderEdit, Body()]) -> Response:
    fields = body.model_dump(exclude_unset=True, exclude={"version"})
    return _edited(request, lambda: support_maps.set_stakeholder(state, scope, principal.user, opportunity_id,
                                                                 contact_id, version=body.version, fields=fields))


@router.put("/opportunities/{opportunity_id}/support-map/backers/{user_id}", response_model=View,
            dependencies=[CsrfChecked], responses=_CONFLICT,
            summary="Change one backer's fields at the version you read (a support member: their own commitment)")
def put_backer(request: Request, opportunity_id: str, user_id: str, state: StateDep, scope: ScopeDep,
               principal: PrincipalDep, body: Annotated[BackerEdit, Body()]) -> Response:
    fields = body.model_dump(exclude_unset=True, exclude={"version"})
    return _edited(request, lambda: support_maps.set_backer(state, scope, principal.user, opportunity_id, user_id,
                                                            version=body.version, fields=fields))
