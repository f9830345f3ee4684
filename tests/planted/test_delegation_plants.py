"""Issue 15's delegation plants recovered end to end (demo/delegation_plants.py): every planted
micromanager scores above every planted delegator on the micromanagement index, driven by the
parts the plant put there (steps, check-ins, overrides, reassignments), with the outcome
comparison carrying its sample sizes; the delegators' mass-created team tasks are not counted."""

from __future__ import annotations

import json

from planted_demo import Demo


def _style(demo: Demo) -> dict[tuple[str, str], dict]:
    rows = demo.workspace.results("delegation_style").to_pyarrow().to_pylist()
    return {(r["user_id"], r["role"]): r for r in rows}


def test_each_micromanager_scores_above_each_delegator_with_the_parts_that_drive_it(demo: Demo) -> None:
    style = _style(demo)
    micro, deleg = demo.truth.micromanaging_managers, demo.truth.delegating_managers
    assert len(micro) >= 2 and len(deleg) >= 2
    m_rows = [style[(u, "exercised")] for u in sorted(micro)]
    d_rows = [style[(u, "exercised")] for u in sorted(deleg)]
    assert min(r["micromanagement_index"] for r in m_rows) > max(r["micromanagement_index"] for r in d_rows)
    for r in m_rows:
        parts = json.loads(r["micromanagement_parts"])
        assert set(parts) == {"steps", "check_ins", "overrides", "reassignments", "density"}
        assert sum(p["contribution"] for p in parts.values()) == pytest_approx(r["micromanagement_index"])
        # the plant: step lists (English or Spanish), check-ins after them, edits and moves of the sellers' deals
        assert parts["steps"]["rate"] >= 0.9 and parts["steps"]["n"] >= 50
        assert parts["check_ins"]["rate"] >= 0.5
        assert r["overrides_n"] >= 10 and r["reassignments_n"] >= 2 and r["from_chain_share"] == 1.0
        assert r["outcome_n"] == 0 and r["signals_n"] == r["tasks_n"] + r["overrides_n"] + r["reassignments_n"]
    for r in d_rows:
        parts = json.loads(r["micromanagement_parts"])
        # outcome asks only: the quarterly step list sent to the whole team at one minute is mass-created
        assert r["steps_n"] == 0 and r["outcome_n"] >= 10 and r["checkins_n"] == 0
        assert r["overrides_n"] == 0 and r["reassignments_n"] == 0
        assert parts["steps"]["rate"] == 0 and parts["density"]["rate"] == 1.0
    # the outcomes are set against the style with their n, never a bare label
    for r in m_rows + d_rows:
        assert r["touched_closed_n"] > 0 and r["other_closed_n"] > 0
        if r["outcome_reason"] is None:
            assert r["touched_win_rate_low"] <= r["touched_win_rate"] <= r["touched_win_rate_high"]
            assert r["other_win_rate_low"] <= r["other_win_rate"] <= r["other_win_rate_high"]
        else:
            assert r["touched_win_rate"] is None and "closed deals" in r["outcome_reason"]
    # nobody else is planted: the other managers give no instructions
    planted = micro | deleg
    others = [k for k, r in style.items() if k[1] == "exercised" and k[0] not in planted and r["tasks_n"] > 0]
    assert not others, others


def test_the_micromanaged_sellers_carry_the_index_on_reps(demo: Demo) -> None:
    style = _style(demo)
    reps = {r["user_id"]: r for r in demo.workspace.reps()}
    received = {u: r for (u, role), r in style.items() if role == "received"}
    micro_sellers = {u for u, r in received.items() if r["steps_n"] > 0}
    deleg_sellers = {u for u, r in received.items() if r["steps_n"] == 0 and r["outcome_n"] > 0}
    assert len(micro_sellers) >= 8 and len(deleg_sellers) >= 8
    for u in micro_sellers:
        assert reps[u]["micromanagement_n"] == received[u]["signals_n"]
        assert reps[u]["micromanagement_index"] == received[u]["micromanagement_index"]
        assert reps[u]["micromanagement_parts"]["steps"]["rate"] >= 0.9  # decoded: an object
    scored = [reps[u]["micromanagement_index"] for u in deleg_sellers if reps[u]["micromanagement_index"] is not None]
    for u in deleg_sellers:
        r = reps[u]
        assert r["micromanagement_index"] is not None or "too few signals" in r["micromanagement_reason"]
    assert all(x < min(reps[u]["micromanagement_index"] for u in micro_sellers) for x in scored)


def pytest_approx(x: float) -> object:
    import pytest

    return pytest.approx(x, abs=0.3)
