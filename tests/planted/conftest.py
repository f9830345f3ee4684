"""One analysed demo company, shared by the planted-behaviour tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from planted_demo import Demo

from accountleader.demo import TRUTH_FILE, PlantedTruth
from accountleader.workspace import Workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path: Path = tmp_path_factory.mktemp("planted") / "ws"
    ws = Workspace.open(path)
    export, imported = ws.load_demo(seed=7, scale=1.0)
    truth = PlantedTruth.from_json((export / TRUTH_FILE).read_text(encoding="utf-8"))
    analysis = ws.analyze()
    yield Demo(ws, truth, imported, analysis)
    ws.close()
