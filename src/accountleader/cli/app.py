"""The Typer application and its shared state (console, workspace).

Help is click's plain help, not Typer's Rich panels: rendering those loads Rich's Markdown,
traceback and syntax modules, most of what `accountleader --help` used to spend (issue 12,
fast start). Command lists show each command's whole summary, as the panels did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from .console import Console

if TYPE_CHECKING:  # the workspace pulls in Ibis, pandas and the engines: loaded when a command needs it
    from ..workspace import Workspace



class HelpGroup(TyperGroup):
    """A command group whose help lists each command with its whole summary (the first
    paragraph of its help), where click cuts it at the terminal width with "..."."""

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            text = cmd.short_help or (cmd.help or "").split("\n\n")[0]
            rows.append((name, " ".join(text.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="accountleader",
    help="From managing accounts to leading them: efficiency and effectiveness over your CRM data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, for every subcommand too (see the module's doc)
    cls=HelpGroup,
)


@dataclass
class State:
    console: Console = field(default_factory=Console)
    workspace_path: Path | None = None
    debug: bool = False
    _workspace: Workspace | None = None

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            from ..config import environment
            from ..workspace import Workspace

            self._workspace = Workspace.open(self.workspace_path or environment().workspace)
        return self._workspace


STATE = State()


@app.callback()
def _options(
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace directory (default: $ACCOUNTLEADER_WORKSPACE or ./accountleader-workspace)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    STATE.workspace_path = workspace
    STATE.debug = debug


def state() -> State:
    return STATE
