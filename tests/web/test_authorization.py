"""Who sees what, proved by walking every route for every role against the demo company.

A rep must not reach another team's sellers, accounts or opportunities through any page or
API call: their ids answer 404 exactly like ids that do not exist, and they never appear in
any page the rep can open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from web_support import BACKENDS, AppClient, WebApp, fresh_database_url

from accountleader.domain.access import EVERYONE, reports_under
from accountleader.playbooks import Actor
from accountleader.store import playbooks as store_playbooks
from accountleader.web.app import route_table
from accountleader.workspace import Workspace

PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class Cast:
    """The people of the demo company the tests log in as, and the ids each may see."""

    manager: str
    rep: str
    other_rep: str  # a seller on another team, outside the manager's tree
    support: str
    tree: frozenset[str]
    accounts_by_owner: dict[str, list[str]] = field(default_factory=dict)
    opps_by_owner: dict[str, list[str]] = field(default_factory=dict)
    support_accounts: list[str] = field(default_factory=list)
    # one playbook on a deal of each of rep and other_rep (playbook ids are numbers: see _fill)
    playbook_of: dict[str, str] = field(default_factory=dict)
    # one support request made by each of rep and other_rep, asked of the support user (issue 15)
    request_of: dict[str, str] = field(default_factory=dict)

    def accounts_of(self, *owners: str) -> list[str]:
        return [a for o in owners for a in self.accounts_by_owner.get(o, [])]

    def opps_of(self, *owners: str) -> list[str]:
        return [x for o in owners for x in self.opps_by_owner.get(o, [])]


def _cast(workspace: Path) -> Cast:
    ws = Workspace.open(workspace)
    try:
        users = ws.table("users").to_pandas()
        sellers = users[users.function == "seller"]
        edges = list(zip(users.user_id, users.manager_id, strict=True))
        managers = [m for m in users[users.function == "manager"].user_id if (sellers.manager_id == m).any()]
        manager = managers[0]
        tree = reports_under(manager, edges)
        rep = sellers[sellers.manager_id == manager].user_id.iloc[0]
        rep_team = sellers[sellers.user_id == rep].team.iloc[0]
        others = sellers[(~sellers.user_id.isin(tree)) & (sellers.team != rep_team)]
        cases = ws.table("cases").to_pandas()
        support = cases.owner_id.value_counts().index[0]
        accounts = ws.results("account_results").select("account_id", "owner_id").to_pandas()
        opps = ws.results("opportunity_results").select("opportunity_id", "owner_id").to_pandas()
        cast = Cast(manager, rep, others.user_id.iloc[0], support, tree)
        cast.accounts_by_owner = accounts.groupby("owner_id").account_id.apply(list).to_dict()
        cast.opps_by_owner = opps.groupby("owner_id").opportunity_id.apply(list).to_dict()
        cast.support_accounts = sorted(cases[cases.owner_id == support].account_id.dropna().unique())
        assert ws.reps(EVERYONE), "demo company has no sellers"
        return cast
    finally:
        ws.close()


@dataclass
class Demo:
    web: WebApp
    cast: Cast
    clients: dict[str, AppClient]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    cast = _cast(demo_workspace)
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("appdb"))
    web = WebApp(demo_workspace, url)
    admin = web.add_user("admin", "admin")
    web.add_user("manager", "manager", cast.manager)
    sellers = {cast.rep: web.add_user("rep", "rep", cast.rep), cast.other_rep: web.add_user("other", "rep", cast.other_rep)}
    desk = web.add_user("support", "support", cast.support)
    clients = {name: web.logged_in(name) for name in ("admin", "manager", "rep", "other", "support")}
    for seller in (cast.rep, cast.other_rep):
        deal = cast.opps_of(seller)[0]
        made = store_playbooks.create_playbook(
            web.store, subject_kind="opportunity", subject_id=deal, subject_name=None, subject_owner_id=seller,
            subject_account_id=None, title="Keep the deal", trigger_kind="stage_regression", trigger_params=None,
            actions="Call", owner_user_id=admin.id, due_date="2030-01-01", by="admin")
        cast.playbook_of[seller] = str(made.id)
        state = web.app.state.al
        scope = state.read(lambda ws, s=seller: ws.reader().scope_for("rep", s))
        asked = state.read(lambda ws, s=seller, sc=scope: ws.requests(web.store).add(
            Actor(sc, sellers[s]), kind="pricing", outcome="A price the buyer signs", needed_by="2030-01-01",
            assignee=desk.id, opportunity_id=cast.opps_of(s)[0]))
        cast.request_of[seller] = str(asked.id)
    yield Demo(web, cast, clients)
    web.close()


def _id_for(param: str, ids: dict[str, str]) -> str:
    return ids[param]


def _get_routes(demo: Demo) -> list[str]:
    paths = sorted({p for m, p, _ in route_table(demo.web.app) if m == "GET" and p not in ("/", "/login")})
    unknown = {name for p in paths for name in PARAM.findall(p)} - {"user_id", "account_id", "opportunity_id", "playbook_id",
                                                                    "rid"}
    assert not unknown, f"new path parameters {unknown}: teach this test which ids they take"
    return paths


def _fill(path: str, **ids: str) -> str:
    return PARAM.sub(lambda m: _id_for(m.group(1), ids), path)


def test_rep_reaches_no_other_teams_seller_account_or_opportunity_through_any_route(demo: Demo) -> None:
    cast, rep = demo.cast, demo.clients["rep"]
    foreign = {
        "user_id": [cast.other_rep],
        "account_id": cast.accounts_of(cast.other_rep)[:3],
        "opportunity_id": cast.opps_of(cast.other_rep)[:3],
        "playbook_id": [cast.playbook_of[cast.other_rep]],
        "rid": [cast.request_of[cast.other_rep]],
    }
    assert all(foreign.values()), f"the other rep owns nothing to probe with: {foreign}"
    own = {"user_id": cast.rep, "account_id": cast.accounts_of(cast.rep)[0], "opportunity_id": cast.opps_of(cast.rep)[0],
           "playbook_id": cast.playbook_of[cast.rep], "rid": cast.request_of[cast.rep]}
    forbidden_ids = {i for k, ids in foreign.items() if k not in ("playbook_id", "rid") for i in ids} | set(
        cast.accounts_of(cast.other_rep)) | set(
        cast.opps_of(cast.other_rep))
    probed = 0
    for path in _get_routes(demo):
        params = PARAM.findall(path)
        # the page with the rep's own ids, or no ids: must not mention any other team's id
        response = rep.get(_fill(path, **own))
        assert response.status_code in (200, 403), f"{path}: {response.status_code} {response.text[:200]}"
        leaked = sorted(i for i in forbidden_ids if i in response.text)
        assert not leaked, f"{path} shows another team's ids to a rep: {leaked[:5]}"
        # each foreign id in each parameter: looks exactly like an unknown id
        for param in params:
            for foreign_id in foreign[param]:
                ids = dict(own, **{param: foreign_id})
                response = rep.get(_fill(path, **ids))
                assert response.status_code == 404, f"rep opened {_fill(path, **ids)}: {response.status_code}"
                echoed = response.text.replace(f"'{foreign_id}'", "").replace(f"&#39;{foreign_id}&#39;", "")
                if param not in ("playbook_id", "rid"):  # a small number is in any page
                    assert foreign_id not in echoed, "only the id asked for may be echoed back"
                probed += 1
    assert probed >= 12


def test_rep_sees_own_numbers_and_only_own_team_aggregates(demo: Demo) -> None:
    body = demo.clients["rep"].get("/api/v1/team").json()
    assert [r["user_id"] for r in body["reps"]] == [demo.cast.rep]
    assert len(body["teams"]) == 1
    accounts = demo.clients["rep"].get("/api/v1/accounts").json()["accounts"]
    assert accounts and {a["owner_id"] for a in accounts} == {demo.cast.rep}


def test_manager_sees_their_whole_tree_and_nothing_outside_it(demo: Demo) -> None:
    cast, c = demo.cast, demo.clients["manager"]
    sellers = {r["user_id"] for r in c.get("/api/v1/sellers").json()["sellers"]}
    assert cast.rep in sellers and sellers <= cast.tree
    for seller in sellers:
        assert c.get(f"/sellers/{seller}").status_code == 200
    assert c.get(f"/sellers/{cast.other_rep}").status_code == 404
    assert c.get(f"/api/v1/accounts/{cast.accounts_of(cast.rep)[0]}").status_code == 200
    assert c.get(f"/api/v1/accounts/{cast.accounts_of(cast.other_rep)[0]}").status_code == 404
    owners = {o["owner_id"] for o in c.get("/api/v1/opportunities").json()["opportunities"]}
    assert owners and owners <= cast.tree


def test_support_sees_only_accounts_assigned_through_their_cases(demo: Demo) -> None:
    cast, c = demo.cast, demo.clients["support"]
    visible = {a["account_id"] for a in c.get("/api/v1/accounts").json()["accounts"]}
    assert visible and visible <= set(cast.support_accounts)
    assert c.get(f"/accounts/{sorted(visible)[0]}").status_code == 200
    unassigned = next(a for owner in cast.accounts_by_owner for a in cast.accounts_of(owner) if a not in visible)
    assert c.get(f"/accounts/{unassigned}").status_code == 404
    assert c.get(f"/api/v1/sellers/{cast.rep}").status_code == 404


def test_admin_opens_every_page_for_anyone(demo: Demo) -> None:
    cast, c = demo.cast, demo.clients["admin"]
    for who in (cast.rep, cast.other_rep):
        ids = {"user_id": who, "account_id": cast.accounts_of(who)[0], "opportunity_id": cast.opps_of(who)[0],
               "playbook_id": cast.playbook_of[who], "rid": cast.request_of[who]}
        for path in _get_routes(demo):
            response = c.get(_fill(path, **ids))
            assert response.status_code == 200, f"admin {path}: {response.status_code} {response.text[:300]}"


@pytest.mark.parametrize("role", ["manager", "rep", "support"])
def test_only_admin_may_import_or_analyze(demo: Demo, role: str) -> None:
    c = demo.clients[role]
    assert c.get("/import").status_code == 403
    assert c.get("/api/v1/import").json()["error"]["code"] == "forbidden"
    assert c.post("/analyze", data={"csrf_token": c.csrf}).status_code == 403
    assert c.post("/api/v1/analyze", headers={"X-CSRF-Token": c.csrf}).status_code == 403


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "support"])
def test_every_readable_route_answers_each_role_without_errors(demo: Demo, role: str) -> None:
    cast, c = demo.cast, demo.clients[role]
    mine = {"admin": cast.rep, "manager": cast.rep, "rep": cast.rep, "support": cast.rep}[role]
    ids = {"user_id": mine, "account_id": cast.accounts_of(mine)[0], "opportunity_id": cast.opps_of(mine)[0],
           "playbook_id": cast.playbook_of[mine], "rid": cast.request_of[mine]}
    if role == "support":
        ids["account_id"] = cast.support_accounts[0]
    for path in _get_routes(demo):
        response = c.get(_fill(path, **ids))
        assert response.status_code in (200, 403, 404), f"{role} {path}: {response.status_code}"
        assert "Traceback" not in response.text
        if path.startswith("/api/"):
            assert response.headers["content-type"].startswith("application/json")
            if response.status_code != 200:
                assert set(response.json()["error"]) >= {"code", "message"}


def test_unknown_ids_are_404_in_html_and_json(demo: Demo) -> None:
    c = demo.clients["admin"]
    for kind in ("sellers", "accounts", "opportunities"):
        page = c.get(f"/{kind}/does-not-exist")
        assert page.status_code == 404 and "Not found" in page.text
        api = c.get(f"/api/v1/{kind}/does-not-exist")
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_team_filter_narrows_the_matrix_and_unknown_team_is_404(demo: Demo) -> None:
    c = demo.clients["admin"]
    everyone = c.get("/api/v1/team").json()
    team = everyone["teams"][0]["team"]
    narrowed = c.get("/api/v1/team", params={"team": team}).json()
    assert narrowed["reps"] and {r["team"] for r in narrowed["reps"]} == {team}
    assert len(narrowed["reps"]) < len(everyone["reps"])
    assert c.get("/api/v1/team", params={"team": "No Such Team"}).status_code == 404
    fragment = c.get("/team", params={"team": team}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="sellers"' in fragment.text


def test_every_page_and_its_json_twin_come_from_the_same_numbers(demo: Demo) -> None:
    c, cast = demo.clients["admin"], demo.cast
    seller = c.get(f"/api/v1/sellers/{cast.rep}").json()
    page = c.get(f"/sellers/{cast.rep}").text
    assert seller["rep"]["name"] in page.replace("&#39;", "'")
    for a in seller["accounts"][:5]:
        assert f'/accounts/{a["account_id"]}' in page
    api_paths = {p for _, p, in_schema in route_table(demo.web.app) if in_schema}
    for _, path, in_schema in route_table(demo.web.app):
        if not in_schema and not path.startswith("/api/") and path not in ("/", "/login", "/logout", "/me/tokens"):
            assert "/api/v1" + path.removeprefix("/admin") in api_paths, f"page {path} has no JSON twin"
    documented = set(c.get("/api/v1/openapi.json").json()["paths"])
    assert api_paths <= documented
