"""Odd ids, odd query values and response headers.

* A NUL (or any control / invalid) character in an id is 404 on every route with a path
  parameter, and leaves no traceback in the log (it used to reach DuckDB and end as a 500).
* Pages and JSON carry ``Cache-Control: no-store``; static files do not.
* Static URLs are paths, never built from the Host header.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest
from web_support import WebApp

from accountleader.web.app import route_table

# Percent-encoded as a client sends them: NUL, a C0 control, DEL, a C1 control, invalid UTF-8
# (a lone surrogate), a right-to-left override, a zero-width space, a newline.
ODD_IDS = ["a%00b", "%00", "x%01", "x%7F", "x%C2%85", "%ED%A0%80", "x%E2%80%AEy", "x%E2%80%8By", "a%0Ab"]
PARAM = re.compile(r"\{[^}]+\}")


@pytest.fixture
def admin(web: WebApp):  # noqa: ANN201 - a logged-in client
    web.add_user("ann", "admin")
    return web.logged_in("ann")


def _id_routes(web: WebApp) -> list[tuple[str, str]]:
    routes = sorted({(m, p) for m, p, _ in route_table(web.app) if PARAM.search(p)})
    assert len(routes) >= 6, routes  # sellers, accounts, opportunities: page and API twin each
    return routes


def test_an_odd_byte_in_any_id_is_404_with_no_traceback(web: WebApp, admin, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO)
    for method, template in _id_routes(web):
        for odd in ODD_IDS:
            url = PARAM.sub(odd, template)
            response = admin.request(method, url, headers={"X-CSRF-Token": admin.csrf or ""})
            assert response.status_code == 404, (method, url, response.status_code, response.text[:200])
            assert "Traceback" not in response.text
            if template.startswith("/api/"):
                assert response.json()["error"]["code"] == "not_found"
            assert response.headers["cache-control"] == "no-store"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]


def test_an_odd_id_is_404_before_login_too(web: WebApp) -> None:
    c = web.client()
    assert c.get("/api/v1/sellers/a%00b").status_code == 404
    assert c.get("/accounts/%00").status_code == 404


def test_ordinary_ids_are_not_refused(web: WebApp, admin) -> None:  # noqa: ANN001
    """Unicode letters, spaces and punctuation are fine in an id (mapped CSV ids may hold them):
    they reach the route, which answers as it does for any unknown id (here: no data yet)."""
    for url in ("/api/v1/accounts/NOPE", "/api/v1/sellers/" + quote("Ünïcode-id"), "/api/v1/opportunities/a%20b-c.d_e"):
        response = admin.get(url)
        assert response.status_code < 500 and response.json()["error"]["message"] != "nothing at this address", url


def test_an_odd_query_value_is_422_not_500(web: WebApp, admin, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO)
    for url in ("/api/v1/team?team=%00", "/team?team=a%01b", "/api/v1/team?team=%FF"):
        response = admin.get(url)
        assert response.status_code == 422, (url, response.status_code)
        assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


PAGES = ["/login", "/me", "/team", "/settings", "/import", "/nowhere"]
API = ["/api/v1/health", "/api/v1/me", "/api/v1/settings", "/api/v1/team", "/api/v1/openapi.json", "/api/v1/nowhere"]


def test_pages_and_json_are_not_stored_static_files_may_be(web: WebApp, admin) -> None:  # noqa: ANN001
    anonymous = web.client()
    for client, urls in ((admin, PAGES + API), (anonymous, ["/login", "/team", "/api/v1/me", "/api/v1/health"])):
        for url in urls:
            response = client.get(url)
            assert response.headers.get("cache-control") == "no-store", (url, response.status_code, response.headers)
            assert response.headers["x-content-type-options"] == "nosniff"
    static = anonymous.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_static_urls_never_come_from_the_host_header(web: WebApp) -> None:
    web.add_user("ann", "admin")
    evil = "evil.example"
    pages = 0
    for c, urls in ((web.client(base_url=f"http://{evil}"), ["/login", "/nowhere"]),
                    (web.logged_in("ann", base_url=f"http://{evil}"), ["/team", "/settings", "/me", "/import", "/nowhere"])):
        for url in urls:
            response = c.get(url, headers={"host": evil, "x-forwarded-host": evil})
            assert evil not in response.text and evil not in response.headers.get("location", ""), url
            links = re.findall(r'(?:href|src)="([^"]*static[^"]*)"', response.text)
            assert all(link.startswith("/static/") for link in links), (url, links)
            pages += bool(links)
    assert pages >= 5
