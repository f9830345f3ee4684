"""Ibis compiles ``strip()`` for Spark with escapes Spark SQL reads as letters; the engine's
Spark module replaces it (engine/spark.py). Compile only: the parity suite runs it on Spark."""

from __future__ import annotations

import ibis
import pytest


def test_strip_on_spark_trims_whitespace_not_the_letters_v_and_f() -> None:
    pytest.importorskip("pyspark")
    import accountleader.engine.spark  # noqa: F401  (installs the Spark strip)

    t = ibis.table({"e": "string"}, name="t")
    sql = ibis.to_sql(t.select(x=t.e.strip()), dialect="pyspark")
    assert "\\v" not in sql and "\\f" not in sql, sql
    assert "REGEXP_REPLACE" in sql.upper() and "'^\\\\s+|\\\\s+$'" in sql, sql
    # DuckDB keeps its own TRIM of the same six characters
    assert "TRIM" in ibis.to_sql(t.select(x=t.e.strip()), dialect="duckdb").upper()
