"""The normal demo's planted leadership behaviours survive the real-export artefacts.

The same assertions as tests/planted, at the messy fixture's small scale: seller
archetypes, tenders, heavy change, single-threaded deals and the import's own quirks.
At this scale the fit model finds no reliable signal (on the normal demo too), so the
fit-dependent behaviours (starved and soaking accounts, high-fit industries) are not
asserted here.
"""

from __future__ import annotations

from collections import Counter

import pytest
from messy_demo import Messy


@pytest.mark.parametrize("archetype", ["leading", "busy", "slow", "at_risk"])
def test_seller_archetypes_land_in_their_quadrant(messy: Messy, archetype: str) -> None:
    reps = {r["user_id"]: r for r in messy.workspace.reps()}
    ids = [u for u, a in messy.truth.seller_archetypes.items() if a == archetype]
    assert ids
    assert Counter(reps[u]["quadrant"] for u in ids) == Counter({archetype: len(ids)})


def test_at_risk_and_busy_sellers_get_a_plain_warning(messy: Messy) -> None:
    reps = {r["user_id"]: r for r in messy.workspace.reps()}
    at_risk = [reps[u] for u, a in messy.truth.seller_archetypes.items() if a == "at_risk"]
    assert all(r["warning"] for r in at_risk), [r["name"] for r in at_risk if not r["warning"]]


def test_sellers_who_only_tend_have_almost_no_create_share(messy: Messy) -> None:
    reps = {r["user_id"]: r for r in messy.workspace.reps()}
    tenders = [reps[u] for u, a in messy.truth.seller_archetypes.items() if a == "tender"]
    others = [r for u, r in reps.items() if messy.truth.seller_archetypes.get(u) != "tender"]
    measured = [r for r in tenders if r["create_share"] is not None]
    assert measured and max(r["create_share"] for r in measured) <= 0.05
    assert min(r["create_share"] for r in others if r["create_share"] is not None) >= 0.2


def test_heavy_change_accounts_rank_top_on_change_index(messy: Messy) -> None:
    accounts = messy.workspace.accounts()
    planted = messy.truth.heavy_change_accounts
    # the leadership plants' accounts in change (handled as steady state) are heavy change too,
    # so they may rank among the planted ones
    also_changing = messy.truth.steady_state_change_accounts - planted
    top = {a["account_id"] for a in accounts[: len(planted) + len(also_changing)]}
    assert len(top & planted) >= 0.9 * len(planted), f"{len(top & planted)} of {len(planted)} in the top"
    assert all(a["change_drivers"] for a in accounts if a["account_id"] in planted)


def test_heavy_change_deals_show_pushes_and_regressions(messy: Messy) -> None:
    heavy = messy.truth.heavy_change_accounts
    opps = [o for o in messy.workspace.opportunities(open_only=True) if o["account_id"] in heavy]
    assert opps
    assert sum(o["close_date_pushes"] >= 3 for o in opps) >= 0.9 * len(heavy)
    assert sum(o["stage_regressions"] >= 1 for o in opps) >= 0.9 * len(heavy)


def test_single_threaded_deals_have_one_contact_and_no_decision_maker(messy: Messy) -> None:
    opps = {o["opportunity_id"]: o for o in messy.workspace.opportunities()}
    planted = [opps[o] for o in messy.truth.single_threaded_opportunities]
    assert planted and all(o["contacts_engaged"] == 1 for o in planted)
    assert not any(o["has_decision_maker"] for o in planted)


def test_import_reports_the_planted_data_quirks(messy: Messy) -> None:
    warnings = " | ".join(messy.imported["warnings"])
    assert f"{len(messy.truth.out_of_sequence_opportunities)} deals close before they were created" in warnings
    assert "activities.contact_id" in warnings
    opps = messy.workspace.table("opportunities")
    flagged = set(opps.filter(opps.quality_flag == "closed_before_created").opportunity_id.to_pyarrow().to_pylist())
    assert flagged == set(messy.truth.out_of_sequence_opportunities)


def test_starved_high_fit_accounts_are_in_the_gap_list(messy: Messy) -> None:
    """Only where the fit model finds a signal (scale 1; at the fixture's scale it finds none)."""
    if not messy.analysis.fit["signal"]:
        pytest.skip("the fit model finds no signal at this scale, so no account has a tier")
    gaps = messy.workspace.results("effort_gaps").to_pandas()
    starved = set(gaps[gaps.gap == "starved"].account_id)
    planted = messy.truth.starved_high_fit_accounts
    assert len(planted & starved) >= 0.9 * len(planted), f"found {len(planted & starved)} of {len(planted)}"
