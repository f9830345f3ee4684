"""HubSpot, first class: Fivetran's HubSpot schema and HubSpot's CRM export CSVs (issue 9).

Run through the CLI (Typer runner, real workspace on disk) like a user would.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.workspace import Workspace

EXPORT_FIXTURE = Path(__file__).with_name("data") / "hubspot_crm_export"


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def rows(ws: Workspace, table: str) -> list[dict]:
    return ws.table(table).to_pyarrow().to_pylist()


# -- the Fivetran seeds in ../shared/data ---------------------------------------------------------


def test_fivetran_hubspot_seeds_import_with_deals_stages_engagements_and_owners(shared_data: Path, workspace_dir: Path) -> None:
    src = shared_data / "fivetran_hubspot"
    code, con = run("-w", str(workspace_dir), "import", "hubspot", str(src), "--json")
    assert code == 0, con.errors
    summary = json.loads(con.out)
    assert summary["kind"] == "hubspot"
    t = summary["tables"]
    assert t["opportunities"] == 44 and t["stages"] == 71 and t["users"] == 100
    assert t["opportunity_history"] == 14 and t["accounts"] == 24 and t["contacts"] == 22
    # engagement_meeting 100 + call, email, note, communication 1 each + task 2
    assert t["activities"] == 106
    # the seed's deals carry no stage id: said, not hidden
    assert any("44 of 44 deals have no pipeline stage" in w for w in summary["warnings"])
    fed = {s["file"]: s["table"] for s in summary["sources"]}
    assert fed["deal_data.csv"] == "opportunities" and fed["deal_stage_data.csv"] == "opportunity_history"
    assert fed["deal_pipeline_stage_data.csv"] == "stages" and fed["owner_data.csv"] == "users"
    assert fed["engagement_meeting_data.csv"] == "activities"
    assert "company_property_history_data.csv" in summary["files_ignored"]  # read by nothing: said

    with Workspace.open(workspace_dir) as ws:
        stages = {s["stage"]: s for s in rows(ws, "stages")}
        won = [s for s in stages.values() if s["is_won"]]
        assert len(won) == 5 and all(s["is_closed"] and s["probability"] == 100.0 for s in won)
        assert sum(1 for s in stages.values() if not s["is_active"]) == 2  # the two _fivetran_deleted stages
        kinds = {a["subtype"]: a["kind"] for a in rows(ws, "activities")}
        assert kinds["CALL"] == "call" and kinds["EMAIL"] == "email" and kinds["NOTE"] == "task"
        meetings = [a for a in rows(ws, "activities") if a["kind"] == "meeting"]
        assert len(meetings) == 100
        assert min(m["occurred_at"] for m in meetings) > datetime(2000, 1, 1)  # early-1970 epoch slips rescaled

    code, con = run("-w", str(workspace_dir), "analyze")
    # runs, or says exactly what is missing: never a traceback
    assert code in (0, 2), con.errors
    assert "Traceback" not in con.out + con.errors
    if code == 2:
        assert con.errors.strip()


def test_import_fivetran_on_a_hubspot_schema_imports_it_as_hubspot(shared_data: Path, workspace_dir: Path) -> None:
    code, con = run("-w", str(workspace_dir), "import", "fivetran", str(shared_data / "fivetran_hubspot"), "--json")
    assert code == 0, con.errors
    summary = json.loads(con.out)
    assert summary["kind"] == "hubspot"
    assert summary["tables"]["opportunities"] == 44  # not 22 id-only contacts


def test_status_json_lists_sources_and_ignored_files(shared_data: Path, workspace_dir: Path) -> None:
    assert run("-w", str(workspace_dir), "import", "hubspot", str(shared_data / "fivetran_hubspot"))[0] == 0
    code, con = run("-w", str(workspace_dir), "status", "--json")
    assert code == 0
    status = json.loads(con.out)
    deal = next(s for s in status["sources"] if s["file"] == "deal_data.csv")
    assert deal == {
        "file": "deal_data.csv",
        "table": "opportunities",
        "rows": 44,
        "columns": deal["columns"],
    }
    assert deal["columns"]["opportunity_id"] == "deal_id" and deal["columns"]["name"] == "property_dealname"
    assert "users_data.csv" in status["files_ignored"]
    code, con = run("-w", str(workspace_dir), "status")
    assert code == 0 and "deal_data.csv" in con.out and "ignored files" in con.out + con.errors


# -- Fivetran's HubSpot tables with meaningful values ---------------------------------------------

FIVETRAN_TABLES = {
    "deal_pipeline": [
        "pipeline_id,label,display_order,active,_fivetran_deleted",
        "default,Sales Pipeline,0,true,false",
        "renewals,Renewals,1,true,false",
    ],
    "deal_pipeline_stage": [
        "stage_id,label,display_order,probability,is_closed,closed_won,active,pipeline_id,_fivetran_deleted",
        "appointmentscheduled,Appointment Scheduled,0,0.2,false,false,true,default,false",
        "contractsent,Contract Sent,1,0.9,false,false,true,default,false",
        "closedwon,Closed Won,2,1.0,true,true,true,default,false",
        "closedlost,Closed Lost,3,0.0,true,false,true,default,false",
        "r_due,Renewal Due,0,0.5,false,false,true,renewals,false",
        "r_won,Closed Won,1,1.0,true,,true,renewals,false",
        "legacy,Legacy Demo,9,0.3,false,false,true,default,true",
    ],
    "deal": [
        "deal_id,is_deleted,deal_pipeline_id,deal_pipeline_stage_id,owner_id,property_dealname,property_amount,property_closedate,property_createdate,property_dealtype",
        "101,false,default,closedwon,501,Acme WMS,48000,2024-03-28,2024-01-05 09:00:00,newbusiness",
        "102,false,default,closedlost,502,Beta pilot,100,2024-02-15,2024-01-10 10:00:00,newbusiness",
        "103,false,default,contractsent,501,Gamma rollout,30000,2024-06-30,2024-02-01 8:05:00,newbusiness",
        "104,false,renewals,r_won,502,Acme renewal,12000,2024-04-01,2024-03-01 12:00:00,existingbusiness",
        "105,true,default,contractsent,501,Deleted deal,1,2024-01-01,2024-01-01 00:00:00,",
        "106,false,default,,501,Stage only in history,5000,2024-07-01,2024-03-02 09:00:00,",
        "107,false,default,contractsent,501,Acme WMS (duplicate),48000,2024-03-28,2024-01-06 09:00:00,newbusiness",
    ],
    "merged_deal": ["deal_id,merged_deal_id,_fivetran_synced", "101,107,2024-01-07 10:00:00.000"],
    "deal_stage": [
        "deal_id,date_entered,value,_fivetran_start,_fivetran_active,_fivetran_end",
        "101,2024-01-05 9:00:00,appointmentscheduled,2024-01-05 9:00:00,false,2024-02-20 14:30:00",
        "101,2024-02-20 14:30:00,contractsent,2024-02-20 14:30:00,false,2024-03-28 17:00:00",
        "101,2024-03-28 17:00:00,closedwon,2024-03-28 17:00:00,true,2050-01-01 00:00:00",
        "102,2024-01-10 10:00:00,appointmentscheduled,2024-01-10 10:00:00,false,2024-02-15 11:00:00",
        "102,2024-02-15 11:00:00,closedlost,2024-02-15 11:00:00,true,2050-01-01 00:00:00",
        "106,2024-03-02 09:00:00,appointmentscheduled,2024-03-02 09:00:00,false,2024-04-10 10:00:00",
        "106,2024-04-10 10:00:00,contractsent,2024-04-10 10:00:00,true,2050-01-01 00:00:00",
        "106,2024-04-10 10:00:00,contractsent,2024-04-10 10:00:00,true,2050-01-01 00:00:00",
    ],
    "owner": [
        "owner_id,first_name,last_name,email,type,is_active",
        "501,Lucía,Fernández,lucia@example.com,PERSON,true",
        "502,Tom,Becker,tom@example.com,PERSON,true",
        "503,,,,QUEUE,true",
    ],
    "owner_team": ["owner_id,team_id,is_team_primary", "501,11,true", "502,12,true"],
    "team": ["id,name", "11,Iberia", "12,DACH"],
    "company": [
        "id,is_deleted,property_name,property_industry,property_country,property_createdate,property_annualrevenue,property_numberofemployees",
        "701,false,Acme Logística,Logistics,Spain,2023-09-14 10:22:00,12000000,240",
        "702,false,Beta Health,Hospital & Health Care,United States,2023-10-02 08:05:00,,85",
    ],
    "contact": [
        "id,_fivetran_deleted,property_firstname,property_lastname,property_email,property_jobtitle,property_createdate,property_associatedcompanyid",
        "601,false,Marta,Gómez,marta@acme.example,Gerente de Compras,2023-09-14 10:30:00,701",
        "602,false,Jonas,Weber,jonas@acme.example,CFO,2023-09-20 11:00:00,701",
        "603,false,Priya,Natarajan,priya@beta.example,VP Operations,2023-10-02 08:15:00,702",
    ],
    "deal_company": ["deal_id,company_id,type_id", "101,701,5", "102,702,5", "104,701,5"],
    "deal_contact": ["deal_id,contact_id,type_id", "101,601,3", "101,602,3", "101,601,3"],
    "engagement": [
        "id,type,owner_id,timestamp,created_at,active",
        "9001,CALL,501,2024-02-01 10:00:00,2024-02-01 10:05:00,true",
        "9002,EMAIL,501,2024-02-02 09:00:00,2024-02-02 09:00:00,true",
        "9003,TASK,501,2024-02-03 09:00:00,2024-02-01 09:00:00,true",
        "9005,MEETING,502,2024-02-05 15:00:00,2024-02-04 12:00:00,true",
    ],
    "engagement_call": [
        "engagement_id,_fivetran_deleted,property_hs_timestamp,property_hs_createdate,property_hs_call_direction,property_hs_call_title,property_hs_call_status,type",
        "9001,false,2024-02-01 10:00:00.123000,2024-02-01 10:05:00,OUTBOUND,Discovery call,COMPLETED,CALL",
    ],
    "engagement_email": [
        "engagement_id,_fivetran_deleted,property_hs_timestamp,property_hs_email_direction,property_hs_email_subject,property_hubspot_owner_id,type",
        "9002,false,2024-02-02 09:00:00,INCOMING_EMAIL,Re: proposal,,EMAIL",
    ],
    "engagement_task": [
        "engagement_id,_fivetran_deleted,property_hs_timestamp,property_hs_task_status,property_hs_task_subject,property_hubspot_owner_id,type",
        "9003,false,2024-02-03 09:00:00,COMPLETED,Send contract,501,TASK",
        "9006,false,2024-09-30 09:00:00,NOT_STARTED,Renewal follow-up,502,TASK",
    ],
    "engagement_note": [
        "engagement_id,_fivetran_deleted,property_hs_timestamp,property_hs_note_body,property_hubspot_owner_id,type",
        "9004,false,2024-02-04 16:00:00,Buyer asked for references,501,NOTE",
    ],
    "engagement_deal": ["engagement_id,deal_id", "9001,101", "9002,101", "9003,103"],
    "engagement_contact": ["engagement_id,contact_id", "9001,601", "9001,602", "9002,601"],
    "engagement_company": ["engagement_id,company_id", "9001,701"],
}


@pytest.fixture
def fivetran_hubspot(tmp_path: Path) -> Path:
    src = tmp_path / "hubspot"
    src.mkdir()
    for name, lines in FIVETRAN_TABLES.items():
        (src / f"{name}.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    (src / "contact_list.csv").write_text("id,name\n1,Newsletter\n")  # a HubSpot table we do not read
    return src


def test_fivetran_hubspot_tables_become_canonical_tables(fivetran_hubspot: Path, workspace_dir: Path) -> None:
    code, con = run("-w", str(workspace_dir), "import", "hubspot", str(fivetran_hubspot), "--json")
    assert code == 0, con.errors
    summary = json.loads(con.out)
    assert summary["files_ignored"] == ["contact_list.csv"]
    assert any("engagements are linked to several contacts" in w for w in summary["warnings"])
    assert "deal.csv: skipped 1 deals merged into another deal (merged_deal.csv)" in summary["warnings"]
    with Workspace.open(workspace_dir) as ws:
        stages = {s["stage"]: s for s in rows(ws, "stages")}
        # 'Closed Won' is used by two pipelines: named with the pipeline
        assert {"Closed Won (Sales Pipeline)", "Closed Won (Renewals)"} <= set(stages)
        assert stages["Closed Won (Renewals)"]["is_won"]  # closed_won blank: probability 1.0 says won
        assert stages["Contract Sent"]["probability"] == 90.0 and stages["Contract Sent"]["sort_order"] == 1
        assert stages["Closed Lost"]["is_closed"] and not stages["Closed Lost"]["is_won"]
        assert stages["Legacy Demo"]["is_active"] is False
        assert stages["Renewal Due"]["pipeline"] == "Renewals"

        deals = {d["opportunity_id"]: d for d in rows(ws, "opportunities")}
        assert "105" not in deals  # is_deleted
        assert "107" not in deals  # merged into 101
        assert (deals["101"]["stage"], deals["101"]["is_closed"], deals["101"]["is_won"]) == ("Closed Won (Sales Pipeline)", True, True)
        assert (deals["102"]["is_closed"], deals["102"]["is_won"]) == (True, False)
        assert (deals["103"]["is_closed"], deals["103"]["created_at"]) == (False, datetime(2024, 2, 1, 8, 5))
        assert deals["104"]["is_won"] and deals["104"]["type"] == "expansion"
        assert deals["106"]["stage"] == "Contract Sent" and not deals["106"]["is_closed"]  # from its latest deal_stage row
        assert deals["101"]["account_id"] == "701" and deals["101"]["owner_id"] == "501"
        assert deals["103"]["probability"] == 90.0  # the stage's default probability, in percent

        history = sorted((h["opportunity_id"], h["changed_at"], h["stage"]) for h in rows(ws, "opportunity_history"))
        assert [h for h in history if h[0] == "101"] == [
            ("101", datetime(2024, 1, 5, 9, 0), "Appointment Scheduled"),
            ("101", datetime(2024, 2, 20, 14, 30), "Contract Sent"),
            ("101", datetime(2024, 3, 28, 17, 0), "Closed Won (Sales Pipeline)"),
        ]
        assert len([h for h in history if h[0] == "106"]) == 2  # the repeated version is one entry

        users = {u["user_id"]: u for u in rows(ws, "users")}
        assert users["501"]["name"] == "Lucía Fernández" and users["501"]["team"] == "Iberia"
        assert users["503"]["function"] == "system"  # a queue is not a seller

        roles = rows(ws, "opportunity_contact_roles")
        assert sorted(r["contact_id"] for r in roles) == ["601", "602"]  # the duplicate association dropped

        acts = {a["activity_id"]: a for a in rows(ws, "activities")}
        assert set(acts) == {"9001", "9002", "9003", "9004", "9005", "9006"}
        call = acts["9001"]
        assert (call["kind"], call["direction"], call["subtype"], call["owner_id"]) == ("call", "outbound", "CALL", "501")
        assert (call["opportunity_id"], call["contact_id"], call["account_id"]) == ("101", "601", "701")
        assert call["occurred_at"] == datetime(2024, 2, 1, 10, 0)
        assert acts["9002"]["direction"] == "inbound" and acts["9002"]["owner_id"] == "501"  # owner from engagement
        assert acts["9003"]["is_done"] is True and acts["9006"]["is_done"] is False
        assert (acts["9004"]["kind"], acts["9004"]["subtype"]) == ("task", "NOTE")
        assert (acts["9005"]["kind"], acts["9005"]["occurred_at"]) == ("meeting", datetime(2024, 2, 5, 15, 0))

    code, con = run("-w", str(workspace_dir), "analyze")
    assert code in (0, 2) and "Traceback" not in con.out + con.errors, con.out + con.errors


def test_fivetran_hubspot_as_typed_parquet_tables_reads_the_same(fivetran_hubspot: Path, tmp_path: Path) -> None:
    """Fivetran lands typed tables (ints, booleans, timestamps) as Parquet in a lake."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from accountleader.importers import read_hubspot

    lake = tmp_path / "lake"
    lake.mkdir()
    for f in fivetran_hubspot.glob("*.csv"):
        pq.write_table(pacsv.read_csv(f), lake / f"{f.stem}.parquet")
    _, from_csv = read_hubspot(fivetran_hubspot)
    batch, from_parquet = read_hubspot(lake)
    for name in ("opportunities", "opportunity_history", "stages", "activities", "users"):
        key = from_csv[name].column_names[0]
        assert from_parquet[name].sort_by(key).to_pylist() == from_csv[name].sort_by(key).to_pylist(), name
    assert batch.files_ignored == ["contact_list.parquet"]


