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
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # pyarrow (and NumPy with it) loads only where results are written
    import pyarrow as pa

from ..domain.as_of import AsOf
from ..errors import InputError, WorkspaceBusy, WorkspaceCorrupt, WorkspaceReadOnly

META_TABLE = "_meta"
#: Workspace files hold CRM data and password hashes: readable by their owner only,
#: whatever the umask (set where each file is created).
FILE_MODE = 0o600
DIR_MODE = 0o700

# What to do about each kind of unusable workspace, said once for the CLI and the web.
_FIX_CORRUPT = {
    "crm.duckdb": "import the data again (`accountleader import ...`), or restore the file from a backup",
    "results.duckdb": "run `accountleader analyze --force` to recompute it",
}


def corrupt(path: Path, detail: str = "") -> WorkspaceCorrupt:
    fix = _FIX_CORRUPT.get(path.name, "restore it from a backup")
    why = f" ({detail})" if detail else ""
    return WorkspaceCorrupt(f"{path} is not a readable database{why}; {fix}")


def read_only(path: Path) -> WorkspaceReadOnly:
    return WorkspaceReadOnly(
        f"cannot write to workspace {path}: permission denied; run as the workspace's owner, "
        "fix its permissions (e.g. `chmod u+w`), or copy it somewhere writable"
    )


