"""Analysis commands: analyze, show."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from .app import app, state
from .options import AS_OF_FORMS, as_of_option


class What(StrEnum):
    reps = "reps"
    teams = "teams"
    accounts = "accounts"
    opportunities = "opportunities"
    snapshots = "snapshots"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


@app.command()
def analyze(
    as_of: Annotated[str | None, typer.Option("--as-of", help=f"Compute as of {AS_OF_FORMS} (default: the latest in the data).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Recompute even when the stored results are up to date.")] = False,
) -> None:
    """Compute every metric into result tables in the workspace; they become the current
    results (what the web shows by default) and are kept as the snapshot of their as-of date."""
    st = state()
    when = as_of_option(as_of)
    with st.console.progress("Analysing") as update:
        summary = st.workspace.analyze(as_of=when, progress=update, force=force)
    if json:
        st.console.json(summary.as_dict())
        return
    con = st.console
    verb = "reused (no change in data or settings)" if summary.reused else "computed"
    basis = "" if summary.as_of_basis == "given" else f" ({summary.as_of_basis})"
    con.success(f"results {verb} as of {summary.when.label}{basis} in {summary.seconds:.1f} s")
    if summary.artefacts:
        shown = ", ".join(f"{a['kind']} {a['count']:,}" for a in summary.artefacts)
        con.info(f"data artefacts detected and excluded as documented: {shown} (`status` lists examples)")
    fit = summary.fit
    if fit["signal"]:
        con.info(f"account fit: signal found in {fit['won_n']:,} won / {fit['lost_n']:,} lost deals ({fit['reason']})")
    else:
        con.info(f"account fit: no meaningful signal: {fit['reason']}")
    reps = st.workspace.reader().reps()
    counts: dict[str, int] = {}
    for r in reps:
        counts[r["quadrant"] or "unknown"] = counts.get(r["quadrant"] or "unknown", 0) + 1
    con.info("sellers by quadrant: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for note in summary.notes:
        con.warning(note)


# Short headers so the tables fit a normal terminal; --json has the full names.
_HEADERS = {
    "efficiency_index": "efficiency", "effectiveness_index": "effectiveness",
    "quote_turnaround_median_hours": "quote h", "high_fit_effort_share": "A/B effort",
    "decision_maker_reach": "DM reach", "create_share": "create", "win_rate": "win rate",
    "won_amount": "won", "sellers_n": "sellers", "close_date_pushes": "pushes", "stage_regressions": "regressions",
    "buyer_roles_engaged": "roles", "has_decision_maker": "DM", "change_index": "change",
    "style_flexibility": "style", "leadership_mode": "mode", "managed_not_led": "managed, not led",
    "readiness_score": "readiness", "micromanagement_index": "micromgmt",
}

_COLUMNS = {
    What.reps: ["name", "quadrant", "efficiency_index", "effectiveness_index", "quote_turnaround_median_hours",
                "high_fit_effort_share", "decision_maker_reach", "create_share", "win_rate", "style_flexibility",
                "micromanagement_index"],
    What.teams: ["team", "sellers_n", "quadrant", "efficiency_index", "effectiveness_index",
                 "quote_turnaround_median_hours", "create_share", "win_rate", "won_amount"],
    What.accounts: ["name", "fit_tier", "fit_score", "create_share", "change_index", "only_tended", "leadership_mode",
                    "managed_not_led"],
    What.opportunities: ["name", "stage", "amount", "close_date_pushes", "stage_regressions",
                         "buyer_roles_engaged", "has_decision_maker", "readiness_score"],
}


def _fmt(v: Any) -> Any:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1:
            return f"{v:,.0f}"
        return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"
    if isinstance(v, list):
        return "; ".join(map(str, v))
    return v


@app.command()
def show(
    what: Annotated[What, typer.Argument(help="reps, teams, accounts, opportunities, or snapshots (the kept as-of dates).")],
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    rep: Annotated[str | None, typer.Option("--rep", help="Only this seller (id or name).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON array for scripts.")] = False,
    format: Annotated[Format, typer.Option("--format", help="table, json, csv or parquet (csv/parquet need --out).")] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", help="File to write for csv or parquet.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print in the table view.")] = 50,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Read the results kept for this date (default: the current ones; `show snapshots` lists them).")] = None,
) -> None:
    """Print results as a table, JSON, or export them as CSV or Parquet."""
    st = state()
    when = as_of_option(as_of)
    fmt = Format.json if json else format
    if what is What.snapshots:
        _show_snapshots(fmt)
        return
    ws = st.workspace.at(when)
    if fmt in (Format.csv, Format.parquet):
        if out is None:
            raise typer.BadParameter("--out FILE is needed with --format csv or parquet")
        n = ws.export_results(what.value, out, fmt.value, team=team, rep=rep)
        st.console.success(f"wrote {n:,} rows to {out}")
        return
    # whole lists are read straight from the results file: no Ibis, no pandas (issue 12, fast start)
    reader = ws.reader().with_results_file(ws.results_path)
    rows = {What.reps: reader.reps, What.teams: reader.teams, What.accounts: reader.accounts,
            What.opportunities: reader.opportunities}[
        what
    ](team=team, rep=rep)
    if what is What.opportunities:  # readiness over the support maps as people see them (issue 14)
        rows = ws.with_readiness(rows, reader)
    if fmt is Format.json:
        if what is What.reps:  # consultation and adoption as a requester (issue 15), from the app database
            rows = st.workspace.with_request_figures(rows)
        st.console.json(rows)
        return
    from ..domain.as_of import AsOf

    cols = _COLUMNS[what]
    st.console.table(
        f"{what.value} ({len(rows):,}; as of {AsOf.of(reader.as_of).label})",
        [_HEADERS.get(c, c) for c in cols],
        [[_fmt(r.get(c)) for c in cols] for r in rows[:limit]],
    )


def _show_snapshots(fmt: Format) -> None:
    """The kept result snapshots, one per as-of date; the current one is what the web shows."""
    st = state()
    if fmt not in (Format.table, Format.json):
        raise typer.BadParameter("show snapshots prints a table or --json")
    rows = st.workspace.snapshots()
    if fmt is Format.json:
        st.console.json(rows)
        return
    kept = st.workspace.settings.results_snapshots_kept
    st.console.table(
        f"result snapshots ({len(rows)}; up to {kept} kept, oldest pruned first)",
        ["as of", "current", "computed at", "data"],
        [[r["label"], "yes (web default)" if r["current"] else "", r["computed_at"] or "",
          "older import" if r["stale"] else "latest import"] for r in rows],
    )
