"""`accountleader readiness backtest`: does proposal readiness predict outcomes on your history?"""

from __future__ import annotations

from typing import Annotated

import typer

from .app import HelpGroup, app, state
from .options import as_of_option

readiness_app = typer.Typer(cls=HelpGroup, no_args_is_help=True,
                            help="Proposal readiness: replay it on history against won and lost deals.")
app.add_typer(readiness_app, name="readiness")


def _num(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


@readiness_app.command("backtest")
def backtest(
    date_from: Annotated[str | None, typer.Option("--from", help="Look at deals that entered the proposal stage from this date (default: 18 months before the data ends).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Readiness of each closed deal as it entered the proposal stage (only what was known then):
    the AUC of the score for won against lost, and each gap's win rate with and without it."""
    st = state()
    result = st.workspace.readiness_backtest(date_from=as_of_option(date_from))
    if json:
        st.console.json(result)
        return
    con = st.console
    con.info(f"{result['scored_n']:,} deals scored ({result['won_n']:,} won, {result['lost_n']:,} lost) that entered "
             f"the proposal stage from {result['from'][:10]}; AUC {_num(result['auc'], '.3f')}; mean readiness "
             f"won {_num(result['mean_score_won'], '.1f')}, lost {_num(result['mean_score_lost'], '.1f')}")
    if result["note"]:
        con.info(result["note"])
    con.table("Each gap's effect", ["gap", "deals with it", "win rate with", "deals without", "win rate without"],
              [(g["gap"], f"{g['with_n']:,}", _num(g["with_win_rate"]), f"{g['without_n']:,}",
                _num(g["without_win_rate"])) for g in result["gaps"]])
