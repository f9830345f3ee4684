"""`accountleader backtest`: replay the win model at monthly as-of dates against what happened."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app, state
from .options import as_of_option


def _num(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


@app.command("backtest")
def backtest(
    date_from: Annotated[str | None, typer.Option("--from", help="First as-of date (default: a year before the data ends); replays start at the next month start.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last as-of date (default: the end of the data).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the backtest as JSON.")] = False,
) -> None:
    """Per month start and overall: Brier, AUC and calibration of the win model, the CRM's own
    stage probability and the historical stage win rate on the deals open then, and the
    forecast (probability x amount of deals due in the month) against actual bookings."""
    lo, hi = as_of_option(date_from), as_of_option(date_to)
    st = state()
    result = st.workspace.backtest(date_from=lo, date_to=hi)
    if json:
        st.console.json(result)
        return
    con = st.console
    overall = result["overall"]
    con.table(
        f"Backtest {result['from'][:10]} to {result['to'][:10]} ({result['dates_n']} as-of dates)",
        ["method", "deals scored", "Brier", "AUC", "mean predicted", "observed"],
        [(m, f"{o['n']:,}", _num(o["brier"], ".4f"), _num(o["auc"]), _num(o.get("mean_predicted")),
          _num(o.get("observed"))) for m, o in overall.items()],
    )
    rows = []
    for p in result["periods"]:
        f = p.get("forecast")
        if not f:
            continue
        s = p["scores"]
        rows.append((p["as_of"][:10], f"{p['open_n']:,}", _num(s["model"]["brier"], ".4f"),
                     _num(s["crm_probability"]["brier"], ".4f"), _num(s["stage_rate"]["brier"], ".4f"),
                     f"{f['model_amount']:,.0f}", f"{f['crm_probability_amount']:,.0f}",
                     f"{f['won_from_open_amount']:,.0f}", f"{f['won_amount']:,.0f}"))
    con.table("Per as-of date", ["as of", "open", "Brier model", "Brier CRM", "Brier stage rate", "forecast model",
                                 "forecast CRM", "won (open then)", "won (all)"], rows)
    if result["best_brier"]:
        con.info(f"lowest Brier overall: {result['best_brier']}")
