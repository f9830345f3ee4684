"""What each report says: findings, actions and chart rows gathered from the workspace.

Everything here reads through the workspace's results reader and hands plain rows to the
pure domain rules (:mod:`accountleader.domain.findings`, :mod:`accountleader.domain.actions`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..domain import actions as act
from ..domain import findings as fnd
from ..domain.access import EVERYONE, Scope
from ..errors import InputError
from ..results_reader import ResultsReader
from ..workspace import Workspace
from . import obedience

Step = Callable[[str, float], None]

SELLER_ACTIONS_LIMIT = 12
TEAM_ACTIONS_LIMIT = 10
#: A Monday-morning read: the most severe team findings; seller reports hold the rest.
TEAM_FINDINGS_LIMIT = 20


@dataclass(frozen=True)
class Basis:
    """What every report states about how it was computed."""

    as_of: datetime
    window_days: int
    sla_business_days: float
    quote_stages: list[str]
    #: one line per data artefact found: what was counted and what it was excluded from
    data_notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, ws: Workspace) -> Basis:
        s = ws.settings
        quality = ws.results_quality()
        found = [st["stage"] for st in quality["stages"] if st.get("is_quote_stage")]
        return cls(datetime.fromisoformat(ws.analysis().as_of), s.engagement_window_days, s.quote_sla_business_days,
                   list(dict.fromkeys([*s.quote_stages, *found])), tuple(data_notes(quality)))

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.date().isoformat(), "window_days": self.window_days,
                "sla_business_days": self.sla_business_days, "data_notes": list(self.data_notes)}


def proposal_stages(quality: dict[str, Any], quote_stages: Sequence[str]) -> tuple[str, ...]:
    """The quote stages and every open stage after the first of them, in the org's stage order."""
    stages = quality.get("stages", [])
    wanted = {s.lower() for s in quote_stages}
    orders = [st["sort_order"] for st in stages if st["stage"].lower() in wanted or st.get("is_quote_stage")]
    if not orders:
        return tuple(quote_stages)
    first = min(orders)
    return tuple(st["stage"] for st in stages if not st["is_closed"] and st["sort_order"] >= first)


def _logging_stop(ws: Workspace) -> date | None:
    """The day activity logging stopped org-wide, if it did: actions count silence up to it."""
    at = ws.results_quality().get("logging_stopped_at")
    return date.fromisoformat(at[:10]) if at else None


def data_notes(quality: dict[str, Any]) -> list[str]:
    """The report's line per data artefact: count, kind and what it is kept out of."""
    out = []
    for a in quality.get("artefacts", []):
        if not a["count"]:
            continue
        if a["kind"] == "logging_stopped":
            out.append(f"Logging stopped: no activity logged org-wide since {a['examples'][0]}; {a['effect']}.")
        else:
            out.append(f"{a['count']:,} {a['kind'].replace('_', ' ')} ({a['unit']}): {a['effect']}.")
    return out


def _quiet(step: str, fraction: float) -> None:
    pass


# -- sellers: facts, findings, actions ------------------------------------------------------


@dataclass
class _Book:
    """The rows about a set of sellers that findings and actions are built from."""

    accounts: list[dict[str, Any]]
    open_deals: list[dict[str, Any]]
    effort: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    gaps: list[dict[str, Any]]


def _book(r: ResultsReader, owner_ids: list[str], *, team: str | None = None, rep: str | None = None) -> _Book:
    return _Book(
        accounts=r.accounts(),
        open_deals=r.opportunities(team=team, rep=rep, open_only=True),
        effort=r.account_effort(owner_ids=owner_ids),
        quotes=r.quote_events(owner_ids=owner_ids),
        pending=r.pending_quotes(owner_ids=owner_ids),
        gaps=r.effort_gaps(owner_ids=owner_ids),
    )


