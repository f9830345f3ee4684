"""The app database on SQLite and PostgreSQL: users, passwords, sessions, tokens, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from accountleader.errors import ConfigError, InputError, NotFoundError
from accountleader.store import (
    authenticate,
    create_session,
    create_token,
    create_user,
    get_session,
    get_setting,
    get_settings,
    list_users,
    open_store,
    revoke_session,
    revoke_token,
    revoke_user_sessions,
    set_password,
    set_role,
    set_setting,
    verify_token,
)
from accountleader.store.models import ApiToken, Base, User, WebSession


def test_opening_migrates_an_empty_database_to_the_models(database_url: str) -> None:
    store = open_store(database_url)
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert {"users", "sessions", "api_tokens", "settings", "alembic_version"} <= tables
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"migration and models disagree: {diff}"
    finally:
        store.close()


def test_opening_twice_is_idempotent(database_url: str) -> None:
    first = open_store(database_url)
    create_user(first, username="ann", password="s3cret-pass", role="admin")
    first.close()
    second = open_store(database_url)
    assert [u.username for u in list_users(second)] == ["ann"]
    second.close()


def test_unreachable_database_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as err:
        open_store("postgresql+psycopg://app:hunter2@127.0.0.1:1/nope")
    assert "hunter2" not in str(err.value)
    assert "127.0.0.1:1" in str(err.value)


def test_password_is_stored_as_argon2_hash_and_verified(store) -> None:
    ann = create_user(store, username="Ann.Rep", password="correct horse", role="rep", crm_user_id="005A")
    assert ann.username == "ann.rep"
    with store.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == ann.id))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert authenticate(store, username="ANN.REP", password="correct horse") == ann
    assert authenticate(store, username="ann.rep", password="wrong horse") is None
    assert authenticate(store, username="nobody", password="correct horse") is None
    assert authenticate(store, username="not a name!", password="x") is None


def test_changed_password_replaces_the_old_one(store) -> None:
    create_user(store, username="ann", password="first-password", role="admin")
    set_password(store, username="ann", password="second-password")
    assert authenticate(store, username="ann", password="first-password") is None
    assert authenticate(store, username="ann", password="second-password") is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "bad name", "role": "rep", "crm_user_id": "005"}, "username 'bad name' is not valid"),
        ({"username": "ann", "role": "boss", "crm_user_id": "005"}, "role 'boss' is not one of admin, manager, rep, support"),
        ({"username": "ann", "role": "rep"}, "a rep must be linked to a CRM user id"),
        ({"username": "ann", "role": "admin", "password": "short"}, "password is too short"),
    ],
)
def test_bad_user_input_names_the_problem(store, kwargs: dict, message: str) -> None:
    kwargs.setdefault("password", "long-enough-password")
    with pytest.raises(InputError, match=message):
        create_user(store, **kwargs)
    assert list_users(store) == []


def test_usernames_are_unique_regardless_of_case(store) -> None:
    create_user(store, username="ann", password="password-1", role="admin")
    with pytest.raises(InputError, match="user 'ann' already exists"):
        create_user(store, username="ANN", password="password-2", role="admin")
    assert len(list_users(store)) == 1


def test_manager_promoted_from_rep_keeps_crm_link(store) -> None:
    create_user(store, username="bo", password="password-1", role="rep", crm_user_id="005B")
    bo = set_role(store, username="bo", role="manager")
    assert (bo.role, bo.crm_user_id) == ("manager", "005B")
    with pytest.raises(NotFoundError, match="no user named 'ghost'"):
        set_role(store, username="ghost", role="admin")
    with pytest.raises(InputError, match="role 'owner'"):
        set_role(store, username="bo", role="owner")


def test_list_users_is_sorted_and_never_exposes_hashes(store) -> None:
    create_user(store, username="zed", password="password-1", role="support", crm_user_id="005Z")
    create_user(store, username="amy", password="password-1", role="manager", crm_user_id="005M")
    people = list_users(store)
    assert [u.username for u in people] == ["amy", "zed"]
    assert all("password_hash" not in u.as_dict() for u in people)


def test_session_lives_until_logout(store) -> None:
    ann = create_user(store, username="ann", password="password-1", role="admin")
    token = create_session(store, user_id=ann.id)
    info = get_session(store, token=token)
    assert info is not None and info.user == ann
    with store.session() as s:
        assert token not in {r for r in s.scalars(select(WebSession.token_hash))}
    assert revoke_session(store, token=token) is True
    assert get_session(store, token=token) is None
    assert revoke_session(store, token=token) is False


def test_expired_session_and_unknown_token_are_refused(store) -> None:
    ann = create_user(store, username="ann", password="password-1", role="admin")
    expired = create_session(store, user_id=ann.id, lifetime=timedelta(seconds=-1))
    assert get_session(store, token=expired) is None
    assert get_session(store, token="made-up") is None
    assert get_session(store, token="") is None


def test_revoking_all_sessions_logs_a_user_out_everywhere(store) -> None:
    ann = create_user(store, username="ann", password="password-1", role="admin")
    tokens = [create_session(store, user_id=ann.id) for _ in range(3)]
    assert revoke_user_sessions(store, user_id=ann.id) == 3
    assert all(get_session(store, token=t) is None for t in tokens)


def test_api_token_is_shown_once_and_stored_hashed(store) -> None:
    rep = create_user(store, username="rep", password="password-1", role="rep", crm_user_id="005R")
    token = create_token(store, user_id=rep.id, name="nightly export")
    assert token.startswith("al_") and len(token) > 40
    with store.session() as s:
        hashes = list(s.scalars(select(ApiToken.token_hash)))
    assert token not in hashes and len(hashes) == 1
    assert verify_token(store, token=token) == rep
    assert verify_token(store, token=token + "x") is None
    assert verify_token(store, token="Bearer nonsense") is None
    assert revoke_token(store, token=token) is True
    assert verify_token(store, token=token) is None


def test_token_for_unknown_user_or_without_name_is_refused(store) -> None:
    with pytest.raises(NotFoundError):
        create_token(store, user_id=999, name="x")
    ann = create_user(store, username="ann", password="password-1", role="admin")
    with pytest.raises(InputError, match="token name"):
        create_token(store, user_id=ann.id, name="  ")


def test_settings_round_trip_and_record_who_changed_them(store) -> None:
    ann = create_user(store, username="ann", password="password-1", role="admin")
    assert get_setting(store, key="sla.quote_business_days", default=2.0) == 2.0
    set_setting(store, key="sla.quote_business_days", value=3.5, user_id=ann.id)
    set_setting(store, key="sla.quote_business_days", value=1.5, user_id=ann.id)
    set_setting(store, key="stages_%", value=["Proposal", "Quote"])
    assert get_setting(store, key="sla.quote_business_days") == 1.5
    assert get_settings(store, prefix="sla.") == {"sla.quote_business_days": 1.5}
    assert get_settings(store, prefix="stages_%") == {"stages_%": ["Proposal", "Quote"]}


def test_deleting_a_user_removes_their_sessions_and_tokens(store) -> None:
    ann = create_user(store, username="ann", password="password-1", role="admin")
    session_token = create_session(store, user_id=ann.id)
    api_token = create_token(store, user_id=ann.id, name="t")
    with store.session() as s:
        s.delete(s.get(User, ann.id))
    assert get_session(store, token=session_token) is None
    assert verify_token(store, token=api_token) is None
    with store.session() as s:
        assert s.scalars(select(WebSession)).all() == []
