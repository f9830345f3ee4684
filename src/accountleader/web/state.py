"""What the app holds for its lifetime: the workspace, the app database, the secret, the templates."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from fastapi.templating import Jinja2Templates

from ..store import Store
from ..workspace import Workspace

T = TypeVar("T")


@dataclass
class AppState:
    workspace_path: Path
    workspace: Workspace
    store: Store
    secret_key: str
    templates: Jinja2Templates
    # One DuckDB connection serves every request; reads take turns on it.
    _read_lock: threading.RLock = field(default_factory=threading.RLock)
    # Only one import or analysis at a time from this process (the workspace also locks on disk).
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def reading(self) -> Iterator[Workspace]:
        with self._read_lock:
            yield self.workspace

    def read(self, fn: Callable[[Workspace], T]) -> T:
        with self._read_lock:
            return fn(self.workspace)

    def writer(self) -> Workspace:
        """A separate Workspace for imports and analysis, so pages keep reading meanwhile.

        The shared reader notices the new files by their modification time and reconnects.
        """
        return Workspace.open(self.workspace_path)
