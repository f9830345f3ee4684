"""The messy export really has the shapes real orgs export, in Salesforce's own format."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
from messy_demo import Messy

from accountleader.demo import is_valid_id, write_demo_export
from accountleader.demo.messy import MESSY_TRUTH_FILE, write_messy_export

ACTIVITY_FILES = {"Task": "CompletedDateTime", "Event": "StartDateTime", "EmailMessage": "MessageDate"}


def _ts(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column].replace("", None), utc=True, format="ISO8601")


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_every_file_is_quoted_crlf_utf8_with_18_character_ids(messy: Messy) -> None:
    for path in sorted(messy.export.glob("*.csv")):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), path.name
        lines = raw.split(b"\r\n")
        assert lines[-1] == b"" and b"\n" not in b"".join(lines), f"{path.name} is not CRLF throughout"
        header = lines[0].decode()
        assert header.startswith('"') and header.endswith('"'), path.name
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        assert all(len(r) == len(rows[0]) for r in rows), path.name
        if "Id" in rows[0]:
            k = rows[0].index("Id")
            assert all(is_valid_id(r[k]) for r in rows[1:]), path.name


def test_user_has_no_name_and_opportunity_no_isclosed_or_iswon(messy: Messy) -> None:
    users = messy["User"]
    assert "Name" not in users.columns and {"FirstName", "LastName"} <= set(users.columns)
    contacts = messy["Contact"]
    assert "Name" not in contacts.columns and {"FirstName", "LastName"} <= set(contacts.columns)
    opps = messy["Opportunity"]
    assert not {"IsClosed", "IsWon"} & set(opps.columns)


def test_stages_are_spanish_with_an_opportunity_stage_file(messy: Messy) -> None:
    stages = messy["OpportunityStage"]
    assert list(stages.columns) == [
        "Id", "MasterLabel", "ApiName", "IsActive", "SortOrder", "IsClosed", "IsWon",
        "ForecastCategoryName", "DefaultProbability",
    ]
    labels = set(stages.MasterLabel)
    assert {"Prospección", "Interés", "Diseño Propuesta", "Negociación", "Firmas", "Cerrada Ganada", "Cerrada Perdida"} <= labels
    won = stages[stages.IsWon == "true"]
    assert list(won.MasterLabel) == ["Cerrada Ganada"] and set(stages[stages.IsClosed == "true"].MasterLabel) == {
        "Cerrada Ganada", "Cerrada Perdida"}
    assert list(stages.SortOrder.astype(int)) == sorted(stages.SortOrder.astype(int))
    for name in ("Opportunity", "OpportunityHistory"):
        used = set(messy[name].StageName)
        assert used <= labels, used - labels
        assert not used & {"Closed Won", "Closed Lost", "Prospecting"}
    assert "Firmas" in set(messy["OpportunityHistory"].StageName)


def test_each_seller_sells_in_one_country_of_their_own(messy: Messy) -> None:
    acc = messy["Account"]
    sellers = set(messy.truth.seller_archetypes)
    mine = acc[acc.OwnerId.isin(sellers)]
    per_seller = mine.groupby("OwnerId").BillingCountry.nunique()
    assert (per_seller == 1).all(), per_seller[per_seller > 1]
    per_country = mine.groupby("BillingCountry").OwnerId.nunique()
    assert (per_country == 1).all(), per_country[per_country > 1]
    assert dict(mine.groupby("OwnerId").BillingCountry.first()) == messy.planted["demo"]["territories"]


def test_non_selling_users_and_the_null_id_own_records(messy: Messy) -> None:
    users = messy["User"].set_index("Id")
    system = messy.planted["demo"]["system_users"]
    integration, admin = users.loc[system["integration"]], users.loc[system["admin"]]
    assert integration.UserType == "AutomatedProcess" and integration.Title == "Integration"
    assert "Administrator" in admin.Title
    assert system["null"] == "000000000000000AAA" and system["null"] not in users.index
    owners = set(messy["Opportunity"].OwnerId) | set(messy["Account"].OwnerId) | set(messy["Task"].OwnerId)
    assert set(system.values()) <= owners
    hist = messy["OpportunityHistory"]
    assert (hist.CreatedById == system["integration"]).sum() == len(messy.planted["bulk_loaded"]["history_rows"])


def test_closed_deals_carry_a_close_date_weeks_after_their_history_closed_them(messy: Messy) -> None:
    ids = messy.planted["closed_by_history"]["ids"]
    opps = messy["Opportunity"].set_index("Id").loc[ids]
    hist = messy["OpportunityHistory"]
    hist = hist[hist.OpportunityId.isin(ids) & hist.StageName.isin(["Cerrada Ganada", "Cerrada Perdida"])]
    closed_on = _ts(hist, "CreatedDate").groupby(hist.OpportunityId.values).min().dt.normalize()
    close_date = pd.to_datetime(opps.CloseDate, utc=True)
    lag = (close_date - closed_on.reindex(close_date.index)).dt.days
    assert len(ids) >= 10 and lag.between(21, 57).all(), lag.describe()
    last_activity = max(_ts(messy[f], c).max() for f, c in ACTIVITY_FILES.items())
    assert (close_date > last_activity).sum() >= 3
    assert len(messy.planted["closed_by_history"]["close_date_after_stop"]) >= 3


def test_a_bulk_load_shares_one_timestamp_with_fake_earlier_close_dates(messy: Messy) -> None:
    bulk = messy.planted["bulk_loaded"]
    at = bulk["at"].replace("Z", ".000Z")
    contacts = messy["Contact"]
    assert set(contacts.Id[contacts.CreatedDate == at]) >= set(bulk["contacts"]) and len(bulk["contacts"]) >= 30
    hist = messy["OpportunityHistory"]
    rows = hist[hist.Id.isin(bulk["history_rows"])]
    assert (rows.CreatedDate == at).all() and rows.OpportunityId.nunique() == len(rows) >= 25
    # some bulk rows carry a close date earlier than the row before them
    h = hist[hist.OpportunityId.isin(rows.OpportunityId)].sort_values(["OpportunityId", "CreatedDate", "Id"])
    before = h.groupby("OpportunityId").CloseDate.shift()
    fake = h[h.Id.isin(bulk["history_rows"]) & (h.CloseDate < before)]
    assert len(fake) >= len(rows) // 3


def test_activity_stops_on_one_date_while_deals_keep_moving(messy: Messy) -> None:
    stop = pd.Timestamp(messy.planted["logging_stopped"]["ids"][0], tz="UTC")
    for name, column in ACTIVITY_FILES.items():
        frame = messy[name]
        real = frame[frame.get("IsClosed", pd.Series("true", index=frame.index)) != "false"]
        assert _ts(real, column).max() < stop, name
    hist = messy["OpportunityHistory"]
    after = hist[_ts(hist, "CreatedDate") >= stop]
    assert len(after) >= 20 and after.StageName.isin(["Cerrada Ganada", "Cerrada Perdida"]).sum() >= 5
    assert sum(messy.planted["logging_stopped"]["rows_dropped"].values()) > 0


def test_late_entry_and_click_through_history(messy: Messy) -> None:
    late = messy.planted["entered_late"]
    hist = messy["OpportunityHistory"].assign(at=lambda h: _ts(h, "CreatedDate"))
    first = hist.sort_values(["at", "Id"]).groupby("OpportunityId").StageName.first()
    assert first.loc[late["deals"]].isin(["Firmas", "Cerrada Ganada"]).all()
    assert (messy["Opportunity"].set_index("Id").StageName.loc[late["deals"]] == "Cerrada Ganada").all()
    clicks = hist[hist.OpportunityId.isin(late["click_through_deals"])].sort_values(["OpportunityId", "at", "Id"])
    spans = clicks.groupby("OpportunityId").at.apply(lambda s: (s.iloc[3] - s.iloc[0]).total_seconds())
    assert (spans < 60).all() and len(spans) >= 10
    assert set(clicks.groupby("OpportunityId").StageName.apply(lambda s: tuple(s.iloc[:4]))) == {
        ("Prospección", "Calificación", "Descubrimiento", "Interés")}


def test_closing_document_quotes_are_made_at_signature_or_after_the_win(messy: Messy) -> None:
    planted = messy.planted["quote_as_closing_document"]
    quotes = messy["Quote"].set_index("Id").loc[planted["ids"]]
    hist = messy["OpportunityHistory"].assign(at=lambda h: _ts(h, "CreatedDate"))
    late = hist[hist.StageName.isin(["Firmas", "Cerrada Ganada"])].groupby("OpportunityId").at.min()
    made = _ts(quotes, "CreatedDate")
    assert (made >= late.reindex(quotes.OpportunityId).to_numpy()).all()
    assert (quotes.Requested_Date__c == "").all() and len(quotes) >= 10


def test_list_email_is_logged_as_tasks_one_subject_to_many_within_minutes(messy: Messy) -> None:
    tasks = messy["Task"]
    listed = tasks[tasks.TaskSubtype == "ListEmail"]
    assert set(listed.Id) == set(messy.planted["mass_email"]["ids"])
    assert listed.Subject.str.startswith("Email de lista: Boletín ").all()
    for _, send in listed.groupby("Subject"):
        at = _ts(send, "CompletedDateTime")
        assert send.WhoId.nunique() >= 25 and (at.max() - at.min()).total_seconds() <= 300
        assert send.OwnerId.nunique() == 1


def test_open_tasks_are_not_started_and_mostly_due_after_the_data(messy: Messy) -> None:
    tasks = messy["Task"].set_index("Id").loc[messy.planted["open_task"]["ids"]]
    assert (tasks.Status == "Not Started").all() and (tasks.IsClosed == "false").all()
    assert (tasks.CompletedDateTime == "").all()
    due = pd.to_datetime(tasks.ActivityDate, utc=True)
    assert (due > pd.Timestamp(messy.truth.as_of)).sum() >= len(tasks) // 2


def test_lost_deals_carry_placeholder_amounts(messy: Messy) -> None:
    opps = messy["Opportunity"].set_index("Id").loc[messy.planted["placeholder_amount"]["ids"]]
    assert (opps.StageName == "Cerrada Perdida").all() and opps.Amount.isin(["0", "1", "100"]).all()
    hist = messy["OpportunityHistory"]
    assert hist[hist.OpportunityId.isin(opps.index)].Amount.isin(["0", "1", "100"]).all()


def test_the_messy_demo_is_deterministic_and_leaves_the_normal_demo_alone(tmp_path: Path) -> None:
    a = write_messy_export(tmp_path / "a", seed=5, scale=0.05)
    b = write_messy_export(tmp_path / "b", seed=5, scale=0.05)
    assert _digest(a.directory) == _digest(b.directory)
    normal = write_demo_export(tmp_path / "n", seed=5, scale=0.05)
    assert not (normal.directory / MESSY_TRUTH_FILE).exists()
    assert (normal.directory / "Opportunity.csv").read_bytes() != (a.directory / "Opportunity.csv").read_bytes()
    assert normal.truth == a.truth


@pytest.mark.parametrize("kind", [
    "closed_by_history", "bulk_loaded", "logging_stopped", "entered_late", "quote_as_closing_document",
    "mass_email", "open_task", "placeholder_amount",
])
def test_the_truth_file_counts_what_it_lists(messy: Messy, kind: str) -> None:
    entry = messy.planted[kind]
    assert entry["count"] > 0 and entry["ids"]
    if kind != "logging_stopped":
        assert entry["count"] == len(entry["ids"]) == len(set(entry["ids"]))