def test_a_bad_value_names_file_line_column_and_value(fivetran_hubspot: Path, workspace_dir: Path) -> None:
    deal = fivetran_hubspot / "deal.csv"
    deal.write_text(deal.read_text().replace("48000", "48k"))
    stage = fivetran_hubspot / "deal_pipeline_stage.csv"
    stage.write_text(stage.read_text().replace("Contract Sent,1,0.9,", "Contract Sent,1,high,"))
    code, con = run("-w", str(workspace_dir), "import", "hubspot", str(fivetran_hubspot))
    assert code == 2
    shown = " ".join((con.out + con.errors).split())
    assert "deal.csv 2 property_amount 48k expected a number" in shown
    assert "deal_pipeline_stage.csv 3 probability high expected a number" in shown
    assert "Traceback" not in shown
    assert not (workspace_dir / "crm.duckdb").exists()


# -- HubSpot's own CRM export -----------------------------------------------------------------------


def test_hubspot_crm_export_csvs_import(workspace_dir: Path) -> None:
    code, con = run("-w", str(workspace_dir), "import", "hubspot", str(EXPORT_FIXTURE), "--json")
    assert code == 0, con.errors
    summary = json.loads(con.out)
    assert summary["tables"]["opportunities"] == 4 and summary["tables"]["accounts"] == 3
    assert summary["tables"]["contacts"] == 4 and summary["tables"]["users"] == 3
    # no 'Is Deal Closed?' column in this export: says how closed and won were read
    assert any("closed and won read from the stage label" in w for w in summary["warnings"])
    deals_file = "hubspot-crm-exports-all-deals-2024-06-03.csv"
    report = {(s["file"], s["table"]): s["columns"] for s in summary["sources"]}
    assert report[(deals_file, "opportunities")]["stage"] == "Deal Stage"
    assert report[(deals_file, "opportunities")]["owner_id"] == "Deal owner"
    with Workspace.open(workspace_dir) as ws:
        deals = {d["name"]: d for d in rows(ws, "opportunities")}
        wms = deals["Acme – WMS rollout"]
        assert (wms["owner_id"], wms["account_id"], wms["probability"], wms["is_closed"]) == ("1710001", "18234567001", 90.0, False)
        assert deals["Nordwind renewal 2024"]["is_won"] and deals["Nordwind renewal 2024"]["owner_id"] == "1710002"
        assert deals["Brightline pilot"]["is_closed"] and not deals["Brightline pilot"]["is_won"]
        assert deals["Acme expansion (Q3)"]["owner_id"] is None
        history = [h for h in rows(ws, "opportunity_history") if h["opportunity_id"] == "9001002"]
        assert sorted((h["changed_at"], h["stage"]) for h in history) == [
            (datetime(2023, 12, 1, 14, 0), "Appointment Scheduled"),
            (datetime(2024, 3, 1, 10, 0), "Contract Sent"),
            (datetime(2024, 3, 28, 17, 45), "Closed Won"),
        ]
        roles = sorted((r["opportunity_id"], r["contact_id"]) for r in rows(ws, "opportunity_contact_roles"))
        assert ("9001002", "51002") in roles and ("9001002", "51004") in roles  # a ';' list of contacts
        contacts = {c["contact_id"]: c for c in rows(ws, "contacts")}
        assert contacts["51001"]["name"] == "Marta Gómez" and contacts["51001"]["title"] == "Gerente de Compras"
        assert contacts["51003"]["account_id"] == "18234567003"  # the first of '18234567003;18234567001'
        accounts = {a["account_id"]: a for a in rows(ws, "accounts")}
        assert accounts["18234567001"]["name"] == "Acme Logística S.A."  # UTF-8 with BOM
        assert accounts["18234567002"]["owner_id"] == "1710002"
        users = {u["user_id"]: u for u in rows(ws, "users")}
        assert users["1710001"]["team"] == "Iberia"


def test_an_export_without_an_owners_file_takes_owner_names_as_users(tmp_path: Path, workspace_dir: Path) -> None:
    src = tmp_path / "export"
    src.mkdir()
    for f in EXPORT_FIXTURE.glob("hubspot-crm-exports-*.csv"):
        (src / f.name).write_bytes(f.read_bytes())
    code, con = run("-w", str(workspace_dir), "import", "hubspot", str(src), "--json")
    assert code == 0, con.errors
    summary = json.loads(con.out)
    assert any("no owners file" in w for w in summary["warnings"])
    with Workspace.open(workspace_dir) as ws:
        users = {u["user_id"] for u in rows(ws, "users")}
        assert users == {"Lucía Fernández", "Tom Becker"}
        owners = {d["owner_id"] for d in rows(ws, "opportunities")}
        assert owners == {"Lucía Fernández", "Tom Becker", None}


# -- nothing known: refused, naming the files --------------------------------------------------------


@pytest.mark.parametrize("kind", ["hubspot", "salesforce", "fivetran"])
def test_a_source_with_no_known_files_is_refused_naming_them(kind: str, tmp_path: Path, workspace_dir: Path) -> None:
    src = tmp_path / "misc"
    src.mkdir()
    (src / "budget_2024.csv").write_text("month,amount\nJan,10\n")
    (src / "notes.csv").write_text("text\nhello\n")
    code, con = run("-w", str(workspace_dir), "import", kind, str(src))
    assert code == 2, con.out
    assert "budget_2024.csv" in con.errors and "notes.csv" in con.errors
    assert "Traceback" not in con.out + con.errors
    assert not (workspace_dir / "crm.duckdb").exists()


