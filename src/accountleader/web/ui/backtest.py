"""The backtest page, /backtest: how well the win model, the CRM's stage probability and the
historical stage rate foretold what happened. Twin: api/backtest.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import backtest as context
from ..backtest import DateRangeDep
from ..deps import PrincipalDep, StateDep
from .render import render

router = APIRouter(include_in_schema=False)


@router.get("/backtest")
def backtest_page(request: Request, state: StateDep, _principal: PrincipalDep, dates: DateRangeDep) -> Response:
    return render(request, "backtest.html", context.backtest(state, date_from=dates[0], date_to=dates[1]),
                  page="backtest")
