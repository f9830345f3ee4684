"""The FastAPI application: HTML pages under /, their JSON twins under /api/v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..config import environment, limits
from ..store import default_url, open_store
from ..workspace import Workspace
from . import errors, links, security
from .limits import RequestGuard, remove_stale_uploads
from .state import AppState

HERE = Path(__file__).parent

# Sent on every response. htmx runs from our own static file; nothing inline is allowed.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
]


class SecurityHeaders:
    """A plain ASGI middleware (cheaper than BaseHTTPMiddleware) adding SECURITY_HEADERS."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(workspace_path: Path | str, database_url: str | None = None) -> FastAPI:
    """The web app for one workspace.

    ``database_url`` defaults to ACCOUNTLEADER_DATABASE_URL, then ``<workspace>/app.sqlite``.
    """
    path = Path(workspace_path)
    # The app keeps its database and secret key in the workspace, so serving creates it.
    path.mkdir(parents=True, exist_ok=True)
    remove_stale_uploads(path)  # left by a crash mid-upload
    caps = limits()
    workspace = Workspace.open(path)
    store = open_store(default_url(path, database_url or environment().database_url))
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["version"] = __version__
    links.install(templates.env)  # link(), as_of_field(), switch_as_of(): links keep the page's as-of
    workspace.attach_store(store)  # playbook triggers are checked against this database after each analyze
    state = AppState(path, workspace, store, security.load_secret_key(path), templates)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()
        store.close()

    app = FastAPI(
        title="accountleader",
        version=__version__,
        description="Efficiency and effectiveness of the sales team, from its CRM data. "
        "Authenticate with 'Authorization: Bearer <token>' (create one on /me or with `accountleader users token`).",
        docs_url=None,  # the Swagger UI loads from a CDN; the schema itself is served below
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.al = state
    errors.install(app)

    from .api.backtest import router as api_backtest
    from .api.forecast import router as api_forecast
    from .api.playbooks import router as api_playbooks
    from .api.request_pages import router as api_request_pages
    from .api.requests import router as api_requests
    from .api.routes import router as api_router
    from .api.support_maps import router as api_support_maps
    from .ui.backtest import router as ui_backtest
    from .ui.forecast import router as ui_forecast
    from .ui.playbooks import router as ui_playbooks
    from .ui.request_board import router as ui_request_board
    from .ui.routes import router as ui_router
    from .ui.support_maps import router as ui_support_maps

    app.include_router(api_router)
    app.include_router(api_request_pages)  # before the requests API: /api/v1/requests/new is not a request id
    app.include_router(api_requests)
    app.include_router(api_playbooks)
    app.include_router(api_forecast)
    app.include_router(api_backtest)
    app.include_router(api_support_maps)
    app.include_router(ui_router)
    app.include_router(ui_playbooks)
    app.include_router(ui_forecast)
    app.include_router(ui_backtest)
    app.include_router(ui_support_maps)
    app.include_router(ui_request_board)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    from .deps import _principal

    # Added first, so it runs inside SecurityHeaders: its refusals carry those headers too.
    app.add_middleware(RequestGuard, limits=caps, authenticate=lambda request: _principal(request, state))
    app.add_middleware(SecurityHeaders)
    return app


def route_table(app: FastAPI) -> list[tuple[str, str, bool]]:
    """Every (method, path, in_schema) the app serves, flattened across included routers."""
    from fastapi.routing import iter_route_contexts

    rows = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        methods = getattr(route, "methods", None)
        if not methods or ctx.path is None:
            continue
        for method in sorted(methods - {"HEAD"}):
            rows.append((method, ctx.path, bool(getattr(route, "include_in_schema", False))))
    return rows
