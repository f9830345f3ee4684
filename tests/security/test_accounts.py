"""Account lifecycle and login protection: password changes and disables end every session and
token; tokens expire and are read-only unless made for writing; logins are throttled per account
and per address; the login form expires; everything lands in the audit log. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from web_support import PASSWORD, WebApp, csrf_of

from accountleader import store as app_store
from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.store.models import ApiToken, utcnow
from accountleader.web import security
from accountleader.web.ratelimit import LoginLimiter

NEW_PASSWORD = "a-brand-new-password"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def bad_login(c, username: str):  # type: ignore[no-untyped-def]
    return c.login(username, "not-the-password")


# -- a password change or a disable ends everything -------------------------------------------


def test_admin_password_change_kills_the_old_session_and_the_old_token(web: WebApp) -> None:
    web.add_user("ann", "admin")
    rita = web.add_user("rita", "rep", "005RITA")
    token = app_store.create_token(web.store, user_id=rita.id, name="script")
    old = web.logged_in("rita")
    assert old.get("/api/v1/me").status_code == 200
    assert web.client().get("/api/v1/me", headers=bearer(token)).status_code == 200

    admin = web.logged_in("ann")
    changed = admin.post("/admin/users/rita/password", data={"csrf_token": admin.csrf, "password": NEW_PASSWORD})
    assert changed.status_code == 200 and "sessions and tokens ended" in changed.text

    assert old.get("/api/v1/me").status_code == 401
    assert web.client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert web.client().login("rita").status_code == 401
    assert web.client().login("rita", NEW_PASSWORD).status_code == 303


def test_own_password_change_needs_the_current_one_and_ends_other_sessions_and_tokens(web: WebApp) -> None:
    rita = web.add_user("rita", "rep", "005RITA")
    token = app_store.create_token(web.store, user_id=rita.id, name="script")
    other = web.logged_in("rita")
    here = web.logged_in("rita")
    wrong = here.post("/me/password", data={"csrf_token": here.csrf, "current_password": "nope-nope",
                                            "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    assert other.get("/api/v1/me").status_code == 200

    done = here.post("/me/password", data={"csrf_token": here.csrf, "current_password": PASSWORD,
                                           "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 200 and "password changed" in done.text
    assert here.get("/api/v1/me").status_code == 200, "the session that changed it goes on with a new cookie"
    assert other.get("/api/v1/me").status_code == 401
    assert web.client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_disabled_user_cannot_log_in_or_use_a_token_or_an_old_session(web: WebApp) -> None:
    web.add_user("ann", "admin")
    rita = web.add_user("rita", "rep", "005RITA")
    token = app_store.create_token(web.store, user_id=rita.id, name="script")
    session = web.logged_in("rita")
    admin = web.logged_in("ann")
    assert admin.post("/admin/users/rita/disable", data={"csrf_token": admin.csrf}).status_code == 200

    response = web.client().login("rita")
    assert response.status_code == 401 and "Wrong username or password." in response.text
    assert session.get("/api/v1/me").status_code == 401
    assert web.client().get("/api/v1/me", headers=bearer(token)).status_code == 401

    assert admin.post("/admin/users/rita/enable", data={"csrf_token": admin.csrf}).status_code == 200
    assert web.client().login("rita").status_code == 303
    assert web.client().get("/api/v1/me", headers=bearer(token)).status_code == 401, "old tokens stay revoked"


def test_an_admin_cannot_disable_themselves(web: WebApp) -> None:
    web.add_user("ann", "admin")
    admin = web.logged_in("ann")
    response = admin.post("/admin/users/ann/disable", data={"csrf_token": admin.csrf})
    assert response.status_code == 422 and "cannot disable yourself" in response.text
    assert admin.get("/me").status_code == 200


def test_users_page_is_admin_only_and_has_a_json_twin_without_secrets(web: WebApp) -> None:
    admin = web.add_user("ann", "admin")
    web.add_user("rita", "rep", "005RITA")
    app_store.create_token(web.store, user_id=admin.id, name="nightly", days=7)
    rep = web.logged_in("rita")
    assert rep.get("/admin/users").status_code == 403
    assert rep.get("/api/v1/users").status_code == 403
    c = web.logged_in("ann")
    page = c.get("/admin/users")
    assert page.status_code == 200 and "rita" in page.text and "nightly" in page.text
    listed = c.get("/api/v1/users").json()
    assert [u["username"] for u in listed["users"]] == ["ann", "rita"]
    (tok,) = listed["tokens"]
    assert tok["scope"] == "read" and tok["status"] == "active" and tok["name"] == "nightly"
    assert "password_hash" not in json.dumps(listed) and "token_hash" not in json.dumps(listed)


def test_admin_revokes_a_token_by_id_over_the_api_with_csrf(web: WebApp) -> None:
    web.add_user("ann", "admin")
    rita = web.add_user("rita", "rep", "005RITA")
    token = app_store.create_token(web.store, user_id=rita.id, name="script")
    c = web.logged_in("ann")
    token_id = c.get("/api/v1/users").json()["tokens"][0]["id"]
    assert c.post(f"/api/v1/tokens/{token_id}/revoke").status_code == 403, "no CSRF token"
    done = c.post(f"/api/v1/tokens/{token_id}/revoke", headers={"X-CSRF-Token": c.csrf})
    assert done.status_code == 200 and done.json()["token"]["status"] == "revoked"
    assert web.client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert c.post("/api/v1/tokens/99999/revoke", headers={"X-CSRF-Token": c.csrf}).status_code == 404


# -- tokens: scope, expiry, no minting --------------------------------------------------------


def test_a_token_cannot_mint_a_token(web: WebApp) -> None:
    ann = web.add_user("ann", "admin")
    for write in (False, True):
        token = app_store.create_token(web.store, user_id=ann.id, name="script", write=write)
        response = web.client().post("/api/v1/tokens", json={"name": "child"}, headers=bearer(token))
        assert response.status_code == 403, response.text
    assert len(app_store.list_tokens(web.store)) == 2


def test_a_read_only_token_is_refused_on_every_write(web: WebApp) -> None:
    ann = web.add_user("ann", "admin")
    token = app_store.create_token(web.store, user_id=ann.id, name="reader")
    c = web.client()
    assert c.get("/api/v1/settings", headers=bearer(token)).status_code == 200
    put = c.put("/api/v1/settings", json={"dark_after_days": 10}, headers=bearer(token))
    assert put.status_code == 403 and "read-only" in put.json()["error"]["message"]
    assert c.post("/api/v1/analyze", headers=bearer(token)).status_code == 403
    assert c.post("/api/v1/users/ann/disable", headers=bearer(token)).status_code == 403
    writer = app_store.create_token(web.store, user_id=ann.id, name="writer", write=True)
    assert c.put("/api/v1/settings", json={"dark_after_days": 10}, headers=bearer(writer)).status_code == 200


def test_an_expired_token_is_refused(web: WebApp) -> None:
    ann = web.add_user("ann", "admin")
    token = app_store.create_token(web.store, user_id=ann.id, name="script", days=1)
    c = web.client()
    assert c.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with web.store.session() as s:
        s.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert c.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert app_store.list_tokens(web.store)[0].status() == "expired"


def test_token_lifetime_is_bounded_and_made_read_only_by_default_on_the_me_page(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    made = c.post("/me/tokens", data={"csrf_token": c.csrf, "name": "nightly", "days": "30"})
    assert made.status_code == 201 and "read-only, valid 30 days" in made.text
    too_long = c.post("/api/v1/tokens", json={"name": "forever", "days": 10_000}, headers={"X-CSRF-Token": c.csrf})
    assert too_long.status_code == 400 and "1-366 days" in too_long.json()["error"]["message"]


# -- login throttling -------------------------------------------------------------------------


def test_the_eleventh_bad_login_in_a_minute_gets_429_with_retry_after(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    for _ in range(10):
        assert bad_login(c, "ann").status_code == 401
    eleventh = bad_login(c, "ann")
    assert eleventh.status_code == 429
    assert 0 < int(eleventh.headers["Retry-After"]) <= 60
    assert "Too many wrong passwords" in eleventh.text
    # even the right password waits: the lock is checked before the password
    assert web.client().login("ann").status_code == 429


def test_one_address_guessing_across_accounts_is_throttled_too(web: WebApp) -> None:
    c = web.client()
    for i in range(10):
        assert bad_login(c, f"nobody{i}").status_code == 401
    assert bad_login(c, "someone-else").status_code == 429


def test_limiter_backs_off_exponentially_and_stays_bounded() -> None:
    now = [0.0]
    limiter = LoginLimiter(limit=3, window=60, max_wait=600, capacity=5, clock=lambda: now[0])
    keys = limiter.keys("ann", "10.0.0.1")
    waits = []
    for _ in range(5):
        for _ in range(3):
            limiter.failed(keys)
        waits.append(limiter.retry_after(keys))
        now[0] += waits[-1]
        assert limiter.retry_after(keys) == 0
    assert waits == [60, 120, 240, 480, 600]
    for i in range(50):
        limiter.failed(limiter.keys(f"user{i}", f"10.1.0.{i}"))
    assert len(limiter) == 5


def test_a_good_login_clears_the_account_count(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    for _ in range(9):
        bad_login(c, "ann")
    assert web.client().login("ann").status_code == 303
    assert bad_login(web.client(), "ann").status_code == 401


def test_unknown_user_still_costs_an_argon2_verify(web: WebApp, monkeypatch: pytest.MonkeyPatch) -> None:
    from accountleader.store import users

    calls = []
    real = users._verify
    monkeypatch.setattr(users, "_verify", lambda h, p: calls.append(h) or real(h, p))
    assert app_store.authenticate(web.store, username="nobody", password="whatever-1") is None
    assert calls == [users._DUMMY_HASH]


# -- the login form expires ---------------------------------------------------------------------


def test_an_old_login_form_is_refused(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    old_nonce = security.new_nonce(now=utcnow().timestamp() - security.LOGIN_FORM_LIFETIME - 5)
    c.cookies.set(security.LOGIN_NONCE_COOKIE, old_nonce)
    form = security.login_csrf_token(web.app.state.al.secret_key, old_nonce)
    response = c.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": form})
    assert response.status_code == 403 and "login form expired" in response.text
    # the page it shows carries a fresh nonce, so trying again works
    again = c.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_of(response)})
    assert again.status_code == 303


def test_nonce_freshness() -> None:
    now = 1_700_000_000.0
    assert security.login_nonce_fresh(security.new_nonce(now), now=now + 3599)
    assert not security.login_nonce_fresh(security.new_nonce(now), now=now + 3601)
    assert not security.login_nonce_fresh("no-timestamp-here", now=now)
    assert not security.login_nonce_fresh(security.new_nonce(now + 3600), now=now), "from the future"


# -- the audit log ----------------------------------------------------------------------------


def test_logins_and_admin_actions_are_in_the_audit_log(web: WebApp) -> None:
    web.add_user("ann", "admin")
    web.add_user("rita", "rep", "005RITA")
    bad_login(web.client(), "rita")
    c = web.logged_in("ann")
    c.post("/admin/users/rita/disable", data={"csrf_token": c.csrf})
    c.post("/settings", data={"csrf_token": c.csrf, "dark_after_days": "10"})
    events = [(e.event, e.actor, e.subject, e.success) for e in app_store.list_audit(web.store, limit=20)]
    assert ("login", "rita", None, False) in events
    assert ("login", "ann", None, True) in events
    assert ("user_disable", "ann", "rita", True) in events
    assert ("settings_save", "ann", None, True) in events
    assert ("user_add", None, "rita", True) in events
    login = next(e for e in app_store.list_audit(web.store, limit=20) if e.event == "login")
    assert login.address == "127.0.0.1"


# -- the command line -------------------------------------------------------------------------


def run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


@pytest.fixture
def cli_ws(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ACCOUNTLEADER_DATABASE_URL", database_url)
    return str(tmp_path / "ws")


def test_cli_lifecycle_passwd_disable_tokens_and_audit(cli_ws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    ws = cli_ws
    assert run("-w", ws, "users", "add", "rita", "--role", "rep", "--crm-user-id", "005R", "--password", PASSWORD)[0] == 0
    code, con = run("-w", ws, "users", "token", "rita", "--name", "nightly", "--days", "7", "--write")
    assert code == 0, con.errors
    secret = con.out.strip()
    code, con = run("-w", ws, "users", "tokens", "list", "rita", "--json")
    (tok,) = json.loads(con.out)
    assert tok["scope"] == "write" and tok["status"] == "active" and secret not in con.out

    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))
    code, con = run("-w", ws, "users", "passwd", "rita", "--password-stdin")
    assert code == 0 and "1 sessions and tokens ended" in con.out, con.errors
    code, con = run("-w", ws, "users", "tokens", "list", "--json")
    assert json.loads(con.out)[0]["status"] == "revoked"

    assert run("-w", ws, "users", "disable", "rita")[0] == 0
    code, con = run("-w", ws, "users", "list", "--json")
    assert json.loads(con.out)[0]["active"] is False
    assert run("-w", ws, "users", "enable", "rita")[0] == 0

    code, con = run("-w", ws, "users", "token", "rita", "--days", "0")
    assert code == 2 and "1-366 days" in con.errors
    code, con = run("-w", ws, "users", "tokens", "revoke", "424242")
    assert code == 2 and "no API token with id 424242" in con.errors

    code, con = run("-w", ws, "users", "audit", "--limit", "10", "--json")
    events = [e["event"] for e in json.loads(con.out)]
    assert events[:5] == ["user_enable", "user_disable", "user_passwd", "token_create", "user_add"]
    code, con = run("-w", ws, "users", "audit", "--limit", "0")
    assert code == 2 and "limit" in con.errors
