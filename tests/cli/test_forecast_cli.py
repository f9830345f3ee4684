"""`accountleader forecast` and `accountleader scenarios` on a copy of the analysed demo company."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_support import demo_workspace_copy

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


@pytest.fixture
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _, _ = demo_workspace_copy(tmp_path_factory, "forecast-cli", seed=7, scale=0.1)
    return path


def _open_deal_account(ws: Path) -> str:
    code, con = run("-w", str(ws), "show", "opportunities", "--json")
    assert code == 0, con.errors
    deals = [d for d in json.loads(con.out) if not d["is_closed"] and d["amount"]]
    return max(deals, key=lambda d: d["amount"])["account_id"]


def test_forecast_json_with_scenarios_added_on_the_command_line(ws: Path) -> None:
    w = ["-w", str(ws)]
    account = _open_deal_account(ws)
    for args in (
        ["Champion leaves", "--owner", "maria", "--kind", "champion_leaves", "--account", account],
        ["Nobody's account", "--owner", "maria", "--kind", "champion_leaves", "--account", "No Such Account Ltd"],
        ["Slow quarter", "--owner", "john", "--kind", "general_slip", "--days", "45", "--version", "2"],
    ):
        code, con = run(*w, "scenarios", "add", *args)
        assert code == 0, con.errors
    code, con = run(*w, "forecast", "--json", "--simulations", "2000", "--seed", "5")
    assert code == 0, con.errors
    out = json.loads(con.out)
    assert out["months"] == ["2026-09", "2026-10", "2026-11"] and out["scenarios_version"] == 3
    assert sum(out["probability_basis"].values()) == out["deals_n"] > 0
    assert {s["stage"] for s in out["slip"]} and all(s["basis"] in ("stage", "pooled") for s in out["slip"])
    base = out["base"]["all"]
    for band in (*base["months"], *base["quarters"], base["total"]):
        assert band["won_to_date"] <= band["p10"] <= band["p50"] <= band["p90"]
    assert base["total"]["p90"] <= base["total"]["won_to_date"] + out["open_amount"]
    assert {t["team"] for t in out["base"]["teams"]} and {s["owner_id"] for s in out["base"]["sellers"]}
    cases = {s["name"]: s for s in out["scenarios"]}
    assert cases["Champion leaves"]["p50_change"]["total"] < 0
    assert {d["account_id"] for d in cases["Champion leaves"]["drivers"]} == {account}
    assert cases["Nobody's account"]["p50_change"]["total"] == 0 and cases["Nobody's account"]["drivers"] == []
    assert cases["Slow quarter"]["p50_change"]["total"] < 0

    # the same seed gives the same forecast; one scenario asked for gives only that one
    code, con = run(*w, "forecast", "--json", "--simulations", "2000", "--seed", "5", "--scenario", "slow QUARTER")
    again = json.loads(con.out)
    assert again["base"] == out["base"] and [s["name"] for s in again["scenarios"]] == ["Slow quarter"]


def test_bad_scenarios_and_stale_edits_are_one_clear_line(ws: Path) -> None:
    w = ["-w", str(ws)]
    code, con = run(*w, "scenarios", "add", "Freeze", "--owner", "ana", "--kind", "budget_freeze",
                    "--industry", "Retail", "--months", "40")
    assert code == 2 and "months must be between 1 and 24" in con.errors
    assert run(*w, "scenarios", "add", "Freeze", "--owner", "ana", "--kind", "budget_freeze", "--industry",
               "Retail", "--months", "2")[0] == 0
    code, con = run(*w, "scenarios", "remove", "Freeze", "--version", "0")
    assert code == 2 and "you edited version 0, now version 1" in con.errors
    (ws / "scenarios.yaml").write_text("version: 1\nscenarios:\n  - name: Freeze\n    owner: ana\n"
                                       "    kind: budget_freeze\n    industry: Retail\n    months: many\n")
    code, con = run(*w, "forecast")
    assert code == 2
    assert f"{ws / 'scenarios.yaml'}, line 7, column months: value 'many': months must be a whole number" in " ".join(
        con.errors.split())
    code, con = run(*w, "forecast", "--months", "13")
    assert code == 2 and "--months must be 1 to 12" in con.errors
    code, con = run(*w, "scenarios", "list", "--json")
    assert code == 2  # the list reads the same file and says the same
