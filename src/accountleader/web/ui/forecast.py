"""The forecast page, /forecast: base case and every scenario side by side, and the scenario
editor (htmx forms, CSRF on every POST; managers and admins only): POST /forecast/scenarios adds
one, POST /forecast/scenarios/{name} removes it. Twin: api/forecast.py.

A stale edit (scenarios.yaml changed since the page was opened) answers 409 with the message
and the editor showing the scenarios as they are now, the unsaved values kept in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from ...domain.scenarios import StaleEdit
from ...errors import InputError, NotFoundError, PermissionDenied
from .. import forecast as context
from ..deps import AsOfDep, CsrfChecked, PrincipalDep, ScopeDep, StateDep
from .render import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]
Months = Annotated[int, Query(ge=1, le=12)]


@router.get("/forecast")
def forecast_page(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep, as_of: AsOfDep,
                  months: Months = 3) -> Response:
    return render(request, "forecast.html", context.forecast(state, scope, principal.user, months=months, as_of=as_of),
                  page="forecast")


def _edit(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep, months: int,
          action: Callable[[int | None], dict[str, Any]], version: str, sent: dict[str, str]) -> Response:
    outcome: dict[str, Any]
    try:
        if not version.strip().isdigit():
            raise InputError("the form lost the scenarios' version: reload the page", column="version", value=version)
        outcome, code = {"done": action(int(version))["done"]}, 200
    except StaleEdit as exc:
        outcome, code = {"conflict": str(exc), "unsaved": sent}, 409
    except PermissionDenied as exc:
        outcome, code = {"error": str(exc)}, 403
    except (InputError, NotFoundError) as exc:
        outcome, code = {"error": str(exc), "unsaved": sent}, 404 if isinstance(exc, NotFoundError) else 422
    data = context.forecast(state, scope, principal.user, months=months) | outcome
    return render(request, "forecast.html", data, status=code, partial="_partials/forecast_body.html",
                  page="forecast")


@router.post("/forecast/scenarios", dependencies=[CsrfChecked])
def add_scenario(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep, _as_of: AsOfDep,
                 version: Text = "", months: Annotated[int, Form(ge=1, le=12)] = 3, name: Text = "",
                 owner: Text = "", kind: Text = "", account: Text = "", role: Text = "", industry: Text = "",
                 product: Text = "", start: Text = "", seller: Text = "", reassign_to: Text = "",
                 factor: Text = "", slip_days: Text = "", days: Text = "", note: Text = "",
                 freeze_months: Text = "") -> Response:
    # the freeze's length is "freeze_months": "months" is the page's horizon
    sent = {"name": name, "owner": owner, "kind": kind, "account": account, "role": role, "industry": industry,
            "product": product, "months": freeze_months, "start": start, "seller": seller,
            "reassign_to": reassign_to, "factor": factor, "slip_days": slip_days, "days": days, "note": note}
    return _edit(request, state, scope, principal, months,
                 lambda v: context.add(state, principal.user, sent, version=v), version, sent)


@router.post("/forecast/scenarios/{name}", dependencies=[CsrfChecked])
def remove_scenario(request: Request, name: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                    _as_of: AsOfDep, version: Text = "", months: Annotated[int, Form(ge=1, le=12)] = 3) -> Response:
    return _edit(request, state, scope, principal, months,
                 lambda v: context.remove(state, principal.user, name, version=v), version, {})
