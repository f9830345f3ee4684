"""Fixtures live in web_support.py (a uniquely named module the tests also import helpers from)."""

from web_support import (  # noqa: F401
    _fast_password_hashing,
    database_url,
    demo_copy,
    demo_export_zip,
    demo_workspace,
    store,
    web,
)
