"""The backtest page (/backtest, ui/backtest.py) and its JSON twin (/api/v1/backtest, api/backtest.py).

The backtest (``Workspace.backtest``, docs/metrics.md "Backtest") replays the win model at each
month start over the company's CRM history. It shows aggregate figures only (scores, calibration
bins, forecast against actual per month): no deal, account or seller is named, so every
signed-in role sees the same company-wide evaluation (docs/web.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from ..domain.as_of import AsOf
from ..errors import InputError
from .jsonable import jsonable
from .state import AppState

#: Below this many deals scored, a row's Brier and AUC are shown but flagged: too few to trust.
MIN_DEALS = 30
#: Calibration bins of fewer deals than this are flagged (the issue's bar for "within 0.05").
MIN_BIN_DEALS = 50
LABELS = {"model": "Win model", "crm_probability": "CRM stage probability", "stage_rate": "Historical stage rate"}


def _best(scores: dict[str, Any]) -> str | None:
    briers = {m: s["brier"] for m, s in scores.items() if s.get("brier") is not None}
    return min(briers, key=lambda m: briers[m]) if briers else None


def _shown(result: dict[str, Any]) -> dict[str, Any]:
    """The backtest plus what the page says about it: the best method per row (lowest Brier)
    and a note where a row has too few deals."""
    periods = []
    for p in result["periods"]:
        scores = p.get("scores") or {}
        n = max((s.get("n") or 0 for s in scores.values()), default=0)
        few = None
        if not scores:
            few = p.get("note") or "no deals to score"
        elif n < MIN_DEALS:
            few = f"too few deals: {n} scored (fewer than {MIN_DEALS})"
        periods.append(p | {"scored_n": n, "best": _best(scores) if scores else None, "too_few": few})
    overall = result["overall"]
    n = max((s.get("n") or 0 for s in overall.values()), default=0)
    bins = [b | {"too_few": b.get("rows_n", 0) < MIN_BIN_DEALS}
            for b in overall.get("model", {}).get("calibration_bins", [])]
    return result | {
        "periods": periods,
        "overall_too_few": None if n >= MIN_DEALS else f"too few deals: {n} scored (fewer than {MIN_DEALS})",
        "model_calibration": bins,
        "labels": LABELS,
        "min_deals": MIN_DEALS,
        "min_bin_deals": MIN_BIN_DEALS,
        "shows": "aggregate figures only: no deal, account or seller is named",
    }


def backtest(state: AppState, *, date_from: AsOf | None = None, date_to: AsOf | None = None) -> dict[str, Any]:
    """The backtest over ``date_from``..``date_to`` (default: the last year of data), the same
    for every role. Cached in memory until the workspace's files change, and on disk by the
    workspace (cache/backtest/) across restarts."""
    def build(ws: Any) -> dict[str, Any]:
        return jsonable(_shown(ws.backtest(date_from=date_from, date_to=date_to)))

    key = ("backtest", date_from.iso() if date_from else None, date_to.iso() if date_to else None)
    data = dict(state.cached(key, build, rebuild=True))
    return data | {"from_asked": date_from.key if date_from else None, "to_asked": date_to.key if date_to else None}


def _query_date(value: str | None, name: str) -> AsOf | None:
    try:
        return AsOf.optional(value, name=name)
    except InputError as exc:  # not a date: invalid input, a 422 like FastAPI's own checks
        raise RequestValidationError([{"loc": ("query", name), "msg": str(exc), "type": "value_error",
                                       "input": value}]) from None


def date_range(
    date_from: Annotated[str | None, Query(alias="from", max_length=40, description="First as-of date (YYYY-MM-DD; "
                                           "default: a year before the data ends); replays start at the next month start")] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=40, description="Last as-of date (YYYY-MM-DD; "
                                         "default: the end of the data)")] = None,
) -> tuple[AsOf | None, AsOf | None]:
    """``?from=&to=`` converted once; a value that is not a date, or a ``from`` after ``to``, is a 422."""
    lo, hi = _query_date(date_from, "from"), _query_date(date_to, "to")
    if lo is not None and hi is not None and lo.date > hi.date:
        raise RequestValidationError([{"loc": ("query", "from"), "msg": f"from {lo.key} is after to {hi.key}",
                                       "type": "value_error", "input": date_from}])
    return lo, hi


DateRangeDep = Annotated[tuple[AsOf | None, AsOf | None], Depends(date_range)]
