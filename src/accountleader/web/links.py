"""Internal URLs that keep the as-of a page shows.

A page of a kept snapshot (``?as_of=2026-06-30``, not the current results) must not send the
next click back to the current results: every internal link, htmx URL, form action, redirect
and JSON-twin link on it carries the same ``as_of``. A page of the current results keeps its
URLs clean. Templates call :func:`link` (a Jinja global, see app.py), routes call :func:`url`;
nothing else appends ``as_of`` by hand.

The as-of of a request is parsed once, by ``deps.as_of_query`` (``request.state.as_of``).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.requests import Request

from ..domain.as_of import AsOf
from ..errors import AccountLeaderError

PARAM = "as_of"
# never given an as-of: files, the API schema, logging out
_UNPINNED_PREFIXES = ("/static/", "/api/v1/openapi.json", "/logout")


def pinned_key(state: Any, as_of: AsOf | None) -> str | None:
    """``as_of``'s date (``YYYY-MM-DD``) when it names a kept snapshot other than the current
    results; None when it is not given, names the current results, or is not kept (a page of
    a date not kept is a 404 already; its error page links back to the current results)."""
    if as_of is None:
        return None
    with suppress(AccountLeaderError):
        return as_of.key if state.at(as_of) is not None else None
    return None


def pinned_as_of(request: Request | None) -> str | None:
    """:func:`pinned_key` for this request's ``?as_of=`` (worked out once per request)."""
    if request is None:
        return None
    if hasattr(request.state, "pinned_as_of"):
        return request.state.pinned_as_of  # type: ignore[no-any-return]
    key = pinned_key(request.app.state.al, getattr(request.state, "as_of", None))
    request.state.pinned_as_of = key
    return key


def with_as_of(path: str, as_of_key: str | None, **params: Any) -> str:
    """``path`` with ``params`` (None and "" left out) and, for an internal path, ``as_of``
    appended to its query (not when the path already names one)."""
    base, hash_, fragment = path.partition("#")
    query = [(k, str(v)) for k, v in params.items() if v is not None and v != ""]
    existing = {k for k, _ in parse_qsl(base.partition("?")[2], keep_blank_values=True)} | {k for k, _ in query}
    if as_of_key and is_internal(base) and PARAM not in existing:
        query.append((PARAM, as_of_key))
    if query:
        base += ("&" if "?" in base else "?") + urlencode(query)
    return base + hash_ + fragment


def is_internal(path: str) -> bool:
    """A path of this app (not another site, not a static file, not logging out)."""
    return (path.startswith("/") and not path.startswith("//") and "\\" not in path
            and not path.startswith(_UNPINNED_PREFIXES))


def url(request: Request, path: str, **params: Any) -> str:
    """``path`` for a redirect or a link built in Python, carrying the request's as-of."""
    return with_as_of(path, pinned_as_of(request), **params)


def switch_url(request: Request, date: str | None) -> str:
    """This page (its other query parameters kept) at another kept as-of ``date``; the
    current results (``date`` None or the current date) without ``as_of``. A relative URL
    (``?team=x&as_of=2026-06-30``, or ``?`` alone): the same path as the page."""
    current = None
    with suppress(AccountLeaderError):
        current = request.app.state.al.snapshots().get("current")
    params = [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
    if date and date != current:
        params.append((PARAM, date))
    return f"?{urlencode(params)}"


# -- the Jinja globals (registered in app.py) ----------------------------------------------------


@pass_context
def link_global(ctx: Any, path: str, **params: Any) -> str:
    """``{{ link('/sellers/' ~ id) }}``, ``{{ link('/api/v1/team', team=t) }}``."""
    return with_as_of(path, pinned_as_of(ctx.get("request")), **params)


@pass_context
def pinned_global(ctx: Any) -> str | None:
    """The kept as-of this page shows and its links carry, or None for the current results."""
    return pinned_as_of(ctx.get("request"))


@pass_context
def as_of_field_global(ctx: Any) -> Markup:
    """The hidden ``as_of`` input a GET form needs (a browser replaces a GET action's query)."""
    key = pinned_as_of(ctx.get("request"))
    if not key:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(PARAM, escape(key))


@pass_context
def switch_global(ctx: Any, date: str | None) -> str:
    """``{{ switch_as_of(s.date) }}``: this page at another kept date (the snapshot links)."""
    request = ctx.get("request")
    if request is None:
        return f"?{urlencode({PARAM: date})}" if date else "?"
    return switch_url(request, date)


def install(env: Any) -> None:
    env.globals.update(link=link_global, pinned_as_of=pinned_global, as_of_field=as_of_field_global,
                       switch_as_of=switch_global)
