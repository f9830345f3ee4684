"""Open the analytics backend chosen in the workspace settings, as an Ibis connection."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis

from ..config import EngineSettings, mask_url
from ..domain.schema import TABLES
from ..errors import ConfigError
from .memory import limit_memory


def connect_duckdb(path: Path, *, memory_limit: str | None = None, workspace: Path | None = None) -> Any:
    """A read-only Ibis connection to a workspace database file.

    The file is attached to a private in-memory DuckDB (see ``storage.open_read_only``):
    DuckDB shares one instance per path within a process, so a connection opened after the
    file was atomically replaced would otherwise still see the old file while any other
    reader holds it.  Unreadable, locked or forbidden files raise the workspace errors."""
    from .storage import translated

    con = ibis.duckdb.connect()
    try:
        with translated(path):
            quoted = str(path).replace("'", "''")
            con.raw_sql(f"ATTACH '{quoted}' AS db (READ_ONLY)")
            con.raw_sql("USE db")
            con.list_tables()
    except BaseException:
        con.disconnect()
        raise
    limit_memory(con, memory_limit, workspace)  # spills under the workspace's cache
    return con


def disconnect(con: Any) -> None:
    """Close an Ibis connection, first forgetting the tables ``.cache()`` made on it.

    A cached table is a temporary table that dies with the connection; Ibis drops it from a
    weakref finalizer when the expression is collected, which after the close would run on
    a closed connection and raise inside the garbage collector."""
    for entry in list(getattr(con, "_cache_name_to_entry", {}).values()):
        entry.finalizer.detach()
    getattr(con, "_cache_name_to_entry", {}).clear()
    getattr(con, "_cache_op_to_entry", {}).clear()
    con.disconnect()


#: Canonical tables added after workspaces were first imported, optional in the data: a workspace
#: imported before one existed reads it as empty (the metrics that need it say so) until the next import.
LATER_TABLES = ("opportunity_field_history",)


def canonical_tables(con: Any) -> dict[str, ibis.Table]:
    present = set(con.list_tables())
    missing = [name for name in TABLES if name not in present and name not in LATER_TABLES]
    if missing:
        raise ConfigError(f"the analytics engine has no table(s) {', '.join(missing)}; import data first")
    if all(name in present for name in TABLES):
        return {name: con.table(name) for name in TABLES}
    from .fivetran_source import empty

    return {name: con.table(name) if name in present else empty(name) for name in TABLES}


def describe(settings: EngineSettings) -> str:
    if settings.kind == "duckdb":
        return "duckdb (embedded)"
    if settings.kind == "pyspark":
        return f"pyspark ({settings.master})"
    return mask_url(settings.url) or settings.kind


def engine_tables(settings: EngineSettings, crm_path: Path) -> dict[str, ibis.Table]:
    """Canonical tables on a configured engine other than the embedded DuckDB."""
    if settings.kind == "pyspark":
        from .spark import spark_tables

        return spark_tables(settings, crm_path)
    if settings.kind == "duckdb":
        raise ConfigError("engine.source 'fivetran' needs engine.kind pyspark or an Ibis URL (engine.url)")
    if not settings.url:
        raise ConfigError(f"engine {settings.kind!r} needs engine.url, e.g. postgres://user@host/db")
    from .warehouse import warehouse_tables

    return warehouse_tables(settings, crm_path.parent)


@dataclass
class EngineSource:
    """The canonical tables on the configured engine, for one analysis, and what they live on.

    In place, the tables are the Fivetran tables mapped once into temporary tables (cached
    DataFrames on Spark): :meth:`close` drops them (and closes a warehouse connection, which
    also lets go of a DuckDB file's lock)."""

    tables: dict[str, ibis.Table]
    con: Any = None  # the warehouse connection this source owns (None: a shared Spark session)

    def close(self) -> None:
        if self.con is not None:
            disconnect(self.con)
            self.con = None
        else:
            for table in self.tables.values():
                with contextlib.suppress(Exception):  # not cached, or its session is gone
                    table.release()
        self.tables = {}


def engine_source(settings: EngineSettings, crm_path: Path) -> EngineSource:
    """:func:`engine_tables`, with the connection they live on, to be closed after use."""
    if settings.kind not in ("pyspark", "duckdb") and settings.url:
        from .warehouse import warehouse_source

        con, tables = warehouse_source(settings, crm_path.parent)
        return EngineSource(tables, con)
    return EngineSource(engine_tables(settings, crm_path))


def source_stamp(settings: EngineSettings, workspace: Path) -> list[dict[str, Any]] | None:
    """What identifies the data of an in-place source (Fivetran tables on Spark or a
    warehouse): row counts and the latest sync time per table. None for sources read from
    the workspace's own file, whose size and modification time already identify it."""
    if settings.source != "fivetran":
        return None
    from .fivetran_source import source_stamp as fivetran_stamp

    if settings.kind == "pyspark":
        from .spark import spark_connection

        return fivetran_stamp(spark_connection(settings), database=settings.source_schema)
    if settings.kind == "duckdb":
        return None  # refused where its tables are asked for (engine_tables)
    from .warehouse import warehouse_connection

    con = warehouse_connection(settings, workspace)
    try:
        return fivetran_stamp(con, database=settings.source_schema)
    finally:
        disconnect(con)
