"""The requests service over a real app database (SQLite and PostgreSQL): the life of a request,
who sees which, who may change what, optimistic concurrency and the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accountleader.domain.access import Scope
from accountleader.errors import EditConflict, InputError, NotFoundError, PermissionDenied
from accountleader.requests import CLI, Actor, Requests
from accountleader.store import Store, models
from accountleader.store import requests as records
from accountleader.store import users as store_users


def _no_results() -> None:
    raise NotFoundError("no results kept: run analyze")


def _cast(store: Store) -> dict[str, Actor]:
    def user(name: str, role: str, crm: str | None) -> store_users.UserPublic:
        return store_users.create_user(store, username=name, password="correct horse battery", role=role,
                                       crm_user_id=crm, email=f"{name}@example.com")

    people = {"rep": user("rita", "rep", "005R1"), "rep2": user("rob", "rep", "005R2"),
              "other_rep": user("olga", "rep", "005R9"), "manager": user("mia", "manager", "005M1"),
              "support": user("sam", "support", "005S1"), "support2": user("sue", "support", "005S2"),
              "admin": user("ada", "admin", None)}
    scopes = {"rep": Scope("rep", "005R1", frozenset({"005R1"})), "rep2": Scope("rep", "005R2", frozenset({"005R2"})),
              "other_rep": Scope("rep", "005R9", frozenset({"005R9"})),
              "manager": Scope("manager", "005M1", frozenset({"005M1", "005R1", "005R2"})),
              "support": Scope("support", "005S1", frozenset()), "support2": Scope("support", "005S2", frozenset()),
              "admin": Scope("admin")}
    return {k: Actor(scopes[k], people[k]) for k in people}


def _ask(svc: Requests, actor: Actor, assignee: str = "sam", **over: object) -> int:
    fields = {"kind": "pricing", "outcome": "A price the CFO signs", "needed_by":
              (datetime.now(UTC).date() + timedelta(days=7)).isoformat(), "assignee": assignee, **over}
    return svc.add(actor, **fields).id


def test_a_request_from_ask_to_outcome_with_its_history(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    rid = _ask(svc, a["rep"], opportunity_id="006A", constraints="list price")
    made = svc.get(a["support"], rid).as_dict()
    assert (made["status"], made["version"], made["requester"]["username"], made["assignee"]["username"]) == (
        "asked", 1, "rita", "sam")
    assert (made["opportunity_id"], made["opportunity_name"], made["on_time"]) == ("006A", None, None)
    v = svc.propose(a["support"], rid, 1, "A three-year term at list", "budget certainty", "another_way")
    assert (v.record.status, v.record.version) == ("proposed", 2)
    v = svc.decide(a["rep"], rid, 2, "accept")
    assert (v.record.consulted, v.record.version) == (True, 3)
    v = svc.done(a["support"], rid, 3, True, "signed at list")
    d = v.as_dict()
    assert (d["status"], d["achieved"], d["on_time"], d["version"]) == ("done", True, True, 4)
    events = svc.history(a["rep"], rid)
    assert [e["action"] for e in events][0] == "done" and events[-1]["action"] == "add"
    assert {(e["actor"], e["field"], e["new"]) for e in events} >= {
        ("sam", "status", "proposed"), ("rita", "decision", "accept"), ("sam", "achieved", "yes"),
        ("rita", "status", "asked")}


def test_who_sees_which_request(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    mine = _ask(svc, a["rep"])
    team = _ask(svc, a["rep2"], assignee="sue")
    outside = _ask(svc, a["other_rep"], assignee="sue")

    def seen(who: str) -> set[int]:
        return {v.id for v in svc.list(a[who])}

    assert seen("rep") == {mine} and seen("rep2") == {team} and seen("other_rep") == {outside}
    assert seen("support") == {mine} and seen("support2") == {team, outside}
    assert seen("manager") == {mine, team} and seen("admin") == {mine, team, outside}
    assert {v.id for v in svc.list(CLI)} == {mine, team, outside}
    for who, rid in (("rep", team), ("support", outside), ("manager", outside), ("other_rep", mine)):
        with pytest.raises(NotFoundError, match=f"no request {rid}"):
            svc.get(a[who], rid)
        with pytest.raises(NotFoundError):
            svc.history(a[who], rid)
        with pytest.raises(NotFoundError):  # a write to an unseen request: 404 as well, never a 403
            svc.cancel(a[who], rid, 1)
    assert [v.id for v in svc.list(a["manager"], status="asked")] == [mine, team]
    assert svc.list(a["manager"], status="done") == []


def test_only_the_requester_decides_or_cancels_and_only_the_assignee_answers(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    rid = _ask(svc, a["rep"])
    for who in ("admin", "manager"):
        with pytest.raises(PermissionDenied, match=r"only the request's requester \(rita\) may decide"):
            svc.decide(a[who], rid, 1, "keep")
        with pytest.raises(PermissionDenied, match="may cancel"):
            svc.cancel(a[who], rid, 1)
        with pytest.raises(PermissionDenied, match=r"only the request's assignee \(sam\) may propose"):
            svc.propose(a[who], rid, 1, "p", "r", "another_way")
    with pytest.raises(PermissionDenied):
        svc.propose(a["rep"], rid, 1, "p", "r", "another_way")
    with pytest.raises(PermissionDenied, match="a support user is asked"):
        _ask(svc, a["support"])
    with pytest.raises(InputError, match="--as USERNAME"):
        svc.decide(CLI, rid, 1, "keep")
    assert svc.get(a["rep"], rid).record.version == 1  # nothing was written


def test_a_stale_version_names_who_changed_what_and_writes_nothing(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    rid = _ask(svc, a["rep"])
    svc.propose(a["support"], rid, 1, proposal=None, rationale=None, reply="as_asked")
    with store.session() as s:
        before = s.scalar(select(func.count()).select_from(models.SupportRequestEvent))
    with pytest.raises(EditConflict) as caught:
        svc.cancel(a["rep"], rid, 1)
    msg = str(caught.value)
    assert msg.startswith(f"request {rid} was changed after the version you saw (1): sam (propose) at ")
    assert "status asked → proposed" in msg and "It is now at version 2" in msg
    assert caught.value.details["current_version"] == 2 and caught.value.details["changed_by"] == ["sam"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(models.SupportRequestEvent)) == before
    assert svc.get(a["rep"], rid).record.status == "proposed"
    with pytest.raises(InputError, match="version 'x'"):
        svc.cancel(a["rep"], rid, "x")


def test_an_answer_on_a_stale_view_of_a_request_decided_since_is_a_conflict_not_a_rule(store: Store) -> None:
    # the requester decided while the assignee's page still showed the ask: the assignee learns
    # who decided what (409), not that decided requests cannot be answered (422)
    svc, a = Requests(store, _no_results), _cast(store)
    rid = _ask(svc, a["rep"])
    svc.decide(a["rep"], rid, 1, "keep")
    with pytest.raises(EditConflict) as caught:
        svc.propose(a["support"], rid, 1, proposal="Bundle it", rationale="cheaper", reply="another_way")
    assert "rita (decide)" in str(caught.value) and "status asked → decided" in str(caught.value)
    assert svc.get(a["support"], rid).record.proposal is None


def test_bad_asks_name_the_field_and_value(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    for over, column, value in (({"assignee": "rob"}, "assignee", "rob"), ({"assignee": "nobody"}, "assignee", "nobody"),
                                ({"kind": "poem"}, "kind", "poem"), ({"colour": "red"}, "colour", "red"),
                                ({"needed_by": "tomorrow"}, "needed_by", "tomorrow")):
        with pytest.raises(InputError) as caught:
            _ask(svc, a["rep"], **over)
        assert (caught.value.column, caught.value.value) == (column, value)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(models.SupportRequestRecord)) == 0


def test_quote_requests_feed_the_turnaround_metric(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    q1 = _ask(svc, a["rep"], kind="quote", opportunity_id="006Q", quote_id="0Q0A")
    _ask(svc, a["rep"], kind="quote")  # no deal: nothing to time
    _ask(svc, a["rep"], kind="legal", opportunity_id="006Q")
    gone = _ask(svc, a["rep"], kind="quote", opportunity_id="006Z")
    svc.cancel(a["rep"], gone, 1)
    found = records.quote_requests(store)
    assert [(o, q) for o, q, _ in found] == [("006Q", "0Q0A")]
    assert found[0][2] == svc.get(CLI, q1).record.created_at


def test_analytics_over_what_the_caller_sees(store: Store) -> None:
    svc, a = Requests(store, _no_results), _cast(store)
    for i in range(6):
        rid = _ask(svc, a["rep"], outcome=f"outcome {i}")
        if i < 4:
            svc.propose(a["support"], rid, 1, "another way", "because", "another_way")
            svc.decide(a["rep"], rid, 2, "accept" if i < 3 else "keep")
            svc.done(a["support"], rid, 3, i != 2)
        else:
            svc.decide(a["rep"], rid, 1, "keep")
    f = svc.analytics(a["manager"])
    rita = f["requesters"]["005R1"]
    assert (rita["consultation_rate"], rita["consultation_rate_n"]) == (4 / 6, 6)
    assert rita["proposal_adoption_rate"] is None and rita["proposal_adoption_rate_reason"] == (
        "4 decided proposals; 5 needed")
    sam = f["assignees"]["005S1"]
    assert (sam["resourcefulness_credit"], sam["adoption_rate_n"], sam["username"]) == (2, 4, "sam")
    assert f["outcomes"]["adopted"]["achieved_rate_n"] == 3
    assert svc.analytics(a["other_rep"])["requesters"] == {}  # sees none of them
    assert svc.per_seller()["005R1"]["consultation_rate_n"] == 6
