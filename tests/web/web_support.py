"""Fixtures for the app database and the web app: every database test runs on SQLite and PostgreSQL.

PostgreSQL comes from ``ACCOUNTLEADER_TEST_POSTGRES_URL`` (``make test`` starts a throwaway
server and sets it). Without it the PostgreSQL variants skip, unless
``ACCOUNTLEADER_REQUIRE_POSTGRES=1`` says they must run, in which case they fail loudly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from demo_support import demo_template, demo_workspace_copy, private_copy
from sqlalchemy import create_engine, text

from accountleader.store import Store, open_store
from accountleader.store import users as store_users

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Real argon2, cheap parameters: tests create many users; production keeps the defaults."""
    original = store_users._HASHER
    store_users._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    store_users._HASHER = original


_WORKER_URL: dict[str, str] = {}


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database on the throwaway server (tests
    drop and recreate the public schema, which must not happen under another worker's feet)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    if url not in _WORKER_URL:
        base, _, _ = url.rpartition("/")
        name = f"appdb_{re.sub(r'[^a-z0-9]', '', worker.lower())}"
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        _WORKER_URL[url] = f"{base}/{name}"
    return _WORKER_URL[url]


def postgres_url() -> str:
    url = os.environ.get("ACCOUNTLEADER_TEST_POSTGRES_URL")
    if url:
        return _worker_database(url)
    if os.environ.get("ACCOUNTLEADER_REQUIRE_POSTGRES") == "1":
        pytest.fail(
            "ACCOUNTLEADER_REQUIRE_POSTGRES=1 but ACCOUNTLEADER_TEST_POSTGRES_URL is not set: "
            "the throwaway PostgreSQL server did not start (see scripts/pg.sh and its server.log)"
        )
    pytest.skip("no PostgreSQL: set ACCOUNTLEADER_TEST_POSTGRES_URL (make test does)")


def empty_postgres(url: str) -> str:
    """Drop every table, so each test starts from an empty database and migrates it."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001 - a dead server must read as a clear failure
        pytest.fail(f"cannot reach the test PostgreSQL at {url}: {exc}")
    finally:
        engine.dispose()
    return url


def fresh_database_url(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'app.sqlite'}"
    return empty_postgres(postgres_url())


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    st = open_store(database_url)
    yield st
    st.close()


# -- the web app, in process ------------------------------------------------------------------

import asyncio  # noqa: E402
import re  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from accountleader import store as app_store  # noqa: E402
from accountleader.web import create_app  # noqa: E402

PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class AppClient:
    """httpx against the ASGI app in process (ASGITransport), driven synchronously for readable tests."""

    def __init__(self, app: Any, *, base_url: str = "http://testserver") -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url=base_url, follow_redirects=False)
        self.csrf: str | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def login(self, username: str, password: str = PASSWORD, *, next_url: str = "/team") -> httpx.Response:
        page = self.get("/login")
        response = self.post("/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_of(page), "next": next_url})
        if response.status_code == 303:
            self.csrf = csrf_of(self.get("/me"))
        return response

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, f"no CSRF field on {page.request.url} ({page.status_code})"
    return found.group(1)


class WebApp:
    """One app over one workspace and one app database, with a client factory."""

    def __init__(self, workspace: Path, database_url: str) -> None:
        self.workspace = workspace
        self.app = create_app(workspace, database_url)
        self.store: Store = self.app.state.al.store
        self._clients: list[AppClient] = []

    def client(self, **kwargs: Any) -> AppClient:
        c = AppClient(self.app, **kwargs)
        self._clients.append(c)
        return c

    def add_user(self, username: str, role: str, crm_user_id: str | None = None) -> app_store.UserPublic:
        return app_store.create_user(self.store, username=username, password=PASSWORD, role=role,
                                     crm_user_id=crm_user_id)

    def logged_in(self, username: str, **kwargs: Any) -> AppClient:
        c = self.client(**kwargs)
        response = c.login(username)
        assert response.status_code == 303, response.text
        return c

    def close(self) -> None:
        for c in self._clients:
            c.close()
        self.app.state.al.close()
        self.store.close()


@pytest.fixture
def web(database_url: str, tmp_path: Path) -> Iterator[WebApp]:
    """An app over an empty workspace, on each app-database backend."""
    w = WebApp(tmp_path / "workspace", database_url)
    yield w
    w.close()


#: the demo company the web and security tests (and the browser tests) share
DEMO_SEED, DEMO_SCALE = 7, 0.1


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company at 1/10 scale, imported and analysed once per test run (demo_support.py)
    and copied for this session. Treat as read-only."""
    path, _, _ = demo_workspace_copy(tmp_path_factory, "demo", seed=DEMO_SEED, scale=DEMO_SCALE)
    return path


@pytest.fixture
def demo_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A private copy of the demo workspace, for tests that change it."""
    template, _, _ = demo_template(tmp_path_factory, seed=DEMO_SEED, scale=DEMO_SCALE)
    return private_copy(template, tmp_path / "workspace")


def crm_users_and_open_deals(workspace: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The CRM users (``users`` rows) and the open deals of an analysed workspace: what the
    tests pick their people from."""
    from accountleader.workspace import Workspace

    ws = Workspace.open(workspace)
    try:
        return ws.table("users").to_pyarrow().to_pylist(), ws.reader().opportunities(open_only=True)
    finally:
        ws.close()


def zip_dir(directory: Path, target: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in sorted(directory.iterdir()):
            z.write(f, f.name)
    return target


@pytest.fixture(scope="session")
def demo_export_zip(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company's Salesforce export as the .zip a user would upload."""
    return zip_dir(demo_workspace / "demo-export", tmp_path_factory.mktemp("upload") / "salesforce-export.zip")


def wait_for_job(client: AppClient, *, timeout: float = 300.0) -> dict[str, Any]:
    """Poll the web import/analysis job until it has finished; returns the job.

    ``timeout`` guards against a hung job; it is not a speed test (with the other xdist worker busy on
    two shared cores, the demo's import and analysis has taken over two minutes)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get("/api/v1/import/job").json()["job"]
        if job is None or job["state"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError("the import/analysis job did not finish in time")