def busy(path: Path, by: str = "another process") -> WorkspaceBusy:
    return WorkspaceBusy(f"workspace {path} is busy: {by} holds it; try again when it has finished")


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn DuckDB and OS errors about the file at ``path`` into the workspace errors."""
    try:
        yield
    except PermissionError:
        raise read_only(path.parent if path.suffix else path) from None
    except duckdb.IOException as exc:
        message = str(exc)
        if "Could not set lock" in message or "Conflicting lock" in message:
            raise busy(path.parent, "another program has " + path.name + " open") from None
        if "Permission denied" in message or "Read-only file system" in message:
            raise read_only(path.parent) from None
        raise corrupt(path, message.removeprefix("IO Error: ")[:200]) from None
    except (duckdb.SerializationException, duckdb.InternalException) as exc:
        raise corrupt(path, str(exc)[:200]) from None


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A private read-only view of the file: an in-memory DuckDB with the file attached.

    DuckDB caches one database instance per path and process; a file replaced by
    :func:`write_database` would keep being served from the old instance while any
    connection to it is open.  Attaching to a fresh in-memory instance always reads the
    file that is at ``path`` now."""
    con = duckdb.connect(":memory:")
    try:
        with translated(path):
            con.execute(f"ATTACH '{_quote(path)}' AS db (READ_ONLY)")
            con.execute("USE db")
    except BaseException:
        con.close()
        raise
    return con


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def draft_path(path: Path) -> Path:
    """The temporary file a new database for ``path`` is written to before it replaces ``path``."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_database(path: Path, tables: dict[str, pa.Table], meta: dict[str, Any], *,
                   drafted: bool = False) -> None:
    """Replace the database at ``path`` with exactly these tables, or leave it untouched.

    ``drafted``: the engine has already written tables into :func:`draft_path` (an analysis on
    DuckDB writes its result tables there itself); ``tables`` and ``meta`` are added to them."""
    private_dir(path.parent)
    tmp = draft_path(path)
    if not drafted:
        _remove(tmp)
    try:
        con = duckdb.connect(str(tmp))
        try:
            # Tables are sets: letting DuckDB write row groups in any order uses every core.
            con.execute("SET preserve_insertion_order = false")
            # Blocks written need not stay cached: with a small buffer pool DuckDB evicts them as
            # it goes (spilling if it must), so writing adds ~80 MiB to what the import holds,
            # not the size of the whole file (issue 12, lean import).
            threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])  # type: ignore[index]
            con.execute(f"SET memory_limit = '{max(64, 32 * threads)}MB'")
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


# -- the CRM snapshot the results were computed from ---------------------------------------------
#
# An import replaces crm.duckdb at once, but the results stay those of the previous data until
# an analysis replaces them.  So that pages never join old results with new CRM tables, the
# CRM file the results were computed from is first kept beside it as ``crm.<data_id>.duckdb``
# (a hard link: instant, no copy), and readers use the CRM file whose data id matches the
# results' (see Workspace).  The analysis that writes new results removes the snapshot.  Each
# step is one atomic link, rename or unlink, so a kill -9 between any two leaves files that
# readers resolve to a consistent pair; orphans are removed by the next writer or opener.

_DATA_ID = re.compile(r"[0-9a-f]{32}")


def snapshot_path(crm_path: Path, data_id: str | None) -> Path | None:
    """Where the CRM data ``data_id`` is kept while results computed from it are shown."""
    if not data_id or not _DATA_ID.fullmatch(data_id):
        return None
    return crm_path.with_name(f"{crm_path.stem}.{data_id}{crm_path.suffix}")


def snapshots(crm_path: Path) -> dict[str, Path]:
    """The kept CRM snapshots beside ``crm_path``, by data id."""
    out = {}
    for p in crm_path.parent.glob(f"{crm_path.stem}.*{crm_path.suffix}"):
        data_id = p.name[len(crm_path.stem) + 1: -len(crm_path.suffix)]
        if _DATA_ID.fullmatch(data_id):
            out[data_id] = p
    return out


def keep_snapshot(crm_path: Path, data_id: str) -> Path | None:
    """Keep the file now at ``crm_path`` (holding ``data_id``) as its snapshot, atomically."""
    target = snapshot_path(crm_path, data_id)
    if target is None or target.exists():
        return target
    try:
        os.link(crm_path, target)  # the same inode under a second name: all or nothing
    except FileExistsError:
        return target
    except OSError:  # a file system without hard links: copy to a temporary name, then rename
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            shutil.copyfile(crm_path, tmp)
            _fsync(tmp)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, target)
        except BaseException:
            _remove(tmp)
            raise
    _fsync(crm_path.parent)
    return target


def remove_snapshots(crm_path: Path, *, keep: str | None = None) -> list[Path]:
    """Remove the kept snapshots other than ``keep`` (a reader holding one open keeps reading it)."""
    removed = []
    for data_id, path in snapshots(crm_path).items():
        if data_id != keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


# -- result snapshots, one per as-of date ---------------------------------------------------------
#
# Every analysis writes its result tables to ``results/<YYYY-MM-DD>.duckdb`` (one file per as-of
# date; a later analysis for the same date replaces it), each table stamped with an ``as_of``
# column.  ``results.duckdb`` is the *current* snapshot, what the web shows by default and what
# reads without an as-of see: a hard link to one kept file, moved only by an analysis that is
# asked to make its snapshot current (`analyze`), never by one that is not (`report --as-of`).
# At most ``keep`` snapshots are kept; the oldest as-of dates are pruned first, never the
# current one nor the one just written.  Each step is one atomic write, link, rename or unlink.

SNAPSHOT_DIR = "results"
AS_OF_COLUMN = "as_of"
_SNAPSHOT_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})\.duckdb")


@dataclass(frozen=True)
class ResultSnapshot:
    """One kept set of result tables."""

    as_of: AsOf
    path: Path
    current: bool
    computed_at: str | None
    data_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.iso(), "date": self.as_of.key, "label": self.as_of.label,
                "current": self.current, "computed_at": self.computed_at, "data_id": self.data_id}


def snapshot_dir(results_path: Path) -> Path:
    return results_path.parent / SNAPSHOT_DIR


def result_snapshot_path(results_path: Path, as_of: AsOf) -> Path:
    """Where the results for ``as_of``'s date are kept (whether or not they exist)."""
    return snapshot_dir(results_path) / f"{as_of.key}.duckdb"


def stamp_as_of(tables: dict[str, pa.Table], as_of: AsOf) -> dict[str, pa.Table]:
    """Every result table with an ``as_of`` column (timestamp, naive UTC) holding ``as_of``."""
    import pyarrow as pa

    out = {}
    for name, table in tables.items():
        column = pa.repeat(pa.scalar(as_of.naive, pa.timestamp("us")), table.num_rows)
        if AS_OF_COLUMN in table.column_names:
            table = table.drop_columns([AS_OF_COLUMN])
        out[name] = table.append_column(AS_OF_COLUMN, column)
    return out


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _meta_as_of(meta: dict[str, Any]) -> AsOf | None:
    raw = (meta.get("summary") or {}).get("as_of") or meta.get("as_of")
    try:
        return AsOf.of(raw) if raw else None
    except (InputError, TypeError, ValueError):
        return None


