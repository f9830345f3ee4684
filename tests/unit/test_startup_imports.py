"""A command loads only what it needs: `--help` (and every command's own help) starts without the
analysis, chart, Spark or web stacks, and `show` reads stored results without Ibis, pandas, pyarrow or NumPy
(issue 12, fast start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from accountleader.domain.as_of import AsOf
from accountleader.engine import storage

# Never needed to show help or parse a command line, nor to print stored results.
HEAVY = ("sklearn", "scipy", "altair", "vl_convert", "pyspark", "fastapi", "uvicorn", "starlette", "jinja2",
         "pandas", "ibis", "pyarrow", "numpy")

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


@pytest.mark.parametrize("command", ["--help", "show --help"])
def test_help_loads_no_rich(command: str) -> None:
    # click's plain help: Typer's Rich panels load Rich's Markdown, traceback and syntax modules
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from accountleader.cli.main import main; main(sys.argv[1:]); "
         "print('RICH', sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))", *command.split()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.stdout.strip().splitlines()[-1] == "RICH []", proc.stdout[-500:] + proc.stderr


AS_OF = AsOf.of("2026-09-30T23:59:59")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with stored results (as an analysis writes them: a kept snapshot, made current)."""
    ws = tmp_path_factory.mktemp("startup") / "ws"
    ws.mkdir()
    seller = {"user_id": "u1", "name": "Ann", "team": "East", "quadrant": "leading", "efficiency_index": 80.0,
              "effectiveness_index": 70.0, "win_rate": 0.5}
    tables = {
        "reps": pa.Table.from_pylist([seller]),
        "teams": pa.Table.from_pylist([{"team": "East", "sellers_n": 1, "win_rate": 0.5}]),
        "account_results": pa.Table.from_pylist([{"account_id": "a1", "owner_id": "u1", "name": "Acme",
                                                  "change_index": 1.0, "fit_reasons": '["big"]'}]),
        "opportunity_results": pa.Table.from_pylist([{"opportunity_id": "o1", "account_id": "a1", "owner_id": "u1",
                                                      "name": "Deal", "amount": 5.0, "is_closed": False}]),
    }
    storage.write_results(ws / "results.duckdb", tables, {"summary": {"as_of": AS_OF.iso(), "fit": {}}}, AS_OF,
                          current=True, keep=3)
    return ws


@pytest.mark.parametrize("what", ["reps", "teams", "accounts", "opportunities"])
@pytest.mark.parametrize("json_out", [False, True])
def test_show_reads_results_without_ibis_or_pandas(analysed: Path, what: str, json_out: bool) -> None:
    code, heavy = _loaded("-w", str(analysed), "show", what, *(["--json"] if json_out else []))
    assert code == 0
    assert heavy == [], f"`accountleader show {what}{' --json' if json_out else ''}` imported {heavy}"


def test_show_of_a_kept_snapshot_reads_without_ibis_or_pandas(analysed: Path) -> None:
    code, heavy = _loaded("-w", str(analysed), "show", "reps", "--as-of", AS_OF.key)
    assert code == 0
    assert heavy == [], f"`accountleader show reps --as-of` imported {heavy}"
