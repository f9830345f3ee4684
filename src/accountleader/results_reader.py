"""The results reader: the one way pages, reports, the CLI and the Python API read results.

The workspace hands one out (``Workspace.reader(as_of=...)``, in the manner of sqlmesh's
``Context.state_reader``); it holds no workspace, only the readers the workspace gives it:
the stored result tables of one snapshot, the canonical tables they were computed from
and the analysis summary.  Every figure it returns was computed by the analysis
(:mod:`accountleader.domain.metrics.views` and the metrics); the reader filters, orders and
words rows, nothing more.

Each method takes a :class:`~accountleader.domain.access.Scope`; the scope is applied as a
filter in the read itself, so a front end cannot show what a role forbids.  Ids that exist
but are not visible raise NotFoundError exactly like ids that do not exist.

Reads are Ibis expressions, and Ibis loads when the first one is built.  A reader given the
results file (:meth:`ResultsReader.with_results_file`) reads a whole result list (reps, teams,
accounts, opportunities: everyone's, no team or seller filter) and the as-of straight from
that file through DuckDB into plain rows instead: the same rows in the same order, without
Ibis or pandas, so `accountleader show` starts fast (issue 12, fast start).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from .domain.access import EVERYONE, Scope, scope_of
from .engine import storage
from .errors import AccountLeaderError, NotFoundError, WorkspaceCorrupt

if TYPE_CHECKING:  # Ibis loads with the first read built as an Ibis expression (see above)
    import ibis.expr.types as ir
    import pyarrow as pa

JSON_LIST_COLUMNS = {"fit_reasons", "change_drivers", "roles_engaged", "win_reasons", "leadership_reasons", "style_examples"}
#: Result columns holding a JSON object, decoded the same way (None stays None).
JSON_OBJECT_COLUMNS = {"micromanagement_parts"}


class Summary(Protocol):
    """What the reader needs of the analysis summary."""

    as_of: str
    fit: dict[str, Any]


def records(table: ir.Table) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts: NaN becomes None, whole numbers stay ints, timestamps ISO
    strings, JSON list columns decoded (read through Arrow, so nulls don't turn ints to floats)."""
    return arrow_records(table.to_pyarrow())


def arrow_records(table: pa.Table) -> list[dict[str, Any]]:
    """:func:`records` of an Arrow table."""
    return [{k: _plain(k, v) for k, v in row.items()} for row in table.to_pylist()]


