"""`accountleader analyze` and `show`: the public JSON contract, exports and bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from demo_support import built_once, private_copy

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.workspace import Workspace

REP_KEYS = {
    "user_id", "name", "quadrant", "efficiency_index", "effectiveness_index", "quote_turnaround_median_hours",
    "win_rate", "won_amount", "avg_days_to_close", "create_share", "high_fit_effort_share", "decision_maker_reach",
}
ACCOUNT_KEYS = {"account_id", "fit_score", "fit_tier", "fit_reasons", "create_share", "change_index"}
OPPORTUNITY_KEYS = {"opportunity_id", "close_date_pushes", "stage_regressions", "buyer_roles_engaged", "has_decision_maker"}


def _imported(directory: Path) -> None:
    code, con = run("-w", str(directory / "ws"), "demo", "--scale", "0.1", "--seed", "3")
    assert code == 0, con.errors


def _analysed(tmp_path_factory: pytest.TempPathFactory, directory: Path) -> None:
    template, _ = built_once(tmp_path_factory, "cli-demo-s3-x0.1-imported", _imported)
    code, con = run("-w", str(private_copy(template / "ws", directory / "ws")), "analyze")
    assert code == 0, con.errors


# Each test gets its own copy: the tests analyse at other dates, so a workspace they shared would
# make each one's output depend on which ran before it.
@pytest.fixture
def imported_ws_path(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The demo company (seed 3, 1/10 scale) imported through the CLI, never analysed (built once per run)."""
    template, _ = built_once(tmp_path_factory, "cli-demo-s3-x0.1-imported", _imported)
    return private_copy(template / "ws", tmp_path / "ws")


