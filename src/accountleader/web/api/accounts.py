"""JSON twins of the account pages: /api/v1/users (admin) and /api/v1/me/password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import accounts
from ..deps import AdminDep, CsrfChecked, SessionDep, StateDep
from ..security import client_address

router = APIRouter()
View = dict[str, Any]


class PasswordRequest(BaseModel):
    password: str = Field(max_length=1024)


class OwnPasswordRequest(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@router.get("/users", summary="Every user and API token (admin; twin of /admin/users)", response_model=View)
def users(state: StateDep, _: AdminDep) -> JSONResponse:
    return JSONResponse(accounts.users_page(state))


@router.post("/users/{username}/password", summary="Set a user's password; ends all their sessions and tokens (admin)",
             response_model=View, dependencies=[CsrfChecked])
def set_password(state: StateDep, admin: AdminDep, username: str, body: Annotated[PasswordRequest, Body()]) -> JSONResponse:
    return JSONResponse(accounts.set_password(state, admin=admin.user, username=username, password=body.password))


@router.post("/users/{username}/disable", summary="Disable a login; ends all its sessions and tokens (admin)",
             response_model=View, dependencies=[CsrfChecked])
def disable(state: StateDep, admin: AdminDep, username: str) -> JSONResponse:
    return JSONResponse(accounts.set_active(state, admin=admin.user, username=username, active=False))


@router.post("/users/{username}/enable", summary="Enable a login again (admin)", response_model=View,
             dependencies=[CsrfChecked])
def enable(state: StateDep, admin: AdminDep, username: str) -> JSONResponse:
    return JSONResponse(accounts.set_active(state, admin=admin.user, username=username, active=True))


@router.post("/tokens/{token_id}/revoke", summary="Revoke an API token by its id (admin)", response_model=View,
             dependencies=[CsrfChecked])
def revoke_token(state: StateDep, admin: AdminDep, token_id: int) -> JSONResponse:
    return JSONResponse(accounts.revoke_token(state, admin=admin.user, token_id=token_id))


@router.post("/me/password", summary="Change your own password (logged-in session only; ends every session and token)",
             response_model=View, dependencies=[CsrfChecked])
def change_password(request: Request, state: StateDep, me: SessionDep,
                    body: Annotated[OwnPasswordRequest, Body()]) -> JSONResponse:
    return JSONResponse(accounts.change_own_password(state, user=me.user, current=body.current_password,
                                                     new=body.new_password, address=client_address(request)))
