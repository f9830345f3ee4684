"""HTML pages of support requests (issue 15): /requests (the board, filtered with htmx),
/requests/new (ask; prefilled from ``?opportunity_id=``), /requests/{id} (the record, the forms
its viewer may use, the history). Their JSON twins are the /api/v1/requests routes.

Every form posts with the CSRF token and the request's ``version``; a stale one answers 409
with the message naming who changed what, the unsaved change, and the request as it is now. A
bad value is 422 naming the field and the value; a write the viewer may not make is 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ...errors import EditConflict, InputError, PermissionDenied
from .. import links, request_board, request_figures
from ..deps import AsOfDep, CsrfChecked, PrincipalDep, ScopeDep, StateDep
from .render import is_htmx, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=64)]
Show = Annotated[str, Query(pattern="^(all|mine|assigned)$")]
Kind = Annotated[str, Query(pattern="^(|" + "|".join(request_board.KINDS) + ")$")]
Status = Annotated[str, Query(pattern="^(|" + "|".join(request_board.STATUSES) + ")$")]


@router.get("/requests")
def requests_page(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep, _as_of: AsOfDep,
                  show: Show = "all", kind: Kind = "", status: Status = "") -> Response:
    data = request_board.board(state, scope, principal.user, show=show, kind=kind or None, status=status or None)
    if not is_htmx(request):  # the filters swap the board only
        data["own"] = request_figures.own(state, scope, principal.user)
    return render(request, "requests.html", data, partial="_partials/request_board.html", page="requests")


@router.get("/requests/new")
def new_request_page(request: Request, state: StateDep, scope: ScopeDep, _: PrincipalDep, _as_of: AsOfDep,
                     opportunity_id: Annotated[str, Query(max_length=64)] = "") -> Response:
    data = request_board.ask_form(state, scope, opportunity_id=opportunity_id.strip() or None)
    return render(request, "request_new.html", data, page="requests")


@router.post("/requests", dependencies=[CsrfChecked])
def add_request(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep, _as_of: AsOfDep,
                kind: Short = "", outcome: Text = "", needed_by: Short = "", constraints: Text = "",
                assignee_id: Short = "", opportunity_id: Short = "", quote_id: Short = "") -> Response:
    sent = {"kind": kind, "outcome": outcome, "needed_by": needed_by, "constraints": constraints,
            "assignee_id": assignee_id, "opportunity_id": opportunity_id, "quote_id": quote_id}
    values: dict[str, Any] = {k: (v.strip() or None) for k, v in sent.items()}
    if values["assignee_id"] and values["assignee_id"].isdigit():
        values["assignee_id"] = int(values["assignee_id"])
    try:
        made = request_board.add(state, scope, principal.user, values)
    except (InputError, PermissionDenied) as exc:
        data = request_board.ask_form(state, scope) | {"error": str(exc), "submitted": sent,
                                                       "error_field": getattr(exc, "column", None)}
        return render(request, "request_new.html", data, status=403 if isinstance(exc, PermissionDenied) else 422,
                      page="requests")
    return RedirectResponse(links.url(request, f"/requests/{made['id']}"), status_code=303)


@router.get("/requests/{rid}")
def request_page(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                 _as_of: AsOfDep) -> Response:
    return render(request, "request.html", request_board.page(state, scope, principal.user, rid),
                  page="requests")


def _act(request: Request, state: Any, scope: Any, principal: Any, rid: str, action: str, version: str,
         fields: dict[str, Any], sent: dict[str, str], done: str, *, problem: InputError | None = None) -> Response:
    rid = str(request_board.request_id(rid))  # an odd id is 404
    outcome: dict[str, Any]
    try:
        if not version.strip().isdigit():
            raise InputError("the form lost the request's version: reload the page", column="version", value=version)
        if problem is not None:
            raise problem
        request_board.act(state, scope, principal.user, rid, action, version=int(version), fields=fields)
        outcome, code = {"done": done}, 200
    except EditConflict as exc:  # the page shows the request as it is now, with who changed what
        outcome, code = {"conflict": str(exc), "unsaved": sent, "action": action}, 409
    except PermissionDenied as exc:
        outcome, code = {"error": str(exc), "unsaved": sent}, 403
    except InputError as exc:
        outcome, code = {"error": str(exc), "unsaved": sent}, 422
    data = request_board.page(state, scope, principal.user, rid) | outcome
    return render(request, "request.html", data, status=code, partial="_partials/request_body.html", page="requests")


@router.post("/requests/{rid}/propose", dependencies=[CsrfChecked])
def propose(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
            _as_of: AsOfDep, version: Short = "", reply: Short = "", proposal: Text = "", rationale: Text = "") -> Response:
    sent = {"reply": reply, "proposal": proposal, "rationale": rationale}
    fields = {"proposal": proposal.strip() or None, "rationale": rationale.strip() or None, "reply": reply.strip()}
    said = "Proposed another way" if reply == "another_way" else "Replied: as asked"
    return _act(request, state, scope, principal, rid, "propose", version, fields, sent, said)


@router.post("/requests/{rid}/decide", dependencies=[CsrfChecked])
def decide(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
           _as_of: AsOfDep, version: Short = "", decision: Short = "", note: Text = "") -> Response:
    sent = {"decision": decision, "note": note}
    fields = {"decision": decision.strip(), "note": note.strip() or None}
    return _act(request, state, scope, principal, rid, "decide", version, fields, sent,
                f"Decided: {decision.strip() or '?'}")


@router.post("/requests/{rid}/done", dependencies=[CsrfChecked])
def done(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
         _as_of: AsOfDep, version: Short = "", achieved: Short = "", quality_note: Text = "") -> Response:
    sent = {"achieved": achieved, "quality_note": quality_note}
    flag = {"yes": True, "no": False}.get(achieved.strip().lower())
    problem = None if flag is not None else InputError(
        f"achieved {achieved!r} is not one of: yes, no", column="achieved", value=achieved)
    fields = {"achieved": flag, "quality_note": quality_note.strip() or None}
    return _act(request, state, scope, principal, rid, "done", version, fields, sent, "Outcome recorded",
                problem=problem)


@router.post("/requests/{rid}/cancel", dependencies=[CsrfChecked])
def cancel(request: Request, rid: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
           _as_of: AsOfDep, version: Short = "") -> Response:
    return _act(request, state, scope, principal, rid, "cancel", version, {}, {}, "Cancelled")


@router.get("/team/requests")
def team_requests_page(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                       as_of: AsOfDep) -> Response:
    return render(request, "team_requests.html", request_figures.team(state, scope, principal.user, as_of=as_of),
                  page="requests")
