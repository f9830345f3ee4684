"""Support maps in the web app (issue 14), against the demo company, on SQLite and PostgreSQL.

* Two PUTs made from the same version: the second is 409 ``edit_conflict`` naming who changed
  what, and nothing of it is saved; the same on the deal page's in-place form.
* A bad stance is 422 naming the field and the value.
* Route walk: a rep reads and changes maps only on their own deals, a manager on their team's,
  a support member reads the deals they back and changes only their own commitment there; any
  other deal answers 404, like one that does not exist, and is in nobody else's list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web_support import BACKENDS, AppClient, WebApp, fresh_database_url

from accountleader.domain.access import reports_under
from accountleader.web.app import route_table
from accountleader.workspace import Workspace


@dataclass
class People:
    rep: str  # CRM user ids
    other_rep: str  # on another team, outside the manager's tree
    manager: str
    support: str  # a support-desk user
    deal: dict  # an open deal of the rep's with contacts on it
    contacts: list[str]
    other_deal: dict  # an open deal of the other rep's
    support_name: str


def _people(workspace: Path) -> People:
    ws = Workspace.open(workspace)
    try:
        users = ws.table("users").to_pyarrow().to_pylist()
        roles = ws.table("opportunity_contact_roles").to_pyarrow().to_pylist()
        deals = ws.reader().opportunities(open_only=True)
        contacts: dict[str, list[str]] = {}
        for r in roles:
            contacts.setdefault(r["opportunity_id"], []).append(r["contact_id"])
        sellers = [u for u in users if u["function"] == "seller" and u["manager_id"]
                   and any(d["owner_id"] == u["user_id"] and len(contacts.get(d["opportunity_id"], [])) >= 2
                           for d in deals)]
        rep = sellers[0]
        tree = reports_under(rep["manager_id"], [(u["user_id"], u["manager_id"]) for u in users])
        other = next(u for u in users if u["function"] == "seller" and u["user_id"] not in tree
                     and u["team"] != rep["team"] and any(d["owner_id"] == u["user_id"] for d in deals))
        deal = next(d for d in deals if d["owner_id"] == rep["user_id"] and len(contacts.get(d["opportunity_id"], [])) >= 2)
        other_deal = next(d for d in deals if d["owner_id"] == other["user_id"])
        # a support user the CRM draft does not already name on either deal, nor on the other's account
        drafted = {b["user_id"] for b in ws.reader().support_map_drafts(
            [deal["opportunity_id"], other_deal["opportunity_id"]])["backers"]}
        support = next(u for u in users if u["function"] == "support" and u["user_id"] not in drafted
                       and other_deal["account_id"] not in (ws.reader().scope_for("support", u["user_id"]).account_ids or ()))
        return People(rep["user_id"], other["user_id"], rep["manager_id"], support["user_id"], deal,
                      sorted(set(contacts[deal["opportunity_id"]])), other_deal, support["name"])
    finally:
        ws.close()


@dataclass
class Cockpit:
    web: WebApp
    people: People
    c: dict[str, AppClient]


@pytest.fixture(scope="module", params=BACKENDS)
def cockpit(request: pytest.FixtureRequest, demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cockpit]:
    people = _people(demo_workspace)
    web = WebApp(demo_workspace, fresh_database_url(request.param, tmp_path_factory.mktemp("support-db")))
    web.add_user("admin", "admin")
    web.add_user("manager", "manager", people.manager)
    web.add_user("rep", "rep", people.rep)
    web.add_user("other", "rep", people.other_rep)
    web.add_user("desk", "support", people.support)
    yield Cockpit(web, people, {n: web.logged_in(n) for n in ("admin", "manager", "rep", "other", "desk")})
    web.close()


def _url(deal: dict) -> str:
    return f"/api/v1/opportunities/{deal['opportunity_id']}/support-map"


def _get(c: AppClient, deal: dict):  # noqa: ANN202 - an httpx response
    return c.get(_url(deal))


def _put(c: AppClient, deal: dict, version: int, stakeholders: list[dict] | None = None,
         backers: list[dict] | None = None):  # noqa: ANN202
    body = {"version": version, "stakeholders": stakeholders or [], "backers": backers or []}
    return c.put(_url(deal), json=body, headers={"X-CSRF-Token": c.csrf})


def _post_row(c: AppClient, deal: dict, kind: str, ident: str, version: int, **fields: str):  # noqa: ANN202
    return c.post(f"/opportunities/{deal['opportunity_id']}/support-map/{kind}/{ident}",
                  data={"csrf_token": c.csrf, "version": str(version), **fields}, headers={"HX-Request": "true"})


def _put_row(c: AppClient, deal: dict, kind: str, ident: str, version: int, **fields: str):  # noqa: ANN202
    return c.put(f"{_url(deal)}/{kind}/{ident}", json={"version": version, **fields}, headers={"X-CSRF-Token": c.csrf})


def _version(c: AppClient, deal: dict) -> int:
    return int(_get(c, deal).json()["support_map"]["version"])


def test_the_second_of_two_puts_from_the_same_version_is_409_naming_who_changed_what(cockpit: Cockpit) -> None:
    c, p = cockpit.c, cockpit.people
    first, second = p.contacts[0], p.contacts[1]
    start = _get(c["rep"], p.deal).json()
    version = start["support_map"]["version"]
    name = next(s["name"] for s in start["support_map"]["stakeholders"] if s["contact_id"] == first) \
        if any(s["contact_id"] == first for s in start["support_map"]["stakeholders"]) else None
    done = _put(c["manager"], p.deal, version, [{"contact_id": first, "stance": "champion"}])
    assert done.status_code == 200, done.text
    saved = done.json()["support_map"]
    assert saved["version"] == version + 1 and saved["updated_by"] == "manager"
    row = next(s for s in saved["stakeholders"] if s["contact_id"] == first)
    assert row["stance"] == "champion" and row["inferred"] is False and row["name"]
    name = name or row["name"]

    stale = _put(c["rep"], p.deal, version, [{"contact_id": second, "stance": "blocker"}])
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "edit_conflict" and error["current_version"] == version + 1
    assert error["changed_by"] == ["manager"]
    assert f"was changed after the version you edited ({version}): manager changed it at" in error["message"]
    assert name in error["message"] and "champion" in error["message"]
    assert "nothing of your edit was saved" in error["message"]
    now = _get(c["admin"], p.deal).json()["support_map"]
    assert now["version"] == version + 1  # nothing of the stale PUT was written
    assert [s["stance"] for s in now["stakeholders"] if s["contact_id"] == second] in ([], ["neutral"],
        [s["stance"] for s in start["support_map"]["stakeholders"] if s["contact_id"] == second])
    assert not any(s["stance"] == "blocker" and not s["inferred"] for s in now["stakeholders"])


def test_a_bad_stance_is_422_naming_the_field_and_the_value(cockpit: Cockpit) -> None:
    c, p = cockpit.c, cockpit.people
    version = _version(c["rep"], p.deal)
    bad = _put(c["rep"], p.deal, version, [{"contact_id": p.contacts[0], "stance": "fan"}])
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["field"] == "stance" and error["value"] == "fan"
    assert "stance 'fan' is not one of: champion, supporter, neutral, skeptic, blocker" in error["message"]
    unknown = _put(c["rep"], p.deal, version, [{"contact_id": "003NOSUCHCONTACT"}])
    assert unknown.status_code == 422 and "no contact with id '003NOSUCHCONTACT'" in unknown.json()["error"]["message"]
    assert _version(c["rep"], p.deal) == version


ONCE = ("who may see and change a map is decided above the database, and the page renders the same: walked once, "
        "on SQLite (PostgreSQL's writes and conflicts are in the two-PUT test and test_support_maps_store.py)")


def test_the_deal_page_edits_in_place_and_shows_a_conflict_with_the_map_as_it_is_now(cockpit: Cockpit) -> None:
    if cockpit.web.store.backend != "sqlite":
        pytest.skip(ONCE)
    c, p = cockpit.c, cockpit.people
    contact = p.contacts[-1]
    version = _version(c["rep"], p.deal)
    page = c["rep"].get(f"/opportunities/{p.deal['opportunity_id']}")
    assert page.status_code == 200 and 'id="support-map"' in page.text
    assert f'name="version" value="{version}"' in page.text and 'id="readiness"' in page.text
    done = _post_row(c["rep"], p.deal, "stakeholders", contact, version, stance="skeptic", influence="high",
                     access="direct")
    assert done.status_code == 200 and "<html" not in done.text  # the section, swapped in by htmx
    assert 'id="support-done"' in done.text and f'name="version" value="{version + 1}"' in done.text
    assert "stance of" in done.text or "added" in done.text  # the history entry
    stale = _post_row(c["manager"], p.deal, "stakeholders", contact, version, stance="supporter")
    assert stale.status_code == 409 and 'id="support-conflict"' in stale.text
    assert "rep changed it at" in stale.text and "skeptic" in stale.text
    assert f'name="version" value="{version + 1}"' in stale.text  # the form as it is now
    row = next(s for s in _get(c["admin"], p.deal).json()["support_map"]["stakeholders"] if s["contact_id"] == contact)
    assert (row["stance"], row["influence"]) == ("skeptic", "high")
    twin = c["rep"].get(f"/api/v1/opportunities/{p.deal['opportunity_id']}").json()
    assert twin["support"]["support_map"]["version"] == version + 1 and twin["support"]["access"] == "edit"


def test_route_walk_reps_managers_and_support_see_and_change_only_what_they_may(cockpit: Cockpit) -> None:
    if cockpit.web.store.backend != "sqlite":
        pytest.skip(ONCE)
    c, p = cockpit.c, cockpit.people
    routes = {(m, path) for m, path, _ in route_table(cockpit.web.app) if "support-map" in path}
    assert routes == {("GET", "/api/v1/opportunities/{opportunity_id}/support-map"),
                      ("PUT", "/api/v1/opportunities/{opportunity_id}/support-map"),
                      ("POST", "/opportunities/{opportunity_id}/support-map/stakeholders/{contact_id}"),
                      ("POST", "/opportunities/{opportunity_id}/support-map/backers/{user_id}"),
                      ("PUT", "/api/v1/opportunities/{opportunity_id}/support-map/stakeholders/{contact_id}"),
                      ("PUT", "/api/v1/opportunities/{opportunity_id}/support-map/backers/{user_id}")}, \
        "a new support-map route: add it to this walk"
    oid, theirs = p.deal["opportunity_id"], p.other_deal["opportunity_id"]
    # the rep asks the support desk to back their deal (a whole-map PUT keeps the stakeholders)
    current = _get(c["rep"], p.deal).json()["support_map"]
    kept = [{"contact_id": s["contact_id"], "stance": s["stance"], "influence": s["influence"], "access": s["access"]}
            for s in current["stakeholders"] if not s["inferred"]]
    asked = _put(c["rep"], p.deal, current["version"], kept,
                 [{"user_id": p.support, "function": "pricing", "ask": "Discount approval", "commitment": "asked"}])
    assert asked.status_code == 200, asked.text
    version = asked.json()["support_map"]["version"]
    assert [b["name"] for b in asked.json()["support_map"]["backers"]] == [p.support_name]

    # every write needs the session's CSRF token
    no_token = c["rep"].put(_url(p.deal), json={"version": version, "stakeholders": kept})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
    assert c["rep"].post(f"/opportunities/{oid}/support-map/stakeholders/{p.contacts[0]}",
                         data={"version": str(version), "stance": "blocker"}).status_code == 403
    assert _version(c["rep"], p.deal) == version
    # the other team's rep and the manager of another tree: the deal does not exist for them
    for url in (_url(p.deal), f"/api/v1/opportunities/{oid}", f"/opportunities/{oid}"):
        assert c["other"].get(url).status_code == 404
    assert _put(c["other"], p.deal, version, kept).status_code == 404
    assert _post_row(c["other"], p.deal, "stakeholders", p.contacts[0], version, stance="blocker").status_code == 404
    assert _put_row(c["other"], p.deal, "stakeholders", p.contacts[0], version, stance="blocker").status_code == 404
    assert oid not in {o["opportunity_id"] for o in c["other"].get("/api/v1/opportunities").json()["opportunities"]}
    for who in ("rep", "manager"):
        assert _get(c[who], p.other_deal).status_code == 404
        assert _put(c[who], p.other_deal, 0).status_code == 404
        assert _post_row(c[who], p.other_deal, "backers", p.support, 0, commitment="committed").status_code == 404
        assert theirs not in {o["opportunity_id"] for o in c[who].get("/api/v1/opportunities").json()["opportunities"]}
    # the manager changes their team's deal; the admin reads every one
    changed = _put_row(c["manager"], p.deal, "stakeholders", p.contacts[0], version, stance="supporter")
    assert changed.status_code == 200 and changed.json()["history"][0]["actor"] == "manager"
    version += 1
    assert _get(c["admin"], p.other_deal).status_code == 200

    # the support desk: reads the deal they back, changes only their own commitment
    seen = _get(c["desk"], p.deal)
    assert seen.status_code == 200 and seen.json()["access"] == "backer"
    assert c["desk"].get(f"/opportunities/{oid}").status_code == 200
    assert c["desk"].get(f"/api/v1/opportunities/{oid}").json()["opportunity"]["opportunity_id"] == oid
    assert _post_row(c["desk"], p.deal, "stakeholders", p.contacts[0], version, stance="blocker").status_code == 403
    assert _put(c["desk"], p.deal, version, []).status_code == 403
    assert _put_row(c["desk"], p.deal, "stakeholders", p.contacts[0], version, stance="blocker").status_code == 403
    assert _put_row(c["desk"], p.deal, "backers", p.support, version, ask="Something else").status_code == 403
    committed = _post_row(c["desk"], p.deal, "backers", p.support, version, commitment="committed")
    assert committed.status_code == 200 and "commitment of" in committed.text
    after = _get(c["rep"], p.deal).json()
    assert after["support_map"]["version"] == version + 1
    assert [b["commitment"] for b in after["support_map"]["backers"]] == ["committed"]
    assert after["history"][0]["actor"] == "desk" and after["history"][0]["field"] == "commitment"
    # ... and nothing they do not back
    assert _get(c["desk"], p.other_deal).status_code == 404
    assert c["desk"].get(f"/opportunities/{theirs}").status_code == 404
    listed = {o["opportunity_id"]: o for o in c["desk"].get("/api/v1/opportunities").json()["opportunities"]}
    assert listed[oid]["backed"] is True  # the deal they back is on their list
    assert theirs not in listed


def test_the_deal_page_shows_momentum_with_its_parts_and_sample_size(cockpit: Cockpit) -> None:
    if cockpit.web.store.backend != "sqlite":
        pytest.skip(ONCE)
    c, p = cockpit.c, cockpit.people
    oid = p.deal["opportunity_id"]
    ws = Workspace.open(cockpit.web.workspace)
    try:
        signals = ws.reader().support_map_drafts([oid])["signals"]
    finally:
        ws.close()
    assert signals, "the open test deal has readiness signals"
    twin = c["rep"].get(f"/api/v1/opportunities/{oid}").json()["support"]["momentum"]
    s = signals[0]
    assert twin["momentum"] == s["momentum"] and twin["momentum_n"] == s["momentum_n"]
    parts = {m["part"]: (m["last_30_days"], m["previous_30_days"]) for m in twin["parts"]}
    assert parts["meetings"] == (s["meetings_30d"], s["meetings_prev_30d"])
    assert parts["inbound replies"] == (s["inbound_30d"], s["inbound_prev_30d"])
    page = c["rep"].get(f"/opportunities/{oid}").text
    assert 'id="momentum"' in page and ("events" in page or "nothing to compare" in page)
