"""The deal page's support map, edited in place: each stakeholder row and each backer row is a
small form posted with htmx (CSRF on every POST), answered with the whole section (the map,
readiness and its gaps, the history) so what an edit changed shows at once.

A stale edit (someone changed the map since the page was opened) answers 409 with the message
naming who changed what, and the section showing the map as it is now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ...errors import EditConflict, InputError, PermissionDenied
from .. import support_maps
from ..deps import AsOfDep, CsrfChecked, PrincipalDep, ScopeDep, StateDep
from .render import render

router = APIRouter(include_in_schema=False)
Choice = Annotated[str, Form(max_length=40)]


def _answer(request: Request, state: Any, scope: Any, opportunity_id: str, as_of: Any, edit: Any,
            sent: dict[str, str]) -> Response:
    outcome: dict[str, Any]
    try:
        if not sent.get("version", "").strip().isdigit():
            raise InputError("the form lost the map's version: reload the page", column="version",
                             value=sent.get("version"))
        support = edit(int(sent["version"]))
        outcome, code = {"done": "saved"}, 200
        data = support_maps.deal_page(state, scope, opportunity_id, as_of=as_of, support=support)
        data["support"] = {**data["support"], **outcome}
        return render(request, "opportunity.html", data, status=code, partial="_partials/support_map.html",
                      page="team")
    except EditConflict as exc:  # the section shows the map as it is now, with who changed what
        outcome, code = {"conflict": str(exc), "unsaved": sent}, 409
    except PermissionDenied as exc:
        outcome, code = {"error": str(exc), "unsaved": sent}, 403
    except InputError as exc:
        outcome, code = {"error": str(exc), "unsaved": sent}, 422
    data = support_maps.deal_page(state, scope, opportunity_id, as_of=as_of)
    data["support"] = {**data["support"], **outcome}
    return render(request, "opportunity.html", data, status=code, partial="_partials/support_map.html", page="team")


@router.post("/opportunities/{opportunity_id}/support-map/stakeholders/{contact_id}", dependencies=[CsrfChecked])
def edit_stakeholder(request: Request, opportunity_id: str, contact_id: str, state: StateDep, scope: ScopeDep,
                     principal: PrincipalDep, as_of: AsOfDep, version: Choice = "", stance: Choice = "",
                     influence: Choice = "", access: Choice = "",
                     via_contact_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    sent = {"version": version, "contact_id": contact_id, "stance": stance, "influence": influence, "access": access,
            "via_contact_id": via_contact_id}
    fields: dict[str, Any] = {k: v for k, v in sent.items() if k in ("stance", "influence", "access") and v.strip()}
    if access.strip():  # the access cell sends whom through (empty: direct, or unknown)
        fields["via_contact_id"] = via_contact_id.strip() or None
    return _answer(request, state, scope, opportunity_id, as_of, lambda v: support_maps.set_stakeholder(
        state, scope, principal.user, opportunity_id, contact_id, version=v, fields=fields), sent)


@router.post("/opportunities/{opportunity_id}/support-map/backers/{user_id}", dependencies=[CsrfChecked])
def edit_backer(request: Request, opportunity_id: str, user_id: str, state: StateDep, scope: ScopeDep,
                principal: PrincipalDep, as_of: AsOfDep, version: Choice = "", commitment: Choice = "") -> Response:
    sent = {"version": version, "user_id": user_id, "commitment": commitment}
    fields = {"commitment": commitment} if commitment.strip() else {}
    return _answer(request, state, scope, opportunity_id, as_of, lambda v: support_maps.set_backer(
        state, scope, principal.user, opportunity_id, user_id, version=v, fields=fields), sent)
