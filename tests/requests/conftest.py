"""Fixtures for the support-request tests: the web tests' database fixtures (tests/web/web_support.py,
every database test on SQLite and PostgreSQL) and a small cast of app users."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from web_support import (  # noqa: E402, F401
    _fast_password_hashing,
    database_url,
    demo_workspace,
    store,
    web,
)
