"""The layer rule in docs/architecture is enforced, not hoped for."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "src" / "accountleader"

# What each package must never import (architecture.md: imports point downward only).
FORBIDDEN = {
    "domain": ("accountleader.workspace", "accountleader.engine", "accountleader.importers", "accountleader.store",
               "accountleader.web", "accountleader.cli", "accountleader.reports", "duckdb", "pyspark",
               "fastapi", "sqlalchemy", "typer", "rich"),
    "importers": ("accountleader.workspace", "accountleader.engine", "accountleader.store", "accountleader.web",
                  "accountleader.cli", "accountleader.reports"),
    "engine": ("accountleader.workspace", "accountleader.importers", "accountleader.store", "accountleader.web",
               "accountleader.cli", "accountleader.reports"),
    "store": ("accountleader.workspace", "accountleader.importers", "accountleader.engine", "accountleader.web",
              "accountleader.cli", "accountleader.reports"),
    "reports": ("accountleader.web", "accountleader.cli", "accountleader.store"),
}


def _imports(path: Path, package: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    rel_parts = path.relative_to(PKG).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["accountleader", *rel_parts[: len(rel_parts) - node.level]]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
    return found


def test_layers_only_import_downward() -> None:
    offences = []
    for package, banned in FORBIDDEN.items():
        for path in (PKG / package).rglob("*.py"):
            for mod in _imports(path, package):
                if any(mod == b or mod.startswith(b + ".") for b in banned):
                    offences.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not offences, "layer rule broken:\n" + "\n".join(offences)


def _linted_layers() -> list[str]:
    import tomllib

    config = tomllib.loads((PKG.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    return [m.strip() for layer in layers for m in layer.split("#")[0].split("|")]


def test_every_top_level_module_is_in_a_layer() -> None:
    # a module left out of the contract could import anything: each must sit in a layer
    linted = set(_linted_layers())
    top = {f"accountleader.{p.stem}" for p in PKG.glob("*.py") if p.stem != "__init__"}
    top |= {f"accountleader.{p.parent.name}" for p in PKG.glob("*/__init__.py")}
    assert not top - linted, f"modules outside the import-linter layers: {sorted(top - linted)}"


# Front ends read results only through the workspace's results reader (ws.reader()).
_READ_INTERNALS = {"results", "results_tables", "analysis_tables", "table",
                   # the Python API's shorthands of the reader: front ends hold the reader itself
                   "scope_for", "reps", "teams", "accounts", "opportunities", "team_view", "seller_view",
                   "account_view", "opportunity_view"}


def test_front_ends_read_results_only_through_the_reader() -> None:
    offences = []
    for package in ("web", "reports", "cli"):
        for path in (PKG / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in _READ_INTERNALS):
                    continue
                owner = node.func.value
                name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
                if name in ("ws", "workspace"):
                    offences.append(f"{path.relative_to(PKG)}:{node.lineno} calls {name}.{node.func.attr}()")
    assert not offences, "read results through ws.reader():\n" + "\n".join(offences)


def test_there_is_no_queries_module() -> None:
    # its reads are the results reader's, its rules the domain's (issue 12)
    assert not (PKG / "queries.py").exists()
