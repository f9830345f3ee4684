"""Bad input stops the import, names every problem precisely, and leaves the workspace alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_export import O_OPEN, O_WON, Export

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.errors import ImportRejected, Problem
from accountleader.importers import read_salesforce_export
from accountleader.workspace import Workspace


def rejected(path: Path) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        read_salesforce_export(path)
    assert "nothing was changed" in str(info.value)
    return info.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_a_missing_required_column_is_named_on_the_header_line(sf_export: Export) -> None:
    header = sf_export.rows["Opportunity"][0]
    col = header.index("StageName")
    for row in sf_export.rows["Opportunity"]:
        del row[col]
    p = only(rejected(sf_export.write()))
    assert (p.file, p.line, p.column) == ("Opportunity.csv", 1, "StageName")
    assert "required column" in p.reason and "missing" in p.reason


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Amount", "12,3x", "a number"),
        ("CloseDate", "31/31/2024", "a date"),
        ("IsWon", "maybe", "true or false"),
        ("CreatedDate", "yesterday", "a date-time"),
    ],
)
def test_an_unreadable_value_is_reported_with_file_line_column_and_value(sf_export: Export, column: str, value: str, expected: str) -> None:
    sf_export.set("Opportunity", 1, column, value)
    p = only(rejected(sf_export.write()))
    assert (p.file, p.line, p.column, p.value) == ("Opportunity.csv", 3, column, value)
    assert expected in p.reason


def test_a_duplicate_id_names_both_rows(sf_export: Export) -> None:
    sf_export.set("Opportunity", 1, "Id", O_WON)
    problems = rejected(sf_export.write())
    assert {(p.file, p.line, p.column, p.value) for p in problems} == {
        ("Opportunity.csv", 2, "Id", O_WON) if False else ("Opportunity.csv", 2, "opportunity_id", O_WON),
        ("Opportunity.csv", 3, "opportunity_id", O_WON),
    }
    assert all("duplicate id" in p.reason for p in problems)


def test_a_row_with_too_many_fields_is_reported_on_its_physical_line(sf_export: Export) -> None:
    path = sf_export.write()
    text = (path / "Opportunity.csv").read_text()
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",surplus\n"
    (path / "Opportunity.csv").write_text("".join(lines))
    p = only(rejected(path))
    assert (p.file, p.line) == ("Opportunity.csv", 3)
    assert "expected 16 columns, found 17" in p.reason


def test_line_numbers_count_physical_lines_after_a_quoted_multiline_value(sf_export: Export) -> None:
    sf_export.set("Opportunity", 0, "Name", "Acme\nrenewal\n2024")  # row 1 spans lines 2-4
    sf_export.set("Opportunity", 1, "Amount", "12,3x")  # so row 2 starts on line 5
    p = only(rejected(sf_export.write(newline="\r\n")))
    assert (p.line, p.value) == (5, "12,3x")


def test_line_numbers_after_a_quoted_multiline_value_for_a_ragged_row(sf_export: Export) -> None:
    sf_export.set("Opportunity", 0, "Name", "Acme\nrenewal")
    path = sf_export.write()
    text = (path / "Opportunity.csv").read_text()
    (path / "Opportunity.csv").write_text(text.rstrip("\n") + ",extra\n")  # the last row, line 4
    p = only(rejected(path))
    assert (p.file, p.line) == ("Opportunity.csv", 4)


def test_line_numbers_stay_right_when_deleted_rows_are_skipped_before_a_bad_row(sf_export: Export) -> None:
    sf_export.set("Opportunity", 0, "IsDeleted", "true")
    sf_export.set("Opportunity", 1, "StageName", "")  # required, on line 3
    p = only(rejected(sf_export.write()))
    assert (p.file, p.line, p.column) == ("Opportunity.csv", 3, "stage")
    assert "required value missing" in p.reason


def test_several_problems_in_several_files_are_reported_at_once(sf_export: Export) -> None:
    sf_export.set("Opportunity", 0, "Amount", "lots")
    sf_export.set("Opportunity", 1, "IsClosed", "perhaps")
    sf_export.set("Account", 1, "NumberOfEmployees", "forty")
    sf_export.set("Task", 0, "CompletedDateTime", "31/31/2024 25:00")
    problems = rejected(sf_export.write())
    assert {(p.file, p.line, p.value) for p in problems} == {
        ("Opportunity.csv", 2, "lots"),
        ("Opportunity.csv", 3, "perhaps"),
        ("Account.csv", 3, "forty"),
        ("Task.csv", 2, "31/31/2024 25:00"),
    }


def test_a_flood_of_bad_values_is_cut_at_the_cap_and_says_so(sf_export: Export) -> None:
    for i in range(150):
        sf_export.add_row("Opportunity", Id=f"006Ax0000{i:06d}", StageName="Open", Amount="n/a", IsClosed="false", IsWon="false")
    with pytest.raises(ImportRejected) as info:
        read_salesforce_export(sf_export.write())
    assert len(info.value.problems) == 100
    assert info.value.truncated and "more not shown" in str(info.value)


def test_the_cli_prints_every_problem_with_file_line_column_value_and_reason(sf_export: Export, workspace_dir: Path) -> None:
    sf_export.set("Opportunity", 1, "Amount", "12,3x")
    sf_export.set("Account", 0, "CreatedDate", "31/31/2024")
    con = CaptureConsole()
    code = main(["-w", str(workspace_dir), "import", "salesforce", str(sf_export.write())], console=con)
    assert code == 2
    text = con.out + con.errors
    assert "import rejected: 2 problems found; nothing was changed" in text
    assert "Traceback" not in text
    lines = text.splitlines()
    opp = next(line for line in lines if "Opportunity.csv" in line)
    for part in ("Opportunity.csv", " 3 ", "Amount", "12,3x", "expected a number"):
        assert part in opp
    acc = next(line for line in lines if "Account.csv" in line)
    for part in ("Account.csv", " 2 ", "CreatedDate", "31/31/2024", "expected a date-time"):
        assert part in acc


def test_a_rejected_import_leaves_the_workspace_exactly_as_it_was(sf_export: Export, workspace_dir: Path, fingerprint) -> None:
    good = sf_export.write("good")
    with Workspace.open(workspace_dir) as ws:
        ws.import_salesforce(good)
        status_before = ws.status()
    before = fingerprint(workspace_dir)
    sf_export.set("Opportunity", 0, "IsWon", "maybe")
    sf_export.set("Opportunity", 1, "Id", O_WON)
    bad = sf_export.write("bad")
    con = CaptureConsole()
    assert main(["-w", str(workspace_dir), "import", "salesforce", str(bad)], console=con) == 2
    assert fingerprint(workspace_dir) == before
    with Workspace.open(workspace_dir) as ws:
        assert ws.status() == status_before
        assert ws.status()["tables"]["opportunities"] == 2
        assert O_OPEN in ws.table("opportunities").opportunity_id.to_pyarrow().to_pylist()


def test_a_corrupted_zip_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    import io
    import zipfile

    from accountleader.cli.console import CaptureConsole
    from accountleader.cli.main import main

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("Account.csv", "Id,Name\n" + "\n".join(f"0010000000{i:05d}AAA,Acme {i}" for i in range(300)))
    data = bytearray(buf.getvalue())
    data[60] ^= 0xFF  # damage the compressed bytes of Account.csv
    data[61] ^= 0xFF
    bad = tmp_path / "export.zip"
    bad.write_bytes(bytes(data))
    con = CaptureConsole()
    code = main(["-w", str(tmp_path / "ws"), "import", "salesforce", str(bad)], console=con)
    assert code == 2, con.errors
    assert "export.zip:Account.csv" in con.errors and "cannot be read" in con.errors
    assert "internal error" not in con.errors
