"""Fixtures shared by every test package.  Keep this small and generic."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root directory (where pyproject.toml is)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data sets in ``../shared/data`` (next to the checkout); skipped when absent."""
    path = (REPO_ROOT / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"../shared/data not found: {path} (the real-data tests need the shared data sets)")
    return path


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    """A fresh, empty workspace directory."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws
