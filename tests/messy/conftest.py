"""One messy demo company, built through the CLI (`demo --messy`), analysed once per session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo_support import built_once, private_copy
from messy_demo import SCALE, Messy

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.demo import TRUTH_FILE, PlantedTruth
from accountleader.demo.messy import MESSY_TRUTH_FILE
from accountleader.workspace import AnalysisSummary, Workspace


def _build(directory: Path) -> tuple[dict[str, Any], AnalysisSummary]:
    path = directory / "ws"
    con = CaptureConsole()
    code = main(["-w", str(path), "demo", "--messy", "--scale", str(SCALE), "--json"], console=con)
    assert code == 0, con.errors
    imported = json.loads(con.out)
    ws = Workspace.open(path)
    try:
        return imported, ws.analyze()
    finally:
        ws.close()


@pytest.fixture(scope="session")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Messy]:
    # built once per run (demo_support.py); this session's own copy
    template, (imported, analysis) = built_once(tmp_path_factory, f"messy-x{SCALE:g}", _build)
    path = private_copy(template / "ws", tmp_path_factory.mktemp("messy") / "ws")
    export = path / "demo-export"
    ws = Workspace.open(path)
    truth = PlantedTruth.from_json((export / TRUTH_FILE).read_text(encoding="utf-8"))
    planted = json.loads((export / MESSY_TRUTH_FILE).read_text(encoding="utf-8"))
    yield Messy(ws, export, truth, planted, imported, analysis, ws.status())
    ws.close()
