"""HTML pages. Each calls the same context function as its JSON twin in api/routes.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from ... import store as app_store
from ...errors import ImportRejected, InputError, WorkspaceBusy
from ...store.auth import SESSION_LIFETIME
from .. import accounts, context, links, playbooks, request_figures, security, support_maps
from ..deps import (
    AdminDep,
    AsOfDep,
    CsrfChecked,
    PageAsOfDep,
    PrincipalDep,
    ScopeDep,
    SessionDep,
    StateDep,
    _principal,
)
from ..forms import FormInvalid
from .render import is_htmx, render

router = APIRouter(include_in_schema=False)
TeamQuery = Annotated[str | None, Query(max_length=200)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- logging in and out ------------------------------------------------------------------------


@router.get("/")
def home(as_of: AsOfDep) -> Response:
    # before logging in: the as-of asked for goes on as given, for /team to show or refuse
    return _see_other(links.with_as_of("/team", as_of.key if as_of else None))


def _login_page(request: Request, state: StateDep, *, next_url: str, message: str | None = None,
                username: str = "", status: int = 200) -> Response:
    nonce = security.reusable_nonce(request.cookies.get(security.LOGIN_NONCE_COOKIE))
    request.state.csrf_token = security.login_csrf_token(state.secret_key, nonce)
    response = render(request, "login.html", {"next": next_url, "message": message, "username": username},
                      status=status, page="login")
    security.set_cookie(response, request, security.LOGIN_NONCE_COOKIE, nonce, max_age=security.LOGIN_FORM_LIFETIME)
    return response


@router.get("/login")
def login_form(request: Request, state: StateDep, next: str = "/team") -> Response:
    if _principal(request, state) is not None:
        return _see_other(security.safe_next(next))
    return _login_page(request, state, next_url=security.safe_next(next))


@router.post("/login")
def login(request: Request, state: StateDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/team") -> Response:
    target = security.safe_next(next)
    nonce = request.cookies.get(security.LOGIN_NONCE_COOKIE, "")
    if (not nonce or not security.login_nonce_fresh(nonce)
            or not security.tokens_match(security.login_csrf_token(state.secret_key, nonce), csrf_token)):
        return _login_page(request, state, next_url=target, username=username, status=403,
                           message="The login form expired. Please try again.")
    if not username.strip() or not password:
        return _login_page(request, state, next_url=target, username=username, status=422,
                           message="Enter your username and your password.")
    address = security.client_address(request)
    keys = state.login_limiter.keys(username, address)
    wait = state.login_limiter.retry_after(keys)
    if wait:
        response = _login_page(request, state, next_url=target, username=username, status=429,
                               message=f"Too many wrong passwords. Try again in {wait} seconds.")
        response.headers["Retry-After"] = str(wait)
        return response
    user = app_store.authenticate(state.store, username=username, password=password)
    app_store.record(state.store, event="login", actor=user.username if user else username.strip().lower(),
                     address=address, success=user is not None)
    if user is None:
        state.login_limiter.failed(keys)
        return _login_page(request, state, next_url=target, username=username, status=401,
                           message="Wrong username or password.")
    state.login_limiter.succeeded(keys)
    token = app_store.create_session(state.store, user_id=user.id)
    response = _see_other(target)
    security.set_cookie(response, request, security.SESSION_COOKIE, token,
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    security.clear_cookie(response, request, security.LOGIN_NONCE_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, state: StateDep, _: PrincipalDep) -> Response:
    app_store.revoke_session(state.store, token=request.cookies.get(security.SESSION_COOKIE, ""))
    response = _see_other("/login")
    security.clear_cookie(response, request, security.SESSION_COOKIE)
    return response


@router.get("/me")
def me_page(request: Request, principal: PrincipalDep, _as_of: PageAsOfDep) -> Response:
    return render(request, "me.html", context.me(principal.user), page="me")


@router.post("/me/tokens", dependencies=[CsrfChecked])
def create_token(request: Request, state: StateDep, principal: SessionDep, _as_of: AsOfDep,
                 name: Annotated[str, Form()] = "", days: Annotated[int, Form()] = app_store.TOKEN_DAYS,
                 write: Annotated[bool, Form()] = False) -> Response:
    data = context.me(principal.user)
    try:
        data |= context.new_token(state, user=principal.user, name=name, days=days, write=write)
        status = 201
    except InputError as exc:
        data["token_error"] = str(exc)
        status = 422
    return render(request, "me.html", data, status=status, partial="_partials/token.html", page="me")


# -- the team's numbers ------------------------------------------------------------------------


@router.get("/team")
def team_page(request: Request, state: StateDep, scope: ScopeDep, as_of: AsOfDep, team: TeamQuery = None) -> Response:
    data = context.team(state, scope, team=team or None, as_of=as_of)
    user = getattr(request.state, "user", None)
    viewer = getattr(user, "crm_user_id", None)
    # The body (matrix, hundreds of rows at enterprise scale) depends only on the data and on
    # whose dot to highlight: render it once per data change, not once per request.
    snapshot = state.at(as_of)
    body = state.cached(
        ("team-body-html", scope, team or None, viewer, as_of.key if snapshot is not None and as_of else None),
        lambda ws: Markup(
            request.app.state.al.templates.get_template("_partials/team_body.html").render(
                data=data, user=user, request=request)  # its links carry the as-of, as the key does
        ),
        stamp=snapshot,
    )
    if is_htmx(request):
        return HTMLResponse(body)
    return render(request, "team.html", {**data, "body": body, "alerts": playbooks.alerts(state, scope)}, page="team")


@router.get("/sellers/{user_id}")
def seller_page(request: Request, user_id: str, state: StateDep, scope: ScopeDep, principal: PrincipalDep,
                as_of: AsOfDep) -> Response:
    data = context.seller(state, scope, user_id=user_id, as_of=as_of)
    # the standing alerts of the playbooks this seller owns, and their support requests' figures
    # (not cached: a close or a decision shows at once)
    return render(request, "seller.html", {**data, "alerts": playbooks.alerts(state, scope, seller_id=user_id),
                                           "requests": request_figures.seller(state, scope, principal.user, data["rep"], as_of=as_of)},
                  page="team")


@router.get("/accounts/{account_id}")
def account_page(request: Request, account_id: str, state: StateDep, scope: ScopeDep, as_of: AsOfDep) -> Response:
    return render(request, "account.html", context.account(state, scope, account_id=account_id, as_of=as_of),
                  page="team")


@router.get("/opportunities/{opportunity_id}")
def opportunity_page(request: Request, opportunity_id: str, state: StateDep, scope: ScopeDep,
                     as_of: AsOfDep) -> Response:
    return render(request, "opportunity.html",
                  support_maps.deal_page(state, scope, opportunity_id, as_of=as_of), page="team")


# -- import and settings -----------------------------------------------------------------------


@router.get("/import")
def import_page(request: Request, state: StateDep, _: AdminDep, _as_of: PageAsOfDep) -> Response:
    return render(request, "import.html", context.import_status(state), page="import")


@router.post("/import", dependencies=[CsrfChecked])
def import_upload(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep,
                  export: Annotated[UploadFile | None, File()] = None) -> Response:
    data = context.import_status(state)
    status = 200
    try:
        if export is None or not export.filename:
            raise InputError("choose the Salesforce export .zip to upload")
        data |= accounts.audited(state, "import", admin.user,
                                 lambda: context.run_import(state, filename=export.filename, upload=export.file),
                                 file=export.filename)
        status = 202  # imported and analysed in the background: the job section polls /import/job
    except WorkspaceBusy as exc:
        data["rejected"] = {"message": str(exc), "problems": [], "truncated": False}
        status = 409
    except ImportRejected as exc:
        data["rejected"] = {"message": exc.summary(), "problems": [p.as_dict() for p in exc.problems],
                            "truncated": exc.truncated}
        status = 422
    except InputError as exc:
        data["rejected"] = {"message": str(exc), "problems": [], "truncated": False}
        status = 422
    return render(request, "import.html", data, status=status, partial="_partials/import_result.html", page="import")


@router.get("/import/job")
def import_job(request: Request, state: StateDep, _: AdminDep, _as_of: AsOfDep) -> Response:
    return render(request, "_partials/import_job.html", context.job_status(state), page="import")


@router.post("/analyze", dependencies=[CsrfChecked])
def analyze(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep) -> Response:
    accounts.audited(state, "analyze", admin.user, lambda: context.analyze(state))
    return _see_other(links.url(request, "/import"))


@router.get("/settings")
def settings_page(request: Request, state: StateDep, _: PrincipalDep, _as_of: PageAsOfDep) -> Response:
    return render(request, "settings.html", context.settings(state), page="settings")


@router.post("/settings", dependencies=[CsrfChecked])
async def save_settings(request: Request, state: StateDep, admin: AdminDep, _as_of: AsOfDep) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != security.CSRF_FIELD}
    try:
        data = await _in_thread(lambda: accounts.audited(
            state, "settings_save", admin.user, lambda: context.save_settings(state, user=admin.user, values=values),
            fields=sorted(values)))
        data["saved"] = True
        status = 200
    except FormInvalid as exc:
        data = await _in_thread(lambda: context.settings(state))
        data["errors"] = exc.fields
        data["submitted"] = values
        status = 422
    return render(request, "settings.html", data, status=status, partial="_partials/settings_form.html",
                  page="settings")


async def _in_thread(fn):  # type: ignore[no-untyped-def]
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn)


from .accounts import router as _accounts  # noqa: E402 - the users page and password changes

router.include_router(_accounts)
