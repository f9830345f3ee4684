"""The right-things-right matrix: percentiles, indices, quadrants, warnings, teams."""

from __future__ import annotations

import math

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountleader.domain.metrics.matrix import (
    process_problems,
    right_things_right_matrix,
    team_matrix,
)

EFF = {"quote_hours": "lower_is_better", "response_hours": "lower_is_better"}
FX = {"high_fit_effort_share": "higher_is_better", "decision_maker_reach": "higher_is_better"}


def run(eff_rows: list[dict], fx_rows: list[dict], users: list[dict] | None = None, *, min_peers: int = 2,
        creation: list[dict] | None = None, excluded: list[dict] | None = None):
    eff = ibis.memtable(pd.DataFrame(eff_rows).astype({"owner_id": str}))
    fx = ibis.memtable(pd.DataFrame(fx_rows).astype({"owner_id": str}))
    cr = ibis.memtable(pd.DataFrame(creation)) if creation is not None else None
    ex = (ibis.memtable(pd.DataFrame(excluded, columns=["owner_id", "component"]).astype(str))
          if excluded is not None else None)
    m = right_things_right_matrix(eff, fx, efficiency_components=EFF,
                                  effectiveness_components=FX, min_peers=min_peers, creation=cr, excluded=ex)
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


def test_lone_seller_gets_no_percentile_verdict() -> None:
    # a percentile of one is no verdict: before, a lone seller sat at 50 and "led" by construction
    rows, _ = run([dict(owner_id="x", quote_hours=1.0, response_hours=1.0)],
                  [dict(owner_id="x", high_fit_effort_share=1.0, decision_maker_reach=1.0)])
    x = rows["x"]
    assert x["quadrant"] == "not_enough_peers"
    assert x["efficiency_index"] is None and x["effectiveness_index"] is None and x["quote_hours_pct"] is None
    assert x["comparable_sellers_n"] == 1
    assert "fewer than 2" in x["warning"]


def test_fewer_comparable_sellers_than_the_setting_gives_not_enough_peers() -> None:
    rows, _ = run(STORY_EFF, STORY_FX, min_peers=4)
    assert {r["quadrant"] for r in rows.values()} == {"not_enough_peers"}
    assert all(r["comparable_sellers_n"] == 3 for r in rows.values())
    rows, _ = run(STORY_EFF, STORY_FX, min_peers=3)
    assert rows["fast"]["quadrant"] == "busy"


CREATION = [dict(owner_id="fast", create_share=0.5, new_pipeline_amount=1000.0),
            dict(owner_id="slowpoke", create_share=0.02, new_pipeline_amount=0.0),
            dict(owner_id="mid", create_share=0.01, new_pipeline_amount=0.0)]


def test_good_on_the_axes_but_not_creating_is_tending() -> None:
    rows, _ = run(STORY_EFF, STORY_FX, creation=CREATION)
    # mid is 50/50: leading on the axes alone, but creates 1% and no new pipeline
    assert rows["mid"]["quadrant"] == "tending"
    assert rows["mid"]["warning"].startswith("Tending, not leading") and "create share 1%" in rows["mid"]["warning"]
    # slowpoke works the right accounts slowly and creates nothing: managing them, not leading
    assert rows["slowpoke"]["quadrant"] == "tending"
    assert "slower than most" in rows["slowpoke"]["warning"]
    # fast is misdirected: busy, whatever it creates
    assert rows["fast"]["quadrant"] == "busy"


def test_leading_needs_create_share_and_new_pipeline() -> None:
    creating = [dict(owner_id="mid", create_share=0.2, new_pipeline_amount=1.0)]
    assert run(STORY_EFF, STORY_FX, creation=creating)[0]["mid"]["quadrant"] == "leading"
    no_pipe = [dict(owner_id="mid", create_share=0.6, new_pipeline_amount=0.0)]
    assert run(STORY_EFF, STORY_FX, creation=no_pipe)[0]["mid"]["quadrant"] == "tending"
    # a seller without a creation row does not create
    assert run(STORY_EFF, STORY_FX, creation=[dict(owner_id="x", create_share=1.0, new_pipeline_amount=1.0)])[0][
        "mid"]["quadrant"] == "tending"


def test_an_excluded_component_leaves_the_sellers_index() -> None:
    excluded = [dict(owner_id=o, component="quote_hours") for o in ("fast", "slowpoke", "mid")]
    rows, _ = run(STORY_EFF, STORY_FX, excluded=excluded)
    assert all(r["quote_hours_pct"] is None for r in rows.values())
    # the index is the remaining component's percentile
    assert rows["fast"]["efficiency_index"] == 100.0 and rows["fast"]["efficiency_components_n"] == 1


def _problems(rows: list[dict], users: list[dict], **kw):
    con = ibis.duckdb.connect()
    p, x = process_problems(ibis.memtable(pd.DataFrame(rows)), ibis.memtable(pd.DataFrame(users)), **kw)
    return con.execute(p), con.execute(x)


def _eff_row(o: str, over: float, reply: float = 2.0, n: int = 10) -> dict:
    return dict(owner_id=o, quote_over_sla_share=over, quote_turnaround_n=n, quote_turnaround_median_hours=40.0,
                response_latency_median_hours=reply, response_latency_n=n)


def test_most_sellers_missing_the_quote_sla_is_one_company_process_problem() -> None:
    users = [dict(user_id=f"s{i}", team="East" if i < 3 else "West") for i in range(5)]
    rows = [_eff_row("s0", 1.0), _eff_row("s1", 0.95), _eff_row("s2", 0.9), _eff_row("s3", 0.92), _eff_row("s4", 0.1)]
    p, x = _problems(rows, users)
    assert len(p) == 1  # once, for the company: no team repeats it
    row = p.iloc[0]
    assert (row.scope, row.component, row.sellers_n, row.affected_n) == (
        "company", "quote_turnaround_median_hours", 5, 4)
    assert "quote desk" in row.owner and abs(row.share - 0.8) < 1e-9
    assert set(x.owner_id) == {f"s{i}" for i in range(5)}


def test_a_team_wide_miss_is_the_teams_process_problem_and_a_few_slow_sellers_are_none() -> None:
    users = [dict(user_id=f"s{i}", team="East" if i < 3 else "West") for i in range(6)]
    rows = [_eff_row("s0", 1.0), _eff_row("s1", 0.95), _eff_row("s2", 0.2),
            _eff_row("s3", 0.1), _eff_row("s4", 0.0), _eff_row("s5", 0.1)]
    p, x = _problems(rows, users)
    assert list(p.scope) == ["team"] and list(p.team) == ["East"]
    assert set(x.owner_id) == {"s0", "s1", "s2"}
    # two slow sellers in six, spread over teams: a person problem, no process finding
    rows = [_eff_row("s0", 1.0), _eff_row("s1", 0.1), _eff_row("s2", 0.2),
            _eff_row("s3", 0.95), _eff_row("s4", 0.0), _eff_row("s5", 0.1)]
    p, x = _problems(rows, users)
    assert p.empty and x.empty
    # too few quotes: not judged
    p, _ = _problems([_eff_row(f"s{i}", 1.0, n=2) for i in range(6)], users)
    assert p.empty


def test_slow_inbound_replies_everywhere_name_the_support_team() -> None:
    users = [dict(user_id=f"s{i}", team="East") for i in range(4)]
    p, _ = _problems([_eff_row(f"s{i}", 0.0, reply=30.0) for i in range(4)], users, response_sla_hours=24.0)
    assert list(p.component) == ["response_latency_median_hours"] and "support team" in p.owner.iloc[0]


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
