"""JSON twins of the request pages that are not requests themselves (issue 15):
``GET /api/v1/requests/new`` (what the ask form offers) and ``GET /api/v1/team/requests`` (the
team view's consultation, adoption and micromanagement figures). The requests themselves are
``/api/v1/requests`` (api/requests.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from .. import request_board, request_figures
from ..deps import AsOfDep, PrincipalDep, ScopeDep, StateDep
from .routes import _ERRORS

router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
View = dict[str, Any]


@router.get("/requests/new", summary="What the ask form offers: kinds, the support users to ask, your open deals "
            "(twin of /requests/new)", response_model=View)
def new_request(state: StateDep, scope: ScopeDep, _: PrincipalDep, _as_of: AsOfDep,
                opportunity_id: Annotated[str, Query(max_length=64, description="Prefill this deal")] = "",
                ) -> JSONResponse:
    return JSONResponse(request_board.ask_form(state, scope, opportunity_id=opportunity_id.strip() or None))


@router.get("/team/requests", summary="Consultation, proposal adoption, micromanagement and resourcefulness per "
            "person you may see, with sample sizes (twin of /team/requests)", response_model=View)
def team_requests(state: StateDep, scope: ScopeDep, principal: PrincipalDep, as_of: AsOfDep) -> JSONResponse:
    return JSONResponse(request_figures.team(state, scope, principal.user, as_of=as_of))
