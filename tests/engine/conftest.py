"""Fixtures of the engine parity suite: one demo workspace, one Spark session per test run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from demo_support import demo_workspace_copy

from accountleader.engine.analyze import Analysis, run_analysis
from accountleader.workspace import Workspace

DEMO_SEED = 7
DEMO_SCALE = 0.2


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The demo company, imported (not analysed) once per run (demo_support.py); this session's copy."""
    path, _, _ = demo_workspace_copy(tmp_path_factory, "engine", seed=DEMO_SEED, scale=DEMO_SCALE, analyse=False)
    return Workspace.open(path)


@pytest.fixture(scope="session")
def as_of(demo_workspace: Workspace) -> datetime:
    when = demo_workspace.resolve_as_of(None)
    assert when is not None
    return when


@pytest.fixture(scope="session")
def duckdb_analysis(demo_workspace: Workspace, as_of: datetime) -> Analysis:
    """The reference: the full analysis on the embedded DuckDB."""
    return run_analysis(demo_workspace.tables(), as_of=as_of, settings=demo_workspace.settings)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """The one SparkSession of the test run (a JVM start costs seconds), stopped at the end."""
    from accountleader.engine import spark as spark_engine

    session = spark_engine.spark_session("local[2]")
    yield session
    spark_engine.stop_session()


@pytest.fixture(scope="session")
def spark_crm_path(demo_workspace: Workspace) -> Path:
    return demo_workspace.crm_path
