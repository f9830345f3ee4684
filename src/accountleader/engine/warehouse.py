"""Canonical tables on any other Ibis backend the user names by URL.

``engine.url`` is handed to ``ibis.connect``: ``postgres://user@host:5432/db?password_env=PGPASSWORD``,
``bigquery://project/dataset``, ``snowflake://user@account/db/schema?password_file=secrets/sf``,
``trino://user@host:8080/catalog/schema``, ``duckdb:///path/to/lake.duckdb`` ...  The
backend's Ibis extra must be installed (``pip install 'ibis-framework[postgres]'``).

With ``source: workspace`` the warehouse holds the canonical tables by their canonical
names (in ``engine.source_schema`` when given), for example loaded by a pipeline from
``accountleader``'s own Parquet export.  With ``source: fivetran`` it holds the
Fivetran-landed Salesforce tables, mapped in place (see :mod:`.fivetran_source`).

The password never lives in the URL: ``password_env=NAME`` names an environment variable and
``password_file=PATH`` a file inside the workspace; they are resolved here, only when
connecting, and every message shows the URL masked (config.mask_url).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import ibis

from ..config import EngineSettings, mask_text, mask_url, workspace_file
from ..domain.schema import TABLES
from ..errors import ConfigError
from .fivetran_source import fivetran_tables
from .memory import limit_memory

#: Environment variables a URL may not name: the app's own secrets (secret key, database URL).
_FORBIDDEN_ENV_PREFIX = "ACCOUNTLEADER_"


def resolve_url(url: str, workspace: Path | None = None) -> tuple[str, str | None]:
    """The URL to connect with and its password: ``password_env`` / ``password_file`` are
    taken out of the query and the password they name is put in the user part.

    Errors name the variable or file, never a value."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    refs = {k: v for k, v in query if k in ("password_env", "password_file")}
    if not refs:
        return url, parts.password
    if len(refs) > 1:
        raise ConfigError("engine.url: give password_env or password_file, not both")
    shown = mask_url(url)
    if "password_env" in refs:
        name = refs["password_env"]
        if not name or name.upper().startswith(_FORBIDDEN_ENV_PREFIX):
            raise ConfigError(f"engine.url {shown}: password_env must name a variable outside ACCOUNTLEADER_*")
        password = os.environ.get(name)
        if password is None:
            raise ConfigError(f"engine.url {shown}: the environment variable {name} (password_env) is not set")
    else:
        if workspace is None:
            raise ConfigError(f"engine.url {shown}: password_file needs a workspace to look the file up in")
        path = workspace_file(workspace, refs["password_file"], setting="engine.url password_file")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"engine.url: cannot read the password_file {refs['password_file']!r}") from None
        password = lines[0].strip() if lines else ""
        if not password:
            raise ConfigError(f"engine.url: the password_file {refs['password_file']!r} is empty")
    if parts.password is not None:
        raise ConfigError(f"engine.url {shown}: has a password and a password reference; keep only the reference")
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    rest = urlencode([(k, v) for k, v in query if k not in refs])
    return urlunsplit((parts.scheme, netloc, parts.path, rest, parts.fragment)), password


def warehouse_connection(settings: EngineSettings, workspace: Path | None = None) -> Any:
    if not settings.url:
        raise ConfigError(f"engine {settings.kind!r} needs engine.url, e.g. postgres://user@host/db")
    url, password = resolve_url(settings.url, workspace)
    secrets = [password] if password else []
    try:
        con = ibis.connect(url)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"engine.url {mask_url(settings.url)}: the Ibis backend is not installed ({exc.name}); "
            "install e.g. 'ibis-framework[postgres]'"
        ) from None
    except Exception as exc:
        raise ConfigError(f"cannot connect to engine.url {mask_url(settings.url)}: "
                          f"{mask_text(str(exc), secrets)}") from None
    return limit_memory(con, settings.duckdb_memory_limit, workspace)


def warehouse_tables(settings: EngineSettings, workspace: Path | None = None) -> dict[str, ibis.Table]:
    """The canonical tables on the warehouse named by ``settings.url``."""
    return warehouse_source(settings, workspace)[1]


def warehouse_source(settings: EngineSettings, workspace: Path | None = None) -> tuple[Any, dict[str, ibis.Table]]:
    """The connection to the warehouse named by ``settings.url``, and the canonical tables on it
    (Fivetran tables are mapped once, into temporary tables that live as long as the connection)."""
    con = warehouse_connection(settings, workspace)
    try:
        return con, _tables(con, settings)
    except BaseException:
        con.disconnect()
        raise


def _tables(con: Any, settings: EngineSettings) -> dict[str, ibis.Table]:
    if settings.source == "fivetran":
        return fivetran_tables(con, database=settings.source_schema)
    kwargs = {"database": settings.source_schema} if settings.source_schema else {}
    present = set(con.list_tables(**kwargs))
    missing = [name for name in TABLES if name not in present]
    if missing:
        raise ConfigError(
            f"engine.url {mask_url(settings.url)} has no canonical table(s) {', '.join(missing)}"
            + (f" in schema {settings.source_schema}" if settings.source_schema else "")
            + "; load them, or set engine.source: fivetran to read Fivetran's Salesforce tables in place"
        )
    return {name: con.table(name, **kwargs) for name in TABLES}

