"""Fixtures live in browser_support.py (a uniquely named module the tests also import helpers from)."""

from browser_support import browser, live_server, page  # noqa: F401
