"""Each planted behaviour is visible in the raw CSVs by a direct computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from demo_export import Export

from accountleader.demo.pipeline import STAGES
from accountleader.demo.titles import DIRECTOR, INDIVIDUAL

DECISION_ROLES = {
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Executive Sponsor",
}


def _archetype(demo: Export, owner: pd.Series) -> pd.Series:
    return owner.map(demo.truth.seller_archetypes)


def _as_of(demo: Export) -> pd.Timestamp:
    return pd.Timestamp(demo.truth.as_of)


def test_busy_sellers_spend_effort_on_low_fit_accounts_and_junior_people(
    demo: Export, activities: pd.DataFrame
) -> None:
    industry = dict(zip(demo["Account"].Id, demo["Account"].Industry, strict=True))
    acts = activities.assign(
        arche=_archetype(demo, activities.owner), industry=activities.account.map(industry)
    )
    acts = acts[acts.arche.notna()]
    low = acts.industry.isin(demo.truth.low_fit_industries).groupby(acts.arche).mean()
    junior = acts.junior.groupby(acts.arche).mean()
    for misdirected in ("busy", "at_risk"):
        assert low[misdirected] >= 0.6, low
        assert junior[misdirected] >= 0.6, junior
    for aimed in ("leading", "slow"):
        assert low[aimed] <= 0.3, low
        assert junior[aimed] <= 0.3, junior


def test_slow_sellers_take_days_to_send_quotes_and_leading_sellers_hours(demo: Export) -> None:
    quotes, opps, hist = demo["Quote"], demo["Opportunity"], demo["OpportunityHistory"]
    entered = hist.assign(when=demo.ts("OpportunityHistory", "CreatedDate"))
    entered = (
        entered[entered.StageName == "Proposal/Price Quote"].groupby("OpportunityId").when.min()
    )
    requested = demo.ts("Quote", "Requested_Date__c").fillna(quotes.OpportunityId.map(entered))
    assert (quotes.Requested_Date__c == "").mean() > 0.3
    days = (demo.ts("Quote", "Sent_Date__c") - requested).dt.total_seconds() / 86_400
    owner = quotes.OpportunityId.map(dict(zip(opps.Id, opps.OwnerId, strict=True)))
    median = days.groupby(_archetype(demo, owner)).median()
    assert median["slow"] >= 4 and median["at_risk"] >= 4, median
    assert median["leading"] <= 1.5 and median["busy"] <= 1.5, median


def _next_outbound(activities: pd.DataFrame, start: pd.DataFrame) -> pd.Series:
    """Hours from each start row to the owner's next outbound touch of the same contact."""
    out = activities[~activities.inbound].sort_values("when")[["owner", "contact", "when"]]
    probe = (
        start[["owner", "contact", "when"]]
        .assign(when=start.when + pd.Timedelta(seconds=1))
        .sort_values("when")
    )
    joined = pd.merge_asof(
        probe,
        out.rename(columns={"when": "next_at"}),
        left_on="when",
        right_on="next_at",
        by=["owner", "contact"],
        direction="forward",
    )
    return (joined.next_at - joined.when).dt.total_seconds() / 3_600


def test_inbound_response_and_meeting_follow_up_speed_follow_archetype(
    demo: Export, activities: pd.DataFrame
) -> None:
    acts = activities.assign(arche=_archetype(demo, activities.owner)).dropna(
        subset=["contact", "arche"]
    )
    inbound = acts[acts.inbound]
    hours = _next_outbound(acts, inbound).groupby(inbound.sort_values("when").arche.values).median()
    assert hours["leading"] <= 8 and hours["busy"] <= 8, hours
    assert hours["slow"] >= 24 and hours["at_risk"] >= 24, hours
    meetings = acts[acts.source == "Event"]
    hours = (
        _next_outbound(acts, meetings).groupby(meetings.sort_values("when").arche.values).median()
    )
    assert hours["leading"] <= 24, hours
    assert hours["slow"] >= 48, hours


def test_tenders_work_renewals_and_cases_not_new_business(
    demo: Export, activities: pd.DataFrame
) -> None:
    opps = demo["Opportunity"]
    renewal = (opps.Type == "Renewal").groupby(_archetype(demo, opps.OwnerId)).mean()
    assert renewal["tender"] >= 0.85, renewal
    assert renewal.drop("tender").max() <= 0.35, renewal
    case_work = (
        activities.what.str.startswith("500").groupby(_archetype(demo, activities.owner)).mean()
    )
    assert case_work["tender"] >= 3 * case_work.drop("tender").max(), case_work