def current_as_of(results_path: Path) -> AsOf | None:
    """The as-of of the current results (None when there are none)."""
    return _meta_as_of(read_meta(results_path)) if results_path.exists() else None


def result_snapshots(results_path: Path) -> list[ResultSnapshot]:
    """The kept result snapshots, oldest as-of first; ``current`` marks the one the web shows.

    Results written before snapshots existed (a lone ``results.duckdb``), or current results
    whose date was computed again without making that current (`report --as-of`), are listed
    as a snapshot of their own, at ``results.duckdb``."""
    out: list[ResultSnapshot] = []
    current_path = results_path if results_path.exists() else None
    try:
        current_id = read_meta(results_path).get("results_id") if current_path is not None else None
    except WorkspaceCorrupt:
        current_id = None
    folder = snapshot_dir(results_path)
    files = sorted(folder.glob("*.duckdb")) if folder.is_dir() else []
    for path in files:
        if not _SNAPSHOT_NAME.fullmatch(path.name):
            continue
        try:
            meta = read_meta(path)
        except WorkspaceCorrupt:
            continue
        as_of = _meta_as_of(meta)
        if as_of is None:
            continue
        # the current results are a hard link of one kept file (or, in a copied workspace, a copy of it)
        current = current_path is not None and (same_file(path, current_path)
                                                or bool(current_id and meta.get("results_id") == current_id))
        out.append(ResultSnapshot(as_of, path, current, meta.get("computed_at"), meta.get("data_id")))
    if current_path is not None and not any(s.current for s in out):
        try:
            meta = read_meta(current_path)
        except WorkspaceCorrupt:
            meta = {}
        as_of = _meta_as_of(meta)
        if as_of is not None:
            # the current results are not (or no longer) the kept file of their date
            out.append(ResultSnapshot(as_of, current_path, True, meta.get("computed_at"), meta.get("data_id")))
    return sorted(out, key=lambda s: (s.as_of.key, s.current))


def find_result_snapshot(results_path: Path, as_of: AsOf) -> ResultSnapshot | None:
    """The kept snapshot for ``as_of``'s date: its kept file, else the current results when
    they are of that date; None when no results for that date are kept."""
    kept = result_snapshot_path(results_path, as_of)
    same_day = [s for s in result_snapshots(results_path) if s.as_of.key == as_of.key]
    return next((s for s in same_day if s.path == kept), None) or next(iter(same_day), None)


def _adopt_current(results_path: Path) -> None:
    """Results from before snapshots (a lone results.duckdb) become the kept file of their date."""
    if not results_path.exists():
        return
    try:
        as_of = current_as_of(results_path)
    except WorkspaceCorrupt:
        return
    if as_of is None:
        return
    target = result_snapshot_path(results_path, as_of)
    if not target.exists():
        _link_atomically(results_path, target)


def _link_atomically(source: Path, target: Path) -> None:
    """``target`` becomes the file at ``source`` (a hard link, else a copy), in one rename."""
    private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        try:
            os.link(source, tmp)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, tmp)
            _fsync(tmp)
            os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
        _fsync(target.parent)
    except BaseException:
        _remove(tmp)
        raise


def results_draft(results_path: Path, as_of: AsOf) -> Path:
    """An empty place for an analysis engine to write the result tables for ``as_of`` into
    (each stamped with it, as :func:`stamp_as_of` does), to be kept by :func:`write_results`
    with ``drafted``. A failed analysis removes it (:func:`discard`); one killed leaves it to
    :func:`remove_stale_files`."""
    draft = draft_path(result_snapshot_path(results_path, as_of))
    private_dir(draft.parent)
    _remove(draft)
    return draft


def discard(draft: Path) -> None:
    """Remove a draft database (and its write-ahead log) if it is there."""
    _remove(draft)


