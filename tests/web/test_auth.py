"""Logging in and out, session cookies, CSRF, API tokens: on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from web_support import PASSWORD, WebApp, csrf_of

from accountleader import store as app_store
from accountleader.web.app import route_table
from accountleader.web.security import SESSION_COOKIE


def test_login_sets_an_httponly_lax_session_cookie_and_goes_to_next(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    page = c.get("/login?next=/settings")
    assert page.status_code == 200 and 'name="password"' in page.text
    response = c.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_of(page),
                                      "next": "/settings"})
    assert response.status_code == 303 and response.headers["location"] == "/settings"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert c.get("/settings").status_code == 200


def test_login_over_https_marks_the_cookie_secure(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client(base_url="https://testserver")
    response = c.login("ann")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "Secure" in cookie


def test_wrong_password_says_so_and_starts_no_session(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    response = c.login("ann", "not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert SESSION_COOKIE not in c.cookies
    assert c.get("/me").status_code == 303


def test_empty_login_form_asks_for_both_fields(web: WebApp) -> None:
    c = web.client()
    page = c.get("/login")
    response = c.post("/login", data={"username": " ", "password": "", "csrf_token": csrf_of(page)})
    assert response.status_code == 422
    assert "Enter your username and your password." in response.text


def test_login_post_without_the_form_token_is_refused(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    c.get("/login")
    response = c.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "login form expired" in response.text
    assert SESSION_COOKIE not in c.cookies


def test_login_never_redirects_to_another_site(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.client()
    response = c.login("ann", next_url="//evil.example/steal")
    assert response.headers["location"] == "/team"


def test_logout_ends_the_session_on_the_server(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    stolen = c.cookies[SESSION_COOKIE]
    response = c.post("/logout", data={"csrf_token": c.csrf})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    replay = web.client()
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/me").status_code == 303
    assert replay.get("/api/v1/me").status_code == 401


def test_logout_without_csrf_token_keeps_the_session(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    response = c.post("/logout", data={})
    assert response.status_code == 403 and "did not come from this site" in response.text
    assert c.get("/me").status_code == 200


def test_csrf_token_of_one_session_does_not_work_in_another(web: WebApp) -> None:
    web.add_user("ann", "admin")
    first, second = web.logged_in("ann"), web.logged_in("ann")
    assert first.csrf != second.csrf
    response = second.post("/settings", data={"csrf_token": first.csrf, "dark_after_days": "10"})
    assert response.status_code == 403


def test_every_state_changing_route_refuses_a_session_without_csrf(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    writes = [(m, p) for m, p, _ in route_table(web.app) if m in {"POST", "PUT", "PATCH", "DELETE"} and p != "/login"]
    assert len(writes) >= 8
    for method, path in writes:
        response = c.request(method, path, data={"name": "x"})
        assert response.status_code == 403, f"{method} {path} accepted a request without CSRF"
    assert c.get("/me").status_code == 200


def test_anonymous_pages_redirect_to_login_and_api_answers_401(web: WebApp) -> None:
    c = web.client()
    page = c.get("/settings?x=1")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/settings%3Fx%3D1"
    api = c.get("/api/v1/settings")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthorized"
    assert c.get("/api/v1/health").json() == {"status": "ok"}


def test_bearer_token_reads_the_api_without_a_session(web: WebApp) -> None:
    rep = web.add_user("rita", "rep", "005RITA")
    token = app_store.create_token(web.store, user_id=rep.id, name="script")
    c = web.client()
    me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["user"]["username"] == "rita"
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer al_forged"}).status_code == 401
    app_store.revoke_token(web.store, token=token)
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_made_on_the_me_page_is_shown_once_and_works(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    made = c.post("/me/tokens", data={"csrf_token": c.csrf, "name": "nightly"})
    assert made.status_code == 201
    token = made.text.split('id="new-token">')[1].split("<")[0]
    assert web.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in c.get("/me").text
    nameless = c.post("/me/tokens", data={"csrf_token": c.csrf, "name": ""})
    assert nameless.status_code == 422 and "token name must be 1-100 characters" in nameless.text


def test_cookie_authenticated_api_write_needs_the_csrf_header(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    assert c.post("/api/v1/tokens", json={"name": "x"}).status_code == 403
    ok = c.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": c.csrf})
    assert ok.status_code == 201 and ok.json()["token"].startswith("al_")


def test_secret_key_is_made_once_with_owner_only_permissions(web: WebApp) -> None:
    key_file = web.workspace / ".secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    from accountleader.web.security import load_secret_key

    assert load_secret_key(web.workspace) == first.strip()


def test_secret_key_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accountleader.errors import ConfigError
    from accountleader.web.security import load_secret_key

    monkeypatch.setenv("ACCOUNTLEADER_SECRET_KEY", "k" * 40)
    assert load_secret_key(tmp_path) == "k" * 40
    assert not (tmp_path / ".secret_key").exists()
    monkeypatch.setenv("ACCOUNTLEADER_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        load_secret_key(tmp_path)
