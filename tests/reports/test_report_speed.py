"""The team report for the full-size demo company (scale 1) takes at most 5 s, charts included."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from accountleader.reports import build_report
from accountleader.workspace import Workspace

pytestmark = pytest.mark.slow


def test_team_report_at_scale_1_takes_at_most_5_seconds(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    ws.load_demo(seed=7, scale=1.0)
    ws.analyze()
    build_report(ws, out=tmp_path / "warm.md", fmt="md")  # opens the result connections, as a second report would find them
    timings = {}
    for fmt in ("html", "pdf"):
        started = time.perf_counter()
        result = build_report(ws, out=tmp_path / f"team.{fmt}", fmt=fmt)
        timings[fmt] = time.perf_counter() - started
        assert result.charts_n == 4
    ws.close()
    assert timings["html"] <= 5.0 and timings["pdf"] <= 5.0, timings
