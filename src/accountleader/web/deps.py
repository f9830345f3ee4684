"""Who is asking, what they may see, and the checks every request goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from .. import store as app_store
from ..domain.access import Scope
from ..domain.as_of import AsOf
from ..errors import InputError, PermissionDenied
from ..store import Store, UserPublic
from . import security
from .errors import CsrfFailed, LoginRequired
from .state import AppState


@dataclass(frozen=True)
class Principal:
    """The logged-in user and how they proved it."""

    user: UserPublic
    via: Literal["session", "token"]
    session_hash: str | None = None
    # a session may do whatever the role allows; a token only when made with write access
    can_write: bool = True


def get_state(request: Request) -> AppState:
    return request.app.state.al


StateDep = Annotated[AppState, Depends(get_state)]


def get_store(state: StateDep) -> Store:
    return state.store


StoreDep = Annotated[Store, Depends(get_store)]


def _principal(request: Request, state: AppState) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        info = app_store.get_token(state.store, token=auth[7:].strip())
        if info is None:
            raise LoginRequired()
        return Principal(info.user, "token", can_write=info.can_write)
    token = request.cookies.get(security.SESSION_COOKIE)
    if not token:
        return None
    info = app_store.get_session(state.store, token=token)
    return Principal(info.user, "session", info.token_hash) if info else None


def current_principal(request: Request, state: StateDep) -> Principal:
    principal = _principal(request, state)
    if principal is None:
        raise LoginRequired()
    if not principal.can_write and request.method not in READ_METHODS:
        raise PermissionDenied("this API token is read-only; make one with write access to change anything")
    request.state.user = principal.user
    request.state.csrf_token = (
        security.session_csrf_token(state.secret_key, principal.session_hash) if principal.session_hash else None
    )
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require_session(principal: PrincipalDep) -> Principal:
    """For what only a person at a browser may do: make tokens, change their own password."""
    if principal.via != "session":
        raise PermissionDenied("an API token cannot do this; log in with your password")
    return principal


SessionDep = Annotated[Principal, Depends(require_session)]


def current_scope(principal: PrincipalDep, state: StateDep) -> Scope:
    """The authorization filter every workspace read is given."""
    user = principal.user
    return state.cached(("scope", user.role, user.crm_user_id), lambda ws: ws.reader().scope_for(user.role, user.crm_user_id),
                        rebuild=True)


ScopeDep = Annotated[Scope, Depends(current_scope)]


def as_of_query(
    request: Request,
    as_of: Annotated[str | None, Query(max_length=40, description="Show the results kept for this as-of date "
                                       "(YYYY-MM-DD; /api/v1/snapshots lists them). Default: the current results.")] = None,
) -> AsOf | None:
    """``?as_of=`` converted once, here; a bad value is a 422 naming it (a date not kept: 404, from the read).

    Kept on the request too: the links of the page rendered for it carry it (links.py)."""
    try:
        parsed = AsOf.optional(as_of, name="as_of")
    except InputError as exc:  # a query value that is not a date: invalid input, as FastAPI's own checks
        raise RequestValidationError([{"loc": ("query", "as_of"), "msg": str(exc), "type": "value_error",
                                       "input": as_of}]) from None
    request.state.as_of = parsed
    return parsed


AsOfDep = Annotated[AsOf | None, Depends(as_of_query)]


def page_as_of(state: StateDep, as_of: AsOfDep) -> AsOf | None:
    """``?as_of=`` of a page that reads no results (settings, import, users, me): it only
    keeps the snapshot its links lead back to, but must name a kept date like on every page
    (404 naming the kept dates otherwise). Declare it after the page's login/role check."""
    state.at(as_of)
    return as_of


PageAsOfDep = Annotated[AsOf | None, Depends(page_as_of)]


async def verify_csrf(request: Request, principal: PrincipalDep, state: StateDep) -> None:
    """Every state-changing request from a browser session carries the session's CSRF token.

    Bearer-token calls are exempt: a browser never attaches them on its own.
    """
    if principal.via == "token":
        return
    given = request.headers.get(security.CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        given = value if isinstance(value, str) else None
    expected = security.session_csrf_token(state.secret_key, principal.session_hash or "")
    if not security.tokens_match(expected, given):
        raise CsrfFailed()


CsrfChecked = Depends(verify_csrf)


def require_admin(principal: PrincipalDep) -> Principal:
    if principal.user.role != "admin":
        raise PermissionDenied(f"only an admin may do this; you are signed in as a {principal.user.role}")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
