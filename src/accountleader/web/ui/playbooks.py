"""HTML pages for playbooks: /playbooks (list, readiness, add) and /playbooks/{id} (edit, assign,
close, history). Forms post with htmx (CSRF on every POST); twins in api/playbooks.py.

A stale edit (someone changed the playbook since the form was opened) answers 409 with the
message naming who changed what, and the form showing the playbook as it is now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from ...errors import EditConflict, InputError, PermissionDenied
from .. import playbooks
from ..deps import AsOfDep, CsrfChecked, PrincipalDep, ScopeDep, StateDep
from .render import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]


@router.get("/playbooks")
def playbooks_page(request: Request, state: StateDep, scope: ScopeDep, _: PrincipalDep, _as_of: AsOfDep,
                   status: Annotated[str, Query(pattern="^(open|closed|all)$")] = "open",
                   subject_kind: Annotated[str, Query(max_length=16)] = "opportunity",
                   subject_id: Annotated[str, Query(max_length=64)] = "") -> Response:
    data = playbooks.listing(state, scope, status=None if status == "all" else status)
    data["new"] = {"subject_kind": subject_kind, "subject_id": subject_id}
    return render(request, "playbooks.html", data, page="playbooks")


@router.post("/playbooks", dependencies=[CsrfChecked])
def add_playbook(request: Request, state: StateDep, scope: ScopeDep, principal: PrincipalDep, _as_of: AsOfDep,
                 subject_kind: Text = "opportunity", subject_id: Text = "", title: Text = "",
                 trigger_kind: Text = "", trigger_param: Text = "", actions: Text = "", owner: Text = "",
                 due_date: Text = "") -> Response:
    values: dict[str, Any] = {"subject_kind": subject_kind, "subject_id": subject_id, "title": title,
                              "trigger_kind": trigger_kind, "trigger_params": playbooks.form_trigger(trigger_kind, trigger_param),
                              "actions": actions, "owner": owner.strip() or None, "due_date": due_date}
    outcome: dict[str, Any]
    try:
        made = playbooks.create(state, scope, principal.user, values)["playbook"]
        outcome, status = {"done": f"playbook {made['id']} added: {made['trigger']}; owner {made['owner']}"}, 201
    except (InputError, PermissionDenied) as exc:
        outcome, status = {"error": str(exc), "submitted": values | {"trigger_param": trigger_param}}, 422
    data = playbooks.listing(state, scope) | outcome
    data.setdefault("new", {"subject_kind": subject_kind, "subject_id": subject_id})
    return render(request, "playbooks.html", data, status=status, partial="_partials/playbook_list.html",
                  page="playbooks")


@router.get("/playbooks/{playbook_id}")
def playbook_page(request: Request, playbook_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                  _as_of: AsOfDep) -> Response:
    return render(request, "playbook.html", playbooks.page(state, scope, principal.user, playbook_id), page="playbooks")


@router.post("/playbooks/{playbook_id}", dependencies=[CsrfChecked])
def edit_playbook(request: Request, playbook_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                  _as_of: AsOfDep, version: Text = "", title: Text = "", actions: Text = "", due_date: Text = "",
                  status: Text = "", owner: Text = "", trigger_kind: Text = "", trigger_param: Text = "") -> Response:
    pid = str(playbooks.playbook_id(playbook_id))  # an odd id is 404
    sent = {"title": title, "actions": actions, "due_date": due_date, "status": status, "owner": owner,
            "trigger_kind": trigger_kind}
    changes: dict[str, Any] = {k: v for k, v in sent.items() if v.strip()}
    if trigger_kind.strip():
        changes["trigger_params"] = playbooks.form_trigger(trigger_kind, trigger_param)
    outcome: dict[str, Any]
    try:
        if not version.strip().isdigit():
            raise InputError("the form lost the playbook's version: reload the page", column="version", value=version)
        playbooks.edit(state, scope, principal.user, pid, version=int(version), changes=changes)
        outcome, code = {"done": "saved"}, 200
    except EditConflict as exc:  # the form shows the playbook as it is now, with who changed what
        outcome, code = {"conflict": str(exc), "unsaved": sent | {"trigger_param": trigger_param}}, 409
    except (InputError, PermissionDenied) as exc:
        outcome, code = {"error": str(exc), "submitted": sent | {"trigger_param": trigger_param}}, (
            403 if isinstance(exc, PermissionDenied) else 422)
    data = playbooks.page(state, scope, principal.user, pid) | outcome
    return render(request, "playbook.html", data, status=code, partial="_partials/playbook_body.html", page="playbooks")
