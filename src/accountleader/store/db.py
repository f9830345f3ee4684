"""Opening the application database: one engine, migrated to head on open."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..config import APP_SQLITE_FILE
from ..errors import ConfigError

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = APP_SQLITE_FILE


def default_url(workspace: Path | str, database_url: str | None = None) -> str:
    """``database_url`` when given (e.g. ACCOUNTLEADER_DATABASE_URL), else ``<workspace>/app.sqlite``."""
    if database_url:
        return database_url
    return f"sqlite:///{(Path(workspace) / SQLITE_FILE).resolve()}"


class Store:
    """The application database. Repository functions take it as their first argument."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with self._sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _private_file(path: Path) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does: it holds password hashes.
    SQLite gives its -wal and -shm files the main file's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    with contextlib.suppress(OSError):  # a file we do not own keeps its mode
        os.chmod(path, 0o600)


def open_store(url: str) -> Store:
    """Connect to ``url`` (SQLite or PostgreSQL) and upgrade its schema to the newest migration."""
    try:
        if url.startswith("sqlite"):
            database = make_url(url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                _private_file(Path(database))
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        upgrade(engine)
    except ImportError as exc:
        raise ConfigError(f"app database {_safe(url)}: driver missing ({exc}); install accountleader[postgres]") from None
    except SQLAlchemyError as exc:
        raise ConfigError(f"app database {_safe(url)}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    return Store(engine)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given
        return url