def test_won_lost_history_follows_industry_fit(demo: Export) -> None:
    opps = demo["Opportunity"]
    industry = opps.AccountId.map(
        dict(zip(demo["Account"].Id, demo["Account"].Industry, strict=True))
    )
    closed = (opps.IsClosed == "true") & (opps.Type == "New Business")
    won = (opps.IsWon == "true")[closed]
    high = won[industry[closed].isin(demo.truth.high_fit_industries)].mean()
    low = won[industry[closed].isin(demo.truth.low_fit_industries)].mean()
    assert high >= 0.4 and low <= 0.18 and high >= 3 * low, (high, low)


def test_starved_high_fit_accounts_get_no_recent_attention(
    demo: Export, activities: pd.DataFrame
) -> None:
    starved = demo.truth.starved_high_fit_accounts
    assert len(starved) >= 4
    accounts = demo["Account"].set_index("Id")
    assert accounts.loc[list(starved), "Industry"].isin(demo.truth.high_fit_industries).all()
    assert _archetype(demo, accounts.loc[list(starved), "OwnerId"]).isin(["busy", "at_risk"]).all()
    recent = activities[
        activities.when >= _as_of(demo) - pd.Timedelta(days=90)
    ].account.value_counts()
    assert recent.reindex(list(starved)).fillna(0).max() <= 1
    others = accounts[
        accounts.Industry.isin(demo.truth.high_fit_industries)
        & (accounts.NumberOfEmployees.astype(int) >= 200)
    ].index.difference(list(starved))
    assert recent.reindex(others).fillna(0).median() >= 5


def test_single_threaded_deals_touch_one_junior_contact(
    demo: Export, activities: pd.DataFrame
) -> None:
    single = demo.truth.single_threaded_opportunities
    assert len(single) >= 5
    opps = demo["Opportunity"].set_index("Id")
    picked = opps.loc[list(single)]
    assert (picked.IsClosed == "false").all()
    assert picked.StageName.isin(["Proposal/Price Quote", "Negotiation/Review"]).all()
    rate = dict(
        zip(
            demo["CurrencyType"].IsoCode,
            demo["CurrencyType"].ConversionRate.astype(float),
            strict=True,
        )
    )
    usd = pd.to_numeric(opps.Amount.replace("", None)) / opps.CurrencyIsoCode.map(rate)
    assert (usd.loc[list(single)] >= usd.quantile(0.75)).all()
    recent = activities[activities.when >= _as_of(demo) - pd.Timedelta(days=90)]
    seniority = dict(zip(demo["Contact"].Id, demo["Contact"].Title, strict=True))
    roles = demo["OpportunityContactRole"]
    for opp, account in picked.AccountId.items():
        touched = recent[recent.account == account].contact.unique()
        assert len(touched) == 1, (opp, touched)
        assert recent[recent.account == account].junior.all(), seniority[touched[0]]
        assert not roles[roles.OpportunityId == opp].Role.isin(DECISION_ROLES).any()
    # Late-stage deals of sellers who aim high are multithreaded.
    late = opps[
        (opps.IsClosed == "false")
        & opps.StageName.isin(["Proposal/Price Quote", "Negotiation/Review"])
        & _archetype(demo, opps.OwnerId).isin(["leading", "slow"])
    ].index
    threads = recent[recent.what.isin(late)].groupby("what").contact.nunique()
    assert (threads >= 2).mean() >= 0.5


