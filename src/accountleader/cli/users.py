"""People who use the web app: `accountleader users add|list|set-role|set-email|passwd|disable|enable|token|tokens|audit`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ..domain.access import ROLES
from .app import HelpGroup, app, state

if TYPE_CHECKING:
    from .. import store as app_store

T = TypeVar("T")
users_app = typer.Typer(cls=HelpGroup, help="People who may log in to the web app, and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")
tokens_app = typer.Typer(cls=HelpGroup, help="API tokens: list and revoke.", no_args_is_help=True)
users_app.add_typer(tokens_app, name="tokens")

ROLE_HELP = "One of: " + ", ".join(ROLES) + "."
CrmOpt = Annotated[str | None, typer.Option("--crm-user-id", help="The CRM user id this person is (required unless admin).")]
NameArg = Annotated[str, typer.Argument(help="Login name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
# Audit entries made from the command line name this actor.
ACTOR = "cli"


def _api():  # type: ignore[no-untyped-def]
    """The app-database module: SQLAlchemy and Alembic load only when a `users` command runs."""
    from .. import store

    return store


def _store() -> app_store.Store:
    from ..config import environment

    api = _api()
    return api.open_store(api.default_url(state().workspace.path, environment().database_url))


def _with_store(fn: Callable[[app_store.Store], T]) -> T:
    store = _store()
    try:
        return fn(store)
    finally:
        store.close()


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "rep",
    crm_user_id: CrmOpt = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given.")
    ] = "",
    email: Annotated[str | None, typer.Option("--email", help="Where their notifications go (support requests).")] = None,
) -> None:
    """Add a user who can log in to the web app."""
    user = _with_store(lambda s: _api().create_user(s, username=username, password=password, role=role,
                                                    crm_user_id=crm_user_id, by=ACTOR, email=email))
    state().console.success(f"added {user.username} ({user.role}{', CRM ' + user.crm_user_id if user.crm_user_id else ''})")


@users_app.command("list")
def list_(json: JsonOpt = False) -> None:
    """List users and their roles."""
    people = _with_store(_api().list_users)
    con = state().console
    if json:
        con.json([u.as_dict() for u in people])
        return
    con.table("Users", ["username", "role", "crm user", "email", "active"],
              [(u.username, u.role, u.crm_user_id, u.email, "yes" if u.active else "no") for u in people])


@users_app.command("set-role")
def set_role(username: NameArg, role: Annotated[str, typer.Argument(help=ROLE_HELP)], crm_user_id: CrmOpt = None) -> None:
    """Change a user's role (and optionally their CRM user id)."""
    user = _with_store(lambda s: _api().set_role(s, username=username, role=role, crm_user_id=crm_user_id, by=ACTOR))
    state().console.success(f"{user.username} is now {user.role}")


@users_app.command("set-email")
def set_email(username: NameArg,
              email: Annotated[str, typer.Argument(help="An email address; \"\" to remove it.")]) -> None:
    """Set where a user's notifications go (support requests); "" for none."""
    user = _with_store(lambda s: _api().users.set_email(s, username=username, email=email, by=ACTOR))
    state().console.success(f"{user.username}: notifications go to {user.email}" if user.email else
                            f"{user.username}: no email, no notifications")


@users_app.command("passwd")
def passwd(
    username: NameArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the new password from the first line of stdin.")] = False,
) -> None:
    """Set a new password; every session and API token of the user ends."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    ended = _with_store(lambda s: _api().set_password(s, username=username, password=password, by=ACTOR))
    state().console.success(f"new password set for {username.strip().lower()}; {ended} sessions and tokens ended")


@users_app.command("disable")
def disable(username: NameArg) -> None:
    """Disable a login: it can no longer log in or use a token; every session and token ends."""
    user = _with_store(lambda s: _api().set_active(s, username=username, active=False, by=ACTOR))
    state().console.success(f"{user.username} is disabled")


@users_app.command("enable")
def enable(username: NameArg) -> None:
    """Let a disabled user log in again (their old tokens stay revoked)."""
    user = _with_store(lambda s: _api().set_active(s, username=username, active=True, by=ACTOR))
    state().console.success(f"{user.username} is enabled")


@users_app.command("token")
def token(
    username: NameArg,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "script",
    days: Annotated[int, typer.Option("--days", help="Days until it expires (1-366).")] = 90,
    write: Annotated[bool, typer.Option("--write", help="Allow changes (POST/PUT); read-only otherwise.")] = False,
) -> None:
    """Create an API token for scripts; printed once, stored only as a hash."""
    def make(s: app_store.Store) -> str:
        user = _user(s, username)
        return _api().create_token(s, user_id=user.id, name=name, days=days, write=write, by=ACTOR)

    state().console.info(_with_store(make))


def _user(s: app_store.Store, username: str) -> app_store.UserPublic:
    wanted = _api().users.normalize_username(username)
    user = next((u for u in _api().list_users(s) if u.username == wanted), None)
    if user is None:
        from ..errors import NotFoundError

        raise NotFoundError(f"no user named {wanted!r}")
    return user


@tokens_app.command("list")
def tokens_list(username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
                json: JsonOpt = False) -> None:
    """List API tokens (never their secrets): id, owner, scope, expiry, status."""
    tokens = _with_store(lambda s: _api().list_tokens(s, user_id=_user(s, username).id if username else None))
    con = state().console
    rows = [t.as_dict() for t in tokens]
    if json:
        con.json(rows)
        return
    con.table("API tokens", ["id", "user", "name", "scope", "expires", "status"],
              [(r["id"], r["username"], r["name"], r["scope"], r["expires_at"], r["status"]) for r in rows])


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="The id shown by `users tokens list`.")]) -> None:
    """Revoke an API token by its id."""
    tok = _with_store(lambda s: _api().revoke_token_id(s, token_id=token_id, by=ACTOR))
    state().console.success(f"token {tok.id} ({tok.name}) of {tok.username} is revoked")


@users_app.command("audit")
def audit(limit: Annotated[int, typer.Option("--limit", help="How many entries, newest first.")] = 50,
          json: JsonOpt = False) -> None:
    """The audit log: logins and admin actions, newest first."""
    entries = _with_store(lambda s: _api().list_audit(s, limit=limit))
    con = state().console
    if json:
        con.json([e.as_dict() for e in entries])
        return
    con.table("Audit log", ["when", "event", "ok", "actor", "subject", "address", "detail"],
              [(e.at.isoformat(timespec="seconds"), e.event, "yes" if e.success else "NO", e.actor, e.subject,
                e.address, ", ".join(f"{k}={v}" for k, v in (e.detail or {}).items()) or None) for e in entries])
