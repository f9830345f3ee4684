"""A page of a kept snapshot keeps its as-of in every link it offers.

The demo company is analysed at its default as-of (the current results) and once more, a month
earlier, kept as a snapshot that is not current. Every page shown for that earlier date must send
each click (links, htmx URLs, form actions, redirects, the JSON twin) to the same date; the pages
of the current results keep their URLs clean. Links are read by parsing the HTML, not by regex.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from demo_support import demo_template, private_copy
from web_support import DEMO_SCALE, DEMO_SEED, AppClient, WebApp, fresh_database_url

from accountleader.domain.as_of import AsOf
from accountleader.workspace import Workspace

# -- reading the links of a page ---------------------------------------------------------------

URL_ATTRS = ("href", "action", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete")
SNAPSHOT_SWITCHER = "results-as-of"  # the paragraph whose links deliberately change the as-of


@dataclass
class Link:
    tag: str
    attr: str
    url: str
    hidden: dict[str, str] = field(default_factory=dict)  # a form's hidden inputs
    method: str = "get"

    def as_of(self) -> str | None:
        """The as-of this link leads to: in its query, or (a GET form) in its hidden fields."""
        found = parse_qs(urlsplit(self.url).query).get("as_of")
        if found:
            return found[-1]
        if self.tag == "form" and self.method == "get":
            return self.hidden.get("as_of")
        return None


class LinkParser(HTMLParser):
    """Every URL attribute of a page, the links that switch snapshot apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self.switchers: list[Link] = []
        self._switcher_depth = 0
        self._forms: list[list[Link]] = []
        self._form_hidden: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._switcher_depth:
            self._switcher_depth += tag not in {"br", "input", "img"}
        elif a.get("id") == SNAPSHOT_SWITCHER:
            self._switcher_depth = 1
        found = [Link(tag, k, a[k], method=a.get("method", "get").lower()) for k in URL_ATTRS if k in a]
        (self.switchers if self._switcher_depth else self.links).extend(found)
        if tag == "form":
            self._forms.append(found)
            self._form_hidden.append({})
        elif tag == "input" and a.get("type") == "hidden" and self._form_hidden:
            self._form_hidden[-1][a.get("name", "")] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if self._switcher_depth:
            self._switcher_depth -= 1
        if tag == "form" and self._forms:
            hidden = self._form_hidden.pop()
            for link in self._forms.pop():
                link.hidden = hidden


def links_of(html: str) -> LinkParser:
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    return parser


def internal(links: list[Link]) -> list[Link]:
    """Links within the app that should keep the as-of: not static files, the API schema,
    logging out, another site, or an anchor on the same page."""
    out = []
    for link in links:
        url = link.url
        if url.startswith(("http:", "https:", "//", "mailto:", "#", "javascript:")):
            continue
        path = urlsplit(url).path
        if path.startswith("/static/") or path in {"/logout", "/api/v1/openapi.json"}:
            continue
        out.append(link)
    return out


def assert_all_carry(page_url: str, html: str, as_of: str, *, at_least: int = 1) -> list[Link]:
    found = internal(links_of(html).links)
    assert len(found) >= at_least, f"{page_url}: only {len(found)} internal links"
    wrong = [(link.tag, link.attr, link.url) for link in found if link.as_of() != as_of]
    assert not wrong, f"{page_url}: links that do not carry as_of={as_of}: {wrong}"
    return found


def assert_none_carry(page_url: str, html: str) -> list[Link]:
    found = internal(links_of(html).links)
    assert found, f"{page_url}: no internal links"
    pinned = [(link.tag, link.attr, link.url) for link in found if "as_of" in link.url or link.as_of()]
    assert not pinned, f"{page_url}: links of the current results that name an as-of: {pinned}"
    return found


def shown_as_of(html: str) -> str:
    marker = "Results as of <strong>"
    assert marker in html, "the page does not name its as-of"
    return html.split(marker, 1)[1][:10]


# -- the demo company with a second, earlier snapshot -----------------------------------------


