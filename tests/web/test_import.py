"""Uploading a Salesforce export: the importer's report on bad input, and nothing half-written."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from web_support import WebApp, wait_for_job, zip_dir


def _fingerprint(workspace: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(workspace.glob("*.duckdb"))}


def _broken_export(demo_workspace: Path, tmp_path: Path) -> Path:
    """The demo export with an unreadable amount on line 4 and an impossible close date on line 6."""
    folder = tmp_path / "broken"
    shutil.copytree(demo_workspace / "demo-export", folder)
    path = folder / "Opportunity.csv"
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    rows[3][rows[0].index("Amount")] = "lots"
    rows[5][rows[0].index("CloseDate")] = "31/02/2024"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return zip_dir(folder, tmp_path / "broken-export.zip")


@pytest.fixture
def admin_web(demo_copy: Path, tmp_path: Path) -> WebApp:
    web = WebApp(demo_copy, f"sqlite:///{tmp_path / 'app.sqlite'}")
    web.add_user("ann", "admin")
    yield web
    web.close()


def test_malformed_export_shows_every_problem_and_changes_nothing(admin_web: WebApp, demo_workspace: Path,
                                                                   tmp_path: Path) -> None:
    before = _fingerprint(admin_web.workspace)
    c = admin_web.logged_in("ann")
    upload = _broken_export(demo_workspace, tmp_path)
    accepted = c.post("/import", data={"csrf_token": c.csrf},
                      files={"export": ("broken-export.zip", upload.read_bytes(), "application/zip")})
    assert accepted.status_code == 202  # validated and imported in the background
    assert wait_for_job(c)["state"] == "failed"
    response = c.get("/import")
    assert "import rejected: 2 problems found; nothing was changed" in response.text
    assert "broken-export.zip:Opportunity.csv" in response.text and "expected a number" in response.text
    assert "<td class=\"num\">4</td>" in response.text and "31/02/2024" in response.text
    assert str(admin_web.workspace) not in response.text and ".upload-" not in response.text
    assert _fingerprint(admin_web.workspace) == before
    assert not list(admin_web.workspace.glob(".upload-*"))


def test_malformed_export_through_the_api_gives_the_problems_as_json(admin_web: WebApp, demo_workspace: Path,
                                                                     tmp_path: Path) -> None:
    before = _fingerprint(admin_web.workspace)
    c = admin_web.logged_in("ann")
    upload = _broken_export(demo_workspace, tmp_path)
    response = c.post("/api/v1/import", headers={"X-CSRF-Token": c.csrf},
                      files={"export": ("broken-export.zip", upload.read_bytes(), "application/zip")})
    assert response.status_code == 202
    job = wait_for_job(c)
    assert job["state"] == "failed"
    error = job["error"]
    assert error["code"] == "import_rejected"
    assert {(p["file"], p["line"], p["column"], p["value"]) for p in error["problems"]} == {
        ("broken-export.zip:Opportunity.csv", 4, "Amount", "lots"),
        ("broken-export.zip:Opportunity.csv", 6, "CloseDate", "31/02/2024"),
    }
    assert _fingerprint(admin_web.workspace) == before


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("export.csv", b"Id,Name\n1,x\n", "'export.csv' is not a .zip file"),
        ("export.zip", b"", "'export.zip' is empty"),
        ("export.zip", b"this is not a zip archive", "expected a directory, a .zip archive"),
    ],
)
def test_upload_that_is_not_an_export_says_why(admin_web: WebApp, filename: str, content: bytes, message: str) -> None:
    before = _fingerprint(admin_web.workspace)
    c = admin_web.logged_in("ann")
    response = c.post("/import", data={"csrf_token": c.csrf}, files={"export": (filename, content, "application/zip")},
                      headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "<html" not in response.text, "htmx gets the report fragment, not a whole page"
    assert message in response.text.replace("&#39;", "'")
    assert _fingerprint(admin_web.workspace) == before


def test_import_form_without_a_file_asks_for_one(admin_web: WebApp) -> None:
    c = admin_web.logged_in("ann")
    response = c.post("/import", data={"csrf_token": c.csrf})
    assert response.status_code == 422 and "choose the Salesforce export .zip" in response.text


def test_good_export_replaces_the_data_and_is_analysed(admin_web: WebApp, demo_export_zip: Path) -> None:
    c = admin_web.logged_in("ann")
    response = c.post("/api/v1/import", headers={"X-CSRF-Token": c.csrf},
                      files={"export": ("salesforce-export.zip", demo_export_zip.read_bytes(), "application/zip")})
    assert response.status_code == 202, response.text
    job = wait_for_job(c)
    assert job["state"] == "done", job
    body = job["result"]
    assert body["import"]["source"] == "salesforce-export.zip"
    assert body["import"]["tables"]["opportunities"] > 0
    assert body["analysis_error"] is None and body["analysis"]["tables"]["reps"] > 0
    status = c.get("/api/v1/import").json()["status"]
    assert status["has_data"] and status["tables"]["opportunities"] == body["import"]["tables"]["opportunities"]
    # the JSON twin and the page both list the data artefacts found (the demo has bulk-loaded contacts)
    found = {a["kind"]: a["count"] for a in status["artefacts"] if a["count"]}
    assert found.get("bulk_loaded", 0) > 0
    page = c.get("/import")
    assert page.status_code == 200 and 'id="workspace-status"' in page.text
    assert 'id="artefacts"' in page.text and "bulk loaded" in page.text
