"""The playbook store on SQLite and PostgreSQL: fire once, re-arm, never when closed; stale edits
refused naming who changed what; the Scope filter decides who sees and changes a playbook."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accountleader import store as app_store
from accountleader.domain.access import Scope
from accountleader.errors import EditConflict, InputError, NotFoundError, PermissionDenied
from accountleader.store import Store
from accountleader.store import playbooks as records

JUNE, JULY, AUGUST = (datetime(2026, m, 1, tzinfo=UTC) for m in (6, 7, 8))


def _user(store: Store, name: str, role: str = "rep", crm: str | None = "005A") -> app_store.UserPublic:
    return app_store.create_user(store, username=name, password="a-long-password", role=role, crm_user_id=crm)


def _playbook(store: Store, owner: app_store.UserPublic, *, seller: str = "005A", account: str = "001A",
              subject_id: str = "006A") -> records.PlaybookPublic:
    return records.create_playbook(
        store, subject_kind="opportunity", subject_id=subject_id, subject_name="Big deal", subject_owner_id=seller,
        subject_account_id=account, title="Keep the date", trigger_kind="close_date_pushed",
        trigger_params={"times": 2}, actions="Call the sponsor", owner_user_id=owner.id, due_date="2026-09-30",
        by=owner.username)


def _check(store: Store, pid: int, at: datetime, met: bool | None) -> bool:
    return records.record_check(store, playbook_id=pid, as_of=at, met=met, evidence=f"met={met}")


def test_a_trigger_fires_once_while_met_and_again_only_after_it_cleared(store: Store) -> None:
    p = _playbook(store, _user(store, "ann"))
    assert not _check(store, p.id, JUNE, False)
    assert _check(store, p.id, JULY, True)
    assert not _check(store, p.id, JULY, True) and not _check(store, p.id, AUGUST, True)  # stays fired
    assert not _check(store, p.id, JUNE, False)  # an older as-of replayed does not re-arm it
    assert records.get_playbook(store, playbook_id=p.id).trigger_state == "fired"
    assert not _check(store, p.id, datetime(2026, 9, 1, tzinfo=UTC), False)  # cleared later: armed again
    assert _check(store, p.id, datetime(2026, 10, 1, tzinfo=UTC), True)
    fired = records.list_alerts(store, active_only=False)
    assert [a.as_of.month for a in fired] == [10, 7]
    assert [a.as_of.month for a in records.list_alerts(store)] == [10]  # the standing one
    assert [e.event for e in records.playbook_history(store, playbook_id=p.id)] == ["created", "fired", "rearmed", "fired"]


def test_a_closed_playbook_never_fires_and_its_alert_leaves(store: Store) -> None:
    ann = _user(store, "ann")
    p = _playbook(store, ann)
    assert _check(store, p.id, JULY, True)
    records.update_playbook(store, playbook_id=p.id, version=1, changes={"status": "closed"}, by="ann")
    assert records.list_alerts(store) == [] and len(records.list_alerts(store, active_only=False)) == 1
    q = _playbook(store, ann, subject_id="006B")
    records.update_playbook(store, playbook_id=q.id, version=1, changes={"status": "closed"}, by="ann")
    assert not _check(store, q.id, AUGUST, True)
    assert records.open_playbook_ids(store) == []


def test_a_stale_edit_is_refused_naming_who_changed_what(store: Store) -> None:
    ann, bo = _user(store, "ann"), _user(store, "bo", crm="005B")
    p = _playbook(store, ann)
    moved = records.update_playbook(store, playbook_id=p.id, version=1, changes={"owner_user_id": bo.id,
                                                                               "due_date": "2026-10-15"}, by="maria")
    assert moved.version == 2 and moved.owner_username == "bo"
    with pytest.raises(EditConflict) as stale:
        records.update_playbook(store, playbook_id=p.id, version=1, changes={"title": "Mine"}, by="ann")
    said = str(stale.value)
    assert "version you edited (1)" in said and "maria" in said and "owner ann → bo" in said
    assert "due date 2026-09-30 → 2026-10-15" in said and "It is now at version 2" in said
    assert stale.value.details == {"playbook_id": p.id, "your_version": 1, "current_version": 2, "changed_by": ["maria"]}
    kept = records.get_playbook(store, playbook_id=p.id)
    assert kept.title == "Keep the date" and kept.version == 2  # nothing of the stale edit was saved
    same = records.update_playbook(store, playbook_id=p.id, version=2, changes={"title": "Keep the date"}, by="ann")
    assert same.version == 2  # no change, no new version
    events = records.playbook_history(store, playbook_id=p.id)
    assert events[-1].event == "edited" and events[-1].actor == "maria"


def test_changing_the_trigger_arms_it_again(store: Store) -> None:
    p = _playbook(store, _user(store, "ann"))
    assert _check(store, p.id, JULY, True)
    changed = records.update_playbook(store, playbook_id=p.id, version=1, changes={"trigger_params": {"times": 3}})
    assert changed.trigger_state == "armed" and changed.trigger == "close date pushed 3 times or more"


def test_the_scope_decides_who_sees_and_changes_a_playbook(store: Store) -> None:
    ann = _user(store, "ann")
    sue = _user(store, "sue", role="support", crm="005S")
    mine = _playbook(store, ann, seller="005A", account="001A", subject_id="006A")
    theirs = _playbook(store, ann, seller="005B", account="001B", subject_id="006B")
    rep_a = Scope("rep", "005A", frozenset({"005A"}), None, frozenset({"East"}))
    manager = Scope("manager", "005M", frozenset({"005M", "005B"}), None, frozenset({"West"}))
    support = Scope("support", "005S", frozenset(), frozenset({"001B"}), frozenset())
    assert [p.id for p in records.list_playbooks(store, scope=rep_a)] == [mine.id]
    assert [p.id for p in records.list_playbooks(store, scope=manager)] == [theirs.id]
    assert [p.id for p in records.list_playbooks(store, scope=support)] == [theirs.id]
    with pytest.raises(NotFoundError, match=f"no playbook {theirs.id}"):
        records.get_playbook(store, playbook_id=theirs.id, scope=rep_a)
    with pytest.raises(NotFoundError):
        records.update_playbook(store, playbook_id=theirs.id, version=1, changes={"title": "x"}, scope=rep_a)
    with pytest.raises(NotFoundError):
        records.update_playbook(store, playbook_id=mine.id, version=1, changes={"status": "closed"}, scope=manager)
    assert records.update_playbook(store, playbook_id=theirs.id, version=1, changes={"title": "Team's"},
                                   scope=manager).version == 2
    with pytest.raises(PermissionDenied):  # support sees it through a case, but changes only their own
        records.update_playbook(store, playbook_id=theirs.id, version=2, changes={"title": "x"}, scope=support,
                                user_id=sue.id)
    assert records.list_alerts(store, scope=rep_a) == []


def test_bad_values_are_refused_naming_the_field(store: Store) -> None:
    ann = _user(store, "ann")
    p = _playbook(store, ann)
    with pytest.raises(InputError, match="cannot change subject_id"):
        records.update_playbook(store, playbook_id=p.id, version=1, changes={"subject_id": "006Z"})
    with pytest.raises(InputError, match="status 'done' is not one of open, closed"):
        records.update_playbook(store, playbook_id=p.id, version=1, changes={"status": "done"})
    with pytest.raises(InputError, match="no active user with id 999"):
        records.update_playbook(store, playbook_id=p.id, version=1, changes={"owner_user_id": 999})
    with pytest.raises(InputError, match="a playbook needs a title"):
        records.create_playbook(store, subject_kind="opportunity", subject_id="006A", subject_name=None,
                                subject_owner_id="005A", subject_account_id=None, title="  ",
                                trigger_kind="amount_cut", trigger_params=None, actions="x", owner_user_id=ann.id,
                                due_date="2026-09-30", by=None)
    assert records.get_playbook(store, playbook_id=p.id).version == 1
