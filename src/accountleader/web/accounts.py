"""Account lifecycle for the web: the admin's users page and its actions, and changing your own
password. Used by the HTML routes (ui/accounts.py) and their JSON twins (api/accounts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .. import store as app_store
from ..errors import AccountLeaderError, InputError
from ..store import UserPublic
from ..store.users import WrongPassword
from .errors import TooManyAttempts
from .state import AppState

T = TypeVar("T")


def users_page(state: AppState) -> dict[str, Any]:
    """Every user and every API token (never a secret or a hash)."""
    return {
        "users": [u.as_dict() for u in app_store.list_users(state.store)],
        "tokens": [t.as_dict() for t in app_store.list_tokens(state.store)],
    }


def set_password(state: AppState, *, admin: UserPublic, username: str, password: str) -> dict[str, Any]:
    ended = app_store.set_password(state.store, username=username, password=password, by=admin.username)
    return {"done": f"new password set for {username.strip().lower()}; {ended} sessions and tokens ended"}


def set_active(state: AppState, *, admin: UserPublic, username: str, active: bool) -> dict[str, Any]:
    if not active and username.strip().lower() == admin.username:
        raise InputError("you cannot disable yourself; ask another admin", value=username)
    user = app_store.set_active(state.store, username=username, active=active, by=admin.username)
    return {"done": f"{user.username} is {'enabled' if active else 'disabled'}", "user": user.as_dict()}


def revoke_token(state: AppState, *, admin: UserPublic, token_id: int) -> dict[str, Any]:
    token = app_store.revoke_token_id(state.store, token_id=token_id, by=admin.username)
    return {"done": f"token {token.id} ({token.name}) of {token.username} is revoked", "token": token.as_dict()}


def change_own_password(state: AppState, *, user: UserPublic, current: str, new: str, confirm: str | None = None,
                        address: str | None = None) -> dict[str, Any]:
    """Wrong current passwords count against the login limits, so a stolen session cannot guess."""
    keys = state.login_limiter.keys(user.username, address)
    wait = state.login_limiter.retry_after(keys)
    if wait:
        raise TooManyAttempts(wait)
    if confirm is not None and new != confirm:
        raise InputError("the new password and its confirmation differ")
    try:
        app_store.change_own_password(state.store, user_id=user.id, current=current, new=new)
    except WrongPassword:
        state.login_limiter.failed(keys)
        raise
    return {"done": "password changed; every other session and all your API tokens have ended"}


def audited(state: AppState, event: str, by: UserPublic, action: Callable[[], T], **detail: Any) -> T:
    """Run an admin action (import, analyze, settings save) and note it in the audit log,
    refused ones too; the action's own error goes on to the caller."""
    try:
        result = action()
    except AccountLeaderError as exc:
        app_store.record(state.store, event=event, actor=by.username, success=False,
                         detail={**detail, "error": str(exc)[:500]})
        raise
    app_store.record(state.store, event=event, actor=by.username, detail=detail or None)
    return result
