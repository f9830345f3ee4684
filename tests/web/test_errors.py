"""One HTML error page, one JSON error shape, and never a stack trace."""

from __future__ import annotations

from pathlib import Path

from web_support import WebApp

from accountleader.web.app import HERE


def test_unknown_page_is_a_friendly_404_and_unknown_api_path_a_json_404(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    page = c.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and "nothing at /no/such/page" in page.text
    api = c.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json() == {"error": {"code": "not_found", "message": "nothing at /api/v1/no-such-thing"}}


def test_wrong_method_and_bad_query_use_the_same_shapes(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    assert c.request("DELETE", "/api/v1/settings").json()["error"]["code"] == "method_not_allowed"
    bad = c.get("/api/v1/team", params={"team": "x" * 500})
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("team: String should have at most 200 characters")


def test_a_bug_shows_a_plain_500_without_the_traceback(web: WebApp) -> None:
    @web.app.get("/api/v1/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internals: /etc/shadow")

    @web.app.get("/boom", include_in_schema=False)
    def boom_page() -> None:
        raise RuntimeError("secret internals: /etc/shadow")

    c = web.client()
    api = c.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.json() == {"error": {"code": "internal_error",
                                    "message": "something went wrong on our side; it has been logged"}}
    page = c.get("/boom")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "Traceback" not in page.text and "/etc/shadow" not in page.text + api.text


def test_every_response_carries_security_headers(web: WebApp) -> None:
    response = web.client().get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_htmx_is_served_from_the_package_and_no_page_loads_a_cdn(web: WebApp) -> None:
    c = web.client()
    js = c.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:2000] and len(js.content) > 40_000
    assert c.get("/static/app.css").status_code == 200
    for template in Path(HERE / "templates").rglob("*.html"):
        text = template.read_text()
        assert "://" not in text.replace("http://www.w3.org", ""), f"{template.name} loads something remote"


def test_openapi_documents_the_api_and_its_error_shape(web: WebApp) -> None:
    spec = web.client().get("/api/v1/openapi.json").json()
    assert "/api/v1/team" in spec["paths"] and "/api/v1/accounts/{account_id}" in spec["paths"]
    assert "/team" not in spec["paths"], "HTML pages are not part of the API schema"
    assert "ErrorBody" in spec["components"]["schemas"]
    assert "404" in spec["paths"]["/api/v1/accounts/{account_id}"]["get"]["responses"]
