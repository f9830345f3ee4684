"""`accountleader forecast` and `accountleader scenarios list|add|remove` (docs/forecast.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .app import HelpGroup, app, state
from .options import AS_OF_FORMS, as_of_option

scenarios_app = typer.Typer(cls=HelpGroup, help="Named scenarios for the forecast (scenarios.yaml).",
                            no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


@app.command()
def forecast(
    months: Annotated[int, typer.Option("--months", help="Months in the horizon: the as-of's month and the ones after it.")] = 3,
    scenario: Annotated[list[str] | None, typer.Option("--scenario", help="A scenario to set beside the base case (repeat it; default: every one in scenarios.yaml).")] = None,
    simulations: Annotated[int, typer.Option("--simulations", help="Monte Carlo simulations (100 to 100,000).")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same forecast.")] = 0,
    as_of: Annotated[str | None, typer.Option("--as-of", help=f"The results kept for {AS_OF_FORMS} (default: the current ones).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the whole forecast as JSON (teams, sellers, drivers).")] = False,
) -> None:
    """Bookings per month and quarter, P10/P50/P90 and won-to-date, from a Monte Carlo over the
    open deals, with each named scenario beside the base case: its P50 difference and the deals
    that drive it."""
    st = state()
    result = st.workspace.forecast(months=months, scenarios=scenario or None, simulations=simulations, seed=seed,
                                   as_of=as_of_option(as_of))
    if json:
        st.console.json(result)
        return
    con = st.console
    base = result["base"]["all"]
    cases = [("base", base), *((s["name"], s["all"]) for s in result["scenarios"])]
    periods = [(m["month"], i, "months") for i, m in enumerate(base["months"])]
    periods += [(q["quarter"] + (" (part)" if result["quarters"][i]["partial"] else ""), i, "quarters")
                for i, q in enumerate(base["quarters"])]
    rows = []
    for label, i, kind in [*periods, ("horizon", None, "total")]:
        band = base[kind][i] if i is not None else base["total"]
        row = [label, _money(band["won_to_date"]), _money(band["p10"]), _money(band["p50"]), _money(band["p90"])]
        for _, case in cases[1:]:
            other = case[kind][i] if i is not None else case["total"]
            row.append(_money(other["p50"] - band["p50"]))
        rows.append(row)
    con.table(f"Bookings forecast as of {result['as_of'][:10]} ({result['simulations']:,} simulations, "
              f"{result['deals_n']:,} open deals)",
              ["period", "won to date", "P10", "P50", "P90", *(f"{name} (P50 change)" for name, _ in cases[1:])], rows)
    basis = ", ".join(f"{k} {v:,}" for k, v in result["probability_basis"].items() if v)
    con.info(f"win probability from: {basis or 'no open deals'}")
    for name, n in result["left_out"].items():
        con.warning(f"{n:,} open deals left out: {name.replace('_', ' ')}")
    pooled = [s["stage"] for s in result["slip"] if s["basis"] != "stage"]
    if pooled:
        con.warning(f"too few won deals to measure slip in {', '.join(pooled)}: the pooled slips are used")
    for s in result["scenarios"]:
        con.info(f"{s['name']} (owner {s['owner']}): {s['effect']}; {s['matched_deals_n']:,} deals; "
                 f"P50 change {_money(s['p50_change']['total'])}")
        for note in s["notes"]:
            con.warning(f"  {note}")
        for d in s["drivers"][:5]:
            con.info(f"  {d['name'] or d['opportunity_id']} ({d['account'] or '-'}, {d['owner'] or '-'}): "
                     f"expected {_money(d['expected_base'])} -> {_money(d['expected_scenario'])}")


# -- scenarios ---------------------------------------------------------------------------------


@scenarios_app.command("list")
def list_scenarios(
    json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """The named scenarios, their owners and effects, and the file's version."""
    st = state()
    doc = st.workspace.scenarios()
    rows = [s.as_dict() | {"effect": s.description} for s in doc.scenarios]
    if json:
        st.console.json({"version": doc.version, "scenarios": [_plain(r) for r in rows]})
        return
    st.console.table(f"Scenarios (version {doc.version})", ["name", "owner", "kind", "effect"],
                     [(r["name"], r["owner"], r["kind"], r["effect"]) for r in rows])


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


@scenarios_app.command("add")
def add_scenario(
    name: Annotated[str, typer.Argument(help="The scenario's name.")],
    owner: Annotated[str, typer.Option("--owner", help="Who owns the scenario (a user).")],
    kind: Annotated[str, typer.Option("--kind", help="champion_leaves, budget_freeze, seller_leaves, competitor_enters or general_slip.")],
    account: Annotated[str | None, typer.Option("--account", help="Account id or name (champion_leaves, competitor_enters).")] = None,
    role: Annotated[str | None, typer.Option("--role", help="champion or economic_buyer (champion_leaves).")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="Industry (budget_freeze, competitor_enters).")] = None,
    product: Annotated[str | None, typer.Option("--product", help="Product (competitor_enters).")] = None,
    months: Annotated[int | None, typer.Option("--months", help="Freeze length in months (budget_freeze).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="First frozen day, e.g. 2026-10-01 (budget_freeze; default: the day after the as-of).")] = None,
    seller: Annotated[str | None, typer.Option("--seller", help="Seller id or name (seller_leaves).")] = None,
    reassign_to: Annotated[str | None, typer.Option("--reassign-to", help="Who takes the deals (seller_leaves).")] = None,
    factor: Annotated[float | None, typer.Option("--factor", help="Win probability multiplier, 0-1.")] = None,
    slip_days: Annotated[int | None, typer.Option("--slip-days", help="Days the deals slip (seller_leaves).")] = None,
    days: Annotated[int | None, typer.Option("--days", help="Days every deal slips (general_slip).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why the scenario matters.")] = None,
    version: Annotated[int | None, typer.Option("--version", help="Refuse the change unless scenarios.yaml is still at this version.")] = None,
) -> None:
    """Add a named scenario to scenarios.yaml."""
    from ..domain.scenarios import scenario

    given = {"name": name, "owner": owner, "kind": kind, "account": account, "role": role, "industry": industry,
             "product": product, "months": months, "start": start, "seller": seller, "reassign_to": reassign_to,
             "factor": factor, "slip_days": slip_days, "days": days, "note": note}
    new = scenario({k: v for k, v in given.items() if v is not None}, file="command line")
    st = state()
    doc = st.workspace.edit_scenarios(lambda d: d.with_scenario(new), version=version)
    st.console.success(f"scenario {new.name!r} added: {new.description} (scenarios.yaml version {doc.version})")


@scenarios_app.command("remove")
def remove_scenario(
    name: Annotated[str, typer.Argument(help="The scenario's name.")],
    version: Annotated[int | None, typer.Option("--version", help="Refuse the change unless scenarios.yaml is still at this version.")] = None,
) -> None:
    """Remove a named scenario from scenarios.yaml."""
    st = state()
    doc = st.workspace.edit_scenarios(lambda d: d.without(name), version=version)
    st.console.success(f"scenario {name!r} removed (scenarios.yaml version {doc.version})")
