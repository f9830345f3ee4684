"""`accountleader serve`: the web cockpit on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app, state


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; keep 127.0.0.1 behind a proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers_log: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Run the web app for this workspace (users: `accountleader users add`)."""
    import uvicorn

    from ..web import create_app

    st = state()
    web_app = create_app(st.workspace.path)
    st.console.info(f"accountleader on http://{host}:{port}  (workspace {st.workspace.path})")
    uvicorn.run(web_app, host=host, port=port, log_level=workers_log, proxy_headers=True, server_header=False)