def _plain(key: str, v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return [] if key in JSON_LIST_COLUMNS else None
    if isinstance(v, datetime | date):
        return v.isoformat()
    if (key in JSON_LIST_COLUMNS or key in JSON_OBJECT_COLUMNS) and isinstance(v, str):
        return json.loads(v)
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def _exists(t: ir.Table) -> bool:
    return int(t.limit(1).count().execute()) > 0


#: How each result list is ordered: the ORDER BY Ibis compiles the lists' order_by to (the
#: reads below), for the reads straight from the file. A test keeps the two in step.
LIST_ORDER = {
    "reps": '"efficiency_index" + "effectiveness_index" DESC, "name" ASC',
    "teams": '"team" ASC',
    "account_results": '"change_index" DESC, "account_id" ASC',
    "opportunity_results": '"is_closed" ASC, "amount" DESC, "opportunity_id" ASC',
    "support_map_draft": '"opportunity_id" ASC, "contact_id" ASC',
    "support_backers_draft": '"opportunity_id" ASC, "user_id" ASC',
    "opportunity_readiness": '"opportunity_id" ASC',
}


class _ResultsFile:
    """One results database file read through DuckDB: whole tables in a given order, and its
    ``_meta``. Errors are the workspace's, as through the Ibis connection: a file that cannot be
    read or lacks the table is WorkspaceCorrupt, a locked one WorkspaceBusy.

    A list read also reads the ``_meta`` on the same connection (one open of the file, and the
    as-of then describes those very rows); it is kept for :meth:`summary`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._meta: dict[str, Any] | None = None

    def _fetch(self, con: duckdb.DuckDBPyConnection, sql: str, table: str) -> list[dict[str, Any]]:
        """The rows of ``sql`` as dicts of DuckDB's Python values: the values Arrow's to_pylist
        gives for the types result tables hold (no Arrow, no NumPy needed)."""
        try:
            cur = con.execute(sql)
        except duckdb.CatalogException:
            raise storage.corrupt(self.path, f"table {table} is missing") from None
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _read_meta(self, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        rows = self._fetch(con, f"SELECT key, value FROM {storage.META_TABLE}", storage.META_TABLE)
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def rows(self, name: str) -> list[dict[str, Any]]:
        con = storage.open_read_only(self.path)
        try:
            with storage.translated(self.path):
                rows = self._fetch(con, f'SELECT * FROM "{name}" ORDER BY {LIST_ORDER[name]}', name)
                try:
                    self._meta = self._read_meta(con)
                except (AccountLeaderError, ValueError):  # summary() reads it again and says why
                    pass
        finally:
            con.close()
        return [{k: _plain(k, v) for k, v in row.items()} for row in rows]

    def summary(self) -> dict[str, Any]:
        """The analysis summary stored with the results (as ``Workspace.analysis`` reads it)."""
        if self._meta is None:
            con = storage.open_read_only(self.path)
            try:
                with storage.translated(self.path):
                    self._meta = self._read_meta(con)
            finally:
                con.close()
        if "summary" not in self._meta:
            raise storage.corrupt(self.path, "it has no analysis summary")
        return self._meta["summary"]


class ResultsReader:
    """Reads one results snapshot, filtered by who is asking.

    ``results(name)`` gives a stored result table, ``tables(name)`` a canonical table as the
    results saw it, ``analysis_tables()`` the annotated canonical tables the metrics read,
    ``summary()`` the analysis summary (as-of, fit model)."""

    def __init__(
        self,
        *,
        results: Callable[[str], ir.Table],
        tables: Callable[[str], ir.Table],
        analysis_tables: Callable[[], dict[str, ir.Table]],
        summary: Callable[[], Summary],
    ) -> None:
        self._results = results
        self._tables = tables
        self._analysis_tables = analysis_tables
        self._summary = summary
        self._file: _ResultsFile | None = None

    def with_results_file(self, path: Path) -> ResultsReader:
        """This reader, reading whole result lists and the as-of straight from ``path`` (the
        file ``results`` reads) through DuckDB: no Ibis, no pandas (see the module's doc)."""
        reader = ResultsReader(results=self._results, tables=self._tables,
                               analysis_tables=self._analysis_tables, summary=self._summary)
        reader._file = _ResultsFile(Path(path))
        return reader

    def _straight(self, name: str, scope: Scope, *filters: object) -> list[dict[str, Any]] | None:
        """The whole list ``name`` read straight from the results file, when this reader has
        one, the scope sees every row and no filter is asked for; None otherwise. A missing file
        is left to the Ibis read, which says why (no results yet, or a pruned snapshot)."""
        if self._file is None or scope.user_ids is not None or scope.teams is not None or any(
            f is not None for f in filters
        ):
            return None
        if not self._file.path.exists():
            return None
        return self._file.rows(name)

    def summary(self) -> Summary:
        return self._summary()

    @property
    def as_of(self) -> str:
        """The as-of of the results read (ISO text, naive UTC)."""
        if self._file is not None and self._file.path.exists():
            return str(self._file.summary()["as_of"])
        return self._summary().as_of

    # -- scopes -------------------------------------------------------------------------------

    def scope_for(self, role: str, crm_user_id: str | None) -> Scope:
        """The scope of a person with ``role``, linked to CRM user ``crm_user_id``."""
        if role == "admin":
            return EVERYONE
        users = self._tables("users").select("user_id", "manager_id", "team").to_pyarrow().to_pylist()
        rows = [(u["user_id"], u["manager_id"], u["team"]) for u in users]
        accounts: list[str | None] = []
        if role == "support":
            cases = self._tables("cases")
            mine = cases.filter(cases.owner_id == (crm_user_id or "")).select("account_id").distinct()
            accounts = mine.to_pyarrow().column("account_id").to_pylist()
        return scope_of(role, crm_user_id, rows, accounts)

    # -- lists --------------------------------------------------------------------------------

    def team_names(self) -> list[str]:
        users = self._tables("users")
        sellers = users.filter(users.function == "seller")
        return sorted({x for x in sellers.team.to_pyarrow().to_pylist() if x})

    def resolve_rep(self, rep: str) -> str:
        """A seller's CRM id from an id or a (case-insensitive) name."""
        return _one_id(self._tables("users"), "user_id", rep, missing="seller", several="user")

    def resolve_account(self, account: str) -> str:
        """An account id from an id or a (case-insensitive) exact name."""
        return _one_id(self._results("account_results"), "account_id", account, missing="account", several="account")

    def _by_team_or_rep(self, t: ir.Table, team: str | None, rep: str | None, owner: str) -> ir.Table:
        if team is not None:
            users = self._tables("users")
            members = users.filter(users.team == team)
            if not _exists(members):
                raise NotFoundError(f"no team named {team!r}; teams: {', '.join(self.team_names())}")
            t = t.filter(t[owner].isin(members.user_id.to_pyarrow().to_pylist()))
        if rep is not None:
            t = t.filter(t[owner] == self.resolve_rep(rep))
        return t

    def reps(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None) -> list[dict[str, Any]]:
        """Sellers' result rows, best (efficiency + effectiveness) first."""
        straight = self._straight("reps", scope, team, rep)
        if straight is not None:
            return straight
        import ibis

        r = scope.filter_owned(self._results("reps"), "user_id", None)
        r = self._by_team_or_rep(r, team, rep, "user_id")
        return records(r.order_by([ibis.desc(r.efficiency_index + r.effectiveness_index), "name"]))

    def _teams(self, scope: Scope) -> ir.Table:
        t = self._results("teams")
        return t if scope.teams is None else t.filter(t.team.isin(sorted(scope.teams)))

    def teams(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None) -> list[dict[str, Any]]:
        """Team rows; ``rep`` narrows to that seller's team."""
        straight = self._straight("teams", scope, team, rep)
        if straight is not None:
            return straight
        t = self._teams(scope)
        if team is not None:
            if team not in self.team_names():
                raise NotFoundError(f"no team named {team!r}; teams: {', '.join(self.team_names())}")
            t = t.filter(t.team == team)
        if rep is not None:
            users = self._tables("users")
            rep_team = users.filter(users.user_id == self.resolve_rep(rep)).team
            t = t.filter(t.team.isin(rep_team.to_pyarrow().to_pylist()))
        return records(t.order_by("team"))

    def accounts(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None,
                 limit: int | None = None) -> list[dict[str, Any]]:
        """Account rows, most changing first."""
        straight = self._straight("account_results", scope, team, rep, limit or None)
        if straight is not None:
            return straight
        import ibis

        a = scope.filter_owned(self._results("account_results"), "owner_id", "account_id")
        a = self._by_team_or_rep(a, team, rep, "owner_id")
        a = a.order_by([ibis.desc(a.change_index), "account_id"])
        return records(a.limit(limit) if limit else a)

    def opportunities(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None,
                      open_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        """Opportunity rows: open first, then by amount, largest first."""
        straight = self._straight("opportunity_results", scope, team, rep, open_only or None, limit or None)
        if straight is not None:
            return straight
        import ibis

        o = scope.filter_owned(self._results("opportunity_results"), "owner_id", "account_id")
        o = self._by_team_or_rep(o, team, rep, "owner_id")
        if open_only:
            o = o.filter(~o.is_closed)
        o = o.order_by([o.is_closed, ibis.desc(o.amount), "opportunity_id"])
        return records(o.limit(limit) if limit else o)

    # -- pages --------------------------------------------------------------------------------

    def team_view(self, scope: Scope = EVERYONE, *, team: str | None = None) -> dict[str, Any]:
        """The team page: team rows with quadrant counts, sellers, most changing accounts, fit model."""
        if team is not None and not scope.can_see_team(team):
            raise NotFoundError(f"no team named {team!r}")
        summary = self._summary()
        visible_reps = self.reps(scope, team=team)
        t = self._teams(scope)
        if team is not None:
            t = t.filter(t.team == team)
        r = self._results("reps")
        counts = r.group_by("team").aggregate(
            leading_n=r.count(where=r.quadrant == "leading"),
            tending_n=r.count(where=r.quadrant == "tending"),
            not_enough_peers_n=r.count(where=r.quadrant == "not_enough_peers"),
            busy_n=r.count(where=r.quadrant == "busy"),
            slow_n=r.count(where=r.quadrant == "slow"),
            at_risk_n=r.count(where=r.quadrant == "at_risk"),
        )
        teams = t.left_join(counts, "team").drop("team_right").order_by("team")
        return {
            "as_of": summary.as_of,
            "team": team,
            "teams": records(teams),
            "reps": visible_reps,
            "managed_not_led_accounts": self.managed_not_led_accounts(scope, team=team),
            "top_change_accounts": self.accounts(scope, team=team, limit=10),
            "fit_model": summary.fit,
        }

    def managed_not_led_accounts(self, scope: Scope = EVERYONE, *, team: str | None = None) -> list[dict[str, Any]]:
        """Accounts in change but managed, not led (``account_results.managed_not_led``, docs/metrics.md),
        most changing first: what leads the manager's page and the team report."""
        import ibis

        a = scope.filter_owned(self._results("account_results"), "owner_id", "account_id")
        if "managed_not_led" not in a.columns:  # results from before the column: analyze recomputes them
            return []
        a = self._by_team_or_rep(a, team, None, "owner_id")
        a = a.filter(a.managed_not_led.fill_null(False))
        a = a.order_by([ibis.desc(a.change_index), "account_id"])
        return records(a.select("account_id", "name", "owner_id", "owner_name", "change_index", "create_share",
                                "activities_n", "champion_departures", "senior_touches_n", "last_senior_touch_days",
                                "leadership_mode", "review_cadence_days", "leadership_reasons"))

    def seller_view(self, user_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
        """The seller page: their row, accounts and open deals."""
        if not scope.can_see_user(user_id):
            raise NotFoundError(f"no seller {user_id!r}")
        users = self._tables("users")
        rows = self.reps(scope, rep=user_id) if _exists(users.filter(users.user_id == user_id)) else []
        if not rows:
            raise NotFoundError(f"no seller {user_id!r}")
        return {
            "as_of": self.as_of,
            "rep": rows[0],
            "accounts": self.accounts(scope, rep=user_id, limit=50),
            "open_opportunities": self.opportunities(scope, rep=user_id, open_only=True, limit=50),
        }

    def account_view(self, account_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
        """The account page: its row, stakeholders and role gaps, deals and change timeline."""
        import ibis

        from .domain import account_plan as plan  # its rules load the change metrics (Ibis)

        a = scope.filter_owned(self._results("account_results"), "owner_id", "account_id")
        rows = records(a.filter(a.account_id == account_id))
        if not rows:
            raise NotFoundError(f"no account {account_id!r}")
        # touches by sellers outside the scope are not counted: every figure here is in scope
        stakeholders = self._people([account_id], scope, touch_account=scope.account_ids is not None)
        stakeholders.sort(key=plan.stakeholder_key)
        for p in stakeholders:
            del p["account_id"]
        opps = scope.filter_owned(self._results("opportunity_results"), "owner_id", "account_id")
        o = opps.filter(opps.account_id == account_id).order_by([opps.is_closed, ibis.desc(opps.amount)])
        account = rows[0]
        if not scope.sees_everything and self._has_hidden_deals(account_id, scope):
            # the stored change drivers count every deal of the account; the deal-based ones
            # would describe deals outside this scope, so only the account-level ones are shown
            account["change_drivers"] = plan.account_level_drivers(account.get("change_drivers"))
            account["change_note"] = plan.HIDDEN_DEALS_NOTE
        return {
            "as_of": datetime.fromisoformat(self.as_of).isoformat(),
            "account": account,
            "stakeholders": stakeholders,
            "role_gaps": plan.role_gaps(stakeholders),
            "opportunities": records(o),
            "timeline": self.change_timeline(account_id, scope),
        }

    def _has_hidden_deals(self, account_id: str, scope: Scope) -> bool:
        o = self._tables("opportunities")
        mine = o.filter(o.account_id == account_id)
        return int(mine.count().execute()) > int(scope.filter_owned(mine, "owner_id", "account_id").count().execute())

    def _people(self, account_ids: Sequence[str], scope: Scope, *, touch_account: bool = False) -> list[dict[str, Any]]:
        """Contacts at these accounts with buyer role, seniority, last touch and touches (the
        touches ``scope`` may see; ``touch_account``: also those on its assigned accounts)."""
        c = self._analysis_tables()["contacts"]
        people = records(c.filter(c.account_id.isin(list(account_ids))).select(
            "contact_id", "account_id", "name", "title", "departed_at"))
        ids = [p["contact_id"] for p in people]
        touch_of: dict[str, dict[str, Any]] = {}
        role_of: dict[str, dict[str, Any]] = {}
        if ids:
            t = self._results("contact_touches")
            t = scope.filter_owned(t.filter(t.contact_id.isin(ids)), "owner_id", "account_id" if touch_account else None)
            t = t.group_by("contact_id").aggregate(last_touch=t.last_touch.max(), touches_n=t.touches_n.sum())
            touch_of = {r["contact_id"]: r for r in records(t)}
            roles = self._results("contact_roles")
            role_of = {r["contact_id"]: r for r in records(roles.filter(roles.contact_id.isin(ids)))}
        out = []
        for p in people:
            touch, role = touch_of.get(p["contact_id"], {}), role_of.get(p["contact_id"], {})
            out.append({"contact_id": p["contact_id"], "account_id": p["account_id"], "name": p["name"],
                        "title": p["title"], "departed_at": p["departed_at"], "last_touch": touch.get("last_touch"),
                        "touches_n": touch.get("touches_n") or 0, "buyer_role": role.get("buyer_role", "unknown"),
                        "seniority": role.get("seniority", "unknown")})
        return out

    def change_timeline(self, account_id: str, scope: Scope = EVERYONE) -> list[dict[str, Any]]:
        """Close-date pushes, stage moves, amount cuts and people leaving, newest first; deals
        outside ``scope`` leave no event."""
        import ibis

        from .domain import account_plan as plan

        e = self._results("account_timeline")
        e = e.filter(e.account_id == account_id)
        owned = scope.owns(e, "owner_id", "account_id")
        if owned is not None:
            e = e.filter((e.kind == "person_left") | owned)
        is_person = (e.kind == "person_left").cast("int64")
        e = e.order_by([ibis.desc(e.at), is_person, e.opportunity_id, e.history_id, e.kind_rank, e.contact_id])
        return [{"at": r["at"], "kind": r["kind"], "opportunity": r["opportunity"], "detail": plan.event_detail(r)}
                for r in records(e.limit(plan.TIMELINE_LIMIT))]

    def opportunity_view(self, opportunity_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
        """The deal page: its row, its stage history and its contact roles."""
        o = scope.filter_owned(self._results("opportunity_results"), "owner_id", "account_id")
        rows = records(o.filter(o.opportunity_id == opportunity_id))
        if not rows:
            raise NotFoundError(f"no opportunity {opportunity_id!r}")
        t = self._analysis_tables()
        h = t["opportunity_history"]
        history = records(h.filter(h.opportunity_id == opportunity_id).order_by(["changed_at", "history_id"]).drop("opportunity_id"))
        ocr = t["opportunity_contact_roles"]
        people = ocr.filter(ocr.opportunity_id == opportunity_id).left_join(
            t["contacts"].select("contact_id", "name", "title"), "contact_id")
        return {
            "as_of": self.as_of,
            "opportunity": rows[0],
            "history": history,
            "contact_roles": records(people.select("contact_id", "name", "title", "role", "is_primary")),
        }

    # -- report rows (the leadership report, issue 4) -------------------------------------------

    def _owned_by(self, name: str, owner_ids: Sequence[str] | None) -> ir.Table:
        t = self._results(name)
        return t if owner_ids is None else t.filter(t.owner_id.isin(list(owner_ids)))

    def account_effort(self, *, owner_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Activities per (activity owner, account) in the engagement window (``account_effort``)."""
        e = self._owned_by("account_effort", owner_ids)
        return records(e.order_by(["owner_id", "account_id"]))

    def pending_quotes(self, *, owner_ids: Sequence[str] | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
        """Deals waiting for a quote at as_of, with ``business_days_waiting`` (``pending_quotes``)."""
        p = self._owned_by("pending_quotes", owner_ids)
        if account_id is not None:
            p = p.filter(p.account_id == account_id)
        return records(p.order_by("opportunity_id").select(
            "opportunity_id", "account_id", "owner_id", "name", "stage", "amount", "requested_at",
            "business_days_waiting"))

    def account_contacts(self, account_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Contacts at these accounts with buyer role, seniority, last touch and touches."""
        if not account_ids:
            return []
        from .domain import account_plan as plan

        people = self._people(account_ids, EVERYONE)
        return sorted(people, key=lambda p: (p["account_id"], *plan.stakeholder_key(p)))

    def quote_events(self, *, owner_ids: Sequence[str] | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
        """Measured quote turnarounds (the ``quote_events`` result)."""
        q = self._owned_by("quote_events", owner_ids)
        q = q.filter(q.status == "measured")
        if account_id is not None:
            q = q.filter(q.account_id == account_id)
        return records(q.order_by("quote_id").select(
            "quote_id", "opportunity_id", "owner_id", "account_id", "quoted_at", "business_days", "over_sla"))

    def effort_gaps(self, *, owner_ids: Sequence[str] | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
        """Starved high-fit and effort-soaking low-fit accounts (the ``effort_gaps`` result)."""
        g = self._owned_by("effort_gaps", owner_ids)
        if account_id is not None:
            g = g.filter(g.account_id == account_id)
        return records(g.order_by(["gap", "account_id"]))

    def process_problems(self, *, team: str | None = None) -> list[dict[str, Any]]:
        """The ``process_problems`` result: company-wide ones, and the team's when a team is asked for."""
        p = self._results("process_problems")
        if team is not None:
            p = p.filter((p.scope == "company") | (p.team == team))
        return records(p.order_by(["component", "scope", "team"]))

    def whitespace(self, account_id: str) -> dict[str, Any]:
        """Products this account has not won that similar accounts - same industry and employee
        band - have won by as_of; each with the share of similar accounts that did."""
        peers = self._results("account_peers")
        head = records(peers.filter(peers.account_id == account_id))
        if not head:
            raise NotFoundError(f"no account {account_id!r}")
        p = self._results("account_products")
        rows = records(p.filter(p.account_id == account_id))
        n = head[0]["similar_accounts_n"]
        products = sorted(
            ({"product": r["product"], "similar_accounts_bought_n": r["similar_accounts_bought_n"],
              "similar_accounts_n": n, "share": round(r["share"], 3) if n else None, "open_deal": bool(r["open_deal"])}
             for r in rows if not r["bought"]),
            key=lambda r: (-r["similar_accounts_bought_n"], r["product"]),
        )
        return {"industry": head[0]["industry"], "size_band": head[0]["size_band"], "similar_accounts_n": n,
                "bought": sorted(r["product"] for r in rows if r["bought"]), "products": products}

    # -- the scenario forecast (issue 13) -------------------------------------------------------

    def forecast_inputs(self, scope: Scope, *, won_from: date) -> dict[str, Any]:
        """What the forecast simulates (:mod:`accountleader.domain.forecast_history`): the open
        deals and the deals won since ``won_from`` that ``scope`` may see, and the company's
        observed slips and stage win rates (aggregates over every closed deal, as team figures are)."""
        import ibis

        from .domain import forecast_history as fh

        as_of = datetime.fromisoformat(self.as_of)
        t = self._analysis_tables()
        opps, hist = t["opportunities"], t["opportunity_history"]
        r = scope.filter_owned(self._results("opportunity_results"), "owner_id", "account_id")
        # the results live in another database than the CRM tables: the open ones travel as a memtable
        results = ibis.memtable(fh.open_results(r).to_pyarrow())
        return {
            "as_of": as_of,
            "deals": records(fh.open_deals(results, opps, hist, t["accounts"], t["users"], as_of=as_of)),
            "won": records(fh.won_since(scope.filter_owned(opps, "owner_id", "account_id"), t["users"],
                                        start=won_from, as_of=as_of)),
            "slips": fh.stage_slips(opps, hist, as_of=as_of).to_pyarrow().to_pydict(),
            "stage_rates": records(fh.stage_win_rates(opps, hist, as_of=as_of)),
        }

    # -- support maps (issue 14) ----------------------------------------------------------------

    def deals(self, opportunity_ids: Sequence[str], scope: Scope = EVERYONE) -> list[dict[str, Any]]:
        """The ``opportunity_results`` rows of these deals that ``scope`` sees."""
        if not opportunity_ids:
            return []
        o = scope.filter_owned(self._results("opportunity_results"), "owner_id", "account_id")
        return records(o.filter(o.opportunity_id.isin(sorted(set(opportunity_ids)))))

    def deal_names(self, opportunity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Name, account id and account name of these deals, by id (support requests, issue 15:
        the caller has already decided who may see the request that names the deal)."""
        if not opportunity_ids:
            return {}
        o = self._results("opportunity_results")
        o = o.filter(o.opportunity_id.isin(sorted(set(opportunity_ids)))).select("opportunity_id", "name", "account_id")
        a = self._results("account_results")
        a = a.select(a.account_id.name("a_id"), a.name.name("account_name"))
        joined = o.left_join(a, o.account_id == a.a_id).select("opportunity_id", "name", "account_id", "account_name")
        return {r["opportunity_id"]: r for r in records(joined)}

    def support_map_drafts(self, opportunity_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The CRM drafts of these deals' support maps: ``stakeholders`` (``support_map_draft``)
        and ``backers`` (``support_backers_draft``) rows, and the deals' readiness ``signals``
        (``opportunity_readiness``). Results analysed before these tables existed have none: an
        empty draft, no signals."""
        out: dict[str, list[dict[str, Any]]] = {"stakeholders": [], "backers": [], "signals": []}
        if not opportunity_ids:
            return out
        for key, name in (("stakeholders", "support_map_draft"), ("backers", "support_backers_draft"),
                          ("signals", "opportunity_readiness")):
            try:
                t = self._results(name)
            except WorkspaceCorrupt:  # "table ... is missing": results from before issue 14
                continue
            out[key] = records(t.filter(t.opportunity_id.isin(sorted(set(opportunity_ids)))))
        return out

    def delegation_style(self, user_ids: Sequence[str], scope: Scope = EVERYONE) -> list[dict[str, Any]]:
        """``delegation_style`` rows (issue 15) of these users that ``scope`` may see, by user and
        role; results analysed before the table existed have none."""
        if not user_ids:
            return []
        try:
            t = self._results("delegation_style")
        except WorkspaceCorrupt:  # "table ... is missing": results from before issue 15
            return []
        t = scope.filter_owned(t, "user_id", None)
        return records(t.filter(t.user_id.isin(sorted(set(user_ids)))).order_by(["user_id", "role"]))

    def drafted_backings(self, user_id: str) -> list[str]:
        """The deals whose CRM draft lists this CRM user as a backer (none before issue 14's results)."""
        try:
            b = self._results("support_backers_draft")
        except WorkspaceCorrupt:
            return []
        return sorted({r["opportunity_id"] for r in records(b.filter(b.user_id == user_id).select("opportunity_id"))})

    def readiness_inputs(self, opportunity_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """:meth:`support_map_drafts`, read straight from the results file when this reader has
        one (no Ibis: ``show opportunities --json``); results from before issue 14 give none."""
        if self._file is None or not self._file.path.exists():
            return self.support_map_drafts(opportunity_ids)
        wanted = set(opportunity_ids)
        out: dict[str, list[dict[str, Any]]] = {}
        for key, name in (("stakeholders", "support_map_draft"), ("backers", "support_backers_draft"),
                          ("signals", "opportunity_readiness")):
            try:
                rows = self._file.rows(name) if wanted else []
            except WorkspaceCorrupt:  # "table ... is missing": results from before issue 14
                rows = []
            out[key] = [r for r in rows if r["opportunity_id"] in wanted]
        return out

    def people_named(self, *, contact_ids: Sequence[str] = (), user_ids: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """Names of contacts (with title and account) and CRM users (with function), by id."""
        out: dict[str, dict[str, Any]] = {}
        if contact_ids:
            c = self._tables("contacts")
            for r in records(c.filter(c.contact_id.isin(sorted(set(contact_ids)))).select(
                    "contact_id", "name", "title", "account_id")):
                out[r["contact_id"]] = r
        if user_ids:
            u = self._tables("users")
            for r in records(u.filter(u.user_id.isin(sorted(set(user_ids)))).select("user_id", "name", "function")):
                out[r["user_id"]] = r
        return out


def _one_id(t: ir.Table, id_col: str, given: str, *, missing: str, several: str) -> str:
    """The one row id whose id or (case-insensitive) name is ``given``; a clear error naming
    ``given`` when there is none or more than one."""
    hit = t.filter((t[id_col] == given) | (t.name.lower() == given.lower())).select(id_col).limit(2)
    ids = hit.to_pyarrow().column(id_col).to_pylist()
    if not ids:
        raise NotFoundError(f"no {missing} with id or name {given!r}")
    if len(ids) > 1:
        raise NotFoundError(f"more than one {several} is called {given!r}; use the {several} id")
    return str(ids[0])