def write_results(results_path: Path, tables: dict[str, pa.Table], meta: dict[str, Any], as_of: AsOf, *,
                  current: bool, keep: int, drafted: bool = False) -> Path:
    """Keep these result tables as the snapshot for ``as_of`` (stamped with it), make them the
    current results when ``current``, and prune the oldest snapshots beyond ``keep``.

    ``drafted``: the engine already wrote (stamped) result tables into :func:`results_draft`;
    ``tables`` are added to them. Without ``current`` the current results (``results.duckdb``)
    are left exactly as they were. Returns the snapshot's path."""
    _adopt_current(results_path)
    target = result_snapshot_path(results_path, as_of)
    private_dir(target.parent)
    write_database(target, stamp_as_of(tables, as_of), {**meta, "as_of": as_of.iso(), "results_id": uuid.uuid4().hex},
                   drafted=drafted)
    if current:
        make_current(results_path, target)
    prune_results(results_path, keep=keep, protect=target)
    return target


def make_current(results_path: Path, snapshot: Path) -> None:
    """Make a kept snapshot the current results, atomically (readers see the old or the new)."""
    if not same_file(snapshot, results_path):
        _link_atomically(snapshot, results_path)


def prune_results(results_path: Path, *, keep: int, protect: Path | None = None) -> list[Path]:
    """Remove the kept snapshots beyond ``keep``, oldest as-of first; never the current one nor
    ``protect``. A reader holding a removed file open keeps reading it."""
    keep = max(int(keep), 1)
    kept = [s for s in result_snapshots(results_path) if s.path != results_path]
    removed: list[Path] = []
    excess = len(kept) - keep
    for snap in kept:  # oldest first
        if excess <= 0:
            break
        if snap.current or (protect is not None and snap.path == protect):
            continue
        with contextlib.suppress(FileNotFoundError):
            snap.path.unlink()
            removed.append(snap.path)
        excess -= 1
    if removed:
        _fsync(snapshot_dir(results_path))
    return removed


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


def read_meta(path: Path, *, check: bool = False) -> dict[str, Any]:
    """The ``_meta`` rows of a database file ({} when the file is absent).

    Raises WorkspaceCorrupt when the file cannot be opened or, with ``check``, has no
    ``_meta`` table or a table that cannot be read."""
    if not path.exists():
        return {}
    con = open_read_only(path)
    try:
        with translated(path):
            try:
                rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
            except duckdb.CatalogException:
                if check:
                    raise corrupt(path, "its _meta table is missing") from None
                return {}
            if check:
                for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'db'").fetchall():
                    con.execute(f'SELECT count(*) FROM "{name}"').fetchall()
        return {k: json.loads(v) for k, v in rows}
    except ValueError as exc:
        raise corrupt(path, f"its _meta table is unreadable: {exc}") from None
    finally:
        con.close()


def remove_stale_files(directory: Path) -> list[Path]:
    """Remove temporary files left by an interrupted write (``kill -9``, power loss).

    When no writer holds the workspace lock, every ``.*.tmp`` file (and its DuckDB
    ``.wal``) is stale, whatever process id its name carries (ids are reused).  When a
    writer is running, only files of processes that no longer exist are removed.
    """
    if not directory.is_dir():
        return []
    candidates = sorted({p for d in (directory, directory / SNAPSHOT_DIR) for p in
                         (*d.glob(".*.tmp"), *(w.with_suffix("") for w in d.glob(".*.tmp.wal")))})
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
            with contextlib.suppress(PermissionError):
                _remove(tmp)
                removed.append(tmp)
    return removed


def _lock_is_free(directory: Path) -> bool:
    lock = directory / ".lock"
    if not lock.exists():
        return True
    try:
        fh = open(lock, "a")  # noqa: SIM115 - closed by the with below
    except PermissionError:  # a read-only workspace: nobody here can be writing it
        return True
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


@contextlib.contextmanager
def exclusive(directory: Path, what: str) -> Iterator[None]:
    """Only one writer per workspace at a time; a second one is told so, not queued."""
    try:
        private_dir(directory)
        fh = _open_lock(directory)
    except PermissionError:
        raise read_only(directory) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy(directory, f"another {what}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _open_lock(directory: Path) -> Any:
    return open(directory / ".lock", "w")


def is_busy(directory: Path) -> bool:
    """True while an import or analysis holds the workspace lock."""
    return not _lock_is_free(directory)


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
