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
