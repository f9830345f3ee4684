"""One analysed demo company (scale 0.3, seed 7) shared by every report test, and its reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from report_support import ReportDemo

from accountleader.demo import TRUTH_FILE, PlantedTruth
from accountleader.workspace import Workspace


@pytest.fixture(scope="session")
def report_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportDemo]:
    root = tmp_path_factory.mktemp("reports")
    ws = Workspace.open(root / "ws")
    export, _ = ws.load_demo(seed=7, scale=0.3)
    truth = PlantedTruth.from_json((export / TRUTH_FILE).read_text(encoding="utf-8"))
    ws.analyze()
    yield ReportDemo(ws, truth, root / "out")
    ws.close()


@pytest.fixture(scope="session")
def out_dir(report_demo: ReportDemo) -> Path:
    report_demo.out.mkdir(exist_ok=True)
    return report_demo.out
