"""The demo company's planted support requests (demo/request_plants.py) recovered by the analytics:
each resourceful support user (proposals adopted, and the adopted ways achieving more, and on
time more, than the approaches prescribed) and each overruled one (asks kept). Also: `show reps
--json` carries each seller's consultation and adoption from the app database, and planting
twice is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_support import demo_workspace_copy

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.demo.request_plants import TRUTH_FILE, RequestTruth
from accountleader.errors import InputError
from accountleader.requests import CLI
from accountleader.workspace import Workspace


def _recovered(a: dict) -> str | None:
    """The documented reading of a support user's figures: resourceful when most of their
    proposals are taken and the ways taken achieve more than those prescribed to them and than
    the company's prescribed approaches; overruled when few of their proposals are taken."""
    adoption = a["adoption_rate"]
    if adoption is None:
        return None
    if adoption < 0.3:
        return "overruled"
    if (adoption >= 0.6 and a["adopted_achieved_rate"] is not None and a["prescribed_achieved_rate"] is not None
            and a["adopted_achieved_rate"] > a["prescribed_achieved_rate"] and a["resourcefulness_credit"] >= 5):
        return "resourceful"
    return None


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    mp = pytest.MonkeyPatch()
    mp.delenv("ACCOUNTLEADER_DATABASE_URL", raising=False)
    path, _, _ = demo_workspace_copy(tmp_path_factory, "request-plants", seed=7, scale=0.1)
    ws = Workspace.open(path)
    try:
        done = ws.seed_demo_requests(seed=7, scale=0.1)
        with pytest.raises(InputError, match="holds support requests already"):
            ws.seed_demo_requests(seed=7, scale=0.1)
        figures = ws.requests().analytics(CLI)
    finally:
        ws.close()
    yield path, {"done": done, "figures": figures}
    mp.undo()


def test_each_planted_support_user_is_recovered(planted: tuple[Path, dict]) -> None:
    path, found = planted
    truth = RequestTruth.from_json((path / "demo-export" / TRUTH_FILE).read_text(encoding="utf-8"))
    assert len(truth.resourceful_support_users) == 2 and len(truth.overruled_support_users) == 2
    assignees = found["figures"]["assignees"]
    read = {uid: _recovered(a) for uid, a in assignees.items()}
    assert {u for u, r in read.items() if r == "resourceful"} == truth.resourceful_support_users
    assert {u for u, r in read.items() if r == "overruled"} == truth.overruled_support_users
    company = found["figures"]["outcomes"]
    assert company["adopted"]["achieved_rate"] > company["prescribed"]["achieved_rate"]
    assert company["adopted"]["on_time_rate"] > company["prescribed"]["on_time_rate"]
    for uid in truth.resourceful_support_users:
        a = assignees[uid]
        assert a["adopted_achieved_rate"] > company["prescribed"]["achieved_rate"]
        assert a["adopted_on_time_rate"] > company["prescribed"]["on_time_rate"]
    counts = {uid: (a["requests_n"], a["adoption_rate_n"], round(a["adoption_rate"], 2), a["resourcefulness_credit"])
              for uid, a in assignees.items()}
    print("planted support users (requests, decided proposals, adoption, credit):", counts)
    assert found["done"]["requests"] == sum(a["requests_n"] for a in assignees.values())


def test_show_reps_json_carries_consultation_and_adoption(planted: tuple[Path, dict]) -> None:
    path, found = planted
    con = CaptureConsole()
    assert main(["-w", str(path), "show", "reps", "--json"], console=con) == 0, con.errors
    rows = {r["user_id"]: r for r in json.loads(con.out)}
    requesters = found["figures"]["requesters"]
    asked = [uid for uid in requesters if uid in rows]
    assert asked, "no planted requester is a seller in show reps"
    for uid in asked:
        r, f = rows[uid], requesters[uid]
        for name in ("consultation_rate", "proposal_adoption_rate"):
            assert (r[name], r[f"{name}_n"], r[f"{name}_reason"]) == (f[name], f[f"{name}_n"], f[f"{name}_reason"])
    ws = Workspace.open(path)
    try:  # a seller who asked for nothing: no rate, n 0, the reason
        idle = ws.with_request_figures([{"user_id": "005000000000NOBODY"}])[0]
    finally:
        ws.close()
    assert (idle["consultation_rate"], idle["consultation_rate_n"], idle["consultation_rate_reason"]) == (
        None, 0, "0 decisions; 5 needed")


def test_seller_and_team_reports_carry_the_desk_figures(planted: tuple[Path, dict]) -> None:
    from accountleader.reports import render, report_document

    path, found = planted
    requesters = found["figures"]["requesters"]
    ws = Workspace.open(path)
    try:
        sellers = {r["user_id"]: r for r in ws.reader().reps()}
        uid = next(u for u, f in requesters.items() if u in sellers and f["consultation_rate_n"])
        seller = report_document(ws, rep=uid)
        team = report_document(ws)
    finally:
        ws.close()
    f, name = requesters[uid], sellers[uid]["name"]
    line = next(x for x in seller["desk"] if x.startswith(f"{name}:"))
    said = ("not measured" if f["consultation_rate"] is None
            else f"{f['consultation_rate']:.0%} of {f['consultation_rate_n']} decisions")
    assert said in line, line
    assert line in team["desk"]
    # every seller with decided requests, and no one without
    assert len(team["desk"]) == len([u for u, x in requesters.items() if u in sellers and
                                     (x["consultation_rate_n"] or x["proposal_adoption_rate_n"])])
    md = render.to_markdown(seller)
    assert "### Support requests" in md and f"- {line}" in md
    assert line.replace("'", "&#39;") in render.to_html(seller, {}) or line in render.to_html(seller, {})
