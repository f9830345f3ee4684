"""One exception hierarchy for the whole product.

Front ends translate these at the edge: the CLI prints one red line and exits 2
(bad input), 3 (workspace corrupt), 4 (workspace read-only), 5 (workspace busy) or 1 (bug); the API answers with one JSON error shape; the HTML app
shows one error page. Nothing below the edges prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class AccountLeaderError(Exception):
    """Root of every error accountleader raises on purpose."""

    exit_code = 1


class ConfigError(AccountLeaderError):
    """A setting is missing or invalid."""

    exit_code = 2


class NotFoundError(AccountLeaderError):
    """A rep, team, account or other named thing does not exist."""

    exit_code = 2


class PermissionDenied(AccountLeaderError):
    """The current user's role does not allow this."""

    exit_code = 2


class EditConflict(AccountLeaderError):
    """An edit made to an older version of a record someone else has changed since (optimistic
    concurrency): refused, never applied over their change. The message names who changed what;
    ``details`` carries the same for the API (e.g. the current version)."""

    exit_code = 2

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class WorkspaceError(AccountLeaderError):
    """The workspace itself cannot be used as it is; the message says what to do."""


class WorkspaceCorrupt(WorkspaceError):
    """A workspace file (crm.duckdb, results.duckdb) cannot be read as a database."""

    exit_code = 3


class WorkspaceReadOnly(WorkspaceError):
    """The workspace directory or one of its files may not be written by this user."""

    exit_code = 4


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace (an import or analysis, or a program with the file open)."""

    exit_code = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or file) of an input."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        shown = "" if self.value is None else f": value {self.value!r}"
        return f"{where}{shown}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


class InputError(AccountLeaderError):
    """Bad input from the user: names file, line, column and value when known."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.value = value


class AlreadyDone(InputError):
    """A one-time step asked for again (the demo's requests planted twice, say): nothing changed."""


@dataclass
class ImportRejected(InputError):
    """An import found problems; nothing was written.  Carries every problem found (up to a cap)."""

    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def __post_init__(self) -> None:
        first = self.problems[0] if self.problems else None
        InputError.__init__(
            self,
            self.summary(),
            file=first.file if first else None,
            line=first.line if first else None,
            column=first.column if first else None,
            value=first.value if first else None,
        )

    def summary(self) -> str:
        n = len(self.problems)
        more = " (more not shown)" if self.truncated else ""
        return f"import rejected: {n} problem{'s' if n != 1 else ''} found{more}; nothing was changed"

    def __str__(self) -> str:
        return self.summary()


class InputTooLarge(ImportRejected):
    """An input past a size cap (a zip bomb, too many rows or columns): refused before it is read
    in full. Its one problem names the file, the size found and the cap with its variable."""

    def summary(self) -> str:
        first = self.problems[0] if self.problems else "input too large"
        return f"import refused: {first}; nothing was changed"
