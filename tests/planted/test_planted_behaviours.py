"""The demo company's planted behaviours are found by the analytics, end to end.

The generator plants seller archetypes, starved high-fit accounts, single-threaded
deals and heavy-change accounts (see accountleader.demo); these tests prove that
`analyze` recovers each one from the imported Salesforce export alone.
"""

from __future__ import annotations

from collections import Counter

from planted_demo import Demo


def _quadrants_of(demo: Demo, archetype: str) -> Counter[str]:
    reps = {r["user_id"]: r for r in demo.workspace.reps()}
    ids = [u for u, a in demo.truth.seller_archetypes.items() if a == archetype]
    assert ids, f"the demo planted no {archetype} sellers"
    return Counter(reps[u]["quadrant"] for u in ids)


def test_fast_but_misdirected_sellers_are_busy(demo: Demo) -> None:
    assert _quadrants_of(demo, "busy") == Counter({"busy": 9})


def test_right_targets_but_slow_sellers_are_slow(demo: Demo) -> None:
    assert _quadrants_of(demo, "slow") == Counter({"slow": 9})


def test_sellers_doing_both_well_are_leading(demo: Demo) -> None:
    assert _quadrants_of(demo, "leading") == Counter({"leading": 9})


def test_sellers_doing_neither_are_at_risk(demo: Demo) -> None:
    assert _quadrants_of(demo, "at_risk") == Counter({"at_risk": 9})


def test_at_risk_and_busy_sellers_get_a_plain_warning(demo: Demo) -> None:
    reps = {r["user_id"]: r for r in demo.workspace.reps()}
    at_risk = [reps[u] for u, a in demo.truth.seller_archetypes.items() if a == "at_risk"]
    assert all(r["warning"] for r in at_risk), [r["name"] for r in at_risk if not r["warning"]]


def test_sellers_who_only_tend_have_almost_no_create_share(demo: Demo) -> None:
    reps = {r["user_id"]: r for r in demo.workspace.reps()}
    tenders = [reps[u] for u, a in demo.truth.seller_archetypes.items() if a == "tender"]
    others = [r for u, r in reps.items() if demo.truth.seller_archetypes.get(u) != "tender"]
    measured = [r for r in tenders if r["create_share"] is not None]
    assert len(measured) >= 3
    assert max(r["create_share"] for r in measured) <= 0.05
    assert min(r["create_share"] for r in others if r["create_share"] is not None) >= 0.2
    # they create no new pipeline either
    assert all((r["new_pipeline_per_100_activities"] or 0) < 1000 for r in tenders)


def test_accounts_of_tenders_are_only_tended(demo: Demo) -> None:
    tenders = {u for u, a in demo.truth.seller_archetypes.items() if a == "tender"}
    accounts = demo.workspace.accounts()
    # with fewer than 5 activities in the window an account's create share is not measured
    tended = [a for a in accounts if a["owner_id"] in tenders and (a["activities_n"] or 0) >= 5]
    assert tended
    share = sum(a["only_tended"] for a in tended) / len(tended)
    assert share >= 0.8, f"only {share:.0%} of the tenders' active accounts are flagged only-tended"


def test_starved_high_fit_accounts_are_in_the_gap_list(demo: Demo) -> None:
    gaps = demo.workspace.results("effort_gaps").to_pandas()
    starved = set(gaps[gaps.gap == "starved"].account_id)
    planted = demo.truth.starved_high_fit_accounts
    found = planted & starved
    assert len(found) >= 0.9 * len(planted), f"found {len(found)} of {len(planted)} starved accounts"
    reasons = gaps[gaps.account_id.isin(found)].reason
    assert reasons.str.contains("activit").all()


def test_low_fit_accounts_soaking_up_effort_belong_to_misdirected_sellers(demo: Demo) -> None:
    gaps = demo.workspace.results("effort_gaps").to_pandas()
    soaking = gaps[gaps.gap == "soaking"]
    assert len(soaking) >= 10
    arch = Counter(demo.truth.seller_archetypes.get(o) for o in soaking.owner_id)
    misdirected = arch["busy"] + arch["at_risk"]
    assert misdirected >= 0.8 * len(soaking), arch


def test_heavy_change_accounts_rank_top_on_change_index(demo: Demo) -> None:
    accounts = demo.workspace.accounts()  # ordered by change index, highest first
    planted = demo.truth.heavy_change_accounts
    top = {a["account_id"] for a in accounts[: len(planted)]}
    assert len(top & planted) >= 0.9 * len(planted), f"{len(top & planted)} of {len(planted)} in the top"
    heavy = [a for a in accounts if a["account_id"] in planted]
    assert all(a["change_drivers"] for a in heavy)


def test_heavy_change_deals_show_pushes_and_regressions(demo: Demo) -> None:
    opps = [o for o in demo.workspace.opportunities(open_only=True) if o["account_id"] in demo.truth.heavy_change_accounts]
    assert opps
    assert sum(o["close_date_pushes"] >= 3 for o in opps) >= 0.9 * len(demo.truth.heavy_change_accounts)
    assert sum(o["stage_regressions"] >= 1 for o in opps) >= 0.9 * len(demo.truth.heavy_change_accounts)


def test_single_threaded_deals_have_one_contact_and_no_decision_maker(demo: Demo) -> None:
    opps = {o["opportunity_id"]: o for o in demo.workspace.opportunities()}
    planted = [opps[o] for o in demo.truth.single_threaded_opportunities]
    assert all(o["contacts_engaged"] == 1 for o in planted)
    assert not any(o["has_decision_maker"] for o in planted)
    assert all(o["multithreading_ratio"] is None or o["multithreading_ratio"] < 0.5 for o in planted)


def test_fit_model_learns_the_planted_industries(demo: Demo) -> None:
    assert demo.analysis.fit["signal"] is True
    accounts = demo.workspace.table("accounts").to_pandas()[["account_id", "industry"]]
    scores = {a["account_id"]: a for a in demo.workspace.accounts()}
    accounts["score"] = accounts.account_id.map(lambda i: scores[i]["fit_score"])
    accounts["tier"] = accounts.account_id.map(lambda i: scores[i]["fit_tier"])
    high = accounts[accounts.industry.isin(demo.truth.high_fit_industries)]
    low = accounts[accounts.industry.isin(demo.truth.low_fit_industries)]
    assert high.score.mean() > low.score.mean() + 25
    assert (high.tier.isin(["A", "B"])).mean() > 0.7
    assert (low.tier.isin(["C", "D"])).mean() > 0.9
    top = scores[high.account_id.iloc[0]]["fit_reasons"]
    assert any("Industry" in r or "industry" in r for r in top), top


def test_import_reports_the_planted_data_quirks(demo: Demo) -> None:
    warnings = " | ".join(demo.imported.warnings)
    assert f"{len(demo.truth.out_of_sequence_opportunities)} deals close before they were created" in warnings
    assert "share a timestamp" in warnings
    assert "activities.contact_id" in warnings
    opps = demo.workspace.table("opportunities")
    flagged = set(opps.filter(opps.quality_flag == "closed_before_created").opportunity_id.to_pyarrow().to_pylist())
    assert flagged == set(demo.truth.out_of_sequence_opportunities)


def test_analyze_again_reuses_results(demo: Demo) -> None:
    again = demo.workspace.analyze()
    assert again.reused and again.as_of == demo.analysis.as_of
