"""Parity: the full analysis on PySpark local[2] gives DuckDB's results, every table,
row and column (floats within 1e-9 relative), on the demo company.

Anything that cannot run on Spark fails here; nothing is skipped.  Fivetran-landed
tables mapped in place give the same results too, on Spark and on a warehouse URL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from engine_support import RESULT_KEYS, land_fivetran, table_differences

from accountleader.config import EngineSettings
from accountleader.domain.results import RESULT_TABLES
from accountleader.engine.analyze import Analysis, run_analysis
from accountleader.engine.spark import CACHE_DIR, export_parquet, spark_tables
from accountleader.engine.warehouse import warehouse_tables
from accountleader.workspace import Workspace

pytestmark = pytest.mark.spark

SPARK = EngineSettings(kind="pyspark", master="local[2]")


@pytest.fixture(scope="module")
def spark_analysis(spark: object, demo_workspace: Workspace, as_of: datetime) -> Analysis:
    tables = spark_tables(SPARK, demo_workspace.crm_path)
    return run_analysis(tables, as_of=as_of, settings=demo_workspace.settings)


@pytest.fixture(scope="module")
def fivetran_landing(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return land_fivetran(demo_workspace.crm_path, tmp_path_factory.mktemp("fivetran"))


def _assert_same_results(reference: Analysis, other: Analysis) -> None:
    assert set(other.tables) == set(reference.tables) == set(RESULT_KEYS)
    problems: list[str] = []
    for name, expected in reference.tables.items():
        # the demo has no process problem as planted (docs/metrics.md), and every quote it asks
        # for is sent by as_of: those tables are empty on every engine (tests/unit/test_views.py
        # covers pending quotes on hand-made rows)
        if name in ("process_problems", "pending_quotes"):
            assert expected.num_rows == other.tables[name].num_rows
        else:
            assert expected.num_rows > 0, f"{name} is empty on the reference engine: the comparison would prove nothing"
        problems += table_differences(name, expected, other.tables[name])
    assert not problems, "\n".join(problems)


def test_reference_results_are_the_published_tables(duckdb_analysis: Analysis) -> None:
    # every contract table (RESULT_TABLES) is produced and compared below
    for name in ("reps", "teams", "account_results", "opportunity_results"):
        assert name in RESULT_TABLES and name in duckdb_analysis.tables
    assert duckdb_analysis.tables["reps"].num_rows >= 5


def test_full_analysis_on_spark_equals_duckdb(duckdb_analysis: Analysis, spark_analysis: Analysis) -> None:
    _assert_same_results(duckdb_analysis, spark_analysis)
    assert spark_analysis.fit_report.n_accounts == duckdb_analysis.fit_report.n_accounts
    assert spark_analysis.fit_report.signal == duckdb_analysis.fit_report.signal


def test_medians_are_exact_on_spark_not_approximate(duckdb_analysis: Analysis, spark_analysis: Analysis) -> None:
    # Spark's percentile (what Ibis emits for median/quantile) is exact with linear
    # interpolation, like DuckDB's percentile_cont; approx_percentile would drift here.
    col = "quote_turnaround_median_hours"
    exp = {r["user_id"]: r[col] for r in duckdb_analysis.tables["reps"].to_pylist() if r[col] is not None}
    got = {r["user_id"]: r[col] for r in spark_analysis.tables["reps"].to_pylist()}
    assert len(exp) >= 3
    assert all(got[k] == pytest.approx(v, rel=1e-12) for k, v in exp.items())


def test_parquet_export_is_reused_until_the_workspace_changes(spark: object, demo_workspace: Workspace) -> None:
    first = export_parquet(demo_workspace.crm_path)
    written = {p.name: p.stat().st_mtime_ns for p in first.glob("*.parquet")}
    again = export_parquet(demo_workspace.crm_path)
    # reused, not rewritten: the same directory and the very same files
    assert again == first and {p.name: p.stat().st_mtime_ns for p in again.glob("*.parquet")} == written
    assert (first / "_SUCCESS").exists()
    assert sorted(p.name for p in first.glob("*.parquet")) == sorted(f"{n}.parquet" for n in demo_workspace.tables())
    assert [p for p in (demo_workspace.path / CACHE_DIR).iterdir() if not p.name.startswith(".")] == [first]


def test_workspace_analyze_runs_on_spark_when_settings_say_so(spark: object, demo_workspace: Workspace, tmp_path: Path, as_of: datetime) -> None:
    import shutil

    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    shutil.copy2(demo_workspace.crm_path, ws_dir / "crm.duckdb")
    (ws_dir / "settings.yaml").write_text("engine:\n  kind: pyspark\n  master: local[2]\n", encoding="utf-8")
    ws = Workspace.open(ws_dir)
    tables = ws.engine_tables()
    assert type(tables["activities"]._find_backend()).__module__.startswith("ibis.backends.pyspark")
    assert tables["activities"].count().execute() == demo_workspace.tables()["activities"].count().execute()


def test_fivetran_tables_in_place_on_spark_equal_the_imported_workspace(
    spark, duckdb_analysis: Analysis, fivetran_landing: dict[str, Path], as_of: datetime, demo_workspace: Workspace  # type: ignore[no-untyped-def]
) -> None:
    spark.sql("CREATE DATABASE IF NOT EXISTS salesforce")  # type: ignore[attr-defined]
    for name, path in fivetran_landing.items():
        # registered as catalog tables, as Fivetran's Databricks destination lands them
        spark.sql(f"DROP TABLE IF EXISTS salesforce.`{name}`")  # type: ignore[attr-defined]
        spark.sql(f"CREATE TABLE salesforce.`{name}` USING parquet LOCATION '{path}'")  # type: ignore[attr-defined]
    settings = EngineSettings(kind="pyspark", master="local[2]", source="fivetran", source_schema="salesforce")
    tables = spark_tables(settings, demo_workspace.crm_path)
    _assert_same_canonical(demo_workspace, tables)
    # Row for row the imported tables: the analysis of them on Spark is the one
    # test_full_analysis_on_spark_equals_duckdb compares with DuckDB, result table by result
    # table (running it a second time here cost about five minutes of the suite).
    _assert_same_rows(demo_workspace, tables)


def test_fivetran_tables_in_place_on_a_warehouse_url_equal_the_imported_workspace(
    duckdb_analysis: Analysis, fivetran_landing: dict[str, Path], as_of: datetime, demo_workspace: Workspace, tmp_path: Path
) -> None:
    import duckdb

    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA salesforce")
    for name, path in fivetran_landing.items():
        con.execute(f"CREATE TABLE salesforce.\"{name}\" AS SELECT * FROM read_parquet('{path}')")
    con.close()
    settings = EngineSettings(kind="warehouse", url=f"duckdb://{db}", source="fivetran", source_schema="salesforce")
    tables = warehouse_tables(settings)
    _assert_same_canonical(demo_workspace, tables)
    result = run_analysis(tables, as_of=as_of, settings=demo_workspace.settings)
    _assert_same_results(duckdb_analysis, result)


def _assert_same_rows(ws: Workspace, mapped: dict) -> None:  # type: ignore[type-arg]
    """Every canonical table mapped in place holds exactly the imported rows, every column."""

    def norm(v: object) -> object:
        if isinstance(v, float):
            return round(v, 6)
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)
        return v

    for name, t in ws.tables().items():
        cols = list(t.columns)
        exp = sorted((tuple(norm(v) for v in r.values()) for r in t.select(*cols).to_pyarrow().to_pylist()), key=repr)
        got = sorted((tuple(norm(v) for v in r.values()) for r in mapped[name].select(*cols).to_pyarrow().to_pylist()),
                     key=repr)
        assert len(got) == len(exp), name
        diff = [(g, e) for g, e in zip(got, exp, strict=True) if g != e]
        assert not diff, f"{name}: {len(diff)} rows differ, e.g. {diff[:2]}"


def _assert_same_canonical(ws: Workspace, mapped: dict) -> None:  # type: ignore[type-arg]
    """The mapped tables hold the imported rows: same counts, same derived user functions and teams."""
    ref = ws.tables()
    for name, t in ref.items():
        assert mapped[name].count().execute() == t.count().execute(), name
        # same columns and types (timestamp precision is the engine's business)
        assert [(c, type(d)) for c, d in mapped[name].schema().items()] == [(c, type(d)) for c, d in t.schema().items()], name
    cols = ["user_id", "function", "team", "role_name"]
    exp = ref["users"].select(*cols).order_by("user_id").to_pyarrow().to_pylist()
    got = mapped["users"].select(*cols).order_by("user_id").to_pyarrow().to_pylist()
    assert got == exp
    o = ["opportunity_id", "type", "amount_corporate", "quality_flag"]

    def rows(t):  # type: ignore[no-untyped-def]
        out = t.select(*o).order_by("opportunity_id").to_pyarrow().to_pylist()
        return [{k: round(v, 6) if isinstance(v, float) else v for k, v in r.items()} for r in out]

    exp_o = rows(ref["opportunities"])
    assert rows(mapped["opportunities"]) == exp_o
    assert {r["type"] for r in exp_o} == {"new_business", "expansion", "renewal"}
