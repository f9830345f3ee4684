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


def postgres_url() -> str:
    url = os.environ.get("ACCOUNTLEADER_TEST_POSTGRES_URL")
    if url:
        return url
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
