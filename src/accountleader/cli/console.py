"""All terminal output goes through one Console: Rich for people, a capture for tests.

Rich loads with the first line printed, not with the CLI: `--help` never needs it (issue 12,
fast start)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console as RichConsole

# Terminal escape sequences (CSI, OSC, and two-byte ESC forms), then any other control
# character but newline and tab: a CRM value must not recolour, retitle or clear a terminal.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` with terminal escape sequences and control characters taken out."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def _safe(message: str) -> str:
    """A message for Rich: no control characters, and brackets from data shown, not parsed as markup."""
    from rich.markup import escape

    return escape(clean(message))


class Console:
    def __init__(self, rich: RichConsole | None = None, *, err: RichConsole | None = None) -> None:
        # the Rich consoles given, or made when first used
        self._rich = rich
        self._err_console = err

    @property
    def rich(self) -> RichConsole:
        """The Rich console of stdout."""
        if self._rich is None:
            from rich.console import Console as RichConsole

            self._rich = RichConsole()
            if not self._rich.is_terminal:
                self._rich.width = 140  # piped to a file or a pager: don't squeeze tables into 80 columns
        return self._rich

    @property
    def err(self) -> RichConsole:
        """The Rich console of stderr."""
        if self._err_console is None:
            from rich.console import Console as RichConsole

            self._err_console = RichConsole(stderr=True)
        return self._err_console

    # plain lines ------------------------------------------------------------------------------
    def info(self, message: str) -> None:
        self.rich.print(_safe(message), highlight=False)

    def success(self, message: str) -> None:
        self.rich.print(f"[green]✓[/green] {_safe(message)}", highlight=False)

    def warning(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {_safe(message)}", highlight=False, markup=True)

    def error(self, message: str) -> None:
        self.err.print(f"[bold red]Error:[/bold red] {_safe(message)}", highlight=False)

    def json(self, data: Any) -> None:
        """Machine-readable output: plain JSON on stdout, nothing else. JSON escapes C0
        controls itself; C1 controls (0x80-0x9f, e.g. the one-byte CSI) are escaped too."""
        text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
        # stdout, as a Rich console would write it, without loading Rich for it
        out = self._rich.file if self._rich is not None else sys.stdout
        out.write(re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n")

    def table(self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, justify: dict[str, str] | None = None) -> None:
        from rich import box
        from rich.table import Table

        t = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        for c in columns:
            t.add_column(c, justify=(justify or {}).get(c, "left"))  # type: ignore[arg-type]
        for r in rows:
            t.add_row(*["—" if v is None else _safe(str(v)) for v in r])
        self.rich.print(t)

    @contextlib.contextmanager
    def progress(self, description: str) -> Iterator[Callable[[str, float], None]]:
        """A progress bar; yields ``update(step, fraction)`` for the work to call."""
        # only long commands show one: rich.progress is left out of every command's start
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[step]}"),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=1.0, step="")

            def update(step: str, fraction: float) -> None:
                bar.update(task, completed=max(0.0, min(1.0, fraction)), step=step)

            yield update


class CaptureConsole(Console):
    """Records everything for tests: ``.out`` and ``.errors`` hold the text."""

    def __init__(self) -> None:
        from rich.console import Console as RichConsole

        self._out = io.StringIO()
        self._err = io.StringIO()
        super().__init__(
            RichConsole(file=self._out, width=160, color_system=None, force_terminal=False),
            err=RichConsole(file=self._err, width=160, color_system=None, force_terminal=False),
        )

    @property
    def out(self) -> str:
        return self._out.getvalue()

    @property
    def errors(self) -> str:
        return self._err.getvalue()
