"""The Settings page: clear messages for bad values, saved atomically through the workspace."""

from __future__ import annotations

import yaml
from web_support import WebApp

from accountleader import store as app_store
from accountleader.config import SETTINGS_FILE


def test_admin_changes_slas_and_stages_and_they_are_saved(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    response = c.post("/settings", data={"csrf_token": c.csrf, "quote_sla_business_days": "3.5",
                                         "quote_stages": "Proposal\n  Pricing  \n\n", "corporate_currency": "EUR"})
    assert response.status_code == 200 and "Saved." in response.text
    saved = yaml.safe_load((web.workspace / SETTINGS_FILE).read_text())
    assert saved["quote_sla_business_days"] == 3.5
    assert saved["quote_stages"] == ["Proposal", "Pricing"]
    assert saved["corporate_currency"] == "EUR"
    assert saved["response_sla_hours"] == 24.0, "fields not sent keep their value"
    change = app_store.get_setting(web.store, key="workspace.settings.last_change")
    assert change == {"by": "ann", "fields": ["corporate_currency", "quote_sla_business_days", "quote_stages"]}
    assert c.get("/api/v1/settings").json()["settings"]["quote_sla_business_days"] == 3.5


def test_bad_values_are_named_with_what_was_entered_and_nothing_is_saved(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    response = c.post("/settings", data={"csrf_token": c.csrf, "quote_sla_business_days": "-1",
                                         "dark_after_days": "soon", "corporate_currency": "euro",
                                         "quote_stages": "  ", "icp_rules_file": "missing.yaml"},
                      headers={"HX-Request": "true"})
    assert response.status_code == 422
    text = response.text.replace("&#39;", "'")
    assert "Nothing was saved" in text and "<html" not in text
    assert "must be greater than 0 (you entered '-1')" in text
    assert "must be a whole number (you entered 'soon')" in text
    assert "'euro' is not a three-letter currency code like USD" in text
    assert "give at least one stage name" in text
    assert "no file at 'missing.yaml'" in text
    assert 'value="soon"' in text, "the form keeps what was typed"
    assert not (web.workspace / SETTINGS_FILE).exists()


def test_api_settings_errors_list_each_field(web: WebApp) -> None:
    admin = web.add_user("ann", "admin")
    token = app_store.create_token(web.store, user_id=admin.id, name="t", write=True)
    c = web.client()
    auth = {"Authorization": f"Bearer {token}"}
    bad = c.put("/api/v1/settings", json={"icp_blend_weight": 2, "colour": "blue"}, headers=auth)
    assert bad.status_code == 422
    fields = bad.json()["error"]["fields"]
    assert fields["colour"] == "is not a setting that can be changed here"
    assert fields["icp_blend_weight"].startswith("must be less than or equal to 1")
    good = c.put("/api/v1/settings", json={"icp_blend_weight": 0.25}, headers=auth)
    assert good.status_code == 200 and good.json()["settings"]["icp_blend_weight"] == 0.25


def test_only_an_admin_may_change_settings_but_everyone_may_read_them(web: WebApp) -> None:
    web.add_user("rita", "rep", "005RITA")
    c = web.logged_in("rita")
    page = c.get("/settings")
    assert page.status_code == 200 and "Only an admin can change settings." in page.text
    response = c.post("/settings", data={"csrf_token": c.csrf, "dark_after_days": "10"})
    assert response.status_code == 403 and "only an admin may do this" in response.text
    assert not (web.workspace / SETTINGS_FILE).exists()
