"""`accountleader settings`: values are validated before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.config import WorkspaceSettings


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def test_set_then_show_round_trips(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    code, con = run("-w", ws, "settings", "set", "quote_sla_business_days", "3")
    assert code == 0, con.errors
    code, con = run("-w", ws, "settings", "set", "quote_stages", "[Proposal, Quote Sent]")
    assert code == 0, con.errors
    code, con = run("-w", ws, "settings", "show", "--json")
    shown = json.loads(con.out)
    assert shown["quote_sla_business_days"] == 3
    assert shown["quote_stages"] == ["Proposal", "Quote Sent"]
    assert WorkspaceSettings.load(Path(ws)).quote_sla_business_days == 3


def test_bad_values_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run("-w", str(ws), "settings", "set", "engagement_window_days", "60")
    before = (ws / "settings.yaml").read_bytes()
    code, con = run("-w", str(ws), "settings", "set", "engagement_window_days", "3")
    assert code == 2 and "engagement_window_days" in con.errors
    code, con = run("-w", str(ws), "settings", "set", "no_such_setting", "1")
    assert code == 2 and "no setting 'no_such_setting'" in con.errors
    assert (ws / "settings.yaml").read_bytes() == before


def test_a_hand_broken_settings_file_is_named_in_the_error(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "settings.yaml").write_text("quote_sla_business_days: soon\n")
    code, con = run("-w", str(ws), "status")
    assert code == 2 and "settings.yaml" in con.errors and "quote_sla_business_days" in con.errors
