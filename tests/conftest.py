"""Fixtures shared by every test package.  Keep this small and generic.

Also: the Hypothesis profiles (``ci`` by default), and xdist group marks for the expensive
session fixtures (a Spark JVM, a Chromium, one analysed demo company). scripts/run-tests.sh runs
the suite on two workers with ``--dist loadfile``, not ``loadgroup``: with pytest 9, xdist 3.8
cannot tag a node id with its group, so the groups were split across workers. The marks stay
for the day it can; whole files on one worker keep the Spark parity file on one JVM meanwhile.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

# -- Hypothesis: property tests are bounded -----------------------------------------------------------
# A test's own @settings(max_examples=...) still wins; the profile bounds every other property test,
# drops the per-example deadline (two shared cores make timings noisy) and draws the same examples on
# every run, so a CI failure reproduces.  HYPOTHESIS_PROFILE=dev explores more, with fresh examples.
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- xdist groups ---------------------------------------------------------------------------------------
# (Effective only under --dist loadgroup; see the module docstring.)
# Under --dist loadgroup a test without a group may run on either worker, so a session or module
# fixture it needs is set up on both.  These groups keep each expensive one on one worker:
#: tests in tests/<dir> that use the directory's session fixture (a demo company or its export)
_FIXTURE_GROUPS = {"planted": "demo", "messy": "messy", "reports": "report_demo", "demo": "demo"}


def _group(item: pytest.Item) -> str | None:
    if item.get_closest_marker("spark"):
        return "spark"  # one SparkSession (JVM) per run
    if item.get_closest_marker("browser"):
        return "browser"  # one headless Chromium and one live server at a time
    fixtures = getattr(item, "fixturenames", ())
    rel = item.path.relative_to(TESTS) if item.path.is_relative_to(TESTS) else None
    if rel is None:
        return None
    if len(rel.parts) > 1 and _FIXTURE_GROUPS.get(rel.parts[0]) in fixtures:
        return f"{rel.parts[0]}-demo"
    # a module- or class-scoped fixture of the test's own module (a workspace its tests share, say):
    # the module's tests stay together, in file order, as in a serial run
    info = getattr(item, "_fixtureinfo", None)
    module = item.getparent(pytest.Module)
    for defs in (info.name2fixturedefs.values() if info else ()):
        for d in defs:
            if d.scope in ("module", "class") and module is not None and d.baseid.startswith(module.nodeid):
                return rel.with_suffix("").as_posix()
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns xdist_group marks into node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        group = _group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


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