def test_a_csv_mapping_whose_files_are_absent_is_refused_naming_the_files_seen(tmp_path: Path, workspace_dir: Path) -> None:
    src = tmp_path / "misc"
    src.mkdir()
    (src / "budget_2024.csv").write_text("month,amount\nJan,10\n")
    code, con = run("-w", str(workspace_dir), "import", "csv", str(src), "--mapping", "maven_crm")
    assert code == 2
    assert "budget_2024.csv" in con.errors and "not found" in con.errors


# -- the import report, for the Salesforce importer too ----------------------------------------------


def test_a_salesforce_import_reports_the_source_column_of_every_canonical_column(tmp_path: Path, workspace_dir: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from sf_export import Export

    export = Export(tmp_path / "sf")
    code, con = run("-w", str(workspace_dir), "import", "salesforce", str(export.write()), "--json")
    assert code == 0, con.errors
    report = {(s["file"], s["table"]): s for s in json.loads(con.out)["sources"]}
    opp = report[("Opportunity.csv", "opportunities")]
    assert opp["rows"] == 2 and opp["columns"]["stage"] == "StageName" and opp["columns"]["opportunity_id"] == "Id"
    assert report[("Contact.csv", "contacts")]["columns"]["name"] == "FirstName, LastName"
    assert {t for _, t in report} >= {"users", "accounts", "contacts", "opportunities", "activities"}
