"""JSON routes under /api/v1: each is the twin of a page, fed by the same context function."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ...store.tokens import TOKEN_DAYS
from .. import context, request_figures, support_maps
from ..accounts import audited
from ..deps import AdminDep, AsOfDep, CsrfChecked, PrincipalDep, ScopeDep, SessionDep, StateDep
from ..state import Page


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error has this shape; import rejections add ``problems``."""

    error: ErrorDetail


class TokenRequest(BaseModel):
    name: str
    days: int = Field(TOKEN_DAYS, description="Lifetime in days (1-366)")
    write: bool = Field(False, description="Allow POST/PUT; tokens are read-only by default")


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not logged in / no valid bearer token (revoked, expired, user disabled)."},
    403: {"model": ErrorBody, "description": "Your role may not do this, the CSRF token is missing, or a read-only token tried to write."},
    404: {"model": ErrorBody, "description": "Unknown id, or one outside what you may see."},
    422: {"model": ErrorBody, "description": "Invalid input; names the field and value."},
}

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
View = dict[str, Any]


def _json(data: dict[str, Any], status: int = 200, *, state: Any = None) -> Response:
    """``state`` given: a page twin, which also says whether its results are stale (``freshness``)."""
    if isinstance(data, Page):
        body = data.json_bytes()
        if state is not None:
            fresh = json.dumps({"freshness": state.freshness()}, separators=(",", ":")).encode()
            body = fresh[:-1] + (b"," + body[1:] if len(body) > 2 else b"}")
        return Response(body, status_code=status, media_type="application/json")
    if state is not None:
        data = {"freshness": state.freshness(), **data}
    return JSONResponse(data, status_code=status)


@router.get("/health", summary="Liveness check (no login needed)", response_model=View)
def health() -> JSONResponse:
    return _json({"status": "ok"})


@router.get("/me", summary="The logged-in user (twin of /me)", response_model=View)
def me(principal: PrincipalDep) -> JSONResponse:
    return _json(context.me(principal.user))


@router.post("/tokens", summary="Create an API token for yourself (logged-in session only); shown once",
             response_model=View, status_code=201, dependencies=[CsrfChecked])
def create_token(principal: SessionDep, state: StateDep, body: Annotated[TokenRequest, Body()]) -> JSONResponse:
    return _json(context.new_token(state, user=principal.user, name=body.name, days=body.days, write=body.write), 201)


@router.get("/team", summary="The right-things-right matrix and team table (twin of /team)", response_model=View)
def team(state: StateDep, scope: ScopeDep, as_of: AsOfDep,
         team: Annotated[str | None, Query(max_length=200, description="Only this team")] = None) -> JSONResponse:
    return _json(context.team(state, scope, team=team or None, as_of=as_of), state=state)


@router.get("/snapshots", summary="The kept result snapshots, one per as-of date; pages take ?as_of= to show one",
            response_model=View)
def snapshots(state: StateDep, _: PrincipalDep) -> JSONResponse:
    return _json(context.snapshots(state))


@router.get("/sellers", summary="Sellers you may see, with their matrix measures", response_model=View)
def sellers(state: StateDep, scope: ScopeDep, as_of: AsOfDep) -> JSONResponse:
    return _json(context.sellers(state, scope, as_of=as_of), state=state)


@router.get("/sellers/{user_id}", summary="One seller: matrix position and next best actions (twin of /sellers/{id})",
            response_model=View)
def seller(user_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep, as_of: AsOfDep) -> JSONResponse:
    data = context.seller(state, scope, user_id=user_id, as_of=as_of)
    # their support requests' figures (issue 15), read live: requests change without the results
    return _json({**data, "requests": request_figures.seller(state, scope, principal.user, data["rep"], as_of=as_of)}, state=state)


@router.get("/accounts", summary="Accounts you may see, with fit, create share and change", response_model=View)
def accounts(state: StateDep, scope: ScopeDep, as_of: AsOfDep) -> JSONResponse:
    return _json(context.accounts(state, scope, as_of=as_of), state=state)


@router.get("/accounts/{account_id}", summary="One account: fit and reasons, stakeholders, deals, change (twin of /accounts/{id})",
            response_model=View)
def account(account_id: str, state: StateDep, scope: ScopeDep, as_of: AsOfDep) -> JSONResponse:
    return _json(context.account(state, scope, account_id=account_id, as_of=as_of), state=state)


@router.get("/opportunities", summary="Opportunities you may see (support: also the deals you back)",
            response_model=View)
def opportunities(state: StateDep, scope: ScopeDep, as_of: AsOfDep) -> JSONResponse:
    return _json(support_maps.opportunities(state, scope, as_of=as_of), state=state)


@router.get("/opportunities/{opportunity_id}", summary="One opportunity: buyer roles engaged, history, support map and readiness (twin of /opportunities/{id})",
            response_model=View)
def opportunity(opportunity_id: str, state: StateDep, scope: ScopeDep, as_of: AsOfDep) -> JSONResponse:
    return _json(support_maps.deal_page(state, scope, opportunity_id, as_of=as_of), state=state)


@router.get("/import", summary="What the workspace holds and when it was imported (twin of /import)", response_model=View)
def import_status(state: StateDep, _: AdminDep) -> JSONResponse:
    return _json(context.import_status(state))


@router.get("/import/job", summary="The running or last web import/analysis: state, progress, error (admin)",
            response_model=View)
def import_job(state: StateDep, _: AdminDep) -> JSONResponse:
    return _json(context.job_status(state))


@router.post("/import", summary="Upload a Salesforce export .zip; imports and analyses it in the background (admin)",
             response_model=View, status_code=202, dependencies=[CsrfChecked])
def import_upload(state: StateDep, admin: AdminDep,
                  export: Annotated[UploadFile, File(description="The Salesforce export .zip")]) -> JSONResponse:
    return _json(audited(state, "import", admin.user,
                         lambda: context.run_import(state, filename=export.filename or "", upload=export.file),
                         file=export.filename), 202)


@router.post("/analyze", summary="Recompute the results in the background (admin)", response_model=View,
             status_code=202, dependencies=[CsrfChecked])
def analyze(state: StateDep, admin: AdminDep,
            force: Annotated[bool, Query(description="Recompute even when the results are up to date")] = False,
            ) -> JSONResponse:
    return _json(audited(state, "analyze", admin.user, lambda: context.analyze(state, force=force)), 202)


@router.get("/settings", summary="Workspace settings: SLAs, quote stages, ICP (twin of /settings)", response_model=View)
def settings(state: StateDep, _: PrincipalDep) -> JSONResponse:
    return _json(context.settings(state))


@router.put("/settings", summary="Change workspace settings (admin); omitted fields keep their value",
            response_model=View, dependencies=[CsrfChecked])
def save_settings(state: StateDep, admin: AdminDep,
                  values: Annotated[dict[str, Any], Body(examples=[{"quote_sla_business_days": 3}])]) -> JSONResponse:
    return _json(audited(state, "settings_save", admin.user,
                         lambda: context.save_settings(state, user=admin.user, values=values),
                         fields=sorted(values)))


from .accounts import router as _accounts  # noqa: E402 - users admin and password changes

router.include_router(_accounts)
