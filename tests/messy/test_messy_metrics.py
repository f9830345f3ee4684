"""Metrics leave the artefacts out, as docs/metrics.md says, and nothing is a finding from one."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from messy_demo import Messy

from accountleader.reports import data as report_data


@pytest.fixture(scope="module")
def reps(messy: Messy) -> pd.DataFrame:
    return pd.DataFrame(messy.workspace.reps()).set_index("user_id")


@pytest.fixture(scope="module")
def reports(messy: Messy) -> list[dict[str, Any]]:
    """The team report and the reports of the three sellers owning most accounts that fell
    quiet only because logging stopped (findings and next best actions)."""
    ws = messy.workspace
    acc = messy["Account"]
    quiet = acc[acc.Id.isin(messy.planted["logging_stopped"]["dark_only_by_stop_accounts"])]
    sellers = [u for u, _ in Counter(quiet.OwnerId).most_common(3)]
    return [report_data.team_report(ws)] + [report_data.seller_report(ws, u) for u in sellers]


def test_closing_document_quotes_are_no_turnaround_samples(messy: Messy) -> None:
    q = messy.workspace.results("quote_events").to_pandas().set_index("quote_id")
    planted = q.loc[messy.planted["quote_as_closing_document"]["ids"]]
    assert (planted.status != "measured").all() and planted.hours.isna().all()
    assert not (q.status == "measured").loc[q.index.isin(messy.planted["quote_as_closing_document"]["ids"])].any()


def test_days_to_close_leaves_out_deals_entered_late(messy: Messy, reps: pd.DataFrame) -> None:
    opps = messy.workspace.table("opportunities").to_pandas().set_index("opportunity_id")
    late = Counter(opps.loc[messy.planted["entered_late"]["deals"], "owner_id"])
    assert sum(late.values()) >= 10
    for seller, n in late.items():
        r = reps.loc[seller]
        assert r.days_to_close_entered_late_n >= n
        assert r.days_to_close_n <= r.won_n - n, (seller, r.days_to_close_n, r.won_n, n)


def test_click_through_spells_do_not_make_the_slow_seller_fast(messy: Messy, reps: pd.DataFrame) -> None:
    seller = messy.planted["entered_late"]["click_through_seller"]
    assert messy.truth.seller_archetypes[seller] == "slow"
    r = reps.loc[seller]
    assert r.stage_spells_artefact_n >= 10  # counted, not used
    assert r.quadrant == "slow"


def test_reach_and_engagement_ignore_list_email(messy: Messy, reps: pd.DataFrame) -> None:
    ws = messy.workspace
    acts = ws.data_quality().annotated["activities"].to_pandas()
    as_of = pd.Timestamp(ws.analysis().as_of)
    window = acts[(acts.occurred_at > as_of - timedelta(days=ws.settings.engagement_window_days)) & (acts.occurred_at <= as_of)]
    checked = 0
    for sender in messy.planted["mass_email"]["senders"]:
        mine = window[window.owner_id == sender]
        listed = mine.activity_id.isin(messy.planted["mass_email"]["ids"]).sum()
        if not listed:
            continue
        checked += 1
        r = reps.loc[sender]
        assert r.activities_n == len(mine) - listed - (mine.artefact == "open_task").sum()
        assert r.contact_activities_n <= r.activities_n
        assert r.mass_email_n >= listed
    assert checked >= 1, "no newsletter fell in the engagement window"


def test_open_tasks_are_not_activity(messy: Messy) -> None:
    acc = {a["account_id"]: a for a in messy.workspace.accounts()}
    acts = messy.workspace.data_quality().annotated["activities"].to_pandas()
    for account in messy.planted["open_task"]["starved_accounts_with_open_tasks"]:
        real = acts[(acts.account_id == account) & acts.artefact.isna()]
        assert (acc[account]["activities_n"] or 0) <= len(real)


def test_no_open_pipeline_deal_is_closed_by_history(messy: Messy) -> None:
    open_ids = {o["opportunity_id"] for o in messy.workspace.opportunities(open_only=True)}
    assert open_ids and not open_ids & set(messy.planted["closed_by_history"]["ids"])
    results = messy.workspace.results("opportunity_results").to_pandas().set_index("opportunity_id")
    assert results.loc[messy.planted["closed_by_history"]["ids"], "is_closed"].all()


def test_placeholder_amounts_leave_the_amount_weighted_win_rate(messy: Messy, reps: pd.DataFrame) -> None:
    opps = messy.workspace.table("opportunities").to_pandas().set_index("opportunity_id")
    owners = Counter(opps.loc[messy.planted["placeholder_amount"]["ids"], "owner_id"])
    for seller, n in owners.items():
        assert reps.loc[seller].placeholder_amount_n >= n


def test_no_seller_row_is_a_system_user_or_the_null_id(messy: Messy, reps: pd.DataFrame) -> None:
    assert not set(reps.index) & messy.system_ids
    assert set(reps.index) == set(messy.truth.seller_archetypes)
    teams = {t.get("team") for t in messy.workspace.teams()}
    assert "000000000000000AAA" not in teams and None not in teams


_DARK = re.compile(r"dark|starved|no activity|days since last activity|activity drop", re.I)


def _blames_quiet(text: str) -> bool:
    return bool(_DARK.search(text)) and "no activity logged since" not in text


def test_no_finding_or_action_calls_an_account_dark_after_the_logging_stop(
    messy: Messy, reports: list[dict[str, Any]]
) -> None:
    quiet = set(messy.planted["logging_stopped"]["dark_only_by_stop_accounts"])
    assert len(quiet) >= 10
    names = dict(zip(messy["Account"].Id, messy["Account"].Name, strict=True))
    for report in reports:
        for action in report["actions"]:
            if action.get("account_id") in quiet:
                assert action["kind"] != "invest_in_starved_account", action
                assert not _blames_quiet(action["reason"]), action
        for finding in report["findings"]:
            text = finding["text"]
            for account in quiet:
                if names[account] in text or finding.get("subject_id") == account:
                    assert not _blames_quiet(text), finding
    gaps = messy.workspace.results("effort_gaps").to_pandas()
    assert not set(gaps[gaps.gap == "starved"].account_id) & quiet


def test_change_drivers_say_when_quiet_is_the_logging_stop(messy: Messy) -> None:
    quiet = set(messy.planted["logging_stopped"]["dark_only_by_stop_accounts"])
    stop = messy.planted["logging_stopped"]["ids"][0]
    for account in messy.workspace.accounts():
        if account["account_id"] not in quiet:
            continue
        text = "; ".join(account["change_drivers"] or [])
        if re.search(r"days since last activity|activity drop", text):
            assert f"to {stop}" in text and "no activity logged since" in text, text


def test_bulk_loaded_contacts_are_not_new_contacts(messy: Messy) -> None:
    bulk = set(messy.planted["bulk_loaded"]["contacts"])
    contacts = messy.workspace.table("contacts").to_pandas()
    year = contacts.created_at >= pd.Timestamp(messy.truth.as_of).tz_localize(None) - timedelta(days=365)
    really_new = set(contacts.account_id[year & ~contacts.contact_id.isin(bulk)])
    accounts = set(contacts.account_id[contacts.contact_id.isin(bulk)]) - really_new
    assert len(accounts) >= 10
    for account in messy.workspace.accounts():
        if account["account_id"] in accounts:
            assert not any("new contacts" in d for d in account["change_drivers"] or []), account
