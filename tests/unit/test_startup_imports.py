"""A command loads only what it needs: `--help` (and every command's own help) starts without the
analysis, chart, Spark or web stacks (issue 12, fast start)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Never needed to show help or parse a command line.
HEAVY = ("sklearn", "scipy", "altair", "vl_convert", "pyspark", "fastapi", "uvicorn", "starlette", "pandas", "ibis")

_PROBE = """
import json, sys
from accountleader.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
"""


def _loaded(*argv: str) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE % (HEAVY,), *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.stdout.strip(), proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], sorted({m.split(".")[0] for m in out["modules"]})


def test_help_loads_no_heavy_library() -> None:
    code, heavy = _loaded("--help")
    assert code == 0
    assert heavy == [], f"`accountleader --help` imported {heavy}"


@pytest.mark.parametrize("command", ["import", "analyze", "show", "report", "serve"])
def test_a_command_help_loads_no_heavy_library(command: str) -> None:
    code, heavy = _loaded(command, "--help")
    assert code == 0
    assert heavy == [], f"`accountleader {command} --help` imported {heavy}"
