"""Getting data in: demo, import, status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import HelpGroup, app, state

if TYPE_CHECKING:
    from ..workspace import ImportSummary, Progress, Workspace

import_app = typer.Typer(cls=HelpGroup, help="Import CRM data into the workspace (replaces what was there).", no_args_is_help=True)
app.add_typer(import_app, name="import")


def _print_summary(summary: ImportSummary, as_json: bool) -> None:
    con = state().console
    if as_json:
        con.json(summary.as_dict())
        return
    rows = [(name, f"{n:,}") for name, n in summary.tables.items()]
    con.table(f"Imported from {summary.source} ({summary.kind})", ["table", "rows"], rows, justify={"rows": "right"})
    rate = summary.rows / summary.seconds if summary.seconds else 0
    con.success(f"{summary.rows:,} rows in {summary.seconds:.1f} s ({rate:,.0f} rows/s)")
    _print_sources(summary.sources)
    if summary.files_ignored:
        con.info(f"ignored files: {', '.join(summary.files_ignored)}")
    for w in summary.warnings:
        con.warning(w)


def _print_sources(sources: list[dict[str, Any]]) -> None:
    """The import report, short: which file fed which table, rows, and how many columns were used."""
    if not sources:
        return
    rows = []
    for src in sources:
        cols = src.get("columns", {})
        names = list(cols)
        shown = f"{len(names)}: " + ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
        rows.append((src["file"], src["table"], f"{src['rows']:,}", shown))
    state().console.table(
        "Files read (status --json has each column's source)", ["file", "table", "rows", "columns used"], rows, justify={"rows": "right"}
    )


def _run_import(do: Callable[[Workspace, Progress], ImportSummary], as_json: bool) -> None:
    """One import with a progress bar, then its summary."""
    st = state()
    with st.console.progress("Importing") as update:
        summary = do(st.workspace, update)
    _print_summary(summary, as_json)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@import_app.command("salesforce")
def import_salesforce(
    path: Annotated[Path, typer.Argument(help="A Salesforce Data Export / Data Loader directory or .zip.")],
    json: JsonOpt = False,
) -> None:
    """Import a Salesforce export (Account.csv, Opportunity.csv, Task.csv, ...)."""
    _run_import(lambda ws, progress: ws.import_salesforce(path, progress=progress), json)


@import_app.command("fivetran")
def import_fivetran(
    path: Annotated[Path, typer.Argument(help="A directory of Fivetran-landed Salesforce tables (CSV or Parquet).")],
    json: JsonOpt = False,
) -> None:
    """Import Salesforce tables as Fivetran lands them (snake_case); a HubSpot schema is imported as HubSpot."""
    _run_import(lambda ws, progress: ws.import_fivetran(path, progress=progress), json)


@import_app.command("hubspot")
def import_hubspot(
    path: Annotated[
        Path,
        typer.Argument(help="Fivetran's HubSpot tables (deal, deal_stage, engagement_*, owner, ...) or HubSpot CRM export CSVs."),
    ],
    json: JsonOpt = False,
) -> None:
    """Import HubSpot: Fivetran's HubSpot schema or HubSpot's own CRM exports (detected)."""
    _run_import(lambda ws, progress: ws.import_hubspot(path, progress=progress), json)


@import_app.command("csv")
def import_csv(
    path: Annotated[Path, typer.Argument(help="A directory (or .zip) of any CRM's CSV files.")],
    mapping: Annotated[str, typer.Option("--mapping", "-m", help="YAML column mapping, or a built-in name (maven_crm).")],
    json: JsonOpt = False,
) -> None:
    """Import any CRM's CSVs described by a YAML column mapping."""
    _run_import(lambda ws, progress: ws.import_csv(path, mapping=mapping, progress=progress), json)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same company.")] = 7,
    scale: Annotated[float, typer.Option(help="Size: 1.0 is ~40 sellers, 2,000 accounts, ~300k activities.", min=0.01, max=50)] = 1.0,
    messy: Annotated[bool, typer.Option("--messy", help="Write it the way real orgs export: Spanish stages, missing columns, bulk loads, a logging stop, list email, ...")] = False,
    json: JsonOpt = False,
) -> None:
    """Generate the built-in demo company and import it like any Salesforce export."""
    st = state()
    with st.console.progress("Demo company") as update:
        export, summary = st.workspace.load_demo(seed=seed, scale=scale, messy=messy, progress=update)
    if not json:
        kind = "a messy Salesforce export" if messy else "a Salesforce export"
        st.console.success(f"wrote {kind} of the demo company to {export}")
    _print_summary(summary, json)


@app.command()
def status(json: JsonOpt = False) -> None:
    """Row counts per table, date ranges and data-quality warnings."""
    st = state()
    info = st.workspace.status()
    if json:
        st.console.json(info)
        return
    con = st.console
    if not info["has_data"]:
        con.info(f"workspace {info['workspace']} is empty: run `accountleader demo` or `accountleader import ...`")
        return
    ranges = info["date_ranges"]
    rows = []
    for name, n in info["tables"].items():
        r = ranges.get(name)
        span = f"{(r['min'] or '')[:10]} → {(r['max'] or '')[:10]}" if r and r["min"] else ""
        rows.append((name, f"{n:,}", span))
    con.table(f"Workspace {info['workspace']} (imported {info['imported_at']} from {info['source']['kind']})", ["table", "rows", "dates"], rows, justify={"rows": "right"})
    _print_sources(info.get("sources", []))
    if info.get("files_ignored"):
        con.info(f"ignored files: {', '.join(info['files_ignored'])}")
    _print_freshness(info.get("results") or {})
    for w in info["warnings"]:
        con.warning(w)


def _print_freshness(results: dict[str, Any]) -> None:
    """Whether the stored results match the data and settings now."""
    con = state().console
    if not results.get("has_results"):
        reasons = "; ".join(results.get("reasons", []))
        con.warning(reasons or "no results yet: run `accountleader analyze`")
        return
    when = f"results computed {results.get('results_at') or 'at an unknown time'}, as of {(results.get('as_of') or '')[:10]}"
    if results.get("stale"):
        con.warning(f"stale: {when}; {'; '.join(results['reasons'])}: run `accountleader analyze`")
    else:
        con.info(f"{when}; up to date with the data and settings")