def test_heavy_change_accounts_push_regress_cut_lose_people_and_go_dark(
    demo: Export, activities: pd.DataFrame
) -> None:
    as_of = _as_of(demo)
    opps, hist, contacts = demo["Opportunity"], demo["OpportunityHistory"], demo["Contact"]
    hist = hist.assign(
        when=demo.ts("OpportunityHistory", "CreatedDate"),
        close=pd.to_datetime(hist.CloseDate),
        amount=pd.to_numeric(hist.Amount.replace("", None)),
        stage=hist.StageName.map({s: i for i, s in enumerate(STAGES)}),
    )
    hist = hist.sort_values(["OpportunityId", "when"], kind="stable")
    prev = hist.groupby("OpportunityId")[["close", "amount", "stage"]].shift()
    hist["push"] = hist.close > prev.close
    hist["cut"] = hist.amount < prev.amount
    hist["regress"] = hist.stage < prev.stage
    open_opps = opps[opps.IsClosed == "false"]
    per_opp = (
        hist[hist.OpportunityId.isin(open_opps.Id)]
        .groupby("OpportunityId")[["push", "cut", "regress"]]
        .sum()
    )
    per_account = per_opp.groupby(
        per_opp.index.map(dict(zip(opps.Id, opps.AccountId, strict=True)))
    ).max()
    departed = pd.to_datetime(contacts.Departure_Date__c.replace("", None), utc=True)
    left = contacts[departed >= as_of - pd.Timedelta(days=180)].AccountId.value_counts()
    joined = contacts[
        demo.ts("Contact", "CreatedDate") >= as_of - pd.Timedelta(days=120)
    ].AccountId.value_counts()
    last_touch = activities.groupby("account").when.max()

    heavy = list(demo.truth.heavy_change_accounts)
    assert len(heavy) >= 5
    assert (per_account.reindex(heavy).push >= 3).all()
    assert (per_account.reindex(heavy).cut >= 1).all() and (
        per_account.reindex(heavy).regress >= 1
    ).all()
    assert (left.reindex(heavy).fillna(0) >= 3).all()
    assert (joined.reindex(heavy).fillna(0) >= 2).all()
    assert (last_touch.reindex(heavy) <= as_of - pd.Timedelta(days=45)).all()

    normal = per_account.index.difference(heavy)
    assert (per_account.loc[normal].push >= 3).mean() <= 0.05
    assert (per_account.loc[normal].regress >= 1).mean() <= 0.02
    assert (
        left.reindex(demo["Account"].Id.drop_duplicates()).drop(heavy).fillna(0) >= 3
    ).mean() <= 0.02


def test_data_quirks_are_present(demo: Export) -> None:
    opps = demo["Opportunity"].set_index("Id")
    bad = opps.loc[list(demo.truth.out_of_sequence_opportunities)]
    assert len(bad) >= 1
    assert (pd.to_datetime(bad.CloseDate) < pd.to_datetime(bad.CreatedDate.str[:10])).all()
    good = opps.drop(list(demo.truth.out_of_sequence_opportunities))
    assert (pd.to_datetime(good.CloseDate) >= pd.to_datetime(good.CreatedDate.str[:10])).all()

    hist = demo["OpportunityHistory"]
    dup = hist[hist.duplicated(["OpportunityId", "CreatedDate"], keep=False)].OpportunityId.unique()
    assert set(demo.truth.duplicate_history_opportunities) <= set(dup)
    assert len(demo.truth.duplicate_history_opportunities) >= 2

    tasks = demo["Task"].set_index("Id")
    dangling = tasks.loc[list(demo.truth.dangling_task_ids)].WhoId
    assert len(dangling) >= 1 and not dangling.isin(demo["Contact"].Id).any()
    linked = tasks.drop(list(demo.truth.dangling_task_ids)).WhoId
    assert linked.isin(demo["Contact"].Id).all()

    assert (opps.Amount == "").sum() >= 5


def test_leading_sellers_multithread_and_reach_decision_makers(
    demo: Export, activities: pd.DataFrame
) -> None:
    acts = (
        activities[activities.what.str.startswith("006")]
        .assign(arche=_archetype(demo, activities.owner))
        .dropna(subset=["arche"])
    )
    per_deal = acts.groupby(["arche", "what"]).contact.agg(["nunique", "size"])
    threads = per_deal[per_deal["size"] >= 8]["nunique"].groupby(level=0).median()
    assert threads["leading"] >= 3 and threads["busy"] <= 2, threads
    senior = (acts.seniority <= DIRECTOR).groupby(acts.arche).mean()
    assert senior["leading"] >= 0.5 and senior["busy"] <= 0.2, senior
    assert INDIVIDUAL == 4


def test_contact_roles_cover_only_some_deals(demo: Export) -> None:
    roles, opps = demo["OpportunityContactRole"], demo["Opportunity"]
    share = opps.Id.isin(roles.OpportunityId).mean()
    assert 0.3 <= share <= 0.5
    assert set(roles.Role) <= {
        "Decision Maker",
        "Economic Buyer",
        "Economic Decision Maker",
        "Executive Sponsor",
        "Technical Buyer",
        "Evaluator",
        "Influencer",
        "Business User",
        "Other",
        "Champion",  # issue 14's planted champions and blockers (demo/support_plants.py)
        "Opponent",
    }
    assert np.isin(roles.IsPrimary.unique(), ["true", "false"]).all()
