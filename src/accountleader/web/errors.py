"""Errors become one JSON shape under /api and one HTML page elsewhere; never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..errors import (
    AccountLeaderError,
    ConfigError,
    EditConflict,
    ImportRejected,
    InputError,
    NotFoundError,
    PermissionDenied,
    WorkspaceBusy,
    WorkspaceCorrupt,
    WorkspaceReadOnly,
)
from .forms import FormInvalid

log = logging.getLogger("accountleader.web")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict",
          413: "too_large", 422: "invalid_input", 429: "too_many_attempts", 500: "internal_error"}


class LoginRequired(Exception):
    """No valid session or token: pages redirect to the login form, the API answers 401."""


class CsrfFailed(Exception):
    """A form or cookie-authenticated API call without the right CSRF token."""


class TooManyAttempts(Exception):
    """Too many wrong passwords for an account or from an address: 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str, *, code: str | None = None,
                   details: dict[str, Any] | None = None) -> Response:
    code = code or _CODES.get(status, "error")
    if is_api(request):
        body: dict[str, Any] = {"code": code, "message": message}
        if details:
            body.update(details)
        return JSONResponse({"error": body}, status_code=status)
    templates = request.app.state.al.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "code": code, "message": message, "details": details or {},
                                "user": getattr(request.state, "user", None)},
        status_code=status,
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form"))
        parts.append(f"{where or 'input'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid input"


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return error_response(request, 401, "log in or send 'Authorization: Bearer <token>'")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_response(request, 403, "the form expired or did not come from this site; reload the page and try again",
                              code="csrf_failed")

    @app.exception_handler(TooManyAttempts)
    async def _throttled(request: Request, exc: TooManyAttempts) -> Response:
        response = error_response(request, 429, str(exc), code="too_many_attempts")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
        if exc.status_code == 404:
            message = f"nothing at {request.url.path}"
        return error_response(request, exc.status_code, message or "request failed")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, _validation_message(exc))

    @app.exception_handler(ImportRejected)
    async def _rejected(request: Request, exc: ImportRejected) -> Response:
        return error_response(request, 422, exc.summary(), code="import_rejected",
                              details={"problems": [p.as_dict() for p in exc.problems], "truncated": exc.truncated})

    @app.exception_handler(FormInvalid)
    async def _form(request: Request, exc: FormInvalid) -> Response:
        return error_response(request, 422, str(exc), details={"fields": exc.fields})

    @app.exception_handler(AccountLeaderError)
    async def _ours(request: Request, exc: AccountLeaderError) -> Response:
        if isinstance(exc, NotFoundError):
            return error_response(request, 404, str(exc))
        if isinstance(exc, PermissionDenied):
            return error_response(request, 403, str(exc))
        if isinstance(exc, InputError):
            return error_response(request, 400, str(exc))
        if isinstance(exc, EditConflict):
            return error_response(request, 409, str(exc), code="edit_conflict", details=exc.details)
        if isinstance(exc, WorkspaceBusy):
            return error_response(request, 409, str(exc), code="workspace_busy")
        if isinstance(exc, WorkspaceCorrupt | WorkspaceReadOnly):
            code = "workspace_corrupt" if isinstance(exc, WorkspaceCorrupt) else "workspace_read_only"
            return error_response(request, 503, str(exc), code=code)
        if isinstance(exc, ConfigError):
            return error_response(request, 500, str(exc), code="config_error")
        log.error("unhandled accountleader error on %s", request.url.path, exc_info=exc)
        return error_response(request, 500, str(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request, 500, "something went wrong on our side; it has been logged")
