"""The team report's "Forecast accuracy (backtest)" section: the three probabilities' overall
Brier and AUC as Workspace.backtest gives them, and forecast against actual for the last months."""

from __future__ import annotations

import re
from pathlib import Path

from report_support import ReportDemo

from accountleader.reports import build_report
from accountleader.reports.data import BACKTEST_PERIODS


def test_team_markdown_report_has_the_backtest_of_the_three_methods(report_demo: ReportDemo, out_dir: Path) -> None:
    ws = report_demo.workspace
    path = out_dir / "team-backtest.md"
    build_report(ws, out=path, fmt="md")
    md = path.read_text(encoding="utf-8")
    section = md.split("## Forecast accuracy (backtest)", 1)[1].split("\n## ", 1)[0]
    result = ws.backtest()  # the report's own range (a year to the end of the data), kept in the cache
    for label, method in (("Win model", "model"), ("CRM stage probability", "crm_probability"),
                          ("Historical stage rate", "stage_rate")):
        o = result["overall"][method]
        row = re.search(rf"^\| {label}( \(best\))? \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \|$", section, re.M)
        assert row, f"no row for {label} in:\n{section}"
        assert (row.group(1) is not None) == (result["best_brier"] == method)
        assert int(row.group(2).replace(",", "")) == o["n"] and float(row.group(3)) == o["brier"]
        assert float(row.group(4)) == round(o["auc"], 3)
    months = [p["as_of"][:10] for p in result["periods"] if p.get("forecast")][-BACKTEST_PERIODS:]
    assert months and re.findall(r"^\| (\d{4}-\d\d-\d\d)", section, re.M) == months
