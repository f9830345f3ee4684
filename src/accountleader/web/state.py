"""What the app holds for its lifetime: the workspace readers, the app database, the secret, the templates."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi.templating import Jinja2Templates

from ..domain.as_of import AsOf
from ..errors import AccountLeaderError
from ..store import Store
from ..workspace import Workspace
from .jobs import Job
from .ratelimit import LoginLimiter

T = TypeVar("T")
log = logging.getLogger("accountleader.web")


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
    # Pages being built now (others asking for the same one wait), and the builders of the
    # most recently used pages, rebuilt after new results are swapped in.
    _building: dict[Hashable, threading.Event] = field(default_factory=dict)
    _builders: OrderedDict[Hashable, Callable[[Workspace], Any]] = field(default_factory=OrderedDict)
    rebuild_size: int = 48
    _closing: bool = False
    # The data id of the results file as last seen (read again only when the file changes).

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
        """What cached pages are keyed by (:meth:`Workspace.page_stamp`)."""
        return self.workspace.page_stamp()

    def files_stamp(self) -> tuple[Any, ...]:
        """:meth:`data_stamp` plus crm.duckdb itself (what freshness reports on)."""
        return self.workspace.page_stamp(with_latest_crm=True)

    def cached(self, key: Hashable, fn: Callable[[Workspace], T], *, stamp: tuple[Any, ...] | None = None,
               rebuild: bool = False) -> T:
        """``fn(workspace)``, remembered until the workspace's data files change.

        ``key`` must include the caller's Scope, so people never share each other's pages.
        The lock guards only the dict: requests never wait on each other's queries, except
        that two asking for the same missing page wait for one build instead of each doing it.
        ``rebuild``: ``fn`` depends on the workspace only, so :meth:`rebuild_recent` may run it
        again after new results are swapped in.
        """
        full_key = (key, stamp if stamp is not None else self.data_stamp())
        while True:
            with self._cache_lock:
                if full_key in self._cache:
                    self._cache.move_to_end(full_key)
                    return self._cache[full_key]  # type: ignore[return-value]
                if rebuild:
                    self._builders[key] = fn
                    self._builders.move_to_end(key)
                    while len(self._builders) > self.rebuild_size:
                        self._builders.popitem(last=False)
                building = self._building.get(full_key)
                if building is None:
                    building = self._building[full_key] = threading.Event()
                    break
            building.wait(timeout=60)  # then served from the cache, or built here if that build failed
        try:
            value = self.read(fn)
            if type(value) is dict:
                value = Page(value)  # type: ignore[assignment]
            with self._cache_lock:
                self._cache[full_key] = value
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        finally:
            with self._cache_lock:
                self._building.pop(full_key, None)
            building.set()
        return value

    def rebuild_recent(self) -> int:
        """Build the most recently used pages again for the files as they are now: called by
        an import or analysis right after it swaps new results in, so the first visitors
        afterwards do not each wait for a cold build. Returns how many were built."""
        with self._cache_lock:
            recent = list(self._builders.items())[::-1]
        built = 0
        for key, fn in recent:
            if self._closing:
                break
            try:
                self.cached(key, fn, rebuild=True)
                built += 1
            except AccountLeaderError:
                pass  # e.g. a seller the new data no longer has: its next visitor gets the 404
            except Exception:  # noqa: BLE001 - a page that fails to build must not fail the job
                if not self._closing:  # at shutdown the readers are closed under it
                    log.exception("rebuilding a page after the results changed failed")
        return built

    def at(self, as_of: AsOf | None) -> tuple[Any, ...] | None:
        """For ``?as_of=``: None when it is not given or names the current results (pages read
        those), else the page stamp of the snapshot kept for it. Raises NotFoundError when no
        results for that date are kept."""
        path = self.workspace.snapshot_file(as_of)
        if path is None:
            return None
        # the kept file, plus what the current pages are keyed by (CRM files, settings)
        return (str(path), _stamp(path), *self.files_stamp())

    def cached_at(self, as_of: AsOf | None, key: Hashable, fn: Callable[[Workspace], T]) -> T:
        """:meth:`cached` for a page that may be asked for a kept snapshot (``?as_of=``)."""
        stamp = self.at(as_of)
        if stamp is None:
            return self.cached(key, fn, rebuild=True)
        assert as_of is not None

        def on_snapshot(ws: Workspace) -> T:
            with ws.at(as_of).pinned() as view:
                return fn(view)

        return self.cached((key, "as_of", as_of.key), on_snapshot, stamp=stamp)

    def snapshots(self) -> dict[str, Any]:
        """The kept result snapshots (``Workspace.snapshots``) and the current as-of date."""
        folder = self.workspace_path / "results"
        stamp = (_stamp(self.workspace.current_results_path), _stamp(folder), _stamp(self.workspace.crm_path))

        def read(ws: Workspace) -> dict[str, Any]:
            kept = ws.snapshots()
            current = next((s for s in kept if s["current"]), None)
            return {"snapshots": kept, "current": current["date"] if current else None,
                    "kept_at_most": ws.settings.results_snapshots_kept}

        return self.cached(("snapshots",), read, stamp=stamp)

    def freshness(self) -> dict[str, Any]:
        """Whether the results shown are current, and the banner to show when they are not."""
        fresh = dict(self.cached(("freshness",), lambda ws: ws.freshness(), stamp=self.files_stamp()))
        job = self.job
        running = job is not None and job.running
        busy = running or self.workspace.is_busy()
        fresh["running"] = job.phase if running and job else ("analysis" if busy else None)
        fresh["banner"] = _banner(fresh, busy)
        return fresh

    def warm_readers(self, fn: Callable[[Workspace], object], *, seconds: float = 120.0) -> int:
        """Run ``fn`` on every reader of the pool, one reader at a time, while requests use the
        others (readers busy with a request are taken when they come back). Returns how many.

        After an import, the readers' first use of the new data (opening it and annotating
        its tables, seconds per reader) would otherwise fall on the first requests after the
        results are swapped in."""
        with self._pool_lock:
            while len(self._made) < self.readers:
                reader = Workspace(self.workspace_path)
                self._made.append(reader)
                self._pool.put(reader)
        done: set[int] = set()
        deadline = time.monotonic() + seconds
        while len(done) < len(self._made) and time.monotonic() < deadline:
            idle: list[Workspace] = []
            with suppress(queue.Empty):
                while True:
                    idle.append(self._pool.get_nowait())
            todo = next((ws for ws in idle if id(ws) not in done), None)
            for ws in idle:  # the others go back at once: requests keep their readers
                if ws is not todo:
                    self._pool.put(ws)
            if todo is None:
                time.sleep(0.05)
                continue
            try:
                with suppress(AccountLeaderError):
                    fn(todo)
                done.add(id(todo))
            finally:
                self._pool.put(todo)
        return len(done)

    def writer(self) -> Workspace:
        """A separate Workspace for imports and analysis, so pages keep reading meanwhile.

        Readers notice the new files by their modification time and reconnect. It checks the
        playbook triggers against this app's database after each analyze."""
        writer = Workspace.open(self.workspace_path)
        writer.attach_store(self.store)
        return writer

    def close(self) -> None:
        self._closing = True
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
