"""Fixtures for the importer tests; the export builder itself lives in ``sf_export.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sf_export import Export, workspace_fingerprint


@pytest.fixture
def sf_export(tmp_path: Path) -> Export:
    return Export(tmp_path)


@pytest.fixture
def fingerprint() -> Callable[[Path], dict[str, Any]]:
    return workspace_fingerprint
