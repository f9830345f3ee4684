"""The context behind every page: one function per page, used by the HTML route and its JSON twin.

Data comes only from the workspace's results reader (``ws.reader()``), each read given the
caller's Scope, so what a person may see is decided where data is read. Nothing here filters
by role.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .. import store as app_store
from ..config import public_settings
from ..domain.access import Scope
from ..domain.as_of import AsOf
from ..errors import ImportRejected, InputError, WorkspaceBusy
from ..reports.data import seller_report
from ..store import UserPublic
from ..workspace import Workspace
from . import jobs, links
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


def team(state: AppState, scope: Scope, *, team: str | None = None, as_of: AsOf | None = None) -> dict[str, Any]:
    def build(ws: Any) -> dict[str, Any]:
        view = ws.reader().team_view(scope, team=team)
        view["reps"] = [{k: r.get(k) for k in TEAM_REP_COLUMNS} for r in view["reps"]]
        return jsonable({"filter": {"team": team}, **view})

    return state.cached_at(as_of, ("team", scope, team), build)


def seller(state: AppState, scope: Scope, *, user_id: str, as_of: AsOf | None = None) -> dict[str, Any]:
    # the actions link pages of the same snapshot (cached apart: cached_at keys a kept one by its date)
    pinned = links.pinned_key(state, as_of)

    def build(ws: Any) -> dict[str, Any]:
        view = jsonable(ws.reader().seller_view(user_id, scope))  # raises NotFound outside the scope
        # the same ranked actions and findings as the seller report (domain/actions.py,
        # domain/findings.py), over this seller's own book
        report = seller_report(ws, user_id)
        view["next_best_actions"] = [{**a, "href": _href(a, pinned)} for a in jsonable(report["actions"])]
        view["findings"] = jsonable(report["findings"])
        return view

    return state.cached_at(as_of, ("seller", scope, user_id), build)


def _href(action: Mapping[str, Any], as_of_key: str | None = None) -> str | None:
    if action.get("opportunity_id"):
        return links.with_as_of(f"/opportunities/{action['opportunity_id']}", as_of_key)
    if action.get("account_id"):
        return links.with_as_of(f"/accounts/{action['account_id']}", as_of_key)
    return None


def account(state: AppState, scope: Scope, *, account_id: str, as_of: AsOf | None = None) -> dict[str, Any]:
    return state.cached_at(as_of, ("account", scope, account_id),
                           lambda ws: jsonable(ws.reader().account_view(account_id, scope)))


def opportunity(state: AppState, scope: Scope, *, opportunity_id: str, as_of: AsOf | None = None) -> dict[str, Any]:
    return state.cached_at(as_of, ("opportunity", scope, opportunity_id),
                           lambda ws: jsonable(ws.reader().opportunity_view(opportunity_id, scope)))


# The lists name the as-of they were read at, like the pages.
def sellers(state: AppState, scope: Scope, *, as_of: AsOf | None = None) -> dict[str, Any]:
    return state.cached_at(as_of, ("sellers", scope),
                           lambda ws: {"as_of": ws.analysis().as_of, "sellers": jsonable(ws.reader().reps(scope=scope))})


def accounts(state: AppState, scope: Scope, *, as_of: AsOf | None = None) -> dict[str, Any]:
    return state.cached_at(as_of, ("accounts", scope),
                           lambda ws: {"as_of": ws.analysis().as_of, "accounts": jsonable(ws.reader().accounts(scope=scope))})


def opportunities(state: AppState, scope: Scope, *, as_of: AsOf | None = None) -> dict[str, Any]:
    return state.cached_at(as_of, ("opportunities", scope),
                           lambda ws: {"as_of": ws.analysis().as_of,
                                       "opportunities": jsonable(ws.reader().opportunities(scope=scope))})


def snapshots(state: AppState) -> dict[str, Any]:
    """The kept result snapshots, one per as-of date; ``current`` is what pages show without ``?as_of=``."""
    return state.snapshots()


# -- import ------------------------------------------------------------------------------------


def import_status(state: AppState) -> dict[str, Any]:
    """What the workspace holds now: row counts, when and from where it was imported, analysis,
    and the import or analysis running or last run from the web (``job``)."""

    def read(ws: Any) -> dict[str, Any]:
        status = ws.status()
        try:
            analysis = ws.analysis().as_dict()
        except InputError:
            analysis = None
        return {"status": status, "analysis": analysis}

    return jsonable(state.read(read) | job_status(state))


def job_status(state: AppState) -> dict[str, Any]:
    """The running or last web import/analysis: state, phase, step, progress, error, result."""
    return {"job": state.job.as_dict() if state.job else None}


def run_import(state: AppState, *, filename: str, upload: BinaryIO) -> dict[str, Any]:
    """Accept an uploaded Salesforce export .zip, then import and analyse it in the background.

    The upload goes to a bounded ``.upload-*`` directory in the workspace, removed on every
    path. Returns the started job; its outcome (ImportRejected problems included) appears in
    :func:`job_status`. Messages name the upload, never the server's temporary path.
    """
    name = _SAFE_NAME.sub("_", Path(filename or "").name).strip("._") or "upload"
    if not name.lower().endswith(".zip"):
        raise InputError(f"{filename!r} is not a .zip file: upload the Salesforce export archive as it was downloaded",
                         value=filename)
    if state.write_lock.locked():
        raise WorkspaceBusy("another import or analysis is running; try again when it has finished")
    tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=state.workspace_path))

    def cleanup() -> None:
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        target = tmp / name
        with target.open("wb") as out:
            copied = _copy_bounded(upload, out)
        if copied == 0:
            raise InputError(f"{filename!r} is empty", value=filename)
        if not zipfile.is_zipfile(target):
            raise InputError(f"{name}: expected a directory, a .zip archive, or a .csv/.parquet file; "
                             "this upload is not a .zip archive", value=filename)
        Workspace.check_archive(target)  # a zip bomb is refused now (422), not later in the job
        # once done, the most used pages are built again on the new results (AppState.rebuild_recent)
        job = jobs.start(state, "import", lambda update: _import_and_analyse(state, target, name, update), cleanup,
                         after=state.rebuild_recent)
    except BaseException:
        cleanup()
        raise
    return {"job": job.as_dict()}


def _import_and_analyse(state: AppState, target: Path, name: str, update: jobs.Update) -> dict[str, Any]:
    writer = state.writer()
    try:
        try:
            summary = writer.import_salesforce(target, progress=lambda step, f: update("import", step, 0.6 * f))
        except ImportRejected:
            raise  # its problems name files as "<upload name>:<file>" already
        except InputError as exc:
            raise InputError(str(exc).replace(str(target), name)) from None
        result: dict[str, Any] = {"import": summary.as_dict() | {"source": name}, "analysis": None,
                                  "analysis_error": None}
        # Pages keep reading the previous data meanwhile; each reader prepares the new data now
        # (annotated tables), so the first pages after the swap do not pay for it.
        update("analysis", "preparing the new data for the pages", 0.6)
        state.warm_readers(lambda ws: ws.data_quality())
        try:
            result["analysis"] = writer.analyze(
                progress=lambda step, f: update("analysis", step, 0.6 + 0.4 * f)).as_dict()
        except InputError as exc:
            result["analysis_error"] = str(exc)
        return jsonable(result)
    finally:
        writer.close()


def _copy_bounded(src: BinaryIO, dst: BinaryIO) -> int:
    total = 0
    while chunk := src.read(1024 * 1024):
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise InputError(f"upload is larger than {MAX_UPLOAD_BYTES // 1024**3} GiB")
        dst.write(chunk)
    return total


def analyze(state: AppState, *, force: bool = False) -> dict[str, Any]:
    """Start recomputing the results in the background; pages serve the previous ones meanwhile."""

    def work(update: jobs.Update) -> dict[str, Any]:
        writer = state.writer()
        try:
            summary = writer.analyze(force=force, progress=lambda step, f: update("analysis", step, f))
            return jsonable({"analysis": summary.as_dict()})
        finally:
            writer.close()

    return {"job": jobs.start(state, "analysis", work, after=state.rebuild_recent).as_dict()}


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
    """Validate and save; raises FormInvalid with one message per bad field.

    Only the fields the person changed are written, on top of settings.yaml as it is now: the
    form sends the values it showed (``settings_base``), so a field left alone does not undo
    a `settings set` made from the CLI since the form was opened."""
    values = _changed_fields(values)
    with state.reading() as ws:
        new = settings_from_form(ws.settings, values, state.workspace_path)  # ws.settings: the file now
        ws.save_settings(new)
    changed = sorted(k for k in values if k in {f.name for f in SETTINGS_FIELDS})
    app_store.set_setting(state.store, key=LAST_CHANGE_KEY, user_id=user.id,
                          value={"by": user.username, "fields": changed})
    return settings(state)


SETTINGS_BASE_FIELD = "settings_base"


def _changed_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted fields minus those still equal to what the form showed."""
    out = dict(values)
    raw = out.pop(SETTINGS_BASE_FIELD, None)
    try:
        base = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        base = None
    if not isinstance(base, dict):
        return out
    return {k: v for k, v in out.items() if k not in base or _as_shown(v) != _as_shown(base[k])}


def _as_shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    return "\n".join(line.strip() for line in str(value).replace("\r\n", "\n").strip().split("\n"))


# -- people ------------------------------------------------------------------------------------


def me(user: UserPublic) -> dict[str, Any]:
    return {"user": user.as_dict()}


def new_token(state: AppState, *, user: UserPublic, name: str, days: int = app_store.TOKEN_DAYS,
              write: bool = False) -> dict[str, Any]:
    token = app_store.create_token(state.store, user_id=user.id, name=name, days=days, write=write)
    scope = "read and write" if write else "read-only"
    return {"token": token, "name": name.strip(), "days": days, "write": write,
            "note": f"{scope}, valid {days} days; shown once: store it now; send it as 'Authorization: Bearer <token>'"}