def _facts(book: _Book, basis: Basis) -> dict[str, fnd.SellerFacts]:
    tier_of = {a["account_id"]: a.get("fit_tier") for a in book.accounts}
    by_tier: dict[str, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    touches_on_own_a: dict[str, int] = defaultdict(int)
    owner_of = {a["account_id"]: a.get("owner_id") for a in book.accounts}
    for e in book.effort:
        by_tier[e["owner_id"]][tier_of.get(e["account_id"])] += e["activities_n"]
        if tier_of.get(e["account_id"]) == "A" and owner_of.get(e["account_id"]) == e["owner_id"]:
            touches_on_own_a[e["owner_id"]] += e["activities_n"]
    tier_a = defaultdict(int)
    tended = defaultdict(int)
    owned = defaultdict(int)
    for a in book.accounts:
        owned[a.get("owner_id")] += 1
        tier_a[a.get("owner_id")] += a.get("fit_tier") == "A"
        tended[a.get("owner_id")] += bool(a.get("only_tended"))
    days: dict[str, list[float]] = defaultdict(list)
    over: dict[str, int] = defaultdict(int)
    for q in book.quotes:
        if q.get("business_days") is not None:
            days[q["owner_id"]].append(q["business_days"])
            over[q["owner_id"]] += bool(q.get("over_sla"))
    waiting = defaultdict(int)
    for p in book.pending:
        waiting[p["owner_id"]] += p["business_days_waiting"] > basis.sla_business_days
    single: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in book.open_deals:
        if act.is_single_threaded(d):
            single[d["owner_id"]].append(d)
    ids = set(by_tier) | set(days) | set(owned) | set(single)
    return {
        uid: fnd.SellerFacts(
            activities_by_tier=dict(by_tier.get(uid, {})), tier_a_accounts_n=tier_a.get(uid, 0),
            tier_a_touches_n=touches_on_own_a.get(uid, 0), quote_business_days=days.get(uid, []),
            quotes_over_sla_n=over.get(uid, 0), pending_overdue_quotes_n=waiting.get(uid, 0),
            single_threaded_deals=sorted(single.get(uid, []), key=lambda d: -(d.get("amount") or 0)),
            only_tended_accounts_n=tended.get(uid, 0), accounts_n=owned.get(uid, 0),
        )
        for uid in ids if uid
    }


def _baseline(reps: Sequence[dict[str, Any]], facts: dict[str, fnd.SellerFacts]) -> fnd.TeamBaseline:
    return fnd.TeamBaseline.of(reps, {r["user_id"]: facts[r["user_id"]].quote_business_days
                                      for r in reps if r["user_id"] in facts})


def _actions(book: _Book, basis: Basis, ws: Workspace, r: ResultsReader, *, limit: int) -> list[act.Action]:
    deal_accounts = sorted({d["account_id"] for d in book.open_deals if act.is_single_threaded(d) and d.get("account_id")})
    ctx = act.ActionContext(
        as_of=basis.as_of.date(), window_days=basis.window_days, sla_business_days=basis.sla_business_days,
        reference_amount=act.reference_amount(d.get("amount") for d in book.open_deals),
        logging_stopped_at=_logging_stop(ws), proposal_stages=proposal_stages(ws.results_quality(), basis.quote_stages),
    )
    return act.next_best_actions(
        deals=book.open_deals,
        accounts=book.accounts,
        contacts=r.account_contacts(deal_accounts),
        pending_quotes=book.pending,
        quote_events=[q for q in book.quotes if q.get("over_sla")],
        effort_gaps=book.gaps,
        ctx=ctx,
        limit=limit,
    )


# -- team -------------------------------------------------------------------------------------


def team_report(ws: Workspace, team: str | None = None, *, progress: Step = _quiet) -> dict[str, Any]:
    """The team (or whole company) report: matrix, tend/create, effort/fit, quotes, change, findings."""
    basis = Basis.of(ws)
    r = ws.reader()
    progress("reading the team", 0.05)
    view = r.team_view(team=team)
    reps = view["reps"]
    ids = [rep["user_id"] for rep in reps]
    progress("gathering effort and quotes", 0.15)
    book = _book(r, ids, team=team)
    book.accounts = [a for a in book.accounts if a.get("owner_id") in set(ids)] or book.accounts
    facts = _facts(book, basis)
    baseline = _baseline(reps, facts)
    progress("writing findings", 0.3)
    problems = r.process_problems(team=team)
    findings = fnd.process_findings(problems, sla_business_days=basis.sla_business_days,
                                    response_sla_hours=ws.settings.response_sla_hours)
    findings += fnd.team_findings(reps, view["top_change_accounts"], view["fit_model"])
    for rep in reps:
        findings += fnd.seller_findings(rep, facts.get(rep["user_id"], fnd.SellerFacts()), baseline,
                                        sla_business_days=basis.sla_business_days, window_days=basis.window_days)
    actions = _actions(book, basis, ws, r, limit=TEAM_ACTIONS_LIMIT)
    name_of = {rep["user_id"]: rep.get("name") for rep in reps}
    effort_rows = []
    for rep in reps:
        for tier, n in sorted(facts.get(rep["user_id"], fnd.SellerFacts()).activities_by_tier.items(), key=lambda kv: kv[0] or "Z"):
            effort_rows.append({"seller": rep.get("name"), "tier": tier or "no tier", "activities_n": n})
    return {
        "kind": "team",
        "title": f"Team report: {team}" if team else "Team report: all teams",
        "basis": basis.as_dict(),
        "team": team,
        "teams": view["teams"],
        "reps": reps,
        "fit_model": view["fit_model"],
        "managed_not_led_accounts": view.get("managed_not_led_accounts", []),
        "top_change_accounts": view["top_change_accounts"],
        # results over obedience (issue 15): the team's managers as givers, its sellers as receivers
        "obedience": obedience.section(r.delegation_style(
            sorted({x["manager_id"] for x in reps if x.get("manager_id")} | set(ids)))),
        "desk": obedience.desk(ws.with_request_figures(reps)),
        "findings": [f.as_dict() for f in fnd.order(findings)[:TEAM_FINDINGS_LIMIT]],
        "findings_total": len(findings),
        "process_problems": problems,
        "actions": [{**a.as_dict(), "owner_name": name_of.get(a.owner_id)} for a in actions],
        "chart_rows": {
            "effort": effort_rows,
            "quote_days": [q["business_days"] for q in book.quotes if q.get("business_days") is not None],
        },
    }


# -- seller -----------------------------------------------------------------------------------


def seller_report(ws: Workspace, rep: str, *, progress: Step = _quiet) -> dict[str, Any]:
    """One seller: matrix position and why, findings, ranked next best actions."""
    basis = Basis.of(ws)
    r = ws.reader()
    progress("reading the seller", 0.05)
    uid = r.resolve_rep(rep)
    view = r.seller_view(uid)
    me = view["rep"]
    peers = r.reps()
    progress("gathering deals, quotes and contacts", 0.15)
    book = _book(r, [uid], rep=uid)
    team_book_quotes = r.quote_events()
    facts = _facts(book, basis)
    all_days: dict[str, list[float]] = defaultdict(list)
    for q in team_book_quotes:
        if q.get("business_days") is not None:
            all_days[q["owner_id"]].append(q["business_days"])
    baseline = fnd.TeamBaseline.of(peers, all_days)
    progress("ranking next best actions", 0.3)
    book.accounts = [a for a in book.accounts if a.get("owner_id") == uid
                     or a["account_id"] in {d.get("account_id") for d in book.open_deals}]
    actions = _actions(book, basis, ws, r, limit=SELLER_ACTIONS_LIMIT)
    return {
        "kind": "seller",
        "title": f"Seller report: {me.get('name')}",
        "basis": basis.as_dict(),
        "rep": me,
        "peers": peers,
        "position": fnd.matrix_position(me),
        "findings": [f.as_dict() for f in fnd.seller_findings(me, facts.get(uid, fnd.SellerFacts()), baseline,
                                                             sla_business_days=basis.sla_business_days,
                                                             window_days=basis.window_days)],
        "actions": [a.as_dict() for a in actions],
        "open_opportunities": view["open_opportunities"],
        "accounts": view["accounts"][:20],
        # results over obedience (issue 15): what the seller received, and gave if they give tasks too
        "obedience": obedience.section(r.delegation_style([uid])),
        "desk": obedience.desk(ws.with_request_figures([me])),
        "chart_rows": {"quote_days": facts.get(uid, fnd.SellerFacts()).quote_business_days},
    }


# -- account ----------------------------------------------------------------------------------


def account_report(ws: Workspace, account: str, *, progress: Step = _quiet) -> dict[str, Any]:
    """A living account plan: fit and reasons, stakeholders and gaps, deals, change, whitespace."""
    basis = Basis.of(ws)
    r = ws.reader()
    progress("reading the account", 0.05)
    account_id = r.resolve_account(account)
    view = r.account_view(account_id)
    acc = view["account"]
    progress("whitespace and actions", 0.2)
    space = r.whitespace(account_id)
    deals = ws.with_readiness([o for o in view["opportunities"] if not o.get("is_closed")], r)
    ctx = act.ActionContext(as_of=basis.as_of.date(), window_days=basis.window_days,
                            sla_business_days=basis.sla_business_days,
                            reference_amount=act.reference_amount(o.get("amount") for o in r.opportunities(open_only=True)),
                            logging_stopped_at=_logging_stop(ws),
                            proposal_stages=proposal_stages(ws.results_quality(), basis.quote_stages))
    quotes = r.quote_events(account_id=account_id)
    pending = r.pending_quotes(account_id=account_id)
    gaps = r.effort_gaps(account_id=account_id)
    people = [{**p, "account_id": account_id} for p in view["stakeholders"]]
    actions = act.next_best_actions(deals=deals, accounts=[acc], contacts=people, pending_quotes=pending,
                                    quote_events=[q for q in quotes if q.get("over_sla")], effort_gaps=gaps, ctx=ctx,
                                    limit=SELLER_ACTIONS_LIMIT)
    by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in view["stakeholders"]:
        by_role[p["buyer_role"]].append(p)
    return {
        "kind": "account",
        "title": f"Account plan: {acc.get('name')}",
        "basis": basis.as_dict(),
        "account": acc,
        "stakeholders_by_role": [{"role": r, "label": act.role_label(r), "people": ps} for r, ps in by_role.items()],
        "role_gaps": [act.role_label(r) for r in view["role_gaps"]],
        "open_opportunities": deals,
        "closed_opportunities": [o for o in view["opportunities"] if o.get("is_closed")],
        "support_maps": _support_maps(ws, r, deals),
        "timeline": view["timeline"],
        "whitespace": space,
        "actions": [a.as_dict() for a in actions],
    }


def _support_maps(ws: Workspace, r: ResultsReader, deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The account plan's support maps (issue 14): per open deal, its readiness and gaps, momentum,
    buyer stakeholders (stance, influence, access) and our backers, as people see them."""
    maps, _, _ = ws.support_maps_as_seen([d["opportunity_id"] for d in deals], r)
    out = []
    for d in deals:
        m = maps.get(d["opportunity_id"])
        if m is None:
            continue
        out.append({
            "opportunity_id": d["opportunity_id"], "name": d.get("name"), "stage": d.get("stage"),
            "readiness_score": d.get("readiness_score"), "readiness_gaps": d.get("readiness_gaps") or [],
            "readiness_note": d.get("readiness_note"), "momentum": d.get("momentum"),
            "momentum_n": d.get("momentum_n"), "cooling": d.get("cooling"), "confirmed": m.confirmed,
            "stakeholders": [{"name": p.name or p.contact_id, "title": p.title, "buyer_role": p.buyer_role,
                              "stance": p.stance, "influence": p.influence, "access": p.access,
                              "inferred": p.inferred} for p in m.stakeholders],
            "backers": [{"name": b.name or b.user_id, "function": b.function, "ask": b.ask,
                         "commitment": b.commitment, "inferred": b.inferred} for b in m.backers],
        })
    return out


# -- playbook alerts --------------------------------------------------------------------------


def playbook_alerts(ws: Workspace, *, seller_id: str | None = None,
                    seller_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The standing playbook alerts a report shows: a seller's own (the playbooks the people
    linked to ``seller_id`` own), or those on the deals and accounts of ``seller_ids`` (a team;
    None: every team). None without an app database (no playbooks)."""
    if not ws.has_app_store():
        return []
    desk = ws.playbooks()
    if seller_id is not None:
        return desk.alerts(seller_id=seller_id)
    scope = EVERYONE if seller_ids is None else Scope("manager", None, frozenset(seller_ids), None, None)
    return desk.alerts(scope)


# -- forecast accuracy (the backtest) ---------------------------------------------------------

#: The months of forecast against actual a report shows (the web's /backtest has them all).
BACKTEST_PERIODS = 4
#: Fewer deals scored than this: the scores are said to be too few to trust (as on /backtest).
BACKTEST_MIN_DEALS = 30
BACKTEST_METHODS = {"model": "Win model", "crm_probability": "CRM stage probability",
                    "stage_rate": "Historical stage rate"}


def forecast_accuracy(ws: Workspace, as_of: datetime) -> dict[str, Any]:
    """The team report's "Forecast accuracy (backtest)": the overall Brier and AUC of the three
    probabilities over the year to ``as_of``, and forecast against actual for the last few
    months (``Workspace.backtest``, kept in the workspace's cache: the web page's default view
    and the report share one computation). Company-wide figures, no deal named."""
    try:
        end = ws.resolve_as_of(None).naive
        result = ws.backtest() if abs((end - as_of).total_seconds()) < 1 else ws.backtest(
            date_from=as_of - timedelta(days=365), date_to=as_of)
    except InputError as exc:  # no month start to replay, e.g. less than a month of data
        return {"note": f"No backtest: {exc}", "methods": [], "periods": []}
    overall = result["overall"]
    n = max((o.get("n") or 0 for o in overall.values()), default=0)
    periods = [{"as_of": p["as_of"][:10], "due_n": p["forecast"]["due_n"], "complete": p["forecast"]["complete"],
                **{m: p["forecast"][f"{m}_amount"] for m in BACKTEST_METHODS},
                "won_from_open_amount": p["forecast"]["won_from_open_amount"], "won_amount": p["forecast"]["won_amount"]}
               for p in result["periods"] if p.get("forecast")][-BACKTEST_PERIODS:]
    return {
        "from": result["from"][:10], "to": result["to"][:10], "dates_n": result["dates_n"], "deals_n": n,
        "best": result["best_brier"],
        "note": None if n >= BACKTEST_MIN_DEALS else f"Too few deals to trust these scores: {n} scored "
                                                     f"(fewer than {BACKTEST_MIN_DEALS}).",
        "methods": [{"method": m, "label": label, "n": overall[m]["n"], "brier": overall[m]["brier"],
                     "auc": overall[m]["auc"]} for m, label in BACKTEST_METHODS.items()],
        "periods": periods,
    }
