"""What the app holds for its lifetime: the workspace readers, the app database, the secret, the templates."""

from __future__ import annotations

import json
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi.templating import Jinja2Templates

from ..engine import storage
from ..errors import AccountLeaderError
from ..store import Store
from ..workspace import Workspace
from .jobs import Job
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
    # Reads go through a small pool of Workspace readers, each with its own read-only DuckDB
    # connections: a slow page holds one reader, never the others.
    readers: int = 4
    # Only one import or analysis at a time from this process (the workspace also locks on disk).
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    # Wrong-password counts per account and per address (bounded; see ratelimit.py).
    login_limiter: LoginLimiter = field(default_factory=LoginLimiter)
    # The last import or analysis started from the web (see jobs.py).
    job: Job | None = None
    # Page contexts by (page, scope, arguments): results only change when an import, an
    # analysis or a settings save rewrites a file, and the key includes those files' stamps.
    _cache: OrderedDict[Hashable, object] = field(default_factory=OrderedDict)
    cache_size: int = 512
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: queue.LifoQueue[Workspace] = field(default_factory=queue.LifoQueue)
    _made: list[Workspace] = field(default_factory=list)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock)
    _held: threading.local = field(default_factory=threading.local)
    # The data id of the results file as last seen (read again only when the file changes).
    _results_seen: Any = None
    _results_data_id: str | None = None

    def __post_init__(self) -> None:
        self._made.append(self.workspace)
        self._pool.put(self.workspace)

    def _checkout(self) -> Workspace:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._pool_lock:
            if len(self._made) < self.readers:
                reader = Workspace(self.workspace_path)
                self._made.append(reader)
                return reader
        return self._pool.get()

    @contextmanager
    def reading(self) -> Iterator[Workspace]:
        """A workspace reader for this thread (the same one if this thread already holds one)."""
        held = getattr(self._held, "ws", None)
        if held is not None:
            yield held
            return
        ws = self._checkout()
        self._held.ws = ws
        try:
            with ws.pinned():  # one results file and the CRM snapshot it was computed from
                yield ws
        finally:
            self._held.ws = None
            self._pool.put(ws)

    def read(self, fn: Callable[[Workspace], T]) -> T:
        with self.reading() as ws:
            return fn(ws)

    def data_stamp(self) -> tuple[Any, ...]:
        """The files a page is built from: the results, the CRM file they were computed from
        (crm.duckdb, or the snapshot an import kept until the analysis replaces them) and
        settings.yaml. An import alone changes none of them, so pages stay cached meanwhile."""
        ws = self.workspace
        results = _stamp(ws.results_path)
        if results != self._results_seen:
            data_id = None
            with suppress(AccountLeaderError, OSError):
                data_id = storage.read_meta(ws.results_path).get("data_id")
            self._results_seen, self._results_data_id = results, data_id
        snapshot = storage.snapshot_path(ws.crm_path, self._results_data_id)
        crm = (_stamp(snapshot) if snapshot is not None else None) or _stamp(ws.crm_path)
        return results, crm, _stamp(self.workspace_path / "settings.yaml")

    def files_stamp(self) -> tuple[Any, ...]:
        """:meth:`data_stamp` plus crm.duckdb itself (what freshness reports on)."""
        return (*self.data_stamp(), _stamp(self.workspace.crm_path))

    def cached(self, key: Hashable, fn: Callable[[Workspace], T], *, stamp: tuple[Any, ...] | None = None) -> T:
        """``fn(workspace)``, remembered until the workspace's data files change.

        ``key`` must include the caller's Scope, so people never share each other's pages.
        The lock guards only the dict: two requests never wait on each other's queries.
        """
        full_key = (key, stamp if stamp is not None else self.data_stamp())
        with self._cache_lock:
            if full_key in self._cache:
                self._cache.move_to_end(full_key)
                return self._cache[full_key]  # type: ignore[return-value]
        value = self.read(fn)
        if type(value) is dict:
            value = Page(value)  # type: ignore[assignment]
        with self._cache_lock:
            self._cache[full_key] = value
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return value

    def freshness(self) -> dict[str, Any]:
        """Whether the results shown are current, and the banner to show when they are not."""
        fresh = dict(self.cached(("freshness",), lambda ws: ws.freshness(), stamp=self.files_stamp()))
        job = self.job
        running = job is not None and job.running
        busy = running or storage.is_busy(self.workspace_path)
        fresh["running"] = job.phase if running and job else ("analysis" if busy else None)
        fresh["banner"] = _banner(fresh, busy)
        return fresh

    def writer(self) -> Workspace:
        """A separate Workspace for imports and analysis, so pages keep reading meanwhile.

        Readers notice the new files by their modification time and reconnect."""
        return Workspace.open(self.workspace_path)

    def close(self) -> None:
        for ws in self._made:
            ws.close()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _banner(fresh: dict[str, Any], busy: bool) -> str | None:
    if not fresh.get("has_results"):
        return "no results yet: an import or analysis is running…" if busy else None
    since = f"results are from {fresh.get('results_at') or 'an earlier analysis'}"
    reasons = "; ".join(fresh.get("reasons", []))
    if busy:
        return f"{since}; {reasons + ', ' if reasons else ''}{'import' if fresh['running'] == 'import' else 'analysis'} running…"
    if fresh.get("stale"):
        return f"stale: {since}; {reasons}. An admin can re-run the analysis."
    return None
