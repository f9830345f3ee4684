"""Compiled SQL kept by the shape of the expression that made it (issue 12: "SQL compiled once").

Ibis takes about 0.1-0.3 s of Python to compile each of the analysis's queries, whatever the
data size: at the demo's size that is most of an analysis. The same settings, as-of date and
data quality give the same expressions, so the SQL is kept and reused.

The key is a digest of the whole expression graph: every node's class and every argument,
recursively (literals by type and exact text, schemas, column names). Names of the tables a
plan makes for itself (``_al_<step>_<random>``, Ibis's ``ibis_cached_<random>`` and memtables)
differ on every run; they are replaced by placeholders numbered in the order the graph walk
meets them, in the key and in the kept SQL, and the current names are put back on reuse.
An argument whose text is not certain to be stable (any type not listed below) makes the
expression unkeyable: it is compiled as before. So a hit is only ever the SQL that compiling
this very expression would give.

Kept in memory (a bounded LRU, shared by every analysis in the process) and, when a directory
is given, in files named by the key, written atomically.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

__all__ = ["SqlCache", "Unkeyable", "shape"]

#: tables a plan or Ibis names at random for one run
_RUN_LOCAL = re.compile(r"^(_al_\w+_[0-9a-f]{12}|ibis_(cached|pandas_memtable|pyarrow_memtable|polars_memtable|memtable)_[0-9a-z]{8,})$")

_PLAIN = (str, int, float, bool, type(None), bytes, decimal.Decimal, _dt.datetime, _dt.date, _dt.time, _dt.timedelta)

#: arguments that never reach the SQL: a memtable's rows (registered before running, by name),
#: the backend object a database table is bound to
_SKIPPED_ARGS = {("InMemoryTable", "data"), ("DatabaseTable", "source")}


class Unkeyable(Exception):
    """An expression holds a value whose text is not certain to be stable across runs."""


def shape(expr: Any) -> tuple[str, list[str]]:
    """The key of ``expr`` and the run-local table names it reads, in placeholder order."""
    names: list[str] = []
    index: dict[str, int] = {}
    memo: dict[int, str] = {}
    keep_alive: list[Any] = []  # ids are only unique while the objects live

    def text(value: Any) -> str:  # noqa: PLR0911 - one branch per kind of value
        if isinstance(value, bool) or value is None:
            return repr(value)
        if isinstance(value, str):
            if _RUN_LOCAL.match(value):
                if value not in index:
                    index[value] = len(names)
                    names.append(value)
                return f"@table{index[value]}"
            return "s" + repr(value)
        if isinstance(value, float):
            return "f" + value.hex()
        if isinstance(value, _PLAIN):
            return type(value).__name__ + ":" + repr(value)
        if isinstance(value, enum.Enum):
            return f"{type(value).__module__}.{type(value).__qualname__}.{value.name}"
        key = id(value)
        if key in memo:
            return memo[key]
        out = node(value)
        memo[key] = out
        keep_alive.append(value)
        return out

    def node(value: Any) -> str:
        argnames = getattr(type(value), "__argnames__", None)
        if argnames is not None and hasattr(value, "__args__"):
            cls = type(value)
            parts = [f"{cls.__module__}.{cls.__qualname__}("]
            for name, arg in zip(argnames, value.__args__, strict=True):
                if (cls.__name__, name) in _SKIPPED_ARGS:
                    continue
                parts.append(f"{name}={text(arg)},")
            parts.append(")")
            return _digest("".join(parts))
        if isinstance(value, dict):  # FrozenOrderedDict and friends: order is meaning
            return _digest("{" + ",".join(f"{text(k)}:{text(v)}" for k, v in value.items()) + "}")
        if isinstance(value, (tuple, list)):
            return _digest("(" + ",".join(text(v) for v in value) + ")")
        if isinstance(value, frozenset):
            return _digest("set(" + ",".join(sorted(text(v) for v in value)) + ")")
        raise Unkeyable(f"{type(value).__module__}.{type(value).__qualname__}")

    root = text(expr.op() if hasattr(expr, "op") else expr)
    return root, names


def _digest(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest()


class SqlCache:
    """SQL by expression shape, for one dialect and library versions (part of every key)."""

    def __init__(self, dialect: str, directory: Path | None = None, *, size: int = 512) -> None:
        import ibis
        import sqlglot

        self._prefix = _digest(f"{dialect}|ibis {ibis.__version__}|sqlglot {sqlglot.__version__}|v1")[:16]
        self.directory = directory
        self._size = size
        self.hits = 0
        self.misses = 0

    def get_or_compile(self, expr: Any, compile_: Any) -> str:
        """The SQL of ``expr``: kept, or ``compile_(expr)`` (then kept)."""
        try:
            key, names = shape(expr)
        except Unkeyable:
            self.misses += 1
            return compile_(expr)
        key = f"{self._prefix}-{key}"
        kept = self._read(key)
        if kept is not None:
            self.hits += 1
            return _with_names(kept, names)
        self.misses += 1
        sql = compile_(expr)
        self._write(key, _placeholders(sql, names))
        return sql

    # -- where it is kept -----------------------------------------------------------------------
    def _read(self, key: str) -> str | None:
        with _LOCK:
            sql = _MEMORY.get(key)
            if sql is not None:
                _MEMORY.move_to_end(key)
                return sql
        if self.directory is None:
            return None
        try:
            sql = (self.directory / f"{key}.sql").read_text(encoding="utf-8")
        except OSError:
            return None
        self._remember(key, sql)
        return sql

    def _write(self, key: str, sql: str) -> None:
        self._remember(key, sql)
        if self.directory is None:
            return
        from .storage import private_dir

        tmp = self.directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            private_dir(self.directory.parent)  # 0700, like the rest of the workspace
            private_dir(self.directory)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(sql)
            os.replace(tmp, self.directory / f"{key}.sql")
        except OSError:  # a cache that cannot be written is only slower
            tmp.unlink(missing_ok=True)

    def _remember(self, key: str, sql: str) -> None:
        with _LOCK:
            _MEMORY[key] = sql
            _MEMORY.move_to_end(key)
            while len(_MEMORY) > self._size:
                _MEMORY.popitem(last=False)


_LOCK = threading.Lock()
_MEMORY: OrderedDict[str, str] = OrderedDict()

_MARK = "\x00al-table-{}\x00"


def _placeholders(sql: str, names: list[str]) -> str:
    for i, name in enumerate(names):
        sql = sql.replace(name, _MARK.format(i))
    return sql


def _with_names(sql: str, names: list[str]) -> str:
    for i, name in enumerate(names):
        sql = sql.replace(_MARK.format(i), name)
    return sql
