"""JSON twin of the backtest page (/api/v1/backtest): the win model replayed at each month start,
beside the CRM's stage probability and the historical stage rate. Aggregate figures only, the
same for every signed-in role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .. import backtest as context
from ..backtest import DateRangeDep
from ..deps import PrincipalDep, StateDep
from .routes import _ERRORS

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)


@router.get("/backtest", summary="Brier, AUC and calibration of the win model, the CRM stage probability and the "
            "historical stage rate per month start and overall, and forecast against actual bookings "
            "(twin of /backtest)", response_model=dict[str, Any])
def backtest(state: StateDep, _principal: PrincipalDep, dates: DateRangeDep) -> JSONResponse:
    return JSONResponse(context.backtest(state, date_from=dates[0], date_to=dates[1]))
