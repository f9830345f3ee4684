"""`accountleader playbooks close|list`: a stale --version is one clear error line, exit 2, and
nothing is changed (the playbook is made straight in the workspace's app database)."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher

from accountleader import store as app_store
from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.store import playbooks as records
from accountleader.store import users as store_users


def _run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def test_a_stale_close_from_the_command_line_is_refused_naming_who_changed_what(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(store_users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.delenv("ACCOUNTLEADER_DATABASE_URL", raising=False)
    ws = tmp_path / "ws"
    store = app_store.open_store(app_store.default_url(ws))
    try:
        ann = app_store.create_user(store, username="ann", password="a-long-password", role="rep", crm_user_id="005A")
        p = records.create_playbook(store, subject_kind="account", subject_id="001A", subject_name="Acme",
                                    subject_owner_id="005A", subject_account_id="001A", title="Keep Acme",
                                    trigger_kind="champion_silent", trigger_params={"days": 30}, actions="Lunch",
                                    owner_user_id=ann.id, due_date="2030-01-31", by="ann")
        records.update_playbook(store, playbook_id=p.id, version=1, changes={"due_date": "2030-02-28"}, by="maria")
    finally:
        store.close()
    code, con = _run("-w", str(ws), "playbooks", "close", str(p.id), "--version", "1")
    assert code == 2
    assert "playbook 1 was changed after the version you edited (1): maria" in " ".join(con.errors.split())
    assert "Traceback" not in con.errors
    code, con = _run("-w", str(ws), "playbooks", "list", "--json")
    assert code == 0 and '"status": "open"' in con.out and '"version": 2' in con.out
    code, con = _run("-w", str(ws), "playbooks", "close", str(p.id), "--version", "2")
    assert code == 0 and "playbook 1 is closed (version 3)" in con.out
