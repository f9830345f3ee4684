"""Issue 14 on the pages: the manager's page leads with the accounts in change but managed, not
led (its JSON twin too), scoped to what the caller may see; the account page shows the leadership
mode, cadence and reasons; the seller page shows style flexibility with its examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_support import demo_template, private_copy
from web_support import WebApp, fresh_database_url

from accountleader.demo import TRUTH_FILE, PlantedTruth
from accountleader.workspace import Workspace


@pytest.fixture
def planted_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The report tests' demo company (scale 0.3: the smallest with accounts in change handled as
    steady state), built once per run and copied here."""
    template, _, _ = demo_template(tmp_path_factory, seed=7, scale=0.3)
    return private_copy(template, tmp_path / "workspace")


def test_managers_page_leads_with_managed_not_led_and_each_role_sees_its_own(planted_copy: Path, tmp_path: Path) -> None:
    # read-only pages over the results: the scope filter is above the app database, so one backend (SQLite) will do
    database_url = fresh_database_url("sqlite", tmp_path)
    truth = PlantedTruth.from_json((planted_copy / "demo-export" / TRUTH_FILE).read_text(encoding="utf-8"))
    with Workspace.open(planted_copy) as ws:
        flagged = [a for a in ws.accounts() if a["managed_not_led"]]
        reps = {r["user_id"]: r for r in ws.reps()}
    assert truth.steady_state_change_accounts <= {a["account_id"] for a in flagged}
    owner = flagged[0]["owner_id"]
    other = next(u for u in reps if u not in {a["owner_id"] for a in flagged})
    app = WebApp(planted_copy, database_url)
    try:
        app.add_user("boss", "admin")
        app.add_user("owner", "rep", crm_user_id=owner)
        app.add_user("other", "rep", crm_user_id=other)
        boss = app.logged_in("boss")
        data = boss.get("/api/v1/team").json()
        assert [a["account_id"] for a in data["managed_not_led_accounts"]] == [
            a["account_id"] for a in sorted(flagged, key=lambda a: (-a["change_index"], a["account_id"]))]
        page = boss.get("/team").text
        assert page.index('id="managed-not-led"') < page.index("The matrix")
        assert all(a["name"].replace("'", "&#39;").replace("&", "&amp;") in page for a in flagged)
        # a seller sees the accounts they own, nobody else's
        mine = app.logged_in("owner").get("/api/v1/team").json()["managed_not_led_accounts"]
        assert mine and {a["owner_id"] for a in mine} == {owner}
        assert app.logged_in("other").get("/api/v1/team").json()["managed_not_led_accounts"] == []

        account = flagged[0]
        twin = boss.get(f"/api/v1/accounts/{account['account_id']}").json()["account"]
        assert twin["leadership_mode"] == "lead" and twin["managed_not_led"] is True
        assert twin["leadership_reasons"] == account["leadership_reasons"]
        page = boss.get(f"/accounts/{account['account_id']}").text
        assert f"lead, review every {account['review_cadence_days']} days" in page
        assert "in change but managed, not led" in page

        seller = reps[sorted(truth.flexible_sellers)[0]]
        twin = boss.get(f"/api/v1/sellers/{seller['user_id']}").json()["rep"]
        assert twin["style_flexibility"] == pytest.approx(seller["style_flexibility"])
        assert twin["style_examples"] == seller["style_examples"] and twin["style_examples"]
        page = boss.get(f"/sellers/{seller['user_id']}").text
        assert 'id="style-examples"' in page and seller["style_examples"][0].split(" (")[0] in page
    finally:
        app.close()
