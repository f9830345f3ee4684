"""Expensive test inputs (analysed demo workspaces) built once per test run and copied where used.

``built_once(tmp_path_factory, key, build)`` runs ``build(directory)`` at most once per test run,
under pytest-xdist too: the first worker that needs ``key`` builds it in the run's shared temp
directory while holding a file lock; the others wait, then reuse it.  ``build`` may return a
picklable value (an import or analysis summary, say), which every caller gets back.

The built directory is a pristine template: never open it for writing.  ``private_copy`` gives a
fixture or test its own copy (``shutil.copytree``; file times are kept, so a copied workspace's
results still match its data and ``analyze`` reuses them).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

#: What a private copy of a workspace leaves out: the app database and key belong to one app.
APP_FILES = shutil.ignore_patterns("app.sqlite*", ".secret_key", "*.lock")


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this run sees (the run's base temp; serially, our own)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-once"
    root.mkdir(exist_ok=True)
    return root


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def built_once(tmp_path_factory: pytest.TempPathFactory, key: str, build: Callable[[Path], T]) -> tuple[Path, T]:
    """``(directory, value)``: ``build(directory)`` run once per test run for ``key``, then reused."""
    root = shared_root(tmp_path_factory)
    target, done = root / key, root / f"{key}.pickle"
    with _locked(root / f"{key}.lock"):
        if not done.exists():
            if target.exists():  # a build that failed half-way: start again
                shutil.rmtree(target)
            target.mkdir()
            value = build(target)
            done.write_bytes(pickle.dumps(value))
            return target, value
    return target, pickle.loads(done.read_bytes())


def private_copy(template: Path, target: Path, *, ignore: Any = APP_FILES) -> Path:
    """A copy of ``template`` at ``target`` to read or change freely."""
    shutil.copytree(template, target, ignore=ignore)
    return target


# -- the analysed demo companies -------------------------------------------------------------------


def _demo(directory: Path, *, seed: int, scale: float, analyse: bool) -> tuple[Any, Any]:
    from accountleader.workspace import Workspace

    ws = Workspace.open(directory / "workspace")
    try:
        _, imported = ws.load_demo(seed=seed, scale=scale)
        analysis = ws.analyze() if analyse else None
    finally:
        ws.close()
    return imported, analysis


def demo_template(tmp_path_factory: pytest.TempPathFactory, *, seed: int = 7, scale: float,
                  analyse: bool = True) -> tuple[Path, Any, Any]:
    """The demo company (``load_demo(seed, scale)``, then ``analyze()`` unless ``analyse=False``),
    built once per run: ``(workspace template, ImportSummary, AnalysisSummary or None)``.

    The export it was imported from is the template's ``demo-export`` folder."""
    key = f"demo-s{seed}-x{scale:g}" + ("-analysed" if analyse else "-imported")
    directory, (imported, analysis) = built_once(
        tmp_path_factory, key, lambda d: _demo(d, seed=seed, scale=scale, analyse=analyse))
    return directory / "workspace", imported, analysis


def demo_workspace_copy(tmp_path_factory: pytest.TempPathFactory, name: str, *, seed: int = 7, scale: float,
                        analyse: bool = True) -> tuple[Path, Any, Any]:
    """Like :func:`demo_template`, copied into a fresh ``tmp_path_factory`` directory named ``name``:
    ``(workspace copy, ImportSummary, AnalysisSummary or None)``."""
    template, imported, analysis = demo_template(tmp_path_factory, seed=seed, scale=scale, analyse=analyse)
    target = private_copy(template, tmp_path_factory.mktemp(name) / "workspace")
    return target, imported, analysis
