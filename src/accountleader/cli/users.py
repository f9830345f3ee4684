"""People who use the web app: `accountleader users add|list|set-role|token`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..domain.access import ROLES
from .app import app, state

if TYPE_CHECKING:
    from .. import store as app_store

users_app = typer.Typer(help="People who may log in to the web app, and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ROLE_HELP = "One of: " + ", ".join(ROLES) + "."
CrmOpt = Annotated[str | None, typer.Option("--crm-user-id", help="The CRM user id this person is (required unless admin).")]


def _api():  # type: ignore[no-untyped-def]
    """The app-database module: SQLAlchemy and Alembic load only when a `users` command runs."""
    from .. import store

    return store


def _store() -> app_store.Store:
    from ..config import environment

    api = _api()
    return api.open_store(api.default_url(state().workspace.path, environment().database_url))


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "rep",
    crm_user_id: CrmOpt = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given.")
    ] = "",
) -> None:
    """Add a user who can log in to the web app."""
    store = _store()
    try:
        user = _api().create_user(store, username=username, password=password, role=role, crm_user_id=crm_user_id)
    finally:
        store.close()
    state().console.success(f"added {user.username} ({user.role}{', CRM ' + user.crm_user_id if user.crm_user_id else ''})")


@users_app.command("list")
def list_(json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """List users and their roles."""
    store = _store()
    try:
        people = _api().list_users(store)
    finally:
        store.close()
    con = state().console
    if json:
        con.json([u.as_dict() for u in people])
        return
    con.table("Users", ["username", "role", "crm user", "active"],
              [(u.username, u.role, u.crm_user_id, "yes" if u.active else "no") for u in people])


@users_app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
    crm_user_id: CrmOpt = None,
) -> None:
    """Change a user's role (and optionally their CRM user id)."""
    store = _store()
    try:
        user = _api().set_role(store, username=username, role=role, crm_user_id=crm_user_id)
    finally:
        store.close()
    state().console.success(f"{user.username} is now {user.role}")


@users_app.command("token")
def token(
    username: Annotated[str, typer.Argument(help="Login name.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "script",
) -> None:
    """Create an API token for scripts; printed once, stored only as a hash."""
    store = _store()
    try:
        user = next((u for u in _api().list_users(store) if u.username == _api().users.normalize_username(username)), None)
        if user is None:
            from ..errors import NotFoundError

            raise NotFoundError(f"no user named {username!r}")
        secret = _api().create_token(store, user_id=user.id, name=name)
    finally:
        store.close()
    state().console.info(secret)
