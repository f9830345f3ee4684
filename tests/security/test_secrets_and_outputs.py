"""Secrets stay out of every read, outputs are safe to open, settings files stay in the workspace.

* a password in ``engine.url`` is ``****`` in the API, the Settings page and ``settings show``,
  for a rep and for support; the masked value saved back keeps the real one;
* ``password_env`` / ``password_file`` are resolved only when connecting;
* CSV exports neutralise formula-leading CRM values (numbers stay numbers);
* the Markdown report escapes HTML in CRM values; CLI output has no terminal escape codes;
* workspace files are 0600 and folders 0700;
* ``icp_rules_file`` outside the workspace is refused without quoting the file.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from security_support import ESCAPE_NAME, FORMULA_NAME, SCRIPT_NAME, Planted
from web_support import WebApp, fresh_database_url

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.config import SETTINGS_FILE, WorkspaceSettings, mask_url
from accountleader.engine.warehouse import resolve_url, warehouse_connection
from accountleader.errors import ConfigError
from accountleader.workspace import Workspace, csv_safe

PASSWORD = "Hunter2-very-secret"
URL = f"postgres://analyst:{PASSWORD}@warehouse.internal:5432/crm"


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def _with_password_url(workspace: Path) -> None:
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / SETTINGS_FILE).write_text(yaml.safe_dump({"engine": {"kind": "postgres", "url": URL}}))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WebApp]:
    workspace = tmp_path / "workspace"
    _with_password_url(workspace)
    w = WebApp(workspace, fresh_database_url("sqlite", tmp_path))
    w.add_user("ann", "admin")
    w.add_user("rita", "rep", "005RITA")
    w.add_user("sam", "support", "005SAM")
    yield w
    w.close()


# -- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rita", "sam", "ann"])
def test_no_role_reads_the_warehouse_password(app: WebApp, who: str) -> None:
    c = app.logged_in(who)
    api = c.get("/api/v1/settings")
    assert api.status_code == 200
    assert PASSWORD not in api.text
    assert api.json()["settings"]["engine"]["url"] == "postgres://analyst:****@warehouse.internal:5432/crm"
    page = c.get("/settings")
    assert page.status_code == 200 and PASSWORD not in page.text
    assert "analyst:****@warehouse.internal" in page.text


def test_cli_settings_show_masks_the_password(tmp_path: Path) -> None:
    _with_password_url(tmp_path / "ws")
    for args in (["settings", "show"], ["settings", "show", "--json"]):
        code, con = run("-w", str(tmp_path / "ws"), *args)
        assert code == 0, con.errors
        assert PASSWORD not in con.out and "****" in con.out


def test_saving_the_masked_value_back_keeps_the_real_one(app: WebApp) -> None:
    ann = app.logged_in("ann")
    masked = ann.get("/api/v1/settings").json()["settings"]["engine"]["url"]
    form = ann.post("/settings", data={"csrf_token": ann.csrf, "engine.url": masked, "dark_after_days": "20"})
    assert form.status_code == 200 and "Saved." in form.text
    put = ann.put("/api/v1/settings", json={"engine.url": masked, "icp_blend_weight": 0.3},
                  headers={"X-CSRF-Token": ann.csrf})
    assert put.status_code == 200, put.text
    assert PASSWORD not in put.text
    stored = WorkspaceSettings.load(app.workspace)
    assert stored.engine.url == URL and stored.dark_after_days == 20 and stored.icp_blend_weight == 0.3


def test_a_new_inline_password_or_a_changed_masked_url_is_refused(app: WebApp) -> None:
    ann = app.logged_in("ann")
    headers = {"X-CSRF-Token": ann.csrf}
    bad = ann.put("/api/v1/settings", json={"engine.url": "postgres://x:pw@evil/db"}, headers=headers)
    assert bad.status_code == 422 and "password_env" in bad.json()["error"]["fields"]["engine.url"]
    moved = ann.put("/api/v1/settings", json={"engine.url": "postgres://analyst:****@evil/db"}, headers=headers)
    assert moved.status_code == 422
    assert WorkspaceSettings.load(app.workspace).engine.url == URL


def test_cli_set_keeps_the_masked_url_and_refuses_inline_passwords(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _with_password_url(ws)
    code, con = run("-w", str(ws), "settings", "set", "engine.url", mask_url(URL) or "")
    assert code == 0, con.errors
    assert PASSWORD not in con.out
    assert WorkspaceSettings.load(ws).engine.url == URL
    code, con = run("-w", str(ws), "settings", "set", "engine.url", "postgres://u:other-secret@h/db")
    assert code == 2 and "other-secret" not in con.errors + con.out and "password_env" in con.errors
    code, con = run("-w", str(ws), "settings", "set", "engine.url", "postgres://u@h/db?password_env=PGPASSWORD")
    assert code == 0, con.errors


def test_password_env_and_file_are_resolved_only_when_connecting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AL_TEST_PG", "s3cr@t")
    url, secret = resolve_url("postgres://analyst@h:5432/crm?password_env=AL_TEST_PG&sslmode=require")
    assert url == "postgres://analyst:s3cr%40t@h:5432/crm?sslmode=require" and secret == "s3cr@t"
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pg").write_text("from-file\n")
    url, _ = resolve_url("postgres://analyst@h/crm?password_file=secrets/pg", tmp_path)
    assert url == "postgres://analyst:from-file@h/crm"
    with pytest.raises(ConfigError, match="outside the workspace"):
        resolve_url("postgres://analyst@h/crm?password_file=/etc/passwd", tmp_path)
    with pytest.raises(ConfigError, match="ACCOUNTLEADER_"):
        resolve_url("postgres://analyst@h/crm?password_env=ACCOUNTLEADER_SECRET_KEY")
    with pytest.raises(ConfigError, match="AL_TEST_MISSING"):
        resolve_url("postgres://analyst@h/crm?password_env=AL_TEST_MISSING")


def test_a_connection_error_never_shows_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accountleader.config import EngineSettings

    monkeypatch.setenv("AL_TEST_PG", PASSWORD)
    # a backend that is not installed, and one that fails: both messages are masked
    for url in (f"nosuchbackend://analyst:{PASSWORD}@h/db", "nosuchbackend://analyst@h/db?password_env=AL_TEST_PG"):
        with pytest.raises(ConfigError) as err:
            warehouse_connection(EngineSettings(kind="x", url=url), tmp_path)
        assert PASSWORD not in str(err.value)


# -- safe outputs -------------------------------------------------------------------------------


def test_csv_safe_neutralises_formulas_but_not_numbers() -> None:
    assert csv_safe("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for lead in ("+", "-", "@", "\t", "\r"):
        assert csv_safe(f"{lead}1").startswith("'")
    assert csv_safe(-5) == -5 and csv_safe(3.5) == 3.5 and csv_safe("Acme") == "Acme"


def test_a_formula_crm_value_exports_as_text(planted: Planted, tmp_path: Path) -> None:
    out = tmp_path / "accounts.csv"
    code, con = run("-w", str(planted.path), "show", "accounts", "--format", "csv", "--out", str(out))
    assert code == 0, con.errors
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [r["name"] for r in rows]
    assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names
    assert not [n for n in names if n[:1] in ("=", "+", "-", "@")]
    # numbers stay numbers: a negative or plain figure is written bare
    numeric = [r["change_index"] for r in rows if r["change_index"]]
    assert numeric and all(not v.startswith("'") for v in numeric)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_markdown_report_escapes_html_in_crm_values(planted: Planted, tmp_path: Path) -> None:
    from accountleader.reports.data import account_report
    from accountleader.reports.render import to_markdown

    with Workspace.open(planted.path) as ws:
        text = to_markdown(account_report(ws, planted.script_account))
    assert "<script>" not in text
    assert SCRIPT_NAME.replace("<", "&lt;").replace(">", "&gt;") in text


def test_cli_output_has_no_escape_bytes(planted: Planted) -> None:
    with Workspace.open(planted.path) as ws:
        listed = [a["name"] for a in ws.accounts()]
    assert ESCAPE_NAME in listed, "the planted name reaches the CLI with its escape codes"
    code, con = run("-w", str(planted.path), "show", "accounts", "--limit", "100000")
    assert code == 0, con.errors
    assert "Evil Red Inc" in con.out, "the account is listed, its escape codes taken out"
    assert "\x1b" not in con.out and "\x9b" not in con.out
    code, con = run("-w", str(planted.path), "show", "accounts", "--format", "json")
    assert code == 0 and "\x1b" not in con.out


def test_console_strips_escapes_and_does_not_parse_crm_markup() -> None:
    con = CaptureConsole()
    con.table(None, ["name"], [["Acme \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 [link=http://x]click[/link]"]])
    con.info("value \x1b[2J\x9b2J")
    assert "\x1b" not in con.out and "\x9b" not in con.out and "\x07" not in con.out
    assert "[link=http://x]click[/link]" in con.out, "brackets from data are shown, not run as markup"


# -- file permissions -----------------------------------------------------------------------------


def test_workspace_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        ws_path = tmp_path / "ws"
        ws = Workspace.open(ws_path)
        try:
            ws.load_demo(seed=3, scale=0.02)
            ws.analyze()
            ws.save_settings(ws.settings.model_copy(update={"dark_after_days": 25}))
            ws.export_results("accounts", ws_path / "exports" / "accounts.csv", "csv")
        finally:
            ws.close()
        from accountleader.web import create_app

        app = create_app(ws_path)
        app.state.al.store.close()
        app.state.al.workspace.close()
    finally:
        os.umask(old)
    for name in ("app.sqlite", "crm.duckdb", "results.duckdb", "settings.yaml", ".secret_key", "exports/accounts.csv"):
        mode = stat.S_IMODE((ws_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
    assert stat.S_IMODE(ws_path.stat().st_mode) == 0o700


# -- settings files ---------------------------------------------------------------------------------


def test_icp_rules_outside_the_workspace_are_refused_without_quoting_the_file(app: WebApp, tmp_path: Path) -> None:
    passwd = Path("/etc/passwd")
    lines = [line for line in passwd.read_text().splitlines() if line.strip()] if passwd.exists() else []
    ann = app.logged_in("ann")
    for value in ("/etc/passwd", "../../../../etc/passwd", "../outside.yaml"):
        response = ann.put("/api/v1/settings", json={"icp_rules_file": value}, headers={"X-CSRF-Token": ann.csrf})
        assert response.status_code == 422, value
        message = response.json()["error"]["fields"]["icp_rules_file"]
        assert "outside the workspace" in message
        assert not [line for line in lines if line in response.text]
    # a symlink inside the workspace that points out is refused too
    (app.workspace / "rules.yaml").symlink_to("/etc/passwd")
    response = ann.put("/api/v1/settings", json={"icp_rules_file": "rules.yaml"}, headers={"X-CSRF-Token": ann.csrf})
    assert response.status_code == 422 and "outside the workspace" in response.text
    code, con = run("-w", str(app.workspace), "settings", "set", "icp_rules_file", "/etc/passwd")
    assert code == 2 and "outside the workspace" in con.errors
    assert not [line for line in lines if line in con.errors + con.out]


def test_a_bad_rules_file_is_named_by_line_not_quoted(planted_copy: Path) -> None:
    secret_line = "root:x:0:0:root:/root:/bin/bash"
    (planted_copy / "rules.yaml").write_text(f"rules:\n  - when: {{industry: [A]}}\n    add: 1\n{secret_line}\n  bad: [\n")
    settings = WorkspaceSettings.load(planted_copy).model_copy(update={"icp_rules_file": "rules.yaml"})
    settings.save(planted_copy)
    code, con = run("-w", str(planted_copy), "analyze")
    assert code == 2, con.out
    assert "rules.yaml" in con.errors and "line" in con.errors
    assert secret_line not in con.errors and "/bin/bash" not in con.errors
    (planted_copy / "rules.yaml").write_text(f"default_score: {json.dumps(secret_line)}\nrules: [x]\n")
    code, con = run("-w", str(planted_copy), "analyze")
    assert code == 2 and "default_score" in con.errors and "/bin/bash" not in con.errors
