"""JSON routes of support requests (issue 15): GET/POST /api/v1/requests, GET /api/v1/requests/{id},
POST /api/v1/requests/{id}/propose|decide|done|cancel (the body carries the ``version`` you
saw), GET /api/v1/requests/{id}/history. They are the JSON twins of the request pages.

Who sees and changes what is the service's rule (:mod:`accountleader.requests`): a request the
caller may not see is 404 (never a 403 that tells it exists); a change only the requester or
only the assignee may make is 403; a stale version is 409 ``edit_conflict`` naming who
changed what, with nothing saved; a bad value is 422 naming the field and the value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ...domain import requests as rq
from ...errors import InputError, NotFoundError
from ...playbooks import Actor
from ...requests import Requests
from ..deps import CsrfChecked, PrincipalDep, ScopeDep, StateDep
from ..errors import error_response
from ..jsonable import jsonable
from ..state import AppState
from .routes import _ERRORS, ErrorBody

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
View = dict[str, Any]
MAX_ID_DIGITS = 12
_CHANGE: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Only the requester decides or cancels; only the assignee answers "
                                              "and records the outcome"},
    409: {"model": ErrorBody, "description": "The request changed after the version you saw: nothing was saved; the "
                                              "message names who changed what"}}


def _version() -> Any:
    return Field(ge=1, le=10**9, description="The version you saw (from GET); a stale one is refused with 409")


class Ask(BaseModel):
    kind: str = Field(max_length=20, description=", ".join(rq.KINDS))
    outcome: str = Field(max_length=rq.MAX_TEXT, description="The result needed, not the steps")
    needed_by: str = Field(max_length=10, description="YYYY-MM-DD")
    assignee: str | int = Field(description="The support user asked: app user id or username")
    constraints: str | None = Field(None, max_length=rq.MAX_TEXT)
    opportunity_id: str | None = Field(None, max_length=64, description="A deal you may see (CRM id)")
    quote_id: str | None = Field(None, max_length=64)


class Proposal(BaseModel):
    version: int = _version()
    reply: str = Field("another_way", max_length=20, description=", ".join(rq.REPLIES))
    proposal: str | None = Field(None, max_length=rq.MAX_TEXT, description="Another way (required with another_way)")
    proposal_rationale: str | None = Field(None, max_length=rq.MAX_TEXT, description="Why it is better")


class Decision(BaseModel):
    version: int = _version()
    decision: str = Field(max_length=20, description=", ".join(rq.DECISIONS))
    decision_note: str | None = Field(None, max_length=rq.MAX_TEXT, description="How you modify it (modify)")


class Outcome(BaseModel):
    version: int = _version()
    achieved: bool = Field(description="Was the result achieved?")
    quality_note: str | None = Field(None, max_length=rq.MAX_TEXT)


class Cancel(BaseModel):
    version: int = _version()


def request_id(raw: str) -> int:
    """A path's request id: anything but a plain number is an unknown id (404), never a 422."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
        raise NotFoundError(f"no request {raw!r}")
    return int(raw)


def _run(request: Request, state: AppState, fn: Callable[[Requests], Any], status: int = 200) -> Response:
    try:
        found = state.read(lambda ws: fn(ws.requests(state.store)))
    except InputError as exc:
        return error_response(request, 422, str(exc), details={"field": exc.column, "value": exc.value})
    if isinstance(found, list):
        return JSONResponse(jsonable([x.as_dict() if hasattr(x, "as_dict") else x for x in found]), status_code=status)
    return JSONResponse(jsonable(found.as_dict() if hasattr(found, "as_dict") else found), status_code=status)


@router.get("/requests", response_model=list[View],
            summary="Support requests you may see, oldest first (twin of /requests)")
def list_requests(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                  status: Annotated[str | None, Query(max_length=20, description=", ".join(rq.STATUSES))] = None,
                  mine: Annotated[bool | None, Query(description="true: only those you asked or are asked")] = None
                  ) -> Response:
    actor = Actor(scope, principal.user)
    return _run(request, state, lambda svc: svc.list(actor, status=status, mine=mine))


@router.post("/requests", response_model=View, status_code=201, dependencies=[CsrfChecked],
             summary="Ask a support user for an outcome (sellers, managers, admins)")
def add_request(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                body: Annotated[Ask, Body()]) -> Response:
    actor = Actor(scope, principal.user)
    return _run(request, state, lambda svc: svc.add(actor, **body.model_dump()), status=201)


@router.get("/requests/{rid}", response_model=View, summary="One support request (twin of /requests/{id})")
def get_request(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep) -> Response:
    actor, key = Actor(scope, principal.user), request_id(rid)
    return _run(request, state, lambda svc: svc.get(actor, key))


@router.get("/requests/{rid}/history", response_model=list[View],
            summary="Who changed what on a request, when: newest first")
def request_history(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep
                    ) -> Response:
    actor, key = Actor(scope, principal.user), request_id(rid)
    return _run(request, state, lambda svc: svc.history(actor, key))


@router.post("/requests/{rid}/propose", response_model=View, dependencies=[CsrfChecked], responses=_CHANGE,
             summary="The assignee answers: another way with a rationale, or reply as_asked")
def propose(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
            body: Annotated[Proposal, Body()]) -> Response:
    actor, key = Actor(scope, principal.user), request_id(rid)
    return _run(request, state, lambda svc: svc.propose(actor, key, body.version, body.proposal,
                                                        body.proposal_rationale, body.reply))


@router.post("/requests/{rid}/decide", response_model=View, dependencies=[CsrfChecked], responses=_CHANGE,
             summary="The requester decides: accept or modify the proposal, or keep the original ask")
def decide(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
           body: Annotated[Decision, Body()]) -> Response:
    actor, key = Actor(scope, principal.user), request_id(rid)
    return _run(request, state, lambda svc: svc.decide(actor, key, body.version, body.decision, body.decision_note))


@router.post("/requests/{rid}/done", response_model=View, dependencies=[CsrfChecked], responses=_CHANGE,
             summary="The assignee records the outcome: achieved or not, a quality note (on time is derived)")
def done(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
         body: Annotated[Outcome, Body()]) -> Response:
    actor, key = Actor(scope, principal.user), request_id(rid)
    return _run(request, state, lambda svc: svc.done(actor, key, body.version, body.achieved, body.quality_note))


@router.post("/requests/{rid}/cancel", response_model=View, dependencies=[CsrfChecked], responses=_CHANGE,
             summary="The requester withdraws a request that is not done")
def cancel(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
           body: Annotated[Cancel, Body()]) -> Response:
    actor, key = Actor(scope, principal.user), request_id(rid)
    return _run(request, state, lambda svc: svc.cancel(actor, key, body.version))