@dataclass
class Snapshots:
    web: WebApp
    admin: AppClient
    rep: AppClient
    rep_id: str
    current: str
    earlier: str
    seller: str  # a seller with next best actions that link somewhere, at the earlier date
    account: str
    opportunity: str
    team: str


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshots]:
    template, _, _ = demo_template(tmp_path_factory, seed=DEMO_SEED, scale=DEMO_SCALE)
    base = tmp_path_factory.mktemp("as-of-links")
    path = private_copy(template, base / "workspace")
    with Workspace.open(path) as ws:
        current = next(s["date"] for s in ws.snapshots() if s["current"])
        earlier = (AsOf.parse(current).date - timedelta(days=31)).isoformat()
        ws.analyze(as_of=earlier, current=False)  # as `report --as-of` keeps it: not the web's default
        assert [(s["date"], s["current"]) for s in ws.snapshots()] == [(earlier, False), (current, True)]
    web = WebApp(path, fresh_database_url("sqlite", base))
    try:
        web.add_user("boss", "admin")
        admin = web.logged_in("boss")
        q = f"?as_of={earlier}"
        sellers = admin.get(f"/api/v1/sellers{q}").json()["sellers"]
        seller = next(s["user_id"] for s in sellers
                      if any(a["href"] for a in admin.get(f"/api/v1/sellers/{s['user_id']}{q}").json()["next_best_actions"]))
        account = admin.get(f"/api/v1/accounts{q}").json()["accounts"][0]["account_id"]
        opportunity = admin.get(f"/api/v1/opportunities{q}").json()["opportunities"][0]["opportunity_id"]
        team = admin.get(f"/api/v1/team{q}").json()["teams"][0]["team"]
        rep_id = sellers[0]["user_id"]
        web.add_user("rita", "rep", crm_user_id=rep_id)
        yield Snapshots(web, admin, web.logged_in("rita"), rep_id, current, earlier, seller, account, opportunity,
                        team)
    finally:
        web.close()


def _pages(s: Snapshots) -> list[str]:
    """The main pages (the admin sees them all)."""
    return ["/team", f"/team?team={s.team}", f"/sellers/{s.seller}", f"/accounts/{s.account}",
            f"/opportunities/{s.opportunity}", "/me", "/settings", "/import", "/admin/users"]


def _at(url: str, as_of: str) -> str:
    return url + ("&" if "?" in url else "?") + f"as_of={as_of}"


# -- the tests ---------------------------------------------------------------------------------


def test_every_link_on_every_page_of_a_kept_snapshot_carries_its_as_of(snaps: Snapshots) -> None:
    for page in _pages(snaps):
        url = _at(page, snaps.earlier)
        response = snaps.admin.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        assert shown_as_of(response.text) == snaps.earlier, url
        found = assert_all_carry(url, response.text, snaps.earlier, at_least=7)  # the menu alone has 6
        assert any(link.url.startswith("/api/v1/") for link in found), f"{url}: no JSON twin link"


def test_the_team_page_links_sellers_accounts_and_its_filter_at_the_snapshot(snaps: Snapshots) -> None:
    url = f"/team?as_of={snaps.earlier}"
    found = assert_all_carry(url, snaps.admin.get(url).text, snaps.earlier)
    paths = {urlsplit(link.url).path for link in found}
    assert any(p.startswith("/sellers/") for p in paths) and any(p.startswith("/accounts/") for p in paths)
    [team_filter] = [link for link in found if link.tag == "form" and link.attr == "action"]
    assert team_filter.url == "/team" and team_filter.hidden["as_of"] == snaps.earlier  # a GET form: a hidden field
    # the JSON twin keeps the team filter too
    filtered = snaps.admin.get(f"/team?team={snaps.team}&as_of={snaps.earlier}").text
    [twin] = [link for link in internal(links_of(filtered).links) if link.url.startswith("/api/v1/team")]
    assert parse_qs(urlsplit(twin.url).query) == {"team": [snaps.team], "as_of": [snaps.earlier]}


