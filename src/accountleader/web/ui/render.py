"""Rendering pages: the page's context plus who is looking and their CSRF token."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import AccountLeaderError


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
           partial: str | None = None, page: str | None = None) -> Response:
    """The full page, or just ``partial`` when htmx asks for a fragment."""
    templates = request.app.state.al.templates
    name = partial if partial and is_htmx(request) else template
    logged_in = getattr(request.state, "user", None) is not None
    ctx = {
        "data": context,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", None),
        "page": page,
        # results older than the data or settings, or an import/analysis running: said on every page
        "freshness": request.app.state.al.freshness() if logged_in else None,
        # the kept as-of dates: every page names the as-of it shows and links the others
        "snapshots": _snapshots(request) if logged_in else None,
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _snapshots(request: Request) -> dict[str, Any] | None:
    with suppress(AccountLeaderError):  # an unreadable workspace has its own error page
        return request.app.state.al.snapshots()  # type: ignore[no-any-return]
    return None
