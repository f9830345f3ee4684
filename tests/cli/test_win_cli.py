"""`model win`, `backtest` and the win fields of `show opportunities`, on the small demo company
(seed 3, 1/10 scale) the other CLI tests analyse (built once per run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_support import built_once, private_copy
from test_analysis_cli import _analysed, run


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template, _ = built_once(tmp_path_factory, "cli-demo-s3-x0.1-analysed", lambda d: _analysed(tmp_path_factory, d))
    return private_copy(template / "ws", tmp_path_factory.mktemp("win-cli") / "ws")


def test_show_opportunities_carries_win_probability_basis_and_reasons(ws_path: Path) -> None:
    code, con = run("-w", str(ws_path), "show", "opportunities", "--json")
    assert code == 0, con.errors
    rows = json.loads(con.out)
    open_deals = [r for r in rows if not r["is_closed"]]
    closed = [r for r in rows if r["is_closed"]]
    assert open_deals and closed
    assert all(r["win_basis"] == "model" for r in open_deals)
    assert all(0 < r["win_probability"] < 1 for r in open_deals)
    assert all(isinstance(r["win_reasons"], list) and r["win_reasons"] for r in open_deals)
    assert all(r["win_probability"] is None and r["win_basis"] is None for r in closed)
    # reasons are words with the evidence behind them
    texts = [t for r in open_deals for t in r["win_reasons"]]
    assert any("deals like this win" in t for t in texts)
    assert all(t[:2] in ("+ ", "- ") for t in texts)


def test_model_win_json_reports_out_of_fold_figures_and_features(ws_path: Path) -> None:
    code, con = run("-w", str(ws_path), "model", "win", "--json")
    assert code == 0, con.errors
    report = json.loads(con.out)
    assert report["basis"] == "model"
    assert report["won_n"] > 20 and report["lost_n"] > 20
    assert 0.5 < report["auc"] <= 1 and report["brier"] < report["brier_base"]
    assert report["log_loss"] < report["log_loss_base"]
    assert sum(b["n"] for b in report["calibration_bins"]) == pytest.approx(report["won_n"] + report["lost_n"], abs=0.5)
    assert "stage" in report["features_used"]
    assert all(isinstance(why, str) and why for why in report["dropped"].values())


def test_backtest_json_compares_the_model_with_the_crm_and_the_stage_rate(ws_path: Path) -> None:
    code, con = run("-w", str(ws_path), "backtest", "--from", "2026-04-01", "--to", "2026-07-01", "--json")
    assert code == 0, con.errors
    result = json.loads(con.out)
    assert [p["as_of"][:10] for p in result["periods"]] == ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01"]
    overall = result["overall"]
    assert set(overall) == {"model", "crm_probability", "stage_rate"}
    n = overall["model"]["n"]
    assert n > 50 and overall["crm_probability"]["n"] == n and overall["stage_rate"]["n"] == n
    for period in result["periods"]:
        f = period["forecast"]
        assert f["won_amount"] >= f["won_from_open_amount"] >= 0
        assert set(period["scores"]) == set(overall)


def test_backtest_refuses_a_range_the_wrong_way_round(ws_path: Path) -> None:
    code, con = run("-w", str(ws_path), "backtest", "--from", "2026-07-01", "--to", "2026-04-01")
    assert code == 2
    assert "is after --to" in con.errors
