"""The cockpit stays up and honest while new data is imported and analysed: every page answers
200 with the previous results and a banner until the new results replace them atomically."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from web_support import WebApp, demo_copy, wait_for_job, zip_dir  # noqa: F401

from accountleader.demo import write_demo_export


@pytest.fixture
def other_export(tmp_path: Path) -> Path:
    """A different company (another seed), so the new numbers differ from the old ones."""
    write_demo_export(tmp_path / "other", seed=11, scale=0.1)
    return zip_dir(tmp_path / "other", tmp_path / "other.zip")


def _numbers(team: dict) -> dict[str, tuple]:
    return {r["user_id"]: (r["quadrant"], r["efficiency_index"], r["won_n"]) for r in team["reps"]}


@pytest.mark.parametrize("company", ["same", "other"])
def test_pages_serve_the_previous_results_with_a_banner_during_import_and_analysis(
        demo_copy: Path, tmp_path: Path, other_export: Path, company: str) -> None:  # noqa: F811
    web = WebApp(demo_copy, f"sqlite:///{tmp_path / 'app.sqlite'}")
    try:
        web.add_user("ann", "admin")
        c = web.logged_in("ann")
        before = c.get("/api/v1/team").json()
        assert before["freshness"]["stale"] is False and before["freshness"]["banner"] is None
        account = c.get("/api/v1/accounts").json()["accounts"][0]["account_id"]
        deal = c.get("/api/v1/opportunities").json()["opportunities"][0]["opportunity_id"]
        seller0 = before["reps"][0]["user_id"]
        detail_urls = (f"/sellers/{seller0}", f"/api/v1/sellers/{seller0}", f"/accounts/{account}",
                       f"/api/v1/accounts/{account}", f"/opportunities/{deal}", f"/api/v1/opportunities/{deal}")
        served_old_during_analysis, shown = False, []
        upload = other_export if company == "other" else zip_dir(demo_copy / "demo-export", tmp_path / "same.zip")
        accepted = c.post("/api/v1/import", headers={"X-CSRF-Token": c.csrf},
                          files={"export": ("other.zip", upload.read_bytes(), "application/zip")})
        assert accepted.status_code == 202 and accepted.json()["job"]["state"] == "running"
        banners, polls = set(), 0
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            job = c.get("/api/v1/import/job").json()["job"]
            if job["state"] != "running":
                break
            team = c.get("/api/v1/team")
            assert team.status_code == 200, team.text
            # The previous results until the swap, then the new ones, never a mix and never back
            # (the job reports "done" a moment after the swap, so either may show while "running").
            shown.append(_numbers(team.json()))
            # Detail pages join the results with the CRM tables they were computed from (the
            # snapshot the import kept), so the old company's ids keep answering until the swap.
            for url in ("/team", "/api/v1/sellers", "/api/v1/accounts", "/api/v1/opportunities", *detail_urls):
                page = c.get(url)
                if page.status_code != 200:  # only an old id after the swap may be unknown
                    swapped = _numbers(c.get("/api/v1/team").json()) != _numbers(before)
                    assert page.status_code == 404 and swapped and url in detail_urls, (url, page.text[:300])
            if job["phase"] == "analysis" and shown[-1] == _numbers(before):
                served_old_during_analysis = True
            if team.json()["freshness"]["banner"]:
                banners.add(team.json()["freshness"]["banner"])
                page = c.get("/team").text  # the job may end between the two requests: ask again
                assert 'id="freshness-banner"' in page or c.get("/api/v1/import/job").json()["job"]["state"] != "running"
            polls += 1
            time.sleep(0.1)
        assert job["state"] == "done", job
        after = c.get("/api/v1/team").json()
        old_seen = [n == _numbers(before) for n in shown]
        assert all(n == _numbers(before) or n == _numbers(after) for n in shown), "never a mix"
        assert old_seen == sorted(old_seen, reverse=True), "once the new results show, the old never come back"
        assert served_old_during_analysis, "the previous results were served between the CRM and results swaps"
        if company == "other":
            assert not list(demo_copy.glob("crm.*.duckdb")), "the old data's snapshot is removed with the swap"
        assert polls > 0 and banners, "a banner said the results were being replaced"
        assert any("running" in b for b in banners)
        assert after["freshness"]["stale"] is False and after["freshness"]["banner"] is None
        if company == "other":
            assert _numbers(after) != _numbers(before), "the new results are shown once ready"
        assert after["freshness"]["results_at"] >= before["freshness"]["results_at"]
        assert 'id="freshness-banner"' not in c.get("/team").text
        seller = after["reps"][0]["user_id"]
        assert c.get(f"/sellers/{seller}").status_code == 200
        assert not list(demo_copy.glob(".upload-*")), "the upload is removed after the import"
    finally:
        web.close()


def test_a_cli_settings_change_is_seen_and_not_reverted_by_a_web_save(demo_copy: Path, tmp_path: Path) -> None:  # noqa: F811
    from accountleader.cli.console import CaptureConsole
    from accountleader.cli.main import main

    web = WebApp(demo_copy, f"sqlite:///{tmp_path / 'app.sqlite'}")
    try:
        web.add_user("ann", "admin")
        c = web.logged_in("ann")
        form = c.get("/settings").text  # the form as opened before the CLI change
        assert main(["-w", str(demo_copy), "settings", "set", "dark_after_days", "45"], console=CaptureConsole()) == 0
        seen = c.get("/api/v1/settings").json()["settings"]
        assert seen["dark_after_days"] == 45, "the server re-reads settings.yaml when it changes"
        banner = c.get("/api/v1/team").json()["freshness"]
        assert banner["stale"] and "settings changed since" in banner["banner"]
        import re

        base = re.search(r"name=\"settings_base\" value='([^']*)'", form).group(1)
        import html

        values = {"csrf_token": c.csrf, "settings_base": html.unescape(base),
                  "dark_after_days": "30", "response_sla_hours": "6"}  # 30: as the old form showed it
        saved = c.post("/settings", data=values)
        assert saved.status_code == 200, saved.text[:500]
        after = c.get("/api/v1/settings").json()["settings"]
        assert after["dark_after_days"] == 45 and after["response_sla_hours"] == 6
    finally:
        web.close()


def _view(ws_path: Path) -> tuple[dict[str, tuple], int]:
    """What a fresh reader (a restarted server) shows: the team's numbers and the detail pages
    of the first seller, account and deal answer without NotFound."""
    from accountleader.workspace import Workspace

    with Workspace.open(ws_path) as ws, ws.pinned():
        reps = ws.reps()
        numbers = {r["user_id"]: (r["quadrant"], r["efficiency_index"], r["won_n"]) for r in reps}
        ws.seller_view(reps[0]["user_id"])
        ws.account_view(ws.accounts(limit=1)[0]["account_id"])
        ws.opportunity_view(ws.opportunities(limit=1)[0]["opportunity_id"])
        return numbers, len(ws.accounts())


def test_a_kill_at_any_step_of_an_import_and_analysis_leaves_a_consistent_workspace(
        demo_copy: Path, other_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Each step (keep the snapshot, replace crm.duckdb, replace results.duckdb, remove the
    snapshot) is one link, rename or unlink; stopping after any of them leaves files a reader
    resolves to results plus the CRM data they were computed from."""
    from accountleader.engine import storage
    from accountleader.workspace import Workspace

    old = _view(demo_copy)
    crm = demo_copy / "crm.duckdb"
    data_id = storage.read_meta(crm)["data_id"]

    # killed after keeping the snapshot, before crm.duckdb was replaced: the next open removes it
    storage.keep_snapshot(crm, data_id)
    assert _view(demo_copy) == old and not storage.snapshots(crm)

    # killed after crm.duckdb was replaced, before the analysis (= `accountleader import` alone):
    # the old results are read with the old data, and flagged stale
    with Workspace.open(demo_copy) as ws:
        ws.import_salesforce(other_export)
        assert ws.freshness()["stale"]
    assert set(storage.snapshots(crm)) == {data_id}
    assert _view(demo_copy) == old

    # killed after results.duckdb was replaced, before the snapshot was removed
    monkeypatch.setattr(storage, "remove_snapshots", lambda *a, **k: [])
    with Workspace.open(demo_copy) as ws:
        ws.analyze()
    monkeypatch.undo()
    assert set(storage.snapshots(crm)) == {data_id}
    new = _view(demo_copy)
    assert new != old and not storage.snapshots(crm), "the new results with the new data; the orphan removed"
    with Workspace.open(demo_copy) as ws:
        assert not ws.freshness()["stale"]
