"""The DuckDB memory bound every engine connection gets (``engine.duckdb_memory_limit``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Where DuckDB spills what does not fit in its memory limit, under a workspace.
SPILL_DIR = Path("cache") / "spill"


def limit_memory(con: Any, memory_limit: str | None, workspace: Path | None = None) -> Any:
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
    if workspace is not None and getattr(con, "name", None) == "duckdb":
        # an in-memory DuckDB spills to ".tmp" in the current directory by default: wherever
        # the command was started. Spill under the workspace instead (private, like its cache).
        spill = workspace / SPILL_DIR
        spill.mkdir(parents=True, exist_ok=True, mode=0o700)
        quoted = str(spill).replace("'", "''")
        con.raw_sql(f"SET temp_directory = '{quoted}'")
    return con
