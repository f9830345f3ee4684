"""A live `accountleader serve` on 127.0.0.1 and a free port, and headless Debian Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from demo_support import demo_workspace_copy

from accountleader import store as app_store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser-test-password"
STARTUP_TIMEOUT = 180  # seconds
#: how long a page action may wait (ms): a hang guard, generous for a loaded two-core machine
ACTION_TIMEOUT = 60_000


@dataclass
class LiveServer:
    url: str
    workspace: Path
    export_zip: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # the web tests' demo company (seed 7, 1/10 scale), built once per run: a private copy, as the
    # server writes its app database into it
    workspace, _, _ = demo_workspace_copy(tmp_path_factory, "live", seed=7, scale=0.1)
    root = workspace.parent
    export_dir = workspace / "demo-export"
    export_zip = root / "salesforce-export.zip"
    with zipfile.ZipFile(export_zip, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in sorted(export_dir.iterdir()):
            z.write(f, f.name)
    store = app_store.open_store(app_store.default_url(workspace))
    app_store.create_user(store, username="ann", password=PASSWORD, role="admin")
    store.close()

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNTLEADER_DATABASE_URL"}
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "accountleader.cli.main", "--workspace", str(workspace), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # a hang guard, not a speed test: on two shared cores, with the other xdist worker busy,
        # a starting server has not answered within a minute
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {(root / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /api/v1/health within {STARTUP_TIMEOUT} s: "
                            f"{(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield LiveServer(url, workspace, export_zip)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# Module scope, not session: Playwright's sync API keeps an event loop running on this
# thread while it is open, and every later in-process (anyio) test would then fail with
# "Cannot run the event loop while another loop is running".
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    p = context.new_page()
    p.set_default_timeout(ACTION_TIMEOUT)
    yield p
    context.close()


def log_in(page, base: str, username: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """Open ``path`` (the login form first), log in as ``username``, and wait to be back there."""
    page.goto(base + path)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + path)
