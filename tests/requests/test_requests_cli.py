"""`accountleader requests ...` on a workspace with app users and no results: a request from ask to
outcome as two app users (--as), bad input as one line naming the field and value (exit 2, no
traceback, nothing written), a stale --version refused naming who changed what, and `users
add --email` / `set-email`."""

from __future__ import annotations

from pathlib import Path

import pytest

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.store import list_users, open_store
from accountleader.store import requests as records


def _run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def _said(con: CaptureConsole) -> str:
    """The error as one line (the console wraps long lines)."""
    return " ".join(con.errors.split())


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ACCOUNTLEADER_DATABASE_URL", raising=False)
    ws = tmp_path / "ws"
    ws.mkdir()
    for name, role, crm in (("rita", "rep", "005R1"), ("sam", "support", "005S1")):
        code, con = _run("-w", str(ws), "users", "add", name, "--role", role, "--crm-user-id", crm, "--password",
                         "correct horse battery")
        assert code == 0, con.errors
    return ws


def test_a_request_from_the_command_line(workspace: Path) -> None:
    w = ("-w", str(workspace))
    assert _run(*w, "users", "set-email", "sam", "sam@example.com")[0] == 0
    code, con = _run(*w, "users", "set-email", "sam", "sam at example")
    assert code == 2 and "email 'sam at example' is not an email address" in _said(con)
    code, con = _run(*w, "requests", "add", "--as", "rita", "--kind", "quote", "--outcome", "A quote the CFO signs",
                     "--needed-by", "2099-01-10", "--assignee", "sam", "--opportunity", "006X")
    assert code == 0 and "request 1 asked (version 1, asked)" in con.out, con.errors
    bad = [(("--kind", "poem"), "kind 'poem': must be one of"), (("--needed-by", "10/01/2099"), "needed_by '10/01/2099'"),
           (("--assignee", "rita"), "assignee 'rita': rita is a rep, not a support user")]
    for (flag, value), says in bad:
        args = {"--kind": "quote", "--outcome": "x", "--needed-by": "2099-01-10", "--assignee": "sam", flag: value}
        code, con = _run(*w, "requests", "add", "--as", "rita", *[x for kv in args.items() for x in kv])
        assert code == 2 and says in _said(con) and "Traceback" not in _said(con) + con.out
        assert _said(con).count("Error:") == 1  # one message
    assert _run(*w, "requests", "propose", "1", "--as", "sam", "--version", "1", "--proposal", "Bundle support",
                "--rationale", "cheaper for them")[0] == 0
    code, con = _run(*w, "requests", "decide", "1", "--as", "sam", "--version", "2", "--decision", "accept")
    assert code == 2 and "only the request's requester (rita) may decide" in _said(con)
    code, con = _run(*w, "requests", "decide", "1", "--as", "rita", "--version", "1", "--decision", "accept")
    assert code == 2 and "sam (propose)" in _said(con) and "nothing of your change was saved" in _said(con)
    assert _run(*w, "requests", "decide", "1", "--as", "rita", "--version", "2", "--decision", "accept")[0] == 0
    code, con = _run(*w, "requests", "done", "1", "--as", "sam", "--version", "3", "--achieved", "maybe")
    assert code == 2 and "achieved 'maybe': must be yes or no" in _said(con)
    assert _run(*w, "requests", "done", "1", "--as", "sam", "--version", "3", "--achieved", "yes")[0] == 0
    code, con = _run(*w, "requests", "show", "1", "--as", "rita", "--json")
    assert code == 0
    import json

    shown = json.loads(con.out)
    assert (shown["status"], shown["consulted"], shown["on_time"], shown["assignee"]["username"]) == (
        "done", True, True, "sam")
    assert [e["action"] for e in shown["history"]][:1] == ["done"]
    code, con = _run(*w, "requests", "list", "--as", "rita", "--json")
    assert [r["id"] for r in json.loads(con.out)] == [1]
    code, con = _run(*w, "requests", "figures", "--json")
    figures = json.loads(con.out)
    assert figures["requesters"]["005R1"]["consultation_rate_reason"] == "1 decision; 5 needed"
    assert figures["assignees"]["005S1"]["resourcefulness_credit"] == 1
    from datetime import date, timedelta

    soon = (date.today() + timedelta(days=1)).isoformat()
    assert _run(*w, "requests", "add", "--as", "rita", "--kind", "legal", "--outcome", "Terms counsel accepts",
                "--needed-by", soon, "--assignee", "sam")[0] == 0
    code, con = _run(*w, "requests", "remind", "--json")  # notifications are off by default: nothing sent
    assert code == 0 and json.loads(con.out) == [{"id": 2, "status": "asked", "needed_by": soon, "notification": None}]
    code, con = _run(*w, "requests", "remind")
    assert "notifications are off" in " ".join(con.out.split()) and "0 of 1 reminders sent" in con.out
    code, con = _run(*w, "requests", "show", "1", "--as", "nobody")
    assert code == 2 and "--as 'nobody': no app user" in _said(con)
    store = open_store(f"sqlite:///{workspace / 'app.sqlite'}")
    try:
        assert len(records.read_requests(store)) == 2  # the bad asks wrote nothing
        assert {u.username: u.email for u in list_users(store)} == {"rita": None, "sam": "sam@example.com"}
    finally:
        store.close()
