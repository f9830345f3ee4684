"""The right-things-right matrix: percentiles, indices, quadrants, warnings, teams."""

from __future__ import annotations

import math

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountleader.domain.metrics.matrix import right_things_right_matrix, team_matrix

EFF = {"quote_hours": "lower_is_better", "response_hours": "lower_is_better"}
FX = {"high_fit_effort_share": "higher_is_better", "decision_maker_reach": "higher_is_better"}


def run(eff_rows: list[dict], fx_rows: list[dict], users: list[dict] | None = None):
    eff = ibis.memtable(pd.DataFrame(eff_rows).astype({"owner_id": str}))
    fx = ibis.memtable(pd.DataFrame(fx_rows).astype({"owner_id": str}))
    m = right_things_right_matrix(eff, fx, efficiency_components=EFF,
                                  effectiveness_components=FX)
    con = ibis.duckdb.connect()
    out = con.execute(m)
    team = None
    if users is not None:
        team = con.execute(team_matrix(m, ibis.memtable(pd.DataFrame(users))))
    rows = {r["owner_id"]: r for r in out.astype(object).where(out.notna(), None).to_dict("records")}
    return rows, team


STORY_EFF = [
    # fast: quick quotes and replies
    dict(owner_id="fast", quote_hours=2.0, response_hours=1.0),
    dict(owner_id="slowpoke", quote_hours=50.0, response_hours=30.0),
    dict(owner_id="mid", quote_hours=10.0, response_hours=5.0),
]
STORY_FX = [
    # fast works low-fit accounts and junior contacts
    dict(owner_id="fast", high_fit_effort_share=0.1, decision_maker_reach=0.05),
    dict(owner_id="slowpoke", high_fit_effort_share=0.9, decision_maker_reach=0.6),
    dict(owner_id="mid", high_fit_effort_share=0.5, decision_maker_reach=0.3),
]


def test_fast_seller_on_low_fit_accounts_is_busy() -> None:
    rows, _ = run(STORY_EFF, STORY_FX)
    fast = rows["fast"]
    # 3 sellers: percent_rank 0, 0.5, 1; fast is best on both efficiency components
    assert fast["quote_hours_pct"] == 1.0 and fast["response_hours_pct"] == 1.0
    assert fast["efficiency_index"] == 100.0
    assert fast["effectiveness_index"] == 0.0
    assert fast["quadrant"] == "busy"
    assert fast["warning"].startswith("Effectiveness index 0 is below 25")
    assert rows["slowpoke"]["quadrant"] == "slow"
    assert rows["mid"]["quadrant"] == "leading"  # 50 / 50 counts as at least 50
    assert rows["mid"]["warning"] is None


def test_missing_components_skip_and_too_few_give_null_with_warning() -> None:
    eff = [dict(owner_id="a", quote_hours=1.0, response_hours=None),
           dict(owner_id="b", quote_hours=3.0, response_hours=2.0),
           dict(owner_id="c", quote_hours=None, response_hours=None)]
    fx = [dict(owner_id="a", high_fit_effort_share=0.2, decision_maker_reach=0.4),
          dict(owner_id="b", high_fit_effort_share=0.4, decision_maker_reach=0.2),
          dict(owner_id="d", high_fit_effort_share=0.4, decision_maker_reach=None)]
    rows, _ = run(eff, fx)
    # a: quote pct 1.0 (of a, b), response missing -> index 100 on 1 of 2 components
    assert rows["a"]["efficiency_index"] == 100.0 and rows["a"]["efficiency_components_n"] == 1
    assert rows["a"]["response_hours_pct"] is None
    # c has no efficiency component at all, and is absent from effectiveness
    assert rows["c"]["efficiency_index"] is None and rows["c"]["quadrant"] is None
    assert rows["c"]["warning"] == "Not enough data for either index"
    # d: 1 of 2 effectiveness components (half is enough); ties with b on high fit share
    assert rows["d"]["high_fit_effort_share_pct"] == 0.5
    assert rows["d"]["effectiveness_index"] == 50.0
    assert rows["d"]["warning"].startswith("Not enough efficiency data")


def test_lone_seller_sits_mid_range() -> None:
    rows, _ = run([dict(owner_id="x", quote_hours=1.0, response_hours=1.0)],
                  [dict(owner_id="x", high_fit_effort_share=1.0, decision_maker_reach=1.0)])
    assert rows["x"]["efficiency_index"] == 50.0 and rows["x"]["quadrant"] == "leading"


def test_team_index_is_mean_of_members() -> None:
    users = [dict(user_id="fast", team="East"), dict(user_id="slowpoke", team="East"),
             dict(user_id="mid", team="West")]
    _, team = run(STORY_EFF, STORY_FX, users)
    east = team.set_index("team").loc["East"]
    # fast (100, 0) and slowpoke (0, 100) -> 50 / 50
    assert (east.efficiency_index, east.effectiveness_index, east.sellers_n) == (50.0, 50.0, 2)
    assert east.quadrant == "leading"


values = st.one_of(st.none(), st.floats(0, 1000, allow_nan=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(st.tuples(values, values, values, values), min_size=1, max_size=8),
       seed=st.randoms(use_true_random=False))
def test_indices_in_range_and_row_order_does_not_matter(data, seed) -> None:
    eff = [dict(owner_id=f"s{i}", quote_hours=q, response_hours=r)
           for i, (q, r, _, _) in enumerate(data)]
    fx = [dict(owner_id=f"s{i}", high_fit_effort_share=h, decision_maker_reach=dm)
          for i, (_, _, h, dm) in enumerate(data)]
    first, _ = run(eff, fx)
    seed.shuffle(eff)
    seed.shuffle(fx)
    second, _ = run([{**r, "owner_id": r["owner_id"].upper()} for r in eff],
                    [{**r, "owner_id": r["owner_id"].upper()} for r in fx])
    for k, row in first.items():
        other = second[k.upper()]
        for col in ("efficiency_index", "effectiveness_index"):
            v = row[col]
            assert v is None or 0.0 <= v <= 100.0
            w = other[col]
            assert (v is None and w is None) or math.isclose(v, w, abs_tol=1e-9)
        assert row["quadrant"] == other["quadrant"]
