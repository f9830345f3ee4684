"""One analysed demo company (scale 0.3, seed 7) shared by every report test, and its reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_support import demo_workspace_copy
from report_support import ReportDemo

from accountleader.demo import TRUTH_FILE, PlantedTruth
from accountleader.workspace import Workspace


@pytest.fixture(scope="session")
def report_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportDemo]:
    # built once per run (demo_support.py); this session's own copy
    path, _, _ = demo_workspace_copy(tmp_path_factory, "reports", seed=7, scale=0.3)
    ws = Workspace.open(path)
    truth = PlantedTruth.from_json((path / "demo-export" / TRUTH_FILE).read_text(encoding="utf-8"))
    yield ReportDemo(ws, truth, path.parent / "out")
    ws.close()


@pytest.fixture(scope="session")
def out_dir(report_demo: ReportDemo) -> Path:
    report_demo.out.mkdir(exist_ok=True)
    return report_demo.out
