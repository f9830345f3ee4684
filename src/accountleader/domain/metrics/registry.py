"""Collects the documented metric names from every metric module (for the docs test)."""

from __future__ import annotations

import importlib
import pkgutil

from . import __name__ as _package


def metric_names() -> dict[str, str]:
    """Map each metric name to the module that defines it."""
    found: dict[str, str] = {}
    pkg = importlib.import_module(_package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or info.name == "registry":
            continue
        module = importlib.import_module(f"{_package}.{info.name}")
        for name in getattr(module, "METRICS", ()):
            found[name] = info.name
    return found
