"""One analysed demo company, shared by the planted-behaviour tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from demo_support import demo_workspace_copy
from planted_demo import Demo

from accountleader.demo import TRUTH_FILE, PlantedTruth
from accountleader.workspace import Workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    # imported and analysed once per run (demo_support.py); this session's own copy
    path, imported, analysis = demo_workspace_copy(tmp_path_factory, "planted", seed=7, scale=1.0)
    ws = Workspace.open(path)
    truth = PlantedTruth.from_json((path / "demo-export" / TRUTH_FILE).read_text(encoding="utf-8"))
    yield Demo(ws, truth, imported, analysis)
    ws.close()
