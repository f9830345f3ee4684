"""The benchmark's floor reads exactly the input columns analyze needs: no fewer.

If a metric starts reading a column that ``benchmarks.run.FLOOR_COLUMNS`` does not list,
the analysis on the cut-down tables fails here and the list must grow (keeping the
analyze/floor ratio honest).
"""

from __future__ import annotations

from datetime import datetime

from engine_support import table_differences

from accountleader.domain.schema import TABLES
from accountleader.engine.analyze import Analysis, run_analysis
from accountleader.workspace import Workspace
from benchmarks.run import FLOOR_COLUMNS, floor_sql


def test_analysis_runs_on_only_the_floor_columns(demo_workspace: Workspace, as_of: datetime, duckdb_analysis: Analysis) -> None:
    assert set(FLOOR_COLUMNS) == set(TABLES)
    narrowed = {name: t.select(*FLOOR_COLUMNS[name]) if FLOOR_COLUMNS[name] else t for name, t in demo_workspace.tables().items()}
    result = run_analysis(narrowed, as_of=as_of, settings=demo_workspace.settings)
    # the same rows; floats within 1e-9 (a parallel sum may add in another order: the teams'
    # indices and style flexibility differed in the last bit between two runs of the same data)
    problems = [p for name, table in duckdb_analysis.tables.items() for p in table_differences(name, table, result.tables[name])]
    assert not problems, "\n".join(problems)


def test_floor_query_reads_every_listed_column(demo_workspace: Workspace) -> None:
    import duckdb

    sql = floor_sql()
    for name, cols in FLOOR_COLUMNS.items():
        for c in cols:
            assert c in TABLES[name].column_names
    con = duckdb.connect(str(demo_workspace.crm_path), read_only=True)
    row = con.execute(sql).fetchone()
    con.close()
    assert row is not None and all(v is not None for v in row)
