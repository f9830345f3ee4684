"""Read-side of the workspace: the rows and pages every front end shows.

Each function takes the workspace and a Scope; the scope is applied as a filter
in the query itself, so a front end cannot show what a role forbids.  Ids that
exist but are not visible raise NotFoundError exactly like ids that do not exist.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from .domain.access import EVERYONE, Scope, reports_under
from .domain.metrics.change import DRIVERS as CHANGE_DRIVERS
from .domain.schema import BUYER_ROLES
from .errors import NotFoundError

if TYPE_CHECKING:
    from .workspace import Workspace

#: The labels of the change drivers read from deals (their reasons start with them).
_DEAL_DRIVER_LABELS = tuple(f"{d.label}:" for d in CHANGE_DRIVERS
                            if d.column in ("close_date_pushes", "close_date_push_days", "stage_regressions", "amount_cuts"))
JSON_LIST_COLUMNS = {"fit_reasons", "change_drivers", "roles_engaged"}
_ROLE_RANK = {r: i for i, r in enumerate(BUYER_ROLES)}


def records(table: ir.Table | pd.DataFrame) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts: NaN becomes None, whole numbers stay ints, timestamps ISO
    strings, JSON list columns decoded (read through Arrow, so nulls don't turn ints to floats)."""
    rows = table.to_dict(orient="records") if isinstance(table, pd.DataFrame) else table.to_pyarrow().to_pylist()
    return [{k: _plain(k, v) for k, v in row.items()} for row in rows]


