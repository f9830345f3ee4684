"""One scope filter for every figure: a shared account shows a rep none of another team's deals.

The planted export (conftest.py) gives an account owned by a seller of team A three deals owned
by a seller of team B, named ``ZZ-OTHER-TEAM-<n>``. Team A's rep opens the account: no section
of the JSON or the HTML page (timeline, change drivers, stakeholders, deals) may name those
deals or carry their ids, while the admin sees them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_support import OTHER_DEAL_PREFIX, Planted
from web_support import WebApp, fresh_database_url

from accountleader.domain.access import EVERYONE
from accountleader.workspace import Workspace


@pytest.fixture(scope="module")
def app(planted: Planted, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    w = WebApp(planted.path, fresh_database_url("sqlite", tmp_path_factory.mktemp("appdb")))
    w.add_user("ann", "admin")
    w.add_user("rita", "rep", planted.rep_a)
    w.add_user("otto", "rep", planted.rep_b)
    yield w
    w.close()


def _leaks(text: str, planted: Planted) -> list[str]:
    return [x for x in (*planted.other_deals, *planted.other_names, OTHER_DEAL_PREFIX) if x in text]


def test_the_plant_is_real_an_unscoped_timeline_names_the_other_teams_deals(planted: Planted) -> None:
    with Workspace.open(planted.path) as ws:
        full = ws.account_view(planted.shared_account, EVERYONE)
    assert any(e["opportunity"] in planted.other_names for e in full["timeline"]), "no other-team deal moved"
    assert {o["opportunity_id"] for o in full["opportunities"]} >= set(planted.other_deals)


def test_a_rep_sees_no_other_team_deal_in_any_section_of_a_shared_account(app: WebApp, planted: Planted) -> None:
    rita = app.logged_in("rita")
    data = rita.get(f"/api/v1/accounts/{planted.shared_account}")
    assert data.status_code == 200, data.text
    body = data.json()
    for section, value in body.items():
        assert not _leaks(json.dumps(value), planted), f"section {section!r} leaks another team's deal"
    assert body["timeline"] is not None and body["opportunities"], "the rep still sees their own deals"
    page = rita.get(f"/accounts/{planted.shared_account}")
    assert page.status_code == 200
    assert not _leaks(page.text, planted)
    for deal in planted.other_deals:
        assert rita.get(f"/api/v1/opportunities/{deal}").status_code == 404
        assert rita.get(f"/opportunities/{deal}").status_code == 404


def test_deal_based_change_drivers_are_left_out_and_said_so(app: WebApp, planted: Planted) -> None:
    rita = app.logged_in("rita")
    account = rita.get(f"/api/v1/accounts/{planted.shared_account}").json()["account"]
    assert "change_note" in account
    deal_drivers = ("close-date pushes:", "days of close date pushed:", "stage regressions:", "amount cuts:")
    assert not [d for d in account["change_drivers"] if d.startswith(deal_drivers)]


def test_the_admin_still_sees_every_deal_on_the_shared_account(app: WebApp, planted: Planted) -> None:
    ann = app.logged_in("ann")
    body = ann.get(f"/api/v1/accounts/{planted.shared_account}").json()
    assert {o["opportunity_id"] for o in body["opportunities"]} >= set(planted.other_deals)
    assert any(e["opportunity"] in planted.other_names for e in body["timeline"])
    assert "change_note" not in body["account"]


def test_the_other_teams_rep_cannot_open_the_account_at_all(app: WebApp, planted: Planted) -> None:
    otto = app.logged_in("otto")
    assert otto.get(f"/api/v1/accounts/{planted.shared_account}").status_code == 404


def test_scoped_lists_and_pages_of_the_rep_name_no_other_team_deal(app: WebApp, planted: Planted) -> None:
    rita = app.logged_in("rita")
    for url in ("/api/v1/accounts", "/api/v1/opportunities", f"/api/v1/sellers/{planted.rep_a}", "/api/v1/team",
                "/team", f"/sellers/{planted.rep_a}"):
        response = rita.get(url)
        assert response.status_code == 200, url
        assert not _leaks(response.text, planted), url


def test_opportunity_view_filters_by_scope_too(planted: Planted) -> None:
    with Workspace.open(planted.path) as ws:
        scope = ws.scope_for("rep", planted.rep_a)
        view = ws.account_view(planted.shared_account, scope)
        assert not _leaks(json.dumps(view, default=str), planted)
        assert Path(planted.path).is_dir()
