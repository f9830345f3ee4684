"""JSON twin of the forecast page (/api/v1/forecast) and the scenarios it sets side by side.

A scenario change names the ``version`` of scenarios.yaml it was made on; when the file moved
on since, the answer is 409 ``edit_conflict`` and nothing is saved. Reps may read, not change.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import forecast as context
from ..deps import AsOfDep, CsrfChecked, PrincipalDep, ScopeDep, StateDep
from .routes import _ERRORS, ErrorBody

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
View = dict[str, Any]
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "scenarios.yaml changed after the version you edited: nothing was saved."}}
Months = Annotated[int, Query(ge=1, le=12, description="Months in the horizon: the as-of's month and those after it")]


class ScenarioBody(BaseModel):
    """A named scenario (docs/forecast.md lists each kind's fields)."""

    version: int = Field(description="The scenarios.yaml version you read (scenario_file.version of GET "
                                     "/api/v1/forecast); a stale one is 409")
    name: str = Field(max_length=100)
    owner: str | None = Field(None, max_length=150, description="Login name of the owner (default: you)")
    kind: Literal["champion_leaves", "budget_freeze", "seller_leaves", "competitor_enters", "general_slip"]
    account: str | None = Field(None, max_length=200)
    role: Literal["champion", "economic_buyer"] | None = None
    industry: str | None = Field(None, max_length=200)
    product: str | None = Field(None, max_length=200)
    months: int | None = None
    start: date | None = None
    seller: str | None = Field(None, max_length=200)
    reassign_to: str | None = Field(None, max_length=200)
    factor: float | None = None
    slip_days: int | None = None
    days: int | None = None
    note: str | None = Field(None, max_length=500)


@router.get("/forecast", summary="Bookings P10/P50/P90 per month and quarter, base case and every scenario "
            "side by side, for the deals you may see (twin of /forecast)", response_model=View)
def forecast(state: StateDep, scope: ScopeDep, principal: PrincipalDep, as_of: AsOfDep, months: Months = 3,
             ) -> JSONResponse:
    return JSONResponse(context.forecast(state, scope, principal.user, months=months, as_of=as_of))


@router.post("/forecast/scenarios", summary="Add a scenario (managers and admins)", response_model=View, status_code=201,
             dependencies=[CsrfChecked], responses=_CONFLICT)
def add_scenario(state: StateDep, principal: PrincipalDep, body: Annotated[ScenarioBody, Body()]) -> JSONResponse:
    values = body.model_dump(exclude={"version"}, exclude_none=True)
    return JSONResponse(context.add(state, principal.user, values, version=body.version), status_code=201)


@router.put("/forecast/scenarios/{name}", summary="Change a scenario at the version you read (managers and admins)",
            response_model=View, dependencies=[CsrfChecked], responses=_CONFLICT)
def change_scenario(name: str, state: StateDep, principal: PrincipalDep,
                    body: Annotated[ScenarioBody, Body()]) -> JSONResponse:
    values = body.model_dump(exclude={"version"}, exclude_none=True)
    return JSONResponse(context.replace(state, principal.user, name, values, version=body.version))


@router.delete("/forecast/scenarios/{name}", summary="Remove a scenario at the version you read (managers and admins)",
               response_model=View, dependencies=[CsrfChecked], responses=_CONFLICT)
def remove_scenario(name: str, state: StateDep, principal: PrincipalDep,
                    version: Annotated[int, Query(description="The scenarios.yaml version you read")]) -> JSONResponse:
    return JSONResponse(context.remove(state, principal.user, name, version=version))
