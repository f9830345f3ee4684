"""What the app holds for its lifetime: the workspace, the app database, the secret, the templates."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from fastapi.templating import Jinja2Templates

from ..store import Store
from ..workspace import Workspace
from .ratelimit import LoginLimiter

T = TypeVar("T")


class Page(dict):  # type: ignore[type-arg]
    """A cached page context that also remembers its JSON encoding, so the API's twin of a
    page is serialised once per data change, not once per request."""

    __slots__ = ("_json",)

    def json_bytes(self) -> bytes:
        cached = getattr(self, "_json", None)
        if cached is None:
            cached = json.dumps(self, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
            self._json = cached
        return cached


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
    # Page contexts by (page, scope, arguments): results only change when an import, an
    # analysis or a settings save rewrites a file, and the key includes those files' stamps.
    _cache: OrderedDict[Hashable, object] = field(default_factory=OrderedDict)
    cache_size: int = 512
    # Wrong-password counts per account and per address (bounded; see ratelimit.py).
    login_limiter: LoginLimiter = field(default_factory=LoginLimiter)

    @contextmanager
    def reading(self) -> Iterator[Workspace]:
        with self._read_lock:
            yield self.workspace

    def read(self, fn: Callable[[Workspace], T]) -> T:
        with self._read_lock:
            return fn(self.workspace)

    def data_stamp(self) -> tuple[int, ...]:
        stamps = []
        for path in (self.workspace.crm_path, self.workspace.results_path, self.workspace_path / "settings.yaml"):
            try:
                st = os.stat(path)
                stamps += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                stamps += [0, 0]
        return tuple(stamps)

    def cached(self, key: Hashable, fn: Callable[[Workspace], T]) -> T:
        """``fn(workspace)``, remembered until the workspace's data files change.

        ``key`` must include the caller's Scope, so people never share each other's pages.
        """
        with self._read_lock:
            full_key = (key, self.data_stamp())
            if full_key in self._cache:
                self._cache.move_to_end(full_key)
                return self._cache[full_key]  # type: ignore[return-value]
            value = fn(self.workspace)
            if type(value) is dict:
                value = Page(value)  # type: ignore[assignment]
            self._cache[full_key] = value
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return value

    def writer(self) -> Workspace:
        """A separate Workspace for imports and analysis, so pages keep reading meanwhile.

        The shared reader notices the new files by their modification time and reconnects.
        """
        return Workspace.open(self.workspace_path)
