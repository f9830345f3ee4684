"""`accountleader model fit`: measure the account fit model on the workspace's data."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import HelpGroup, app, state
from .options import as_of_option

model_app = typer.Typer(cls=HelpGroup, help="Measure the account fit and win probability models.", no_args_is_help=True)
app.add_typer(model_app, name="model")


def _num(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


@model_app.command("fit")
def fit(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Fit on deals closed by this date (default: the latest in the data).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the measurement as JSON.")] = False,
) -> None:
    """Out-of-fold AUC, log-loss and Brier against the base rate, permutation p, and the
    features used and dropped (with reasons): is there a signal the scores can use?"""
    when = as_of_option(as_of)
    st = state()
    report = st.workspace.fit_report(as_of=when)
    if json:
        st.console.json(report)
        return
    con = st.console
    rows = [
        ("signal", "yes" if report["signal"] else "no"),
        ("closed deals", f"{report['won_n']:,} won / {report['lost_n']:,} lost over {report['accounts_n']:,} accounts"),
        ("base rate", _num(report["base_rate"], ".1%")),
        ("out-of-fold AUC", _num(report["auc"], ".3f")),
        ("out-of-fold log-loss", f"{_num(report['log_loss'])} (base rate {_num(report['log_loss_base'])})"),
        ("out-of-fold Brier", f"{_num(report['brier'])} (base rate {_num(report['brier_base'])})"),
        ("permutation p", f"{_num(report['permutation_p'], '.3f')} ({report['permutations_n']} permutations)"),
        ("features used", ", ".join(report["features_used"]) or "none"),
        ("seconds", _num(report["seconds"], ".2f")),
    ]
    con.table(f"Account fit model as of {report['as_of'][:10]}", ["measure", "value"], rows)
    for feature, why in report["dropped"].items():
        con.warning(f"dropped {feature}: {why}")
    con.info(report["reason"])


@model_app.command("win")
def win(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Fit on deals closed by this date (default: the latest in the data).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the measurement as JSON.")] = False,
) -> None:
    """Out-of-fold AUC, Brier and log-loss against the base rate, calibration bins (folds grouped
    by account), won and lost deals, and the features used and dropped (with reasons)."""
    when = as_of_option(as_of)
    st = state()
    report = st.workspace.win_report(as_of=when)
    if json:
        st.console.json(report)
        return
    con = st.console
    rows = [
        ("basis", report["basis"]),
        ("closed deals", f"{report['won_n']:,} won / {report['lost_n']:,} lost over {report['accounts_n']:,} accounts"),
        ("base rate", _num(report["base_rate"], ".1%")),
        ("out-of-fold AUC", _num(report["auc"], ".3f")),
        ("out-of-fold log-loss", f"{_num(report['log_loss'])} (base rate {_num(report['log_loss_base'])})"),
        ("out-of-fold Brier", f"{_num(report['brier'])} (base rate {_num(report['brier_base'])})"),
        ("features used", ", ".join(report["features_used"]) or "none"),
        ("seconds", _num(report["seconds"], ".2f")),
    ]
    con.table(f"Win model as of {report['as_of'][:10]}", ["measure", "value"], rows)
    if report["calibration_bins"]:
        con.table("Calibration (out of fold)", ["bin", "predicted", "observed", "deals"],
                  [(b["bin"], f"{b['predicted']:.2f}", f"{b['observed']:.2f}", f"{b['n']:,.0f}")
                   for b in report["calibration_bins"]])
    for feature, why in report["dropped"].items():
        con.warning(f"dropped {feature}: {why}")
    con.info(report["reason"])
