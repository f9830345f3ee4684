"""The backtest page and its JSON twin (the same numbers as Workspace.backtest, the same for
every role: aggregate figures only), a bad date is a 422, and the deal page's win probability."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import WebApp, fresh_database_url

from accountleader.workspace import Workspace

#: five month starts, so the replay stays cheap
RANGE = {"from": "2026-05-01"}


@pytest.fixture(scope="module")
def app(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    web = WebApp(demo_workspace, fresh_database_url("sqlite", tmp_path_factory.mktemp("backtest-appdb")))
    ws = Workspace.open(demo_workspace)
    try:
        users = ws.table("users").to_pandas()
    finally:
        ws.close()
    web.add_user("ada", "admin")
    web.add_user("rae", "rep", users[users.function == "seller"].user_id.iloc[0])
    yield web
    web.close()


def _overall_briers(page: str) -> dict[str, float]:
    return {m: float(b) for m, b in re.findall(r'<tr data-method="(\w+)".*?data-brier="([0-9.]+)"', page, re.S)}


def test_page_and_twin_show_the_workspace_backtest_to_every_role(app: WebApp) -> None:
    admin, rep = app.logged_in("ada"), app.logged_in("rae")
    body = admin.get("/api/v1/backtest", params=RANGE).json()
    assert body["dates_n"] == 5 and body["from"].startswith("2026-05-01")
    page = admin.get("/backtest", params=RANGE)
    assert page.status_code == 200
    briers = _overall_briers(page.text)
    assert set(briers) == {"model", "crm_probability", "stage_rate"}
    assert briers == {m: body["overall"][m]["brier"] for m in briers}
    best = min(briers, key=briers.__getitem__)
    assert body["best_brier"] == best and f'<tr data-method="{best}" class="best">' in page.text
    # every month start's row, forecast against actual, and the too-few notes are on the page
    for p in body["periods"]:
        assert f'data-as-of="{p["as_of"][:10]}"' in page.text
        if p["too_few"]:
            assert p["scored_n"] < body["min_deals"] and p["too_few"] in page.text
    assert 'id="backtest-forecast"' in page.text and 'id="backtest-calibration"' in page.text
    assert body["model_calibration"] and all(b["too_few"] == (b["rows_n"] < 50) for b in body["model_calibration"])
    # a rep sees the same company-wide figures: no deal, account or seller in them
    assert rep.get("/api/v1/backtest", params=RANGE).json() == body
    assert not {"opportunity_id", "account_id", "owner_id"} & set(str(body).replace("'", " ").split())
    # the numbers are Workspace.backtest's, computed afresh (the disk cache removed first)
    shutil.rmtree(app.workspace / "cache" / "backtest", ignore_errors=True)
    with Workspace(app.workspace) as ws:
        fresh = ws.backtest(date_from="2026-05-01")
    periods = fresh.pop("periods")
    assert {k: body[k] for k in fresh} == fresh
    assert [{k: shown[k] for k in p} for shown, p in zip(body["periods"], periods, strict=True)] == periods


def test_a_bad_date_is_a_422_naming_it(app: WebApp) -> None:
    c = app.logged_in("ada")
    for params in ({"from": "not-a-date"}, {"from": "2026-08-01", "to": "2026-02-01"}):
        api = c.get("/api/v1/backtest", params=params)
        assert api.status_code == 422 and "from" in api.json()["error"]["message"]
        assert c.get("/backtest", params=params).status_code == 422
    assert app.client().get("/api/v1/backtest", params={"from": "x"}).status_code == 401


def test_deal_page_shows_the_win_probability_and_reasons_of_an_open_deal_only(app: WebApp) -> None:
    c = app.logged_in("ada")
    deals = c.get("/api/v1/opportunities").json()["opportunities"]
    open_deal = next(d for d in deals if not d["is_closed"] and d.get("win_reasons"))
    closed = next(d for d in deals if d["is_closed"])
    twin = c.get(f"/api/v1/opportunities/{open_deal['opportunity_id']}").json()["opportunity"]
    assert 0 < twin["win_probability"] < 1 and twin["win_basis"] == "model" and twin["win_reasons"]
    page = c.get(f"/opportunities/{open_deal['opportunity_id']}").text.replace("&#39;", "'")
    assert f'id="win-probability-value">{twin["win_probability"] * 100:.0f}%<' in page
    assert '<span id="win-basis">model</span>' in page
    assert twin["win_reasons"][0].replace("&", "&amp;") in page
    shut = c.get(f"/opportunities/{closed['opportunity_id']}").text
    assert 'id="win-probability"' not in shut and 'id="win-reasons"' not in shut
    assert c.get(f"/api/v1/opportunities/{closed['opportunity_id']}").json()["opportunity"]["win_probability"] is None