def _plain(key: str, v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return [] if key in JSON_LIST_COLUMNS else None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp | datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if key in JSON_LIST_COLUMNS and isinstance(v, str):
        return json.loads(v)
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


# -- scopes ---------------------------------------------------------------------------------------


def scope_for(ws: Workspace, role: str, crm_user_id: str | None) -> Scope:
    if role == "admin":
        return EVERYONE
    users = ws.table("users").select("user_id", "manager_id", "team").to_pandas()
    if role == "manager":
        if not crm_user_id:
            return Scope("manager", None, frozenset(), None, frozenset())
        ids = reports_under(crm_user_id, zip(users.user_id, users.manager_id, strict=True))
        teams = frozenset(t for t in users[users.user_id.isin(ids)].team.dropna())
        return Scope("manager", crm_user_id, ids, None, teams)
    if role == "rep":
        own = users[users.user_id == crm_user_id].team.dropna()
        return Scope("rep", crm_user_id, frozenset({crm_user_id}) if crm_user_id else frozenset(), None, frozenset(own))
    if role == "support":
        cases = ws.table("cases")
        mine = cases.filter(cases.owner_id == (crm_user_id or "")).select("account_id").distinct().to_pandas()
        return Scope("support", crm_user_id, frozenset(), frozenset(mine.account_id.dropna()), frozenset())
    raise NotFoundError(f"unknown role {role!r}")


# -- lists ----------------------------------------------------------------------------------------


def _by_team_or_rep(ws: Workspace, t: ir.Table, team: str | None, rep: str | None, owner: str) -> ir.Table:
    if team is not None:
        users = ws.table("users")
        members = users.filter(users.team == team).user_id
        if not _exists(users.filter(users.team == team)):
            raise NotFoundError(f"no team named {team!r}; teams: {', '.join(team_names(ws))}")
        t = t.filter(t[owner].isin(members.to_pyarrow().to_pylist()))
    if rep is not None:
        rep_id = resolve_rep(ws, rep)
        t = t.filter(t[owner] == rep_id)
    return t


def reps(ws: Workspace, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None) -> list[dict[str, Any]]:
    r = ws.results("reps")
    r = scope.filter_owned(r, "user_id", None)
    r = _by_team_or_rep(ws, r, team, rep, "user_id")
    return records(r.order_by([ibis.desc(r.efficiency_index + r.effectiveness_index), "name"]))


def teams(ws: Workspace, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None) -> list[dict[str, Any]]:
    """Team rows; ``rep`` narrows to that seller's team."""
    t = ws.results("teams")
    if scope.teams is not None:
        t = t.filter(t.team.isin(sorted(scope.teams)))
    if team is not None:
        if team not in team_names(ws):
            raise NotFoundError(f"no team named {team!r}; teams: {', '.join(team_names(ws))}")
        t = t.filter(t.team == team)
    if rep is not None:
        users = ws.table("users")
        rep_team = users.filter(users.user_id == resolve_rep(ws, rep)).team
        t = t.filter(t.team.isin(rep_team.to_pyarrow().to_pylist()))
    return records(t.order_by("team"))


def accounts(ws: Workspace, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    a = scope.filter_owned(ws.results("account_results"), "owner_id", "account_id")
    a = _by_team_or_rep(ws, a, team, rep, "owner_id")
    a = a.order_by([ibis.desc(a.change_index), "account_id"])
    return records(a.limit(limit) if limit else a)


def opportunities(ws: Workspace, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None, open_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
    o = scope.filter_owned(ws.results("opportunity_results"), "owner_id", "account_id")
    o = _by_team_or_rep(ws, o, team, rep, "owner_id")
    if open_only:
        o = o.filter(~o.is_closed)
    o = o.order_by([o.is_closed, ibis.desc(o.amount), "opportunity_id"])
    return records(o.limit(limit) if limit else o)


def team_names(ws: Workspace) -> list[str]:
    users = ws.table("users")
    sellers = users.filter(users.function == "seller")
    return sorted({x for x in sellers.team.to_pyarrow().to_pylist() if x})


def resolve_rep(ws: Workspace, rep: str) -> str:
    """A seller's CRM id from an id or a (case-insensitive) name."""
    users = ws.table("users")
    hit = users.filter((users.user_id == rep) | (users.name.lower() == rep.lower())).select("user_id").limit(2).to_pandas()
    if len(hit) == 0:
        raise NotFoundError(f"no seller with id or name {rep!r}")
    if len(hit) > 1:
        raise NotFoundError(f"more than one user is called {rep!r}; use the user id")
    return str(hit.user_id.iloc[0])


def _exists(t: ir.Table) -> bool:
    return int(t.limit(1).count().execute()) > 0


# -- pages ----------------------------------------------------------------------------------------


def team_view(ws: Workspace, scope: Scope = EVERYONE, *, team: str | None = None) -> dict[str, Any]:
    if team is not None and not scope.can_see_team(team):
        raise NotFoundError(f"no team named {team!r}")
    summary = ws.analysis()
    visible_reps = reps(ws, scope, team=team)
    t = ws.results("teams")
    if scope.teams is not None:
        t = t.filter(t.team.isin(sorted(scope.teams)))
    if team is not None:
        t = t.filter(t.team == team)
    r = ws.results("reps")
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
        "top_change_accounts": accounts(ws, scope, team=team, limit=10),
        "fit_model": summary.fit,
    }


def seller_view(ws: Workspace, user_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
    if not scope.can_see_user(user_id):
        raise NotFoundError(f"no seller {user_id!r}")
    rows = reps(ws, scope, rep=user_id) if _exists(ws.table("users").filter(ws.table("users").user_id == user_id)) else []
    if not rows:
        raise NotFoundError(f"no seller {user_id!r}")
    return {
        "as_of": ws.analysis().as_of,
        "rep": rows[0],
        "accounts": accounts(ws, scope, rep=user_id, limit=50),
        "open_opportunities": opportunities(ws, scope, rep=user_id, open_only=True, limit=50),
    }


def account_view(ws: Workspace, account_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
    a = scope.filter_owned(ws.results("account_results"), "owner_id", "account_id")
    a = a.filter(a.account_id == account_id)
    rows = records(a)
    if not rows:
        raise NotFoundError(f"no account {account_id!r}")
    t = ws.analysis_tables()
    as_of = datetime.fromisoformat(ws.analysis().as_of)
    contacts = t["contacts"].filter(t["contacts"].account_id == account_id)
    # touches by sellers outside the scope are not counted: every figure here is in scope
    acts = scope.filter_owned(t["activities"], "owner_id", None if scope.account_ids is None else "account_id")
    acts = acts.filter((acts.occurred_at <= ibis.literal(as_of)) & acts.contact_id.notnull() & acts.artefact.isnull())
    last = acts.group_by("contact_id").aggregate(last_touch=acts.occurred_at.max(), touches_n=acts.count())
    people = contacts.left_join(last, "contact_id").drop("contact_id_right")
    people_rows = records(people.select("contact_id", "name", "title", "departed_at", "last_touch", "touches_n"))
    # buyer roles live in the results database: fetch them for these contacts only
    ids = [p["contact_id"] for p in people_rows]
    roles = ws.results("contact_roles")
    role_of = {r["contact_id"]: r for r in records(roles.filter(roles.contact_id.isin(ids)))} if ids else {}
    stakeholders = []
    for p in people_rows:
        r = role_of.get(p["contact_id"], {})
        stakeholders.append({**p, "buyer_role": r.get("buyer_role", "unknown"), "seniority": r.get("seniority", "unknown"),
                             "touches_n": p["touches_n"] or 0})
    stakeholders.sort(key=lambda p: (_ROLE_RANK.get(p["buyer_role"], 99), p["name"] or ""))
    engaged_roles = {p["buyer_role"] for p in stakeholders if p["touches_n"] and not p["departed_at"]}
    key_roles = ["executive", "economic_buyer", "decision_maker", "champion", "technical_evaluator", "procurement"]
    opps = scope.filter_owned(ws.results("opportunity_results"), "owner_id", "account_id")
    o = opps.filter(opps.account_id == account_id).order_by([opps.is_closed, ibis.desc(opps.amount)])
    account = rows[0]
    if not scope.sees_everything and _has_hidden_deals(ws, account_id, scope):
        # the stored change drivers count every deal of the account; the deal-based ones
        # would describe deals outside this scope, so only the account-level ones are shown
        account["change_drivers"] = [d for d in account.get("change_drivers") or []
                                     if not str(d).startswith(_DEAL_DRIVER_LABELS)]
        account["change_note"] = "deal-based change drivers are left out: this account has deals outside your view"
    return {
        "as_of": as_of.isoformat(),
        "account": account,
        "stakeholders": stakeholders,
        "role_gaps": [r for r in key_roles if r not in engaged_roles],
        "opportunities": records(o),
        "timeline": change_timeline(ws, account_id, as_of, scope),
    }


def _has_hidden_deals(ws: Workspace, account_id: str, scope: Scope) -> bool:
    o = ws.table("opportunities")
    mine = o.filter(o.account_id == account_id)
    return int(mine.count().execute()) > int(scope.filter_owned(mine, "owner_id", "account_id").count().execute())


def change_timeline(ws: Workspace, account_id: str, as_of: datetime, scope: Scope = EVERYONE) -> list[dict[str, Any]]:
    """Close-date pushes, stage moves and people leaving or arriving, newest first; deals
    outside ``scope`` leave no event."""
    t = ws.analysis_tables()
    opps = scope.filter_owned(t["opportunities"], "owner_id", "account_id")
    opps = opps.filter(opps.account_id == account_id).select("opportunity_id", opp_name="name")
    h = t["opportunity_history"].inner_join(opps, "opportunity_id")
    # load artefacts (bulk-loaded rows) are not events on the account's timeline
    h = h.filter((h.changed_at <= ibis.literal(as_of)) & (h.artefact.isnull() | (h.artefact != "bulk_loaded")))
    h = h.order_by(["opportunity_id", "changed_at", "history_id"])
    events: list[dict[str, Any]] = []
    prev: dict[str, dict[str, Any]] = {}
    for row in records(h):
        before = prev.get(row["opportunity_id"])
        if before:
            if row["close_date"] and before["close_date"] and row["close_date"] > before["close_date"]:
                events.append({"at": row["changed_at"], "kind": "close_date_pushed", "opportunity": row["opp_name"],
                               "detail": f"close date {before['close_date']} → {row['close_date']}"})
            if row["stage"] != before["stage"] and row["stage"]:
                events.append({"at": row["changed_at"], "kind": "stage_changed", "opportunity": row["opp_name"],
                               "detail": f"{before['stage']} → {row['stage']}"})
            if row["amount"] is not None and before["amount"] is not None and row["amount"] < before["amount"]:
                events.append({"at": row["changed_at"], "kind": "amount_cut", "opportunity": row["opp_name"],
                               "detail": f"{before['amount']:,.0f} → {row['amount']:,.0f}"})
        prev[row["opportunity_id"]] = row
    c = t["contacts"].filter(t["contacts"].account_id == account_id)
    for row in records(c.select("name", "title", "departed_at", "created_at")):
        if row["departed_at"] and row["departed_at"] <= as_of.isoformat():
            events.append({"at": row["departed_at"], "kind": "person_left", "opportunity": None,
                           "detail": f"{row['name']} ({row['title'] or 'no title'}) left"})
    return sorted(events, key=lambda e: e["at"] or "", reverse=True)[:100]


def opportunity_view(ws: Workspace, opportunity_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
    o = scope.filter_owned(ws.results("opportunity_results"), "owner_id", "account_id")
    rows = records(o.filter(o.opportunity_id == opportunity_id))
    if not rows:
        raise NotFoundError(f"no opportunity {opportunity_id!r}")
    t = ws.analysis_tables()
    h = t["opportunity_history"]
    history = records(h.filter(h.opportunity_id == opportunity_id).order_by(["changed_at", "history_id"]).drop("opportunity_id"))
    ocr = t["opportunity_contact_roles"]
    people = ocr.filter(ocr.opportunity_id == opportunity_id).left_join(t["contacts"].select("contact_id", "name", "title"), "contact_id")
    return {
        "as_of": ws.analysis().as_of,
        "opportunity": rows[0],
        "history": history,
        "contact_roles": records(people.select("contact_id", "name", "title", "role", "is_primary")),
    }


# -- report data (the leadership report, issue 4) ------------------------------------------------


def activity_effort(ws: Workspace, *, as_of: datetime, window_days: int, owner_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Activities per (activity owner, account) in ``(as_of - window_days, as_of]``; the account
    comes from the contact when the activity carries none."""
    from .domain.metrics.effectiveness import windowed_activities

    t = ws.analysis_tables()
    a = windowed_activities(t["activities"], as_of=as_of, window_days=window_days, contacts=t["contacts"])
    a = a.filter(a.account_id.notnull() & a.owner_id.notnull())
    if owner_ids is not None:
        a = a.filter(a.owner_id.isin(owner_ids))
    return records(a.group_by(["owner_id", "account_id"]).aggregate(activities_n=a.count()))


def pending_quote_requests(ws: Workspace, *, as_of: datetime, quote_stages: list[str], owner_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Deals open at ``as_of`` whose quote was requested (request field, else first entry into a
    quote stage) by ``as_of`` and that have no quote yet.  ``business_days_waiting``: weekdays
    from the request to ``as_of``."""
    import numpy as np

    t = ws.analysis_tables()
    o, h, q = t["opportunities"], t["opportunity_history"], t["quotes"]
    asof = ibis.literal(as_of)
    # a deal clicked through the quote stage (or bulk-loaded into it) asked for no quote
    hq = h.filter((h.changed_at <= asof) & h.stage.lower().isin([s.lower() for s in quote_stages]) & h.artefact.isnull())
    entry = hq.group_by("opportunity_id").aggregate(stage_entered_at=hq.changed_at.min())
    open_ = o.filter((o.created_at <= asof) & (~o.is_closed | (o.closed_at > asof).fill_null(False)))
    if owner_ids is not None:
        open_ = open_.filter(open_.owner_id.isin(owner_ids))
    open_ = open_.left_join(entry, "opportunity_id").drop("opportunity_id_right")
    open_ = open_.mutate(requested_at=ibis.coalesce(open_.quote_requested_at, open_.stage_entered_at))
    open_ = open_.filter(open_.requested_at.notnull() & (open_.requested_at <= asof))
    quoted = q.filter(q.created_at <= asof).select("opportunity_id")
    rows = records(open_.anti_join(quoted, "opportunity_id").select(
        "opportunity_id", "account_id", "owner_id", "name", "stage", "amount", "requested_at"))
    for r in rows:
        start = np.datetime64(r["requested_at"][:10])
        r["business_days_waiting"] = float(np.busday_count(start, np.datetime64(as_of.date())))
    return rows


def account_contacts(ws: Workspace, account_ids: list[str], *, as_of: datetime) -> list[dict[str, Any]]:
    """Contacts at these accounts with buyer role, seniority, last touch and touches (by as_of)."""
    if not account_ids:
        return []
    t = ws.analysis_tables()
    c = t["contacts"].filter(t["contacts"].account_id.isin(account_ids))
    acts = t["activities"]
    acts = acts.filter((acts.occurred_at <= ibis.literal(as_of)) & acts.contact_id.notnull() & acts.artefact.isnull())
    acts = acts.semi_join(c.select("contact_id"), "contact_id")
    last = acts.group_by("contact_id").aggregate(last_touch=acts.occurred_at.max(), touches_n=acts.count())
    people = records(c.left_join(last, "contact_id").select(
        "contact_id", "account_id", "name", "title", "departed_at", "last_touch", "touches_n"))
    ids = [p["contact_id"] for p in people]
    roles = ws.results("contact_roles")
    role_of = {r["contact_id"]: r for r in records(roles.filter(roles.contact_id.isin(ids)))} if ids else {}
    for p in people:
        r = role_of.get(p["contact_id"], {})
        p["buyer_role"] = r.get("buyer_role", "unknown")
        p["seniority"] = r.get("seniority", "unknown")
        p["touches_n"] = p["touches_n"] or 0
    return sorted(people, key=lambda p: (p["account_id"], _ROLE_RANK.get(p["buyer_role"], 99), p["name"] or ""))


def quote_events(ws: Workspace, *, owner_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Measured quote turnarounds (the ``quote_events`` result), optionally for some sellers."""
    q = ws.results("quote_events")
    q = q.filter(q.status == "measured")
    if owner_ids is not None:
        q = q.filter(q.owner_id.isin(owner_ids))
    return records(q.select("quote_id", "opportunity_id", "owner_id", "account_id", "quoted_at", "business_days", "over_sla"))


def effort_gaps(ws: Workspace, *, owner_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Starved high-fit and effort-soaking low-fit accounts (the ``effort_gaps`` result)."""
    g = ws.results("effort_gaps")
    if owner_ids is not None:
        g = g.filter(g.owner_id.isin(owner_ids))
    return records(g)


def size_band(employees: float | None) -> str:
    """Employee-count band used to find similar accounts."""
    if employees is None or (isinstance(employees, float) and math.isnan(employees)):
        return "unknown"
    for limit, label in ((50, "1-49"), (250, "50-249"), (1000, "250-999"), (5000, "1,000-4,999")):
        if employees < limit:
            return label
    return "5,000+"


def whitespace(ws: Workspace, account_id: str, *, as_of: datetime) -> dict[str, Any]:
    """Products this account has not bought (won) that similar accounts - same industry and
    employee band - have bought by ``as_of``; each with the share of similar accounts that did."""
    t = ws.analysis_tables()
    a = t["accounts"].select("account_id", "industry", "employees").to_pandas()
    me = a[a.account_id == account_id]
    if me.empty:
        raise NotFoundError(f"no account {account_id!r}")
    industry, band = me.industry.iloc[0], size_band(me.employees.iloc[0])
    a["band"] = a.employees.map(size_band)
    peers = a[(a.industry == industry) & (a.band == band) & (a.account_id != account_id)].account_id.tolist()
    o = t["opportunities"]
    won = o.filter(o.is_won & o.product.notnull() & (o.closed_at <= ibis.literal(as_of)).fill_null(True))
    won = won.filter(won.account_id.isin([*peers, account_id])).select("account_id", "product").distinct().to_pandas()
    mine = set(won[won.account_id == account_id]["product"])
    theirs = won[won.account_id != account_id]
    open_o = o.filter((o.account_id == account_id) & ~o.is_closed & o.product.notnull()).select("product").to_pandas()
    open_products = set(open_o["product"])
    rows = []
    for product, n in theirs.groupby("product").account_id.nunique().items():
        if product in mine:
            continue
        rows.append({"product": product, "similar_accounts_bought_n": int(n), "similar_accounts_n": len(peers),
                     "share": round(int(n) / len(peers), 3) if peers else None, "open_deal": product in open_products})
    rows.sort(key=lambda r: (-r["similar_accounts_bought_n"], r["product"]))
    return {"industry": industry, "size_band": band, "similar_accounts_n": len(peers),
            "bought": sorted(mine), "products": rows}
