"""The workspace's embedded DuckDB files, written atomically.

A database file is never modified in place: a new file is written beside it,
checkpointed, fsynced and renamed over the old one.  A crash or ``kill -9`` at any
point leaves the old file untouched; the half-written file is removed next time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import AccountLeaderError

META_TABLE = "_meta"
#: Workspace files hold CRM data and password hashes: readable by their owner only,
#: whatever the umask (set where each file is created).
FILE_MODE = 0o600
DIR_MODE = 0o700


def write_database(path: Path, tables: dict[str, pa.Table], meta: dict[str, Any]) -> None:
    """Replace the database at ``path`` with exactly these tables, or leave it untouched."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        con = duckdb.connect(str(tmp))
        try:
            # Tables are sets: letting DuckDB write row groups in any order uses every core.
            con.execute("SET preserve_insertion_order = false")
            for name, table in tables.items():
                con.register("_incoming", table)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _incoming')
                con.unregister("_incoming")
            con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
            con.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _fsync(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        _remove(tmp)
        raise


def write_json(path: Path, doc: Any) -> None:
    """Write a small JSON file atomically (a reader sees the old file or the new one)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; the folder itself is made owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # a folder we do not own keeps its mode
        if path.stat().st_mode & 0o777 != DIR_MODE:
            os.chmod(path, DIR_MODE)
    return path


def read_json(path: Path) -> Any:
    """A JSON file written by :func:`write_json`, or None when absent or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_meta(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()
    return {k: json.loads(v) for k, v in rows}


def remove_stale_files(directory: Path) -> list[Path]:
    """Remove temporary files left by an interrupted write (``kill -9``, power loss).

    When no writer holds the workspace lock, every ``.*.tmp`` file (and its DuckDB
    ``.wal``) is stale, whatever process id its name carries (ids are reused).  When a
    writer is running, only files of processes that no longer exist are removed.
    """
    if not directory.is_dir():
        return []
    candidates = sorted(set(directory.glob(".*.tmp")) | {p.with_suffix("") for p in directory.glob(".*.tmp.wal")})
    if not candidates:
        return []
    idle = _lock_is_free(directory)
    removed = []
    for tmp in candidates:
        try:
            pid = int(tmp.name.rsplit(".", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid():
            continue
        if idle or not _alive(pid):
            _remove(tmp)
            removed.append(tmp)
    return removed


def _lock_is_free(directory: Path) -> bool:
    lock = directory / ".lock"
    if not lock.exists():
        return True
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


@contextlib.contextmanager
def exclusive(directory: Path, what: str) -> Iterator[None]:
    """Only one writer per workspace at a time; a second one is told so, not queued."""
    private_dir(directory)
    with open(directory / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AccountLeaderError(f"another {what} is running in workspace {directory}; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
