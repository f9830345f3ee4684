"""Canonical tables on PySpark: local mode here, a cluster elsewhere (``engine.master``).

Two sources:

* ``workspace`` (default): the workspace's DuckDB file is exported once to Parquet in
  ``<workspace>/.spark-cache/<size>-<mtime>/`` (re-exported only when the file changes)
  and each table is read with ``spark.read.parquet`` as a temporary view.  On a cluster
  that directory must be on storage every executor can read.
* ``fivetran``: Fivetran-landed Salesforce tables already in Spark's catalog (database
  ``engine.source_schema``) are mapped in place onto the canonical tables, no copy
  (see :mod:`.fivetran_source`).

One SparkSession is shared per process: starting a JVM takes seconds.  Requires the
``spark`` extra (``pyspark<4.1``, which is what Ibis 12 supports) and Java 17.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import ibis

from ..config import EngineSettings
from ..domain.schema import TABLES
from ..errors import ConfigError
from .fivetran_source import fivetran_tables

CACHE_DIR = ".spark-cache"


def _strip_whitespace_on_spark() -> None:
    """Make ``StringValue.strip()`` strip whitespace, and only whitespace, on Spark.

    Ibis 12 compiles it for Spark as ``TRIM(' \\t\\n\\r\\v\\f' FROM x)``, and Spark SQL reads
    the unknown escapes ``\\v`` and ``\\f`` as the letters ``v`` and ``f``: a value starting or
    ending in either lost it there (the address veronica.vega@... became eronica.vega@..., so
    an email was not linked to its contact, and a title ending in "f" changed). Java's ``\\s``
    is exactly those six characters (space, tab, newline, return, vertical tab, form feed), the
    set DuckDB trims."""
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_Strip(self: Any, op: Any, *, arg: Any) -> Any:  # noqa: N802 - Ibis's visitor name
        return self.f.regexp_replace(arg, sge.convert(r"^\s+|\s+$"), sge.convert(""))

    PySparkCompiler.visit_Strip = visit_Strip


_strip_whitespace_on_spark()

_lock = threading.Lock()
_session: Any = None
_master: str | None = None


def spark_session(master: str = "local[2]") -> Any:
    """The process's shared SparkSession, started on first use.

    Local masters bind to 127.0.0.1 and run with few shuffle partitions (the default
    200 makes every small job pay for 200 tasks); the UI and console progress bar are off
    and the session time zone is UTC, which is what the canonical timestamps mean.
    """
    global _session, _master
    with _lock:
        if _session is not None:
            if master != _master:
                raise ConfigError(
                    f"a Spark session on {_master} is already running in this process; "
                    f"cannot switch to {master} without restarting"
                )
            return _session
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ConfigError(
                "engine.kind 'pyspark' needs PySpark: pip install 'accountleader[spark]' (pyspark<4.1) and Java 17"
            ) from None
        local = master.startswith("local")
        if local:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            SparkSession.builder.master(master)
            .appName("accountleader")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.adaptive.enabled", "true")
        )
        if local:
            cores = _local_cores(master)
            builder = (
                builder.config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
                .config("spark.default.parallelism", str(max(2, 2 * cores)))
                .config("spark.driver.memory", os.environ.get("ACCOUNTLEADER_SPARK_DRIVER_MEMORY", "2g"))
            )
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # JVM missing, wrong Java, master unreachable
            raise ConfigError(f"could not start Spark on {master}: {exc}") from None
        session.sparkContext.setLogLevel("ERROR")
        _session, _master = session, master
        return session


def stop_session() -> None:
    """Stop the shared session (tests and benchmarks call this at the end)."""
    global _session, _master
    with _lock:
        session, _session, _master = _session, None, None
        if session is not None:
            try:
                session.stop()
            except Exception:  # noqa: BLE001 - the JVM is already gone: nothing left to stop
                pass


def _local_cores(master: str) -> int:
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    if inside == "*":
        return os.cpu_count() or 2
    try:
        return int(inside.split(",")[0])
    except ValueError:
        return 2


def spark_connection(settings: EngineSettings) -> Any:
    """An Ibis connection over the shared session."""
    return ibis.pyspark.connect(spark_session(settings.master))


def spark_tables(settings: EngineSettings, crm_path: Path) -> dict[str, ibis.Table]:
    """The canonical tables as Ibis tables on Spark."""
    con = spark_connection(settings)
    if settings.source == "fivetran":
        return fivetran_tables(con, database=settings.source_schema)
    if not crm_path.exists():
        raise ConfigError(f"{crm_path} does not exist; import data first")
    folder = export_parquet(crm_path)
    session = con._session
    key = folder.name.replace("-", "_")
    out: dict[str, ibis.Table] = {}
    for name in TABLES:
        view = f"al_{key}_{name}"
        session.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(view)
        out[name] = con.table(view)
    return out


def export_parquet(crm_path: Path) -> Path:
    """The canonical tables of ``crm_path`` as Parquet files, exported once per version of the file.

    The folder is keyed by the file's size and modification time, written under a
    temporary name and renamed into place, so a crash never leaves a half export that
    looks complete.  Exports of older versions are removed.
    """
    st = crm_path.stat()
    cache = crm_path.parent / CACHE_DIR
    folder = cache / f"{st.st_size}-{st.st_mtime_ns}"
    if (folder / "_SUCCESS").exists():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{folder.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    con = duckdb.connect(str(crm_path), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = [n for n in TABLES if n not in present]
        if missing:
            raise ConfigError(f"{crm_path} has no table(s) {', '.join(missing)}; import data first")
        for name in TABLES:
            con.execute(f"COPY \"{name}\" TO '{tmp / (name + '.parquet')}' (FORMAT parquet, COMPRESSION zstd)")
    finally:
        con.close()
    (tmp / "_SUCCESS").touch()
    try:
        os.replace(tmp, folder)
    except OSError:  # another process finished the same export first
        shutil.rmtree(tmp, ignore_errors=True)
    for old in cache.iterdir():
        if old != folder and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return folder
