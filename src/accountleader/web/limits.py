"""Bounded input at the door, before FastAPI reads a byte of a request body.

FastAPI parses a request's body (a form, an upload, JSON) before it runs the dependencies
that check who is asking, so an anonymous 300 MB upload used to land on disk before the 401.
``RequestGuard`` is a plain ASGI middleware that, for every request:

* answers 404 when the path holds a control or otherwise odd character (a NUL in an id used
  to reach the analytics engine and end as a 500 with a traceback in the log), and 422 when a
  query parameter does;
* for a request that may carry a body (POST, PUT, PATCH, DELETE) other than the login form,
  authenticates first, with the same functions as ``deps.current_principal``: anonymous or a
  bad token gets 401 (API) or the login redirect (pages), a read-only token 403;
* caps the body: ``ACCOUNTLEADER_MAX_UPLOAD_MB`` for the import upload,
  ``ACCOUNTLEADER_MAX_BODY_MB`` for everything else. A larger Content-Length is refused at
  once (413); a body without one is counted as it streams and refused once past the cap, so
  no more than the cap is ever handed to the app;
* marks every response but static files ``Cache-Control: no-store``: pages and JSON hold
  one user's view of the CRM and must not stay in a shared or browser cache.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..config import Limits
from ..errors import PermissionDenied
from .errors import LoginRequired, error_response

log = logging.getLogger("accountleader.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Methods whose requests may carry a body: authenticated before it is read.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths anyone may post to (the login form checks its own signed nonce).
ANONYMOUS_POSTS = frozenset({"/login"})
#: Paths that take the import upload and get ACCOUNTLEADER_MAX_UPLOAD_MB instead of MAX_BODY_MB.
UPLOAD_PATHS = frozenset({"/import", "/api/v1/import"})
STATIC_PREFIX = "/static/"
#: Control characters (C0, DEL, C1), lone surrogates, the replacement character left by
#: invalid UTF-8, byte-order marks, zero-width and bidirectional controls: never in an id.
ODD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufeff\u200b-\u200f\u202a-\u202e\u2060-\u2069]")
MAX_PATH_CHARS = 2048
NO_STORE = (b"cache-control", b"no-store")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes its cap. FastAPI re-raises
    HTTPExceptions from body parsing unchanged, so the app's handler answers 413."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"the request body is larger than {_mb(cap)}; nothing was read past that")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def _query_problem(query_string: bytes) -> str | None:
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="strict",
                          encoding="utf-8", max_num_fields=1000)
    except (UnicodeDecodeError, ValueError):
        return "the query string is not valid UTF-8 or has too many fields"
    for key, value in pairs:
        if ODD.search(key) or ODD.search(value):
            return f"query parameter {ODD.sub('?', key)!r} holds a control or invalid character"
    return None


class RequestGuard:
    """See the module docstring. ``authenticate(request)`` returns the principal or None
    (sync; run in a worker thread because it queries the app database)."""

    def __init__(self, app: Any, *, limits: Limits, authenticate: Callable[[Request], Any]) -> None:
        self.app = app
        self.body_cap = Limits.mb(limits.max_body_mb)
        self.upload_cap = Limits.mb(limits.max_upload_mb)
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith(STATIC_PREFIX)

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start" and not static:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, NO_STORE]
            await send(message)

        refusal = await self._refusal(scope, path)
        if refusal is not None:
            await refusal(scope, _no_body, send_no_store)
            return

        method = scope.get("method", "GET")
        cap = self.upload_cap if path in UPLOAD_PATHS and method == "POST" else self.body_cap
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await error_response(Request(scope), 413, BodyTooLarge(cap).detail)(scope, _no_body, send_no_store)
            return

        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            if received > cap:  # the app caught the first refusal and asked again
                raise BodyTooLarge(cap)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
            return message

        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_no_store(message)

        try:
            await self.app(scope, counted_receive, send_tracked)
        except BodyTooLarge as exc:  # only when something let it escape the app's handlers
            if started:
                raise
            await error_response(Request(scope), 413, exc.detail)(scope, _no_body, send_no_store)

    async def _refusal(self, scope: Scope, path: str) -> Response | None:
        """A response that ends the request before the app sees it, or None to go on."""
        if len(path) > MAX_PATH_CHARS or ODD.search(path):
            # Never echo the odd path back, and log nothing: it is the client's mistake.
            return error_response(Request(scope), 404, "nothing at this address")
        problem = _query_problem(scope.get("query_string", b""))
        if problem:
            return error_response(Request(scope), 422, problem)
        if scope.get("method", "GET") not in BODY_METHODS or path in ANONYMOUS_POSTS:
            return None
        request = Request(scope)  # no receive: the body cannot be read from here
        try:
            principal = await anyio.to_thread.run_sync(self.authenticate, request)
        except LoginRequired:
            principal = None
        except PermissionDenied as exc:
            return error_response(request, 403, str(exc))
        if principal is None:
            return login_required(request)
        if not getattr(principal, "can_write", True):
            return error_response(request, 403, "this API token is read-only; make one with write access to change anything")
        return None


def login_required(request: Request) -> Response:
    """What the ``errors.LoginRequired`` handler answers: 401 for the API, the login form for pages."""
    if request.url.path.startswith("/api/"):
        return error_response(request, 401, "log in or send 'Authorization: Bearer <token>'")
    return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def remove_stale_uploads(workspace: Path, *, older_than: float = 3600.0, now: float | None = None) -> list[Path]:
    """Delete ``.upload-*`` directories a crashed upload left in the workspace.

    Only those untouched for ``older_than`` seconds (newest mtime of the directory and what
    it holds): another server process on the same workspace may be receiving one right now.
    """
    now = time.time() if now is None else now
    removed = []
    for tmp in Path(workspace).glob(".upload-*"):
        if not tmp.is_dir() or tmp.is_symlink():
            continue
        try:
            newest = max([tmp.stat().st_mtime] + [p.stat().st_mtime for p in tmp.rglob("*")])
        except OSError:
            continue
        if now - newest >= older_than:
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    if removed:
        log.info("removed %d stale upload directories from %s", len(removed), workspace)
    return removed
