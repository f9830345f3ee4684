"""Fixtures for the security tests: the web tests' app and database fixtures (tests/web/web_support.py,
every database test on SQLite and PostgreSQL) and the planted hostile export (security_support.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from security_support import planted, planted_copy  # noqa: E402, F401
from web_support import (  # noqa: E402, F401
    _fast_password_hashing,
    database_url,
    demo_workspace,
    store,
    web,
)
