"""The Typer application and its shared state (console, workspace)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .console import Console

if TYPE_CHECKING:  # the workspace pulls in Ibis, pandas and the engines: loaded when a command needs it
    from ..workspace import Workspace

app = typer.Typer(
    name="accountleader",
    help="From managing accounts to leading them: efficiency and effectiveness over your CRM data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