def test_htmx_fragments_of_a_snapshot_carry_its_as_of(snaps: Snapshots) -> None:
    htmx = {"HX-Request": "true"}
    url = f"/team?team={snaps.team}&as_of={snaps.earlier}"
    fragment = snaps.admin.get(url, headers=htmx)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert_all_carry(url, fragment.text, snaps.earlier, at_least=2)
    # the same body for the current results (cached apart) links the current results
    assert_none_carry("/team (htmx)", snaps.admin.get(f"/team?team={snaps.team}", headers=htmx).text)


def test_forms_that_post_render_and_redirect_at_the_snapshot(snaps: Snapshots, monkeypatch: pytest.MonkeyPatch) -> None:
    admin, when = snaps.admin, snaps.earlier
    # a settings form refused (nothing saved): the page shown again keeps the as-of
    bad = admin.post(f"/settings?as_of={when}", data={"csrf_token": admin.csrf, "quote_sla_business_days": "-1"})
    assert bad.status_code == 422
    assert_all_carry("POST /settings", bad.text, when, at_least=7)
    # an admin action on someone unknown (nothing changes): the users page again, same as-of
    missing = admin.post(f"/admin/users/nobody/disable?as_of={when}", data={"csrf_token": admin.csrf})
    assert missing.status_code == 404
    assert_all_carry("POST /admin/users/nobody/disable", missing.text, when, at_least=7)
    # re-running the analysis redirects back to the import page of the same as-of (the job itself stubbed)
    import accountleader.web.context as web_context

    monkeypatch.setattr(web_context, "analyze", lambda state, **_: {"job": None})
    redirect = admin.post(f"/analyze?as_of={when}", data={"csrf_token": admin.csrf})
    assert redirect.status_code == 303 and redirect.headers["location"] == f"/import?as_of={when}"
    redirect = admin.post("/analyze", data={"csrf_token": admin.csrf})
    assert redirect.status_code == 303 and redirect.headers["location"] == "/import"
    # the home page and the login redirect keep it too
    assert admin.get(f"/?as_of={when}").headers["location"] == f"/team?as_of={when}"
    anonymous = snaps.web.client()
    login = anonymous.get(f"/sellers/{snaps.seller}?as_of={when}")
    assert login.status_code == 303 and parse_qs(urlsplit(login.headers["location"]).query)["next"] == [
        f"/sellers/{snaps.seller}?as_of={when}"]


def test_following_links_from_a_snapshot_page_stays_on_that_snapshot(snaps: Snapshots) -> None:
    admin, when = snaps.admin, snaps.earlier
    team = admin.get(f"/team?as_of={when}")
    seller_link = next(link.url for link in internal(links_of(team.text).links) if link.url.startswith("/sellers/"))
    seller = admin.get(seller_link)
    assert seller.status_code == 200 and shown_as_of(seller.text) == when
    # a next best action, then the account, then one of its deals, then the JSON twin
    page = admin.get(f"/sellers/{snaps.seller}?as_of={when}")
    action = next(link.url for link in internal(links_of(page.text).links)
                  if urlsplit(link.url).path.startswith(("/accounts/", "/opportunities/")))
    reached = admin.get(action)
    assert reached.status_code == 200 and shown_as_of(reached.text) == when
    account = admin.get(f"/accounts/{snaps.account}?as_of={when}")
    deal = next(link.url for link in internal(links_of(account.text).links) if link.url.startswith("/opportunities/"))
    deal_page = admin.get(deal)
    assert deal_page.status_code == 200 and shown_as_of(deal_page.text) == when
    twin = next(link.url for link in internal(links_of(deal_page.text).links) if link.url.startswith("/api/v1/"))
    assert admin.get(twin).json()["as_of"][:10] == when
    # a page that reads no results passes the as-of on: settings, then back to the team
    settings = admin.get(f"/settings?as_of={when}")
    assert shown_as_of(settings.text) == when
    back = next(link.url for link in internal(links_of(settings.text).links) if urlsplit(link.url).path == "/team")
    assert shown_as_of(admin.get(back).text) == when


