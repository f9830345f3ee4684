"""Playbooks with owners: `accountleader playbooks list|add|assign|close`.

The command line acts with every right (like `users`); its changes are recorded as made by
"cli". Each playbook's trigger is checked at every `analyze`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import HelpGroup, app, state

if TYPE_CHECKING:
    from ..playbooks import Playbooks

playbooks_app = typer.Typer(cls=HelpGroup, no_args_is_help=True,
                            help="Playbooks for the top risks: trigger, actions, owner, due date; alerts when a trigger fires.")
app.add_typer(playbooks_app, name="playbooks")

IdArg = Annotated[int, typer.Argument(help="The playbook's id (`playbooks list`).")]
VersionOpt = Annotated[int | None, typer.Option(
    "--version", help="The version you are changing (`playbooks list`); refused if it changed since. "
                      "Without it the change applies to the playbook as it is now.")]


def _desk() -> Playbooks:
    # SQLAlchemy, Alembic and the results load only when a playbooks command runs
    return state().workspace.playbooks()


def _edit(playbook_id: int, version: int | None, changes: dict[str, Any]) -> Any:
    from ..playbooks import CLI

    desk = _desk()
    if version is None:
        version = desk.page(playbook_id)["playbook"]["version"]
    return desk.edit(CLI, playbook_id, version=version, changes=changes)


@playbooks_app.command("list")
def list_(
    status: Annotated[str, typer.Option("--status", help="open, closed or all.")] = "open",
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts (with the standing alerts).")] = False,
) -> None:
    """List playbooks: subject, trigger, owner, due date, status, version, and whether the trigger fired."""
    from ..errors import InputError

    if status not in ("open", "closed", "all"):
        raise InputError(f"--status {status!r}: choose open, closed or all", value=status)
    desk = _desk()
    rows = desk.list_for(status=None if status == "all" else status)
    con = state().console
    if json:
        con.json({"playbooks": rows, "alerts": desk.alerts()})
        return
    con.table(f"Playbooks ({len(rows)}, {status})", ["id", "v", "subject", "title", "trigger", "owner", "due", "status", "fired"],
              [(p["id"], p["version"], p["subject_name"] or p["subject_id"], p["title"], p["trigger"], p["owner"],
                p["due_date"], p["status"], (p["fired_as_of"] or "")[:10]) for p in rows])


@playbooks_app.command("add")
def add(
    title: Annotated[str, typer.Option("--title", help="What the playbook is for, in a line.")],
    trigger: Annotated[str, typer.Option("--trigger", help="close_date_pushed, stage_regression, amount_cut or champion_silent.")],
    actions: Annotated[str, typer.Option("--actions", help="What will be done when it fires.")],
    owner: Annotated[str, typer.Option("--owner", help="The user who owns it (a login name; must see the deal or account).")],
    due: Annotated[str, typer.Option("--due", help="Due date, YYYY-MM-DD.")],
    opportunity: Annotated[str | None, typer.Option("--opportunity", help="The deal's CRM id.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="The account's CRM id or exact name.")] = None,
    times: Annotated[int | None, typer.Option("--times", help="Counting triggers: fire at this many (default 2 pushes, else 1).")] = None,
    days: Annotated[int | None, typer.Option("--days", help="champion_silent: fire after this many days without a touch (default 30).")] = None,
) -> None:
    """Add a playbook on a deal (--opportunity) or an account (--account)."""
    from ..errors import InputError
    from ..playbooks import CLI

    if (opportunity is None) == (account is None):
        raise InputError("give one of --opportunity ID or --account ID")
    params = {k: v for k, v in (("times", times), ("days", days)) if v is not None}
    p = _desk().add(CLI, subject_kind="opportunity" if opportunity else "account",
                    subject_id=opportunity or account or "", title=title, trigger_kind=trigger, trigger_params=params,
                    actions=actions, owner=owner, due_date=due)
    state().console.success(f"playbook {p.id} on {p.subject_name or p.subject_id}: {p.trigger}; owner {p.owner_username}, "
                            f"due {p.due_date.isoformat()} (version {p.version})")


@playbooks_app.command("assign")
def assign(playbook_id: IdArg, owner: Annotated[str, typer.Argument(help="The new owner's login name.")],
           version: VersionOpt = None) -> None:
    """Give a playbook to another owner."""
    p = _edit(playbook_id, version, {"owner": owner})
    state().console.success(f"playbook {p.id} is owned by {p.owner_username} (version {p.version})")


@playbooks_app.command("close")
def close(playbook_id: IdArg, version: VersionOpt = None) -> None:
    """Close a playbook: its trigger is no longer checked and its alert leaves the cockpit."""
    p = _edit(playbook_id, version, {"status": "closed"})
    state().console.success(f"playbook {p.id} is closed (version {p.version})")
