"""`accountleader report`: writes the file, and bad arguments give one clear line and exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_support import ReportDemo

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main


def run(demo: ReportDemo, *args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    code = main(["-w", str(demo.workspace.path), "report", *args], console=con)
    return code, con


def test_report_command_writes_the_team_report(report_demo: ReportDemo, out_dir: Path) -> None:
    out = out_dir / "cli" / "team.md"
    code, con = run(report_demo, "--format", "md", "--out", str(out))
    assert code == 0, con.errors
    assert "wrote Team report: all teams (md" in con.out
    assert out.read_text(encoding="utf-8").startswith("# Team report: all teams")


def test_report_command_finds_a_seller_by_name(report_demo: ReportDemo, out_dir: Path) -> None:
    rep = report_demo.workspace.reps(rep=report_demo.sellers("busy")[0])[0]
    out = out_dir / "cli" / "seller.md"
    code, con = run(report_demo, "--rep", rep["name"].upper(), "--format", "md", "--out", str(out))
    assert code == 0, con.errors
    assert out.read_text(encoding="utf-8").startswith(f"# Seller report: {rep['name']}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rep", "Nobody Atall"], "no seller with id or name 'Nobody Atall'"),
        (["--team", "No Such Team"], "no team named 'No Such Team'"),
        (["--account", "001NOPE"], "no account with id or name '001NOPE'"),
        (["--as-of", "1990-01-01"], "--as-of 1990-01-01 is before the data starts"),
        (["--as-of", "2040-01-01"], "is more than a year after the data ends"),
        (["--as-of", "last tuesday"], "is not a date like"),
        (["--team", "X", "--rep", "Y"], "choose one of --team, --rep or --account"),
    ],
)
def test_bad_arguments_give_a_clear_message_and_exit_2(report_demo: ReportDemo, out_dir: Path, args: list[str],
                                                       message: str) -> None:
    out = out_dir / "cli" / "bad.html"
    code, con = run(report_demo, *args, "--format", "html", "--out", str(out))
    assert code == 2
    assert message in " ".join(con.errors.split())
    assert "Traceback" not in con.errors
    assert not out.exists()


def test_unknown_format_is_a_usage_error(report_demo: ReportDemo, out_dir: Path) -> None:
    code, con = run(report_demo, "--format", "docx", "--out", str(out_dir / "x.docx"))
    assert code == 2
    assert "'docx' is not one of" in con.errors


def test_pdf_without_chromium_says_how_to_get_it(report_demo: ReportDemo, out_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNTLEADER_CHROMIUM", str(out_dir / "no-chromium-here"))
    code, con = run(report_demo, "--format", "pdf", "--out", str(out_dir / "cli" / "team.pdf"))
    assert code == 2
    assert "ACCOUNTLEADER_CHROMIUM" in con.errors and "does not exist" in con.errors


def test_report_as_of_an_earlier_date_is_computed_for_that_date(report_demo: ReportDemo, tmp_path: Path) -> None:
    # on a copy: computing for another date replaces the shared workspace's results
    copy = tmp_path / "ws"
    shutil.copytree(report_demo.workspace.path, copy)
    out = tmp_path / "team.md"
    con = CaptureConsole()
    code = main(["-w", str(copy), "report", "--as-of", "2026-06-30", "--format", "md", "--out", str(out)], console=con)
    assert code == 0, con.errors
    assert "_As of 2026-06-30 ·" in out.read_text(encoding="utf-8")
