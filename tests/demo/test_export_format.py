"""The demo export looks like a real Salesforce data export: names, ids, formats, sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from demo_export import Export

from accountleader.demo import PlantedTruth, is_valid_id, write_demo_export
from accountleader.demo.ids import KEY_PREFIX, checksum, make_ids

REQUIRED_HEADERS = {
    "User": "Id Name FirstName LastName Email Title Department UserRoleId ManagerId IsActive",
    "UserRole": "Id Name ParentRoleId",
    "Account": "Id Name Industry AnnualRevenue NumberOfEmployees BillingCountry Region__c Type OwnerId ParentId CreatedDate",
    "Contact": "Id AccountId FirstName LastName Name Title Department Email ReportsToId CreatedDate Departure_Date__c",
    "Opportunity": "Id AccountId OwnerId Name Type StageName Amount CurrencyIsoCode Probability ForecastCategoryName CreatedDate CloseDate IsClosed IsWon LeadSource Product__c",
    "OpportunityHistory": "Id OpportunityId StageName Amount Probability CloseDate ForecastCategory CreatedDate CreatedById",
    "OpportunityContactRole": "Id OpportunityId ContactId Role IsPrimary",
    "Task": "Id Subject TaskSubtype Type CallType OwnerId WhoId WhatId AccountId ActivityDate CreatedDate CompletedDateTime Status",
    "Event": "Id Subject OwnerId WhoId WhatId AccountId ActivityDateTime StartDateTime EndDateTime CreatedDate",
    "EmailMessage": "Id Subject FromAddress ToAddress Incoming MessageDate RelatedToId CreatedById Status",
    "Quote": "Id Name OpportunityId AccountId Status GrandTotal CurrencyIsoCode CreatedDate Requested_Date__c Sent_Date__c ExpirationDate",
    "Case": "Id AccountId ContactId OwnerId Subject Type Status Priority Origin CreatedDate ClosedDate IsClosed",
    "CurrencyType": "IsoCode ConversionRate IsCorporate",
}
# Columns holding ids, and the object each points at.
ID_COLUMNS = {
    "User": {"Id": "User", "UserRoleId": "UserRole", "ManagerId": "User"},
    "UserRole": {"Id": "UserRole", "ParentRoleId": "UserRole"},
    "Account": {"Id": "Account", "OwnerId": "User", "ParentId": "Account"},
    "Contact": {"Id": "Contact", "AccountId": "Account", "ReportsToId": "Contact"},
    "Opportunity": {"Id": "Opportunity", "AccountId": "Account", "OwnerId": "User"},
    "OpportunityHistory": {
        "Id": "OpportunityHistory",
        "OpportunityId": "Opportunity",
        "CreatedById": "User",
    },
    "OpportunityContactRole": {
        "Id": "OpportunityContactRole",
        "OpportunityId": "Opportunity",
        "ContactId": "Contact",
    },
    "Task": {"Id": "Task", "OwnerId": "User", "WhoId": "Contact", "AccountId": "Account"},
    "Event": {"Id": "Event", "OwnerId": "User", "WhoId": "Contact", "AccountId": "Account"},
    "EmailMessage": {"Id": "EmailMessage", "CreatedById": "User"},
    "Quote": {"Id": "Quote", "OpportunityId": "Opportunity", "AccountId": "Account"},
    "Case": {"Id": "Case", "AccountId": "Account", "ContactId": "Contact", "OwnerId": "User"},
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_checksum_matches_salesforce() -> None:
    assert checksum("001D000000IqhSL") == "IAZ"
    assert is_valid_id("001D000000IqhSLIAZ", "001")
    assert not is_valid_id("001D000000IqhSLIAA")
    ids = make_ids("Opportunity", 1000, 123_456_789)
    assert all(is_valid_id(i, "006") for i in ids) and len(set(ids)) == 1000


def test_headers_are_salesforce_api_names(demo: Export) -> None:
    for obj, required in REQUIRED_HEADERS.items():
        header = (demo.directory / f"{obj}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        columns = [c.strip('"') for c in header.split(",")]
        assert set(required.split()) <= set(columns), (obj, set(required.split()) - set(columns))
        assert header == ",".join(f'"{c}"' for c in columns)


def test_every_id_is_valid_with_the_right_prefix(demo: Export) -> None:
    for obj, columns in ID_COLUMNS.items():
        frame = demo[obj]
        for column, target in columns.items():
            values = frame[column][frame[column] != ""]
            assert len(values) or column != "Id", (obj, column)
            bad = [v for v in values if not is_valid_id(v, KEY_PREFIX[target])]
            assert not bad, (obj, column, bad[:3])
        assert frame.Id.is_unique


def test_what_ids_point_at_deals_accounts_or_cases(demo: Export) -> None:
    known = set(demo["Opportunity"].Id) | set(demo["Account"].Id) | set(demo["Case"].Id)
    for obj, column in (("Task", "WhatId"), ("Event", "WhatId"), ("EmailMessage", "RelatedToId")):
        assert demo[obj][column].isin(known).all(), obj


def test_formats_of_timestamps_dates_booleans(demo: Export) -> None:
    as_of = pd.Timestamp(demo.truth.as_of)
    for obj, columns in {
        "Opportunity": ["CreatedDate"],
        "OpportunityHistory": ["CreatedDate"],
        "Task": ["CreatedDate", "CompletedDateTime"],
        "Event": ["StartDateTime", "CreatedDate"],
        "EmailMessage": ["MessageDate"],
        "Quote": ["CreatedDate", "Requested_Date__c", "Sent_Date__c"],
        "Case": ["CreatedDate", "ClosedDate"],
        "Contact": ["CreatedDate"],
        "Account": ["CreatedDate"],
    }.items():
        for column in columns:
            values = demo[obj][column][demo[obj][column] != ""]
            assert values.str.match(TIMESTAMP).all(), (obj, column)
            assert (pd.to_datetime(values, utc=True, format="ISO8601") < as_of).all(), (obj, column)
    for obj, column in (
        ("Opportunity", "CloseDate"),
        ("Task", "ActivityDate"),
        ("Quote", "ExpirationDate"),
    ):
        assert demo[obj][column].str.match(DATE).all()
    left = demo["Contact"].Departure_Date__c
    assert left[left != ""].str.match(DATE).all() and (left == "").mean() > 0.9
    for obj, column in (
        ("Opportunity", "IsClosed"),
        ("Opportunity", "IsWon"),
        ("EmailMessage", "Incoming"),
        ("User", "IsActive"),
    ):
        assert set(demo[obj][column]) <= {"true", "false"}
    raw = (demo.directory / "Account.csv").read_bytes()
    assert raw.decode("utf-8") and not raw.startswith(b"\xef\xbb\xbf")


def test_picklists_and_organisation(demo: Export) -> None:
    opps = demo["Opportunity"]
    assert set(opps.Type) == {"New Business", "Existing Customer - Upgrade", "Renewal"}
    assert set(opps.CurrencyIsoCode) == {"USD", "EUR", "GBP"}
    assert set(demo["Account"].Type) == {"Customer", "Prospect"}
    assert pd.to_numeric(opps.Probability).between(0, 100).all()
    assert set(demo["Task"].TaskSubtype) == {"Call", "Email", "Task"}
    calls = demo["Task"][demo["Task"].TaskSubtype == "Call"]
    assert set(calls.CallType) == {"Inbound", "Outbound"}
    users = demo["User"].set_index("Id")
    sellers = list(demo.truth.seller_archetypes)
    managers = users.loc[sellers, "ManagerId"].unique()
    assert len(managers) >= 2 and users.loc[managers, "Title"].str.contains("Manager").all()
    vps = users.loc[managers, "ManagerId"].unique()
    assert users.loc[vps, "Title"].str.contains("VP").all()
    assert users.Department.isin(["Pricing Desk", "Sales Engineering", "Legal"]).sum() >= 3
    titles = set(demo["Contact"].Title)
    assert {"CFO", "Gerente General", "Analista de Sistemas"} & titles
    assert demo["Contact"].ReportsToId.ne("").mean() > 0.5


def test_archetype_mix(demo: Export) -> None:
    counts = pd.Series(demo.truth.seller_archetypes).value_counts()
    assert set(counts.index) == {"leading", "busy", "slow", "at_risk", "tender"}
    assert counts["tender"] <= counts["leading"]


def test_truth_round_trips_and_is_saved(demo: Export) -> None:
    saved = PlantedTruth.from_json((demo.directory / ".planted.json").read_text(encoding="utf-8"))
    assert saved == demo.truth
    assert demo.truth.as_of.isoformat() == "2026-09-30T00:00:00+00:00"


def _digest(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes_other_seed_other_company(tmp_path: Path) -> None:
    a = write_demo_export(tmp_path / "a", seed=11, scale=0.1)
    b = write_demo_export(tmp_path / "b", seed=11, scale=0.1)
    c = write_demo_export(tmp_path / "c", seed=12, scale=0.1)
    assert _digest(a.directory) == _digest(b.directory)
    assert _digest(a.directory)["Account.csv"] != _digest(c.directory)["Account.csv"]
    assert a.truth == b.truth and a.truth != c.truth


def test_sizes_grow_with_scale(demo: Export, tmp_path: Path) -> None:
    bigger = write_demo_export(tmp_path / "big", seed=7, scale=0.4)
    for name in ("Account.csv", "Contact.csv", "Opportunity.csv", "Task.csv", "EmailMessage.csv"):
        ratio = bigger.files[name] / demo.files[name]
        assert 1.6 <= ratio <= 2.4, (name, ratio)
    assert demo.files["Account.csv"] == 400


@pytest.mark.slow
def test_scale_one_is_full_size(tmp_path: Path) -> None:
    # how fast it is written is a benchmark matter (benchmarks/), not a timed test
    result = write_demo_export(tmp_path, scale=1.0)
    assert len(result.truth.seller_archetypes) == 40
    assert result.files["Account.csv"] == 2000
    assert 14_000 <= result.files["Contact.csv"] <= 16_000
    activities = sum(result.files[f] for f in ("Task.csv", "Event.csv", "EmailMessage.csv"))
    assert 250_000 <= activities <= 350_000, activities


def test_progress_reports_steps(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    write_demo_export(
        tmp_path, seed=3, scale=0.1, progress=lambda step, done: seen.append((step, done))
    )
    assert seen[0][1] == 0.0 and seen[-1] == ("done", 1.0)
    assert all(a[1] <= b[1] for a, b in zip(seen, seen[1:], strict=False))
