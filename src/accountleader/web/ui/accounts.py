"""HTML pages for account lifecycle: the admin's /admin/users, and changing your own password.

Twins live in api/accounts.py; both call web/accounts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ... import store as app_store
from ...errors import InputError, NotFoundError
from ...store.auth import SESSION_LIFETIME
from .. import accounts, context, security
from ..deps import AdminDep, AsOfDep, CsrfChecked, PageAsOfDep, SessionDep, StateDep
from .render import render

router = APIRouter(include_in_schema=False)


def _users(request: Request, state: StateDep, action: Callable[[], dict[str, Any]]) -> Response:
    """Run an admin action and show the users page with its outcome (or its error) on top."""
    try:
        outcome, status = action(), 200
    except (InputError, NotFoundError) as exc:
        outcome, status = {"error": str(exc)}, 422 if isinstance(exc, InputError) else 404
    return render(request, "admin_users.html", accounts.users_page(state) | outcome, status=status, page="users")


@router.get("/admin/users")
def users_page(request: Request, state: StateDep, _: AdminDep, _as_of: PageAsOfDep) -> Response:
    return render(request, "admin_users.html", accounts.users_page(state), page="users")


@router.post("/admin/users/{username}/password", dependencies=[CsrfChecked])
def set_password(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep, username: str,
                 password: Annotated[str, Form()] = "") -> Response:
    return _users(request, state, lambda: accounts.set_password(state, admin=admin.user, username=username,
                                                                password=password))


@router.post("/admin/users/{username}/disable", dependencies=[CsrfChecked])
def disable(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep, username: str) -> Response:
    return _users(request, state, lambda: accounts.set_active(state, admin=admin.user, username=username, active=False))


@router.post("/admin/users/{username}/enable", dependencies=[CsrfChecked])
def enable(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep, username: str) -> Response:
    return _users(request, state, lambda: accounts.set_active(state, admin=admin.user, username=username, active=True))


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep, token_id: int) -> Response:
    return _users(request, state, lambda: accounts.revoke_token(state, admin=admin.user, token_id=token_id))


@router.post("/me/password", dependencies=[CsrfChecked])
def change_password(request: Request, state: StateDep, me: SessionDep, _as_of: AsOfDep,
                    current_password: Annotated[str, Form()] = "", new_password: Annotated[str, Form()] = "",
                    confirm_password: Annotated[str, Form()] = "") -> Response:
    """Needs the current password (counted like logins); ends every session, then starts a new one here."""
    data = context.me(me.user)
    try:
        data |= accounts.change_own_password(state, user=me.user, current=current_password, new=new_password,
                                             confirm=confirm_password, address=security.client_address(request))
    except InputError as exc:
        data["password_error"] = str(exc)
        return render(request, "me.html", data, status=422, page="me")
    token = app_store.create_session(state.store, user_id=me.user.id)
    info = app_store.get_session(state.store, token=token)
    request.state.csrf_token = security.session_csrf_token(state.secret_key, info.token_hash) if info else None
    response = render(request, "me.html", data, page="me")
    security.set_cookie(response, request, security.SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()))
    return response
