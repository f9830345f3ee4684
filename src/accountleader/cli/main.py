"""Entry point: runs the Typer app and turns errors into one clear line and an exit code.

Exit codes: 0 ok, 1 internal error, 2 bad input (or bad usage), 3 workspace corrupt
(a database file cannot be read), 4 workspace read-only (permission denied),
5 workspace busy (another import/analysis or program holds it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

try:  # Typer 0.2x vendors its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions

import typer

from ..errors import AccountLeaderError, ImportRejected
from . import analysis as _analysis  # noqa: F401  (registers commands)
from . import backtest as _backtest  # noqa: F401
from . import data as _data  # noqa: F401
from . import docs as _docs  # noqa: F401
from . import forecast as _forecast  # noqa: F401
from . import model as _model  # noqa: F401
from . import playbooks as _playbooks  # noqa: F401
from . import readiness as _readiness  # noqa: F401
from . import report as _report  # noqa: F401
from . import requests as _requests  # noqa: F401
from . import serve as _serve  # noqa: F401
from . import settings as _settings  # noqa: F401
from . import support_maps as _support_maps  # noqa: F401
from . import users as _users  # noqa: F401
from .app import STATE, app
from .console import Console


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    STATE.console = console or Console()
    STATE._workspace = None
    STATE.workspace_path = None
    STATE.debug = False
    con = STATE.console
    try:
        app(args=list(argv) if argv is not None else None, prog_name="accountleader", standalone_mode=False)
        return 0
    except ImportRejected as exc:
        if STATE.debug:
            raise
        con.error(str(exc))
        con.table(None, ["file", "line", "column", "value", "problem"], [(p.file, p.line, p.column, _short(p.value), p.reason) for p in exc.problems])
        return 2
    except AccountLeaderError as exc:
        if STATE.debug:
            raise
        con.error(str(exc))
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        con.error("aborted")
        return 1
    except click_exceptions.ClickException as exc:
        if isinstance(exc, click_exceptions.UsageError):
            exc.show(file=con.err.file)  # usage line plus the message, as click prints it
        else:
            con.error(exc.format_message())
        return exc.exit_code
    except KeyboardInterrupt:
        con.error("interrupted; nothing was changed")
        return 1
    except Exception as exc:  # the last line of defence: never show a traceback by default
        if STATE.debug:
            raise
        con.error(f"internal error: {type(exc).__name__}: {exc}. Re-run with --debug for details and report it.")
        return 1
    finally:
        if STATE._workspace is not None:
            STATE._workspace.close()


def _short(value: str | None, limit: int = 60) -> str | None:
    if value is None:
        return None
    return value if len(value) <= limit else value[: limit - 1] + "…"


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
