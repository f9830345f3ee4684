"""Canonical tables on any other Ibis backend the user names by URL.

``engine.url`` is handed to ``ibis.connect``: ``postgres://user:pw@host:5432/db``,
``bigquery://project/dataset``, ``snowflake://user:pw@account/db/schema``,
``trino://user@host:8080/catalog/schema``, ``duckdb:///path/to/lake.duckdb`` ...  The
backend's Ibis extra must be installed (``pip install 'ibis-framework[postgres]'``).

With ``source: workspace`` the warehouse holds the canonical tables by their canonical
names (in ``engine.source_schema`` when given), for example loaded by a pipeline from
``accountleader``'s own Parquet export.  With ``source: fivetran`` it holds the
Fivetran-landed Salesforce tables, mapped in place (see :mod:`.fivetran_source`).
"""

from __future__ import annotations

from typing import Any

import ibis

from ..config import EngineSettings
from ..domain.schema import TABLES
from ..errors import ConfigError
from .fivetran_source import fivetran_tables


def warehouse_connection(settings: EngineSettings) -> Any:
    if not settings.url:
        raise ConfigError(f"engine {settings.kind!r} needs engine.url, e.g. postgres://user@host/db")
    try:
        return ibis.connect(settings.url)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"engine.url {_redact(settings.url)}: the Ibis backend is not installed ({exc.name}); "
            "install e.g. 'ibis-framework[postgres]'"
        ) from None
    except Exception as exc:
        raise ConfigError(f"cannot connect to engine.url {_redact(settings.url)}: {exc}") from None


def warehouse_tables(settings: EngineSettings) -> dict[str, ibis.Table]:
    """The canonical tables on the warehouse named by ``settings.url``."""
    con = warehouse_connection(settings)
    if settings.source == "fivetran":
        return fivetran_tables(con, database=settings.source_schema)
    kwargs = {"database": settings.source_schema} if settings.source_schema else {}
    present = set(con.list_tables(**kwargs))
    missing = [name for name in TABLES if name not in present]
    if missing:
        raise ConfigError(
            f"engine.url {_redact(settings.url)} has no canonical table(s) {', '.join(missing)}"
            + (f" in schema {settings.source_schema}" if settings.source_schema else "")
            + "; load them, or set engine.source: fivetran to read Fivetran's Salesforce tables in place"
        )
    return {name: con.table(name, **kwargs) for name in TABLES}


def _redact(url: str | None) -> str:
    """The URL without its password, for messages."""
    if not url or "@" not in url or "://" not in url:
        return url or ""
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
