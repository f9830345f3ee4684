"""The seller page carries the same ranked next best actions and findings as the seller report."""

from __future__ import annotations

from pathlib import Path

from web_support import WebApp

from accountleader.reports.data import seller_report
from accountleader.workspace import Workspace


def test_seller_page_and_its_json_twin_show_the_reports_ranked_actions(demo_copy: Path, database_url: str) -> None:
    app = WebApp(demo_copy, database_url)
    try:
        app.add_user("boss", "admin")
        client = app.logged_in("boss")
        with Workspace.open(demo_copy) as ws:
            seller = max(ws.reps(), key=lambda r: len(seller_report(ws, r["user_id"])["actions"]))
            expected = seller_report(ws, seller["user_id"])["actions"]
        assert expected, "the demo should give at least one seller something to do"
        data = client.get(f"/api/v1/sellers/{seller['user_id']}").json()
        actions = data["next_best_actions"]
        assert [a["title"] for a in actions] == [a["title"] for a in expected]
        assert all(a["reason"] and a["href"] for a in actions)
        assert [a["score"] for a in actions] == sorted((a["score"] for a in actions), reverse=True)
        page = client.get(f"/sellers/{seller['user_id']}")
        assert page.status_code == 200
        assert actions[0]["title"].split(" (")[0].replace("'", "&#39;") in page.text
    finally:
        app.close()
