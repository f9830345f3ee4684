"""The DuckDB memory bound every engine connection gets (``engine.duckdb_memory_limit``)."""

from __future__ import annotations

from typing import Any


def limit_memory(con: Any, memory_limit: str | None) -> Any:
    """Bound a DuckDB-backed Ibis connection's memory (``engine.duckdb_memory_limit``); other
    backends (Spark, Postgres, a cloud warehouse) manage their own and are left as they are.

    Every DuckDB connection the engine opens goes through here: the workspace's files, and an
    ``engine.url`` naming a DuckDB file that holds Fivetran tables (before, that one ran with
    DuckDB's default of 80% of RAM: 10.5 GiB at L)."""
    if memory_limit and getattr(con, "name", None) == "duckdb":
        # a runtime SET, not a connect-time option: DuckDB refuses a second connection to
        # the same file with a different configuration (storage and Spark export open it too)
        limit = memory_limit.replace("'", "")
        con.raw_sql(f"SET memory_limit = '{limit}'")
    return con
