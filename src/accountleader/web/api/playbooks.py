"""JSON twins of the playbook pages: /api/v1/playbooks and /api/v1/playbooks/{id}.

A change names the ``version`` it was made to; when the playbook moved on since, the answer is
409 ``edit_conflict`` naming who changed what, and nothing is saved.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...domain import playbooks as rules
from .. import playbooks
from ..deps import CsrfChecked, PrincipalDep, ScopeDep, StateDep
from .routes import _ERRORS, ErrorBody

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
View = dict[str, Any]
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The playbook changed after the version you edited: "
                                              "nothing was saved; the message names who changed what."}}


class PlaybookCreate(BaseModel):
    subject_kind: Literal["opportunity", "account"]
    subject_id: str = Field(max_length=64, description="The deal's or account's CRM id")
    title: str = Field(max_length=rules.MAX_TITLE)
    trigger_kind: str = Field(max_length=40, description=", ".join(rules.TRIGGERS))
    trigger_params: dict[str, int] | None = Field(None, description='e.g. {"times": 2} or {"days": 30}')
    actions: str = Field(max_length=rules.MAX_ACTIONS)
    owner: str | None = Field(None, max_length=150, description="Login name of the owner (default: you)")
    due_date: str = Field(max_length=10, description="YYYY-MM-DD")


class PlaybookEdit(BaseModel):
    version: int = Field(description="The version you are changing (from GET); a stale one is refused with 409")
    title: str | None = Field(None, max_length=rules.MAX_TITLE)
    actions: str | None = Field(None, max_length=rules.MAX_ACTIONS)
    due_date: str | None = Field(None, max_length=10)
    status: Literal["open", "closed"] | None = None
    owner: str | None = Field(None, max_length=150, description="Assign to this login name")
    trigger_kind: str | None = Field(None, max_length=40)
    trigger_params: dict[str, int] | None = None


@router.get("/playbooks", summary="Playbooks you may see, their standing alerts and scenario readiness per team "
            "(twin of /playbooks)", response_model=View)
def list_playbooks(state: StateDep, scope: ScopeDep, _: PrincipalDep,
                   status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
                   top: Annotated[int, Query(ge=1, le=100, description="Top-N risks per team for readiness")] = 10,
                   ) -> JSONResponse:
    return JSONResponse(playbooks.listing(state, scope, status=None if status == "all" else status, top_n=top))


@router.post("/playbooks", summary="Add a playbook on a deal or account you may see", response_model=View,
             status_code=201, dependencies=[CsrfChecked])
def create_playbook(state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                    body: Annotated[PlaybookCreate, Body()]) -> JSONResponse:
    return JSONResponse(playbooks.create(state, scope, principal.user, body.model_dump()), status_code=201)


@router.get("/playbooks/{playbook_id}", summary="One playbook with its history and firings (twin of /playbooks/{id})",
            response_model=View)
def get_playbook(playbook_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(playbooks.page(state, scope, principal.user, playbook_id))


@router.put("/playbooks/{playbook_id}", summary="Change, assign or close a playbook at the version you read",
            response_model=View, dependencies=[CsrfChecked], responses=_CONFLICT)
def edit_playbook(playbook_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                  body: Annotated[PlaybookEdit | None, Body()] = None) -> JSONResponse:
    pid = str(playbooks.playbook_id(playbook_id))  # an odd id is 404 before the body is looked at
    if body is None:
        from ...errors import InputError

        raise InputError("send the playbook's version and the fields to change as JSON")
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return JSONResponse(playbooks.edit(state, scope, principal.user, pid, version=body.version, changes=changes))
