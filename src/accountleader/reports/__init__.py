"""The leadership report: team, seller and account reports as HTML, PDF or Markdown.

``build_report(ws, team=..., rep=..., account=..., as_of=..., fmt=..., out=...)`` is the one
entry point; the CLI and the web app call it.  See docs/reports.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.as_of import AsOf
from ..errors import InputError
from ..workspace import Workspace
from . import data, render

FORMATS = ("html", "pdf", "md")
Step = Callable[[str, float], None]


@dataclass
class ReportResult:
    path: str
    kind: str
    format: str
    title: str
    as_of: str
    findings_n: int
    actions_n: int
    charts_n: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _part(progress: Step | None, lo: float, hi: float) -> Step:
    if progress is None:
        return lambda step, f: None
    return lambda step, f: progress(step, lo + (hi - lo) * max(0.0, min(1.0, f)))


def report_document(ws: Workspace, *, team: str | None = None, rep: str | None = None, account: str | None = None,
                    progress: Step | None = None) -> dict[str, Any]:
    """The report's content as plain data (what every format renders)."""
    step = progress or (lambda s, f: None)
    if rep is not None:
        doc = data.seller_report(ws, rep, progress=step)
        doc["alerts"] = data.playbook_alerts(ws, seller_id=doc["rep"]["user_id"])  # the owner's alerts
        return doc
    if account is not None:
        return data.account_report(ws, account, progress=step)
    doc = data.team_report(ws, team, progress=step)
    doc["alerts"] = data.playbook_alerts(ws, seller_ids=[r["user_id"] for r in doc["reps"]] if team else None)
    step("replaying the win model (backtest)", 0.9)
    doc["forecast_accuracy"] = data.forecast_accuracy(ws, datetime.fromisoformat(ws.analysis().as_of))
    return doc


def build_report(ws: Workspace, *, out: Path | str, fmt: str = "html", team: str | None = None, rep: str | None = None,
                 account: str | None = None, as_of: AsOf | str | None = None, progress: Step | None = None) -> ReportResult:
    """Write one report to ``out``.

    With ``as_of`` the results kept for that date are used, computed first when they are not
    kept yet; that never changes the current results (what the web shows by default).
    Without it the current results are used, or computed for the latest date in the data
    when there are none.  The report names the as-of it shows.  The file is written atomically.
    """
    started = time.perf_counter()
    if sum(x is not None for x in (team, rep, account)) > 1:
        raise InputError("choose one of --team, --rep or --account")
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; choose html, pdf or md", value=fmt)
    out = Path(out)
    if out.exists() and out.is_dir():
        raise InputError(f"--out {out} is a directory; give a file name", file=str(out))
    analyse = _part(progress, 0.0, 0.3)
    if as_of is not None:
        when = AsOf.of(as_of, name="--as-of")
        ws.analyze(as_of=when, progress=analyse, current=False)
        ws = ws.at(when)
    else:
        try:
            ws.analysis()
        except InputError:
            ws.analyze(progress=analyse)
    doc = report_document(ws, team=team, rep=rep, account=account, progress=_part(progress, 0.3, 0.55))
    svgs: dict[str, str] = {}
    if fmt != "md":
        svgs = render.chart_svgs(doc, _part(progress, 0.55, 0.8))
    _part(progress, 0.8, 1.0)("writing " + fmt, 0.0)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if fmt == "md":
            tmp.write_text(render.to_markdown(doc), encoding="utf-8")
        elif fmt == "html":
            tmp.write_text(render.to_html(doc, svgs), encoding="utf-8")
        else:
            render.html_to_pdf(render.to_html(doc, svgs), tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    if progress:
        progress("done", 1.0)
    return ReportResult(
        path=str(out), kind=doc["kind"], format=fmt, title=doc["title"], as_of=doc["basis"]["as_of"],
        findings_n=len(doc.get("findings", [])), actions_n=len(doc.get("actions", [])), charts_n=len(svgs),
        seconds=round(time.perf_counter() - started, 3),
    )


__all__ = ["FORMATS", "ReportResult", "build_report", "report_document"]
