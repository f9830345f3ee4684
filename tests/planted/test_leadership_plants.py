"""Issue 14's leadership plants recovered end to end (demo/leadership_plants.py): accounts in heavy
change handled as steady state are managed, not led; the sellers who handle them so are locked into
one style; the sellers who adapt to the deal's stage are flexible; consistent sellers who keep
creating in heavy change are not flagged."""

from __future__ import annotations

import json

from planted_demo import Demo

from accountleader.config import LeadershipSettings

RIGID = LeadershipSettings().style_rigid_max


def _accounts(demo: Demo) -> dict[str, dict]:
    return {a["account_id"]: a for a in demo.workspace.accounts()}


def _reps(demo: Demo) -> dict[str, dict]:
    return {r["user_id"]: r for r in demo.workspace.reps()}


def test_accounts_in_change_handled_as_steady_state_are_managed_not_led(demo: Demo) -> None:
    accounts = _accounts(demo)
    planted = demo.truth.steady_state_change_accounts
    assert len(planted) >= 4
    flagged = {a for a, row in accounts.items() if row["managed_not_led"]}
    assert planted <= flagged, f"missed {sorted(planted - flagged)}"
    assert len(flagged - planted) <= 2, f"flagged beyond the plant: {sorted(flagged - planted)}"
    for a in planted:
        row = accounts[a]
        assert row["leadership_mode"] == "lead" and row["review_cadence_days"] in (7, 14)
        assert row["create_share"] <= 0.2 and row["senior_touches_n"] == 0
        said = " ".join(row["leadership_reasons"])
        assert "change index" in said and "no senior contact touched in 30 days" in said, said
        assert f"over {row['activities_n']} activities" in said


def test_heavy_change_that_is_being_worked_is_led_not_flagged(demo: Demo) -> None:
    accounts = _accounts(demo)
    heavy = [accounts[a] for a in demo.truth.heavy_change_accounts]
    # the older plant: deals pushed and regressed, people gone, a seller still creating (or gone dark)
    assert all(a["leadership_mode"] == "lead" for a in heavy)
    assert sum(a["review_cadence_days"] == 7 for a in heavy) >= 0.9 * len(heavy)
    assert not any(a["managed_not_led"] for a in heavy)
    # most of the company is steady: managed, reviewed monthly
    steady = [a for a in accounts.values() if a["leadership_mode"] == "manage"]
    assert len(steady) >= 0.95 * len(accounts)
    assert all(a["review_cadence_days"] == 30 for a in steady)
    # the planted champion left everywhere; the CRM shows it as a key person where the deal has contact
    # roles (primary) or the champion was the most engaged contact: 19 of 25 on the demo
    assert sum(a["champion_departures"] > 0 for a in heavy) >= 0.7 * len(heavy)


def test_sellers_handling_change_as_steady_state_are_style_locked(demo: Demo) -> None:
    reps = _reps(demo)
    planted = demo.truth.style_locked_sellers
    assert len(planted) >= 2
    for u in planted:
        r = reps[u]
        assert r["style_locked"], r["style_note"]
        assert r["style_flexibility"] <= RIGID and r["style_n"] >= 100
        assert "in heavy-change accounts" in r["style_note"] and "against the company's" in r["style_note"]
        assert r["style_examples"][-1] in r["style_note"]
    locked = {u for u, r in reps.items() if r["style_locked"]}
    assert len(locked - planted) <= 2, f"locked beyond the plant: {sorted(locked - planted)}"


def test_flexible_sellers_are_measured_flexible_and_not_flagged(demo: Demo) -> None:
    reps = _reps(demo)
    planted = demo.truth.flexible_sellers
    assert len(planted) >= 2
    others = [r["style_flexibility"] for u, r in reps.items() if u not in planted and r["style_flexibility"] is not None]
    for u in planted:
        r = reps[u]
        assert r["style_flexibility"] > RIGID and not r["style_locked"]
        assert r["style_flexibility"] > max(others)
        assert any("but mostly" in e for e in r["style_examples"]), r["style_examples"]


def test_a_consistent_seller_who_keeps_creating_in_heavy_change_is_not_flagged(demo: Demo) -> None:
    accounts, reps = _accounts(demo), _reps(demo)
    creating = {accounts[a]["owner_id"] for a in demo.truth.heavy_change_accounts
                if (accounts[a]["create_share"] or 0) >= 0.5}
    consistent = [reps[u] for u in creating - demo.truth.flexible_sellers - demo.truth.style_locked_sellers
                  if u in reps and reps[u]["style_flexibility"] is not None and reps[u]["style_flexibility"] <= RIGID]
    assert len(consistent) >= 3
    # rigid like the locked ones, and not flagged: their heavy-change accounts do as well as anyone's
    assert sum(r["style_locked"] for r in consistent) <= 1
    assert all(r["style_note"].startswith("one style everywhere") for r in consistent if not r["style_locked"])


def test_show_reps_json_carries_style_flexibility(demo: Demo) -> None:
    from accountleader.cli.console import CaptureConsole
    from accountleader.cli.main import main

    con = CaptureConsole()
    assert main(["-w", str(demo.workspace.path), "show", "reps", "--json"], console=con) == 0
    rows = json.loads(con.out)
    keys = ("style_flexibility", "style_examples", "style_n", "style_locked")
    assert rows and all(all(k in row for k in keys) for row in rows)
    assert all(isinstance(row["style_examples"], list) for row in rows)