def test_the_json_twin_of_a_snapshot_page_names_its_as_of_and_its_links_keep_it(snaps: Snapshots) -> None:
    admin, when = snaps.admin, snaps.earlier
    for page in ("/team", f"/sellers/{snaps.seller}", f"/accounts/{snaps.account}",
                 f"/opportunities/{snaps.opportunity}"):
        html = admin.get(f"{page}?as_of={when}").text
        [twin] = [link.url for link in internal(links_of(html).links) if link.url.startswith("/api/v1/")]
        assert urlsplit(twin).path == f"/api/v1{page}"
        body = admin.get(twin).json()
        assert body["as_of"][:10] == when, twin
    actions = admin.get(f"/api/v1/sellers/{snaps.seller}?as_of={when}").json()["next_best_actions"]
    hrefs = [a["href"] for a in actions if a["href"]]
    assert hrefs and all(parse_qs(urlsplit(h).query)["as_of"] == [when] for h in hrefs)
    current = admin.get(f"/api/v1/sellers/{snaps.seller}").json()
    assert current["as_of"][:10] == snaps.current
    assert all("as_of" not in (a["href"] or "") for a in current["next_best_actions"])


def test_pages_of_the_current_results_keep_their_links_clean(snaps: Snapshots) -> None:
    for page in _pages(snaps):
        response = snaps.admin.get(page)
        assert response.status_code == 200, page
        assert shown_as_of(response.text) == snaps.current
        assert_none_carry(page, response.text)
    # naming the current date is the current results: clean links as well
    named = _at("/team", snaps.current)
    response = snaps.admin.get(named)
    assert shown_as_of(response.text) == snaps.current
    assert_none_carry(named, response.text)


def test_the_snapshot_links_switch_date_and_keep_the_rest_of_the_page(snaps: Snapshots) -> None:
    url = f"/team?team={snaps.team}&as_of={snaps.earlier}"
    switchers = links_of(snaps.admin.get(url).text).switchers
    targets = {link.url for link in switchers}
    back_to_current = f"?team={snaps.team}".replace(" ", "+")  # relative: this page
    assert targets == {back_to_current}, targets  # the current results, by the note and the kept list
    on_current = links_of(snaps.admin.get(f"/team?team={snaps.team}").text).switchers
    assert {link.url for link in on_current} == {f"{back_to_current}&as_of={snaps.earlier}"}


def test_a_rep_sees_only_their_own_pages_and_those_keep_the_as_of(snaps: Snapshots) -> None:
    rep, when = snaps.rep, snaps.earlier
    for page in ("/team", f"/sellers/{snaps.rep_id}", "/me", "/settings"):
        url = _at(page, when)
        response = rep.get(url)
        assert response.status_code == 200, url
        found = assert_all_carry(url, response.text, when, at_least=5)
        assert not any(urlsplit(link.url).path in {"/import", "/admin/users"} for link in found)
    # the admin pages stay closed to a rep, whatever the as-of
    for page in ("/import", "/admin/users"):
        assert rep.get(_at(page, when)).status_code == 403


def test_a_date_not_kept_or_not_a_date_is_refused_on_every_page(snaps: Snapshots) -> None:
    for page in _pages(snaps):
        missing = snaps.admin.get(_at(page, "2001-01-01"))
        assert missing.status_code == 404 and "no results kept for as-of 2001-01-01" in missing.text, page
        assert snaps.earlier in missing.text  # naming the kept dates
        assert_none_carry(page, missing.text)  # its way back leads to the current results
        assert snaps.admin.get(_at(page, "yesterday")).status_code == 422, page
    # an error page of a kept date leads back to that date
    unknown = snaps.admin.get(f"/sellers/nobody?as_of={snaps.earlier}")
    assert unknown.status_code == 404
    assert_all_carry("/sellers/nobody", unknown.text, snaps.earlier)
