"""The win model outside an analysis: its measurement (`model win`) and the backtest.

Both execute the panel of ``domain/metrics/win_features.py`` once and hand the rows to the pure
fit in ``domain/scoring``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from ..config import WorkspaceSettings
from ..domain.metrics import _clean, win_features
from ..domain.metrics._time import as_of_literal
from ..domain.scoring.win import (
    WinModel,
    WinRules,
    WinScores,
    rates_by_stage,
    score_open_deals,
    training_rows,
    training_sample,
)
from ..errors import InputError


def win_rules(settings: WorkspaceSettings) -> WinRules:
    w = settings.win
    return WinRules(min_closed_deals=w.min_closed_deals, min_each_outcome=w.min_each_outcome,
                    attributes=tuple(w.attributes), max_training_deals=w.max_training_deals)


def _first_deal(opps: ir.Table) -> datetime | None:
    value = opps.created_at.min().to_pyarrow().as_py()
    return value.replace(tzinfo=None) if isinstance(value, datetime) else None


def closed_sample(opps: ir.Table, as_of: datetime, settings: WorkspaceSettings) -> list[str] | None:
    """The closed deals the win model learns from (None: all; see ``win.max_training_deals``)."""
    ids = win_features.closed_deals(opps, as_of=as_of).to_pyarrow().column("opportunity_id").to_pylist()
    return training_sample([str(i) for i in ids], settings.win.max_training_deals)


def panel_frame(t: dict[str, ir.Table], as_of: datetime, settings: WorkspaceSettings | None = None) -> pd.DataFrame:
    """The panel at ``as_of``; with ``settings``, only the sampled closed deals (the analysis's rows)."""
    o = t["opportunities"]
    sample = closed_sample(o, as_of, settings) if settings is not None else None
    expr = win_features.deal_panel(o, t["opportunity_history"], t["activities"], as_of=as_of,
                                   data_start=_first_deal(o), closed_sample=sample)
    return expr.order_by(["opportunity_id", "snapshot_at"]).to_pandas()


def model_report(t: dict[str, ir.Table], as_of: datetime, settings: WorkspaceSettings) -> dict[str, Any]:
    """Fit the win model on the deals closed by ``as_of`` and return its measurement."""
    panel = panel_frame(t, as_of, settings)
    model = WinModel(win_rules(settings)).fit(training_rows(panel))
    assert model.report is not None
    return model.report.as_dict()


def open_deal_scores(t: dict[str, ir.Table], as_of: datetime, settings: WorkspaceSettings) -> WinScores:
    """The deals open at ``as_of`` scored as the analysis scores them (without the rest of it)."""
    panel = panel_frame(t, as_of, settings)
    rates = win_features.stage_win_rates(t["opportunity_history"], t["opportunities"], as_of=as_of).to_pandas()
    return score_open_deals(panel, rates_by_stage(rates), as_of=as_of, rules=win_rules(settings))


def month_starts_between(start: datetime, end: datetime) -> list[datetime]:
    """Month starts ``start <= T <= end``."""
    out = []
    d = datetime(start.year, start.month, 1)
    if d < start:
        d = win_features.month_after(d)
    while d <= end:
        out.append(d)
        d = win_features.month_after(d)
    return out


def run_backtest(t: dict[str, ir.Table], *, data_end: datetime, date_from: datetime, date_to: datetime,
                 settings: WorkspaceSettings) -> dict[str, Any]:
    """Replay the win model at each month start from ``date_from`` to ``date_to`` (see
    ``domain/scoring/backtest.py``); outcomes are those known at ``data_end``."""
    from ..domain.scoring.backtest import backtest

    if date_from > date_to:
        raise InputError(f"--from {date_from:%Y-%m-%d} is after --to {date_to:%Y-%m-%d}", value=f"{date_from:%Y-%m-%d}")
    dates = month_starts_between(date_from, min(date_to, data_end))
    if not dates:
        raise InputError(f"no month start between {date_from:%Y-%m-%d} and {min(date_to, data_end):%Y-%m-%d} to replay",
                         value=f"{date_from:%Y-%m-%d}")
    hist, o = t["opportunity_history"], t["opportunities"]
    panel = panel_frame(t, data_end)
    reached = win_features.stages_reached(hist, as_of=data_end).to_pandas()
    defaults = win_features.stage_default_probability(hist, as_of=data_end).to_pandas()
    asof = as_of_literal(data_end)
    closed = _clean.closed_by(o, asof)
    deals = o.filter(o.created_at.isnull() | (o.created_at <= asof)).select(
        "opportunity_id", closed=closed, is_won=closed & o.is_won.fill_null(False),
        closed_at=_clean.closed_at(o), amount=_clean.deal_value(o),
    ).order_by("opportunity_id").to_pandas()
    result = backtest(panel, reached, deals, dict(zip(defaults["stage"], defaults["stage_probability"], strict=True)),
                      dates=dates, rules=win_rules(settings), data_end=data_end)
    return {"from": dates[0].isoformat(), "to": dates[-1].isoformat(), "data_end": data_end.isoformat(), **result}
