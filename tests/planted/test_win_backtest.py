"""Backtest on the demo company (issue 13, Done when): replayed at the 12 month starts before the
data ends, the win model's Brier score is below both the CRM's own stage probability's and the
historical stage win rate's, and its calibration bins with 50 or more deals are within 0.05 of
what happened."""

from __future__ import annotations

from planted_demo import Demo


def test_win_model_beats_the_crm_and_the_stage_rate_and_is_calibrated(demo: Demo) -> None:
    result = demo.workspace.backtest()
    assert result["dates_n"] == 12
    overall = result["overall"]
    model, crm, stage = overall["model"], overall["crm_probability"], overall["stage_rate"]
    print("backtest Brier: model", model["brier"], "CRM", crm["brier"], "stage rate", stage["brier"],
          "| AUC", model["auc"], crm["auc"], stage["auc"], "| deals scored", model["n"])
    assert model["n"] >= 1000 and crm["n"] == stage["n"] == model["n"]
    assert model["brier"] < crm["brier"] and model["brier"] < stage["brier"]
    assert model["auc"] > max(crm["auc"], stage["auc"])
    big = [b for b in model["calibration_bins"] if b["n"] >= 50]
    assert len(big) >= 5
    for b in big:
        assert abs(b["predicted"] - b["observed"]) <= 0.05, b
    # the model's forecast is the closest to what was won, summed over the complete periods
    done = [p["forecast"] for p in result["periods"] if p.get("forecast", {}).get("complete")]
    actual = sum(f["won_from_open_amount"] for f in done)
    errors = {m: abs(sum(f[f"{m}_amount"] for f in done) - actual) for m in ("model", "crm_probability", "stage_rate")}
    print("forecast vs won from open deals:", {m: round(e) for m, e in errors.items()}, "actual", round(actual))
    assert errors["model"] < errors["crm_probability"] and errors["model"] < errors["stage_rate"]
