"""The report command: the leadership report for a team, a seller or an account."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import app, state
from .options import AS_OF_FORMS, as_of_option


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    format: Annotated[ReportFormat, typer.Option("--format", help="html (self-contained), pdf or md.")] = ReportFormat.html,
    team: Annotated[str | None, typer.Option("--team", help="Team report for this team (default: all teams).")] = None,
    rep: Annotated[str | None, typer.Option("--rep", help="Seller report (id or name).")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Account plan (id or exact name).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=f"Report as of {AS_OF_FORMS}: reads the results kept for it, computing them if needed; the web's default view is left as it is.")] = None,
) -> None:
    """Write the leadership report: findings, charts and next best actions."""
    when = as_of_option(as_of)
    from ..reports import build_report  # Altair and vl-convert load only when a report is built

    st = state()
    with st.console.progress("Building report") as update:
        result = build_report(st.workspace, out=out, fmt=format.value, team=team, rep=rep, account=account,
                              as_of=when, progress=update)
    st.console.success(
        f"wrote {result.title} ({result.format}, as of {result.as_of}) to {result.path}: "
        f"{result.findings_n} findings, {result.actions_n} actions, {result.charts_n} charts in {result.seconds:.1f} s"
    )