@pytest.fixture
def ws_path(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The same company, analysed as of its default date (built once per run)."""
    template, _ = built_once(tmp_path_factory, "cli-demo-s3-x0.1-analysed", lambda d: _analysed(tmp_path_factory, d))
    return private_copy(template / "ws", tmp_path / "ws")


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def test_analyze_prints_a_summary_and_then_reuses_results(imported_ws_path: Path) -> None:
    ws_path = imported_ws_path
    code, con = run("-w", str(ws_path), "analyze")
    assert code == 0, con.errors
    assert "results computed as of" in con.out and "sellers by quadrant" in con.out
    code, con = run("-w", str(ws_path), "analyze", "--json")
    summary = json.loads(con.out)
    assert summary["reused"] is True
    assert summary["tables"]["reps"] > 0 and "signal" in summary["fit"]


def test_show_json_keeps_the_public_keys(ws_path: Path) -> None:
    run("-w", str(ws_path), "analyze")
    for what, keys in (("reps", REP_KEYS), ("accounts", ACCOUNT_KEYS), ("opportunities", OPPORTUNITY_KEYS)):
        code, con = run("-w", str(ws_path), "show", what, "--json")
        assert code == 0, con.errors
        rows = json.loads(con.out)
        assert rows, what
        assert keys <= set(rows[0]), (what, keys - set(rows[0]))
    accounts = json.loads(run("-w", str(ws_path), "show", "accounts", "--json")[1].out)
    assert all(isinstance(a["fit_reasons"], list) for a in accounts)
    reps = json.loads(run("-w", str(ws_path), "show", "reps", "--json")[1].out)
    assert all(r["quadrant"] in {"leading", "tending", "busy", "slow", "at_risk", "not_enough_peers", None} for r in reps)
    assert all(r["win_rate"] is None or 0 <= r["win_rate"] <= 1 for r in reps)


def test_show_filters_by_team_and_rep(ws_path: Path) -> None:
    run("-w", str(ws_path), "analyze")
    reps = json.loads(run("-w", str(ws_path), "show", "reps", "--json")[1].out)
    team = reps[0]["team"]
    code, con = run("-w", str(ws_path), "show", "reps", "--team", team, "--json")
    assert code == 0
    assert {r["team"] for r in json.loads(con.out)} == {team}
    code, con = run("-w", str(ws_path), "show", "accounts", "--rep", reps[0]["name"], "--json")
    assert code == 0
    assert {a["owner_id"] for a in json.loads(con.out)} == {reps[0]["user_id"]}


def test_unknown_team_or_rep_is_bad_input(ws_path: Path) -> None:
    run("-w", str(ws_path), "analyze")
    code, con = run("-w", str(ws_path), "show", "reps", "--team", "Nobody's Team")
    assert code == 2 and "no team named" in con.errors and "Traceback" not in con.errors
    code, con = run("-w", str(ws_path), "show", "accounts", "--rep", "Nobody At All")
    assert code == 2 and "no seller" in con.errors


def test_as_of_outside_the_data_is_bad_input(ws_path: Path) -> None:
    code, con = run("-w", str(ws_path), "analyze", "--as-of", "1999-01-01")
    assert code == 2 and "before the data starts" in con.errors
    code, con = run("-w", str(ws_path), "analyze", "--as-of", "not-a-date")
    assert code == 2 and "not a date" in con.errors


def test_an_earlier_as_of_gives_different_reproducible_results(ws_path: Path) -> None:
    code, con = run("-w", str(ws_path), "analyze", "--as-of", "2026-03-31", "--json")
    assert code == 0, con.errors
    first = json.loads(con.out)
    assert first["as_of"].startswith("2026-03-31")
    reps_march = json.loads(run("-w", str(ws_path), "show", "reps", "--json")[1].out)
    run("-w", str(ws_path), "analyze", "--as-of", "2026-03-31")
    assert json.loads(run("-w", str(ws_path), "show", "reps", "--json")[1].out) == reps_march
    run("-w", str(ws_path), "analyze")
    reps_latest = json.loads(run("-w", str(ws_path), "show", "reps", "--json")[1].out)
    assert reps_latest != reps_march


def test_export_to_csv_and_parquet(ws_path: Path, tmp_path: Path) -> None:
    run("-w", str(ws_path), "analyze")
    code, con = run("-w", str(ws_path), "show", "accounts", "--format", "parquet", "--out", str(tmp_path / "a.parquet"))
    assert code == 0, con.errors
    table = pq.read_table(tmp_path / "a.parquet")
    assert ACCOUNT_KEYS <= set(table.column_names) and table.num_rows > 0
    code, con = run("-w", str(ws_path), "show", "reps", "--format", "csv", "--out", str(tmp_path / "r.csv"))
    assert code == 0
    assert (tmp_path / "r.csv").read_text().splitlines()[0].startswith("user_id,name")
    code, con = run("-w", str(ws_path), "show", "reps", "--format", "csv")
    assert code == 2 and "--out" in con.errors


def test_python_api_returns_ibis_tables_that_convert(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        ws.analyze()
        reps = ws.results("reps")
        assert set(REP_KEYS) <= set(reps.columns)
        n = reps.count().execute()
        assert len(reps.to_pandas()) == n
        assert reps.to_pyarrow().num_rows == n
        assert isinstance(reps.to_polars(), pl.DataFrame)


def test_commands_on_an_empty_workspace_say_what_to_do(tmp_path: Path) -> None:
    code, con = run("-w", str(tmp_path / "empty"), "analyze")
    assert code == 2 and "no data yet" in con.errors
    code, con = run("-w", str(tmp_path / "empty"), "show", "reps")
    assert code == 2


def test_show_teams_gives_one_row_per_team_with_its_quadrant(ws_path: Path) -> None:
    run("-w", str(ws_path), "analyze")
    teams = json.loads(run("-w", str(ws_path), "show", "teams", "--json")[1].out)
    reps = json.loads(run("-w", str(ws_path), "show", "reps", "--json")[1].out)
    assert {t["team"] for t in teams} == {r["team"] for r in reps}
    for t in teams:
        members = [r for r in reps if r["team"] == t["team"]]
        assert t["sellers_n"] == len(members)
        assert t["won_n"] == sum(r["won_n"] or 0 for r in members)
        assert t["quadrant"] in {"leading", "busy", "slow", "at_risk"}
