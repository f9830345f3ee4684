"""`accountleader import ...` and `status`: run in process, real workspace on disk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importers"))
from sf_export import Export  # noqa: E402  (the importers' tiny export builder)


@pytest.fixture
def export(tmp_path: Path) -> Export:
    return Export(tmp_path)


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def test_import_salesforce_then_status_json_reports_tables_and_warnings(export: Export, workspace_dir: Path) -> None:
    export.set("Opportunity", 0, "CloseDate", "2023-12-20")  # closes before it was created: a warning
    code, con = run("-w", str(workspace_dir), "import", "salesforce", str(export.write()))
    assert code == 0, con.errors
    assert "rows in" in con.out and "opportunities" in con.out
    assert "close before they were created" in con.errors
    code, con = run("-w", str(workspace_dir), "status", "--json")
    assert code == 0
    status = json.loads(con.out)
    assert status["tables"]["opportunities"] == 2 and status["tables"]["activities"] == 5
    assert isinstance(status["warnings"], list)
    assert any("closed_before_created" in w for w in status["warnings"])


def test_import_json_output_is_machine_readable(export: Export, workspace_dir: Path) -> None:
    code, con = run("-w", str(workspace_dir), "import", "salesforce", str(export.write()), "--json")
    assert code == 0
    summary = json.loads(con.out)
    assert summary["kind"] == "salesforce" and summary["tables"]["accounts"] == 2 and summary["rows"] > 0


def test_import_fivetran_reads_snake_case_tables(tmp_path: Path, workspace_dir: Path) -> None:
    src = tmp_path / "fivetran"
    src.mkdir()
    (src / "account.csv").write_text("id,name,industry,is_deleted,_fivetran_deleted\n0015500000Xyy06AAB,Acme,Retail,false,false\n")
    (src / "opportunity.csv").write_text(
        "id,account_id,stage_name,amount,is_closed,is_won,created_date,close_date,is_deleted\n"
        "006q000000HddohAAB,0015500000Xyy06AAB,Closed Won,100,true,true,2019-01-01 10:00:00,2019-02-01,false\n"
    )
    code, con = run("-w", str(workspace_dir), "import", "fivetran", str(src), "--json")
    assert code == 0, con.errors
    assert json.loads(con.out)["tables"]["opportunities"] == 1


def test_import_csv_with_a_mapping_file(tmp_path: Path, workspace_dir: Path) -> None:
    src = tmp_path / "crm"
    src.mkdir()
    (src / "deals.csv").write_text("deal,stage,value,won\r\nD1,Won,10,yes\r\nD2,Open,,no\r\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "tables:\n  opportunities:\n    - file: deals.csv\n      columns:\n"
        "        opportunity_id: deal\n        stage: stage\n        amount: value\n"
        "        is_closed: {column: stage, in: [Won, Lost]}\n        is_won: won\n"
    )
    code, con = run("-w", str(workspace_dir), "import", "csv", str(src), "--mapping", str(mapping), "--json")
    assert code == 0, con.errors
    assert json.loads(con.out)["tables"]["opportunities"] == 2


def test_status_of_an_empty_workspace_says_so(workspace_dir: Path) -> None:
    code, con = run("-w", str(workspace_dir), "status", "--json")
    assert code == 0
    status = json.loads(con.out)
    assert status["has_data"] is False and status["warnings"] == []


def test_bad_input_exits_2_with_a_report_and_no_traceback(export: Export, workspace_dir: Path) -> None:
    export.set("Opportunity", 0, "Amount", "12,3x")
    code, con = run("-w", str(workspace_dir), "import", "salesforce", str(export.write()))
    assert code == 2
    assert "Opportunity.csv" in con.out and "12,3x" in con.out
    assert "Traceback" not in con.out + con.errors


@pytest.mark.parametrize(
    "args",
    [
        ("import", "salesforce", "/no/such/export"),
        ("import", "csv", "/no/such/dir", "--mapping", "maven_crm"),
    ],
)
def test_a_missing_path_exits_2_with_one_line(workspace_dir: Path, args: tuple[str, ...]) -> None:
    code, con = run("-w", str(workspace_dir), *args)
    assert code == 2
    assert "no such file or directory" in con.errors
    assert "Traceback" not in con.out + con.errors


def test_an_unknown_mapping_name_exits_2(tmp_path: Path, workspace_dir: Path) -> None:
    code, con = run("-w", str(workspace_dir), "import", "csv", str(tmp_path), "--mapping", "no_such_mapping")
    assert code == 2
    assert "mapping file" in con.errors and "maven_crm" in con.errors


def test_a_directory_with_no_export_files_exits_2(tmp_path: Path, workspace_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, con = run("-w", str(workspace_dir), "import", "salesforce", str(empty))
    assert code == 2 and "no Salesforce export files found" in con.errors


def test_an_internal_error_exits_1_without_a_traceback(export: Export, workspace_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import accountleader.workspace as workspace

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workspace.storage, "write_database", broken)
    code, con = run("-w", str(workspace_dir), "import", "salesforce", str(export.write()))
    assert code == 1
    assert "internal error" in con.errors and "disk on fire" in con.errors
    assert "Traceback" not in con.out + con.errors
    assert not (workspace_dir / "crm.duckdb").exists()
