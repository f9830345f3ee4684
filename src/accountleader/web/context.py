"""The context behind every page: one function per page, used by the HTML route and its JSON twin.

Data comes only from Workspace methods, each given the caller's Scope, so what a person may
see is decided where data is read. Nothing here filters by role.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .. import store as app_store
from ..config import public_settings
from ..domain.access import Scope
from ..errors import ImportRejected, InputError
from ..reports.data import seller_report
from ..store import UserPublic
from .forms import SETTINGS_FIELDS, form_values, settings_from_form
from .jsonable import jsonable
from .state import AppState

MAX_UPLOAD_BYTES = 2 * 1024**3
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# -- the team's numbers -------------------------------------------------------------------------


# The team page shows each seller's place in the matrix; the full rows (some sixty
# measures each) are one click away at /sellers and /api/v1/sellers.
TEAM_REP_COLUMNS = (
    "user_id", "name", "team", "quadrant", "efficiency_index", "effectiveness_index", "warning",
    "quote_turnaround_median_hours", "quote_turnaround_n", "response_latency_median_hours",
    "high_fit_effort_share", "decision_maker_reach", "create_share", "win_rate", "won_n", "lost_n", "won_amount",
    "verdict_note", "new_pipeline_amount", "results_vs_expected", "results_vs_expected_low", "results_vs_expected_high",
    "expected_n",
)


def team(state: AppState, scope: Scope, *, team: str | None = None) -> dict[str, Any]:
    def build(ws: Any) -> dict[str, Any]:
        view = ws.team_view(scope, team=team)
        view["reps"] = [{k: r.get(k) for k in TEAM_REP_COLUMNS} for r in view["reps"]]
        return jsonable({"filter": {"team": team}, **view})

    return state.cached(("team", scope, team), build)


def seller(state: AppState, scope: Scope, *, user_id: str) -> dict[str, Any]:
    def build(ws: Any) -> dict[str, Any]:
        view = jsonable(ws.seller_view(user_id, scope))  # raises NotFound outside the scope
        # the same ranked actions and findings as the seller report (domain/actions.py,
        # domain/findings.py), over this seller's own book
        report = seller_report(ws, user_id)
        view["next_best_actions"] = [{**a, "href": _href(a)} for a in jsonable(report["actions"])]
        view["findings"] = jsonable(report["findings"])
        return view

    return state.cached(("seller", scope, user_id), build)


def _href(action: Mapping[str, Any]) -> str | None:
    if action.get("opportunity_id"):
        return f"/opportunities/{action['opportunity_id']}"
    if action.get("account_id"):
        return f"/accounts/{action['account_id']}"
    return None


def account(state: AppState, scope: Scope, *, account_id: str) -> dict[str, Any]:
    return state.cached(("account", scope, account_id), lambda ws: jsonable(ws.account_view(account_id, scope)))


def opportunity(state: AppState, scope: Scope, *, opportunity_id: str) -> dict[str, Any]:
    return state.cached(("opportunity", scope, opportunity_id),
                        lambda ws: jsonable(ws.opportunity_view(opportunity_id, scope)))


def sellers(state: AppState, scope: Scope) -> dict[str, Any]:
    return state.cached(("sellers", scope), lambda ws: {"sellers": jsonable(ws.reps(scope=scope))})


def accounts(state: AppState, scope: Scope) -> dict[str, Any]:
    return state.cached(("accounts", scope), lambda ws: {"accounts": jsonable(ws.accounts(scope=scope))})


def opportunities(state: AppState, scope: Scope) -> dict[str, Any]:
    return state.cached(("opportunities", scope),
                        lambda ws: {"opportunities": jsonable(ws.opportunities(scope=scope))})


# -- import ------------------------------------------------------------------------------------


def import_status(state: AppState) -> dict[str, Any]:
    """What the workspace holds now: row counts, when and from where it was imported, analysis."""

    def read(ws: Any) -> dict[str, Any]:
        status = ws.status()
        try:
            analysis = ws.analysis().as_dict()
        except InputError:
            analysis = None
        return {"status": status, "analysis": analysis}

    return jsonable(state.read(read))


def run_import(state: AppState, *, filename: str, upload: BinaryIO) -> dict[str, Any]:
    """Import an uploaded Salesforce export .zip, then analyse it.

    On ImportRejected nothing was written. Messages name the upload, never the server's
    temporary path.
    """
    name = _SAFE_NAME.sub("_", Path(filename or "").name).strip("._") or "upload"
    if not name.lower().endswith(".zip"):
        raise InputError(f"{filename!r} is not a .zip file: upload the Salesforce export archive as it was downloaded",
                         value=filename)
    if not state.write_lock.acquire(blocking=False):
        raise InputError("another import or analysis is running; try again when it has finished")
    try:
        with tempfile.TemporaryDirectory(prefix=".upload-", dir=state.workspace_path) as tmp:
            target = Path(tmp) / name
            with target.open("wb") as out:
                copied = _copy_bounded(upload, out)
            if copied == 0:
                raise InputError(f"{filename!r} is empty", value=filename)
            writer = state.writer()
            try:
                try:
                    summary = writer.import_salesforce(target)
                except ImportRejected:
                    raise  # its problems name files as "<upload name>:<file>" already
                except InputError as exc:
                    raise InputError(str(exc).replace(str(target), name)) from None
                result: dict[str, Any] = {"import": summary.as_dict() | {"source": name}, "analysis": None,
                                          "analysis_error": None}
                try:
                    result["analysis"] = writer.analyze().as_dict()
                except InputError as exc:
                    result["analysis_error"] = str(exc)
            finally:
                writer.close()
        return jsonable(result)
    finally:
        state.write_lock.release()


def _copy_bounded(src: BinaryIO, dst: BinaryIO) -> int:
    total = 0
    while chunk := src.read(1024 * 1024):
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise InputError(f"upload is larger than {MAX_UPLOAD_BYTES // 1024**3} GiB")
        dst.write(chunk)
    return total


def analyze(state: AppState) -> dict[str, Any]:
    if not state.write_lock.acquire(blocking=False):
        raise InputError("another import or analysis is running; try again when it has finished")
    try:
        writer = state.writer()
        try:
            return jsonable(writer.analyze().as_dict())
        finally:
            writer.close()
    finally:
        state.write_lock.release()


# -- settings ----------------------------------------------------------------------------------

LAST_CHANGE_KEY = "workspace.settings.last_change"


def settings(state: AppState) -> dict[str, Any]:
    current = public_settings(state.read(lambda ws: ws.settings))  # secrets in URLs masked: everyone reads this
    return {
        "settings": current,
        "values": form_values(current),
        "fields": [{"name": f.name, "label": f.label, "help": f.help, "kind": f.kind} for f in SETTINGS_FIELDS],
        "last_change": app_store.get_setting(state.store, key=LAST_CHANGE_KEY),
    }


def save_settings(state: AppState, *, user: UserPublic, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and save; raises FormInvalid with one message per bad field."""
    with state.reading() as ws:
        new = settings_from_form(ws.settings, values, state.workspace_path)
        ws.save_settings(new)
    changed = sorted(k for k in values if k in {f.name for f in SETTINGS_FIELDS})
    app_store.set_setting(state.store, key=LAST_CHANGE_KEY, user_id=user.id,
                          value={"by": user.username, "fields": changed})
    return settings(state)


# -- people ------------------------------------------------------------------------------------


def me(user: UserPublic) -> dict[str, Any]:
    return {"user": user.as_dict()}


def new_token(state: AppState, *, user: UserPublic, name: str, days: int = app_store.TOKEN_DAYS,
              write: bool = False) -> dict[str, Any]:
    token = app_store.create_token(state.store, user_id=user.id, name=name, days=days, write=write)
    scope = "read and write" if write else "read-only"
    return {"token": token, "name": name.strip(), "days": days, "write": write,
            "note": f"{scope}, valid {days} days; shown once: store it now; send it as 'Authorization: Bearer <token>'"}

