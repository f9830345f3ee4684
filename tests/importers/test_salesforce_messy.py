"""Messy but valid Salesforce exports: each quirk is read the way a person would read it."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import pyarrow as pa
import pytest
from sf_export import A_ACME, A_GLOBEX, C_ANA, C_BOB, O_OPEN, O_WON, U_SELLER, Export

from accountleader.domain.salesforce_ids import to_18
from accountleader.importers import read_salesforce_export


def rows_by_id(table: pa.Table, key: str) -> dict[str, dict]:
    return {r[key]: r for r in table.to_pylist()}


def test_a_clean_utf8_export_reads_every_object_into_its_canonical_table(sf_export: Export) -> None:
    batch, tables = read_salesforce_export(sf_export.write())
    counts = {name: t.num_rows for name, t in tables.items()}
    assert counts == {
        "users": 2, "accounts": 2, "contacts": 2, "opportunities": 2, "opportunity_history": 2, "opportunity_field_history": 0,
        "opportunity_contact_roles": 0, "activities": 5, "quotes": 0, "cases": 0, "stages": 0, "currency_rates": 0,
    }
    assert batch.warnings == []
    users = rows_by_id(tables["users"], "user_id")
    assert users[U_SELLER]["function"] == "seller" and users[U_SELLER]["team"] == "Marta Gómez"
    opp = rows_by_id(tables["opportunities"], "opportunity_id")[O_WON]
    assert opp["type"] == "renewal" and opp["is_won"] is True and opp["close_date"] == date(2024, 3, 1)
    kinds = sorted((a["source_object"], a["kind"]) for a in tables["activities"].to_pylist())
    assert kinds == [("EmailMessage", "email"), ("EmailMessage", "email"), ("Event", "meeting"), ("Task", "call"), ("Task", "email")]


def test_a_byte_order_mark_does_not_end_up_in_the_first_column_name(sf_export: Export) -> None:
    _, tables = read_salesforce_export(sf_export.write(bom=True))
    assert set(tables["accounts"].column("account_id").to_pylist()) == {A_ACME, A_GLOBEX}
    assert tables["users"].num_rows == 2


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_windows_and_latin1_bytes_are_read_as_the_accented_names_they_are(sf_export: Export, encoding: str) -> None:
    sf_export.set("Account", 0, "Name", "Café Société")
    sf_export.set("Contact", 0, "FirstName", "Niño")
    path = sf_export.write(encoding=encoding)
    assert "Café Société".encode(encoding) in (path / "Account.csv").read_bytes()  # really not UTF-8
    _, tables = read_salesforce_export(path)
    assert rows_by_id(tables["accounts"], "account_id")[A_ACME]["name"] == "Café Société"
    assert rows_by_id(tables["contacts"], "contact_id")[C_ANA]["name"] == "Niño Ruiz"
    assert rows_by_id(tables["users"], "user_id")[to_18("005Ax000001MgRa")]["name"] == "Marta Gómez"


def test_windows_line_endings_leave_no_carriage_return_in_values(sf_export: Export) -> None:
    _, tables = read_salesforce_export(sf_export.write(newline="\r\n"))
    last_columns = [tables["opportunities"].column("lead_source"), tables["accounts"].column("created_at")]
    assert all("\r" not in (v or "") for v in last_columns[0].to_pylist())
    assert rows_by_id(tables["opportunities"], "opportunity_id")[O_WON]["lead_source"] == "Web"
    assert tables["accounts"].column("created_at").null_count == 0


def test_the_salesforce_null_id_reads_as_no_reference(sf_export: Export) -> None:
    sf_export.set("Account", 0, "ParentId", "000000000000000AAA")
    sf_export.set("Opportunity", 1, "AccountId", "000000000000000")
    batch, tables = read_salesforce_export(sf_export.write())
    assert rows_by_id(tables["accounts"], "account_id")[A_ACME]["parent_id"] is None
    assert rows_by_id(tables["opportunities"], "opportunity_id")[O_OPEN]["account_id"] is None
    assert not [w for w in batch.warnings if "not in the import" in w]


def test_fifteen_character_ids_join_eighteen_character_ones_across_files(sf_export: Export) -> None:
    sf_export.set("Opportunity", 0, "AccountId", A_ACME[:15])  # a report export writes 15
    sf_export.set("Task", 0, "WhoId", C_ANA[:15])
    sf_export.set("Contact", 1, "Id", C_BOB[:15])  # and the other way round
    batch, tables = read_salesforce_export(sf_export.write())
    assert rows_by_id(tables["opportunities"], "opportunity_id")[O_WON]["account_id"] == A_ACME
    assert C_BOB in tables["contacts"].column("contact_id").to_pylist()
    assert C_ANA in tables["activities"].column("contact_id").to_pylist()
    assert not [w for w in batch.warnings if "not in the import" in w], batch.warnings


def test_amounts_in_several_currencies_are_converted_with_the_exports_rates(sf_export: Export) -> None:
    sf_export.set("Opportunity", 1, "CurrencyIsoCode", "EUR")
    rates = "IsoCode,ConversionRate,IsCorporate,DecimalPlaces\r\nUSD,1.0,true,2\r\nEUR,0.8,false,2\r\n"
    batch, tables = read_salesforce_export(sf_export.write(raw={"CurrencyType.csv": rates.encode()}))
    opps = rows_by_id(tables["opportunities"], "opportunity_id")
    assert opps[O_WON]["amount_corporate"] == pytest.approx(1000.0)
    assert opps[O_OPEN]["currency"] == "EUR" and opps[O_OPEN]["amount"] == 500.0
    assert opps[O_OPEN]["amount_corporate"] == pytest.approx(625.0)  # 500 EUR / 0.8 EUR per USD
    assert tables["currency_rates"].num_rows == 2


def test_without_rates_currencies_are_kept_and_nothing_is_converted(sf_export: Export) -> None:
    sf_export.set("Opportunity", 1, "CurrencyIsoCode", "EUR")
    _, tables = read_salesforce_export(sf_export.write())
    opps = rows_by_id(tables["opportunities"], "opportunity_id")
    assert (opps[O_WON]["currency"], opps[O_OPEN]["currency"]) == ("USD", "EUR")
    assert tables["opportunities"].column("amount_corporate").null_count == 2


def test_a_currency_without_a_rate_is_left_unconverted_with_a_warning(sf_export: Export) -> None:
    sf_export.set("Opportunity", 1, "CurrencyIsoCode", "JPY")
    rates = b"IsoCode,ConversionRate,IsCorporate\nUSD,1,true\n"
    batch, tables = read_salesforce_export(sf_export.write(raw={"CurrencyType.csv": rates}))
    assert rows_by_id(tables["opportunities"], "opportunity_id")[O_OPEN]["amount_corporate"] is None
    assert any("JPY" in w and "no rate" in w for w in batch.warnings)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-03-01T14:05:00.000Z", datetime(2024, 3, 1, 14, 5)),
        ("2024-03-01T14:05:00.000+0000", datetime(2024, 3, 1, 14, 5)),
        ("2024-03-01T09:05:00.000-0500", datetime(2024, 3, 1, 14, 5)),
        ("2024-03-01T15:05:00+01:00", datetime(2024, 3, 1, 14, 5)),
        ("2024-03-01", datetime(2024, 3, 1)),
        ("3/1/2024", datetime(2024, 3, 1)),
        ("3/1/2024 2:05 PM", datetime(2024, 3, 1, 14, 5)),
        ("2024-03-01 14:05:00", datetime(2024, 3, 1, 14, 5)),
    ],
)
def test_dates_in_every_format_salesforce_writes_are_read_as_utc(sf_export: Export, written: str, expected: datetime) -> None:
    sf_export.set("Opportunity", 0, "CreatedDate", written)
    sf_export.set("Opportunity", 0, "CloseDate", written)
    _, tables = read_salesforce_export(sf_export.write())
    opp = rows_by_id(tables["opportunities"], "opportunity_id")[O_WON]
    assert opp["created_at"] == expected
    assert opp["close_date"] == expected.date()


def test_a_deal_closed_before_it_was_created_is_kept_flagged_and_warned(sf_export: Export) -> None:
    sf_export.set("Opportunity", 0, "CloseDate", "2023-12-20")  # created 2024-01-05
    batch, tables = read_salesforce_export(sf_export.write())
    opps = rows_by_id(tables["opportunities"], "opportunity_id")
    assert opps[O_WON]["quality_flag"] == "closed_before_created"
    assert opps[O_OPEN]["quality_flag"] is None
    assert any("1 deals close before they were created" in w for w in batch.warnings)


def test_history_rows_sharing_a_timestamp_keep_only_the_last_one_written(sf_export: Export) -> None:
    sf_export.add_row("OpportunityHistory", Id=to_18("008Ax00000HiS03"), OpportunityId=O_WON, StageName="Negotiation",
                      Amount="950", CreatedDate="2024-03-01T12:00:00.000Z", CreatedById=U_SELLER)
    sf_export.add_row("OpportunityHistory", Id=to_18("008Ax00000HiS04"), OpportunityId=O_WON, StageName="Closed Won",
                      Amount="1000", CreatedDate="2024-03-01T12:00:00.000Z", CreatedById=U_SELLER)
    batch, tables = read_salesforce_export(sf_export.write())
    history = sorted(tables["opportunity_history"].to_pylist(), key=lambda r: r["changed_at"])
    assert [(h["stage"], h["history_id"]) for h in history] == [
        ("Prospecting", to_18("008Ax00000HiS01")),
        ("Closed Won", to_18("008Ax00000HiS04")),
    ]
    assert any("2 rows share a timestamp" in w and "kept the last" in w for w in batch.warnings)


def test_a_task_about_a_contact_missing_from_the_export_is_kept_with_a_warning(sf_export: Export) -> None:
    ghost = to_18("003Ax00000GhOsT")
    sf_export.set("Task", 0, "WhoId", ghost)
    batch, tables = read_salesforce_export(sf_export.write())
    assert ghost in tables["activities"].column("contact_id").to_pylist()
    assert any(w.startswith("activities.contact_id: 1 rows refer to contacts not in the import") and ghost in w for w in batch.warnings)


def test_a_whoid_pointing_at_a_lead_is_not_taken_for_a_contact(sf_export: Export) -> None:
    sf_export.set("Task", 1, "WhoId", to_18("00QAx00000LeAd1"))
    batch, tables = read_salesforce_export(sf_export.write())
    task = rows_by_id(tables["activities"], "activity_id")[to_18("00TAx00000TsK02")]
    assert task["contact_id"] is None
    assert not [w for w in batch.warnings if "activities.contact_id" in w]


def test_unknown_columns_and_unknown_files_are_ignored(sf_export: Export) -> None:
    sf_export.add_column("Account", "Favourite_Colour__c", ["blue", "red"])
    sf_export.add_column("Opportunity", "SystemModstamp", ["2024-03-01T00:00:00.000Z", "not a date at all"])
    path = sf_export.write(raw={"Lead.csv": b"Id,Company\n00Q000000000001,Initech\n", "notes.txt": b"hello"})
    batch, tables = read_salesforce_export(path)
    assert "Favourite_Colour__c" not in tables["accounts"].column_names
    assert tables["opportunities"].num_rows == 2
    assert batch.files_ignored == ["Lead.csv"]


def test_a_zip_of_the_export_imports_exactly_like_the_directory(sf_export: Export) -> None:
    folder = sf_export.write()
    archive = sf_export.root / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"WE_00D000000000001_1/{p.name}")  # Salesforce nests files in a folder
        zf.writestr("__MACOSX/._Account.csv", b"\x00\x05junk")
    _, from_dir = read_salesforce_export(folder)
    _, from_zip = read_salesforce_export(archive)
    assert from_dir.keys() == from_zip.keys()
    for name in from_dir:
        assert from_zip[name].equals(from_dir[name]), name


def test_rows_marked_deleted_are_skipped_with_a_warning(sf_export: Export) -> None:
    sf_export.set("Account", 1, "IsDeleted", "true")
    sf_export.set("Opportunity", 1, "AccountId", A_ACME)  # nothing else points at the deleted one
    sf_export.set("Contact", 1, "AccountId", A_ACME)
    batch, tables = read_salesforce_export(sf_export.write())
    assert tables["accounts"].column("account_id").to_pylist() == [A_ACME]
    assert "Account.csv: skipped 1 rows with IsDeleted=true" in batch.warnings


def test_email_messages_are_linked_to_contacts_by_address_whatever_the_case(sf_export: Export) -> None:
    _, tables = read_salesforce_export(sf_export.write())
    emails = {r["activity_id"]: r for r in tables["activities"].to_pylist() if r["source_object"] == "EmailMessage"}
    inbound = emails[to_18("02sAx00000EmL01")]
    outbound = emails[to_18("02sAx00000EmL02")]
    assert (inbound["contact_id"], inbound["direction"]) == (C_ANA, "inbound")  # sender ANA.RUIZ@acme
    assert (outbound["contact_id"], outbound["direction"]) == (C_BOB, "outbound")  # first recipient
    assert outbound["opportunity_id"] == O_OPEN and outbound["owner_id"] == U_SELLER


def test_an_email_to_an_address_no_contact_has_is_kept_unlinked_with_a_warning(sf_export: Export) -> None:
    sf_export.set("EmailMessage", 1, "ToAddress", "stranger@nowhere.example")
    batch, tables = read_salesforce_export(sf_export.write())
    outbound = rows_by_id(tables["activities"], "activity_id")[to_18("02sAx00000EmL02")]
    assert outbound["contact_id"] is None
    assert "activities: 1 emails from or to addresses that match no contact" in batch.warnings


def test_a_quoted_value_spanning_lines_is_one_value(sf_export: Export) -> None:
    sf_export.set("Account", 0, "Name", "Acme\nCorp, Inc.")
    _, tables = read_salesforce_export(sf_export.write(newline="\r\n"))
    assert rows_by_id(tables["accounts"], "account_id")[A_ACME]["name"] == "Acme\nCorp, Inc."
