"""Support requests from the command line: `accountleader requests
list|show|add|propose|decide|done|cancel|remind|figures`.

A change is made as an app user (``--as USERNAME``), under the same rules as in the web app:
only the requester decides or cancels, only the assignee answers and records the outcome.
Reading without ``--as`` shows every request (the command line has every right to read). Each
change names the version it was made to (``--version``, shown by ``list`` and ``show``); a
stale one is refused naming who changed what since. Bad input is one line naming the field and
value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import AlreadyDone
from .app import HelpGroup, app, state

if TYPE_CHECKING:
    from ..playbooks import Actor
    from ..requests import Requests

requests_app = typer.Typer(cls=HelpGroup, no_args_is_help=True,
                           help="Support requests framed as outcomes: ask, propose another way, decide, record.")
app.add_typer(requests_app, name="requests")

AsOpt = Annotated[str | None, typer.Option("--as", help="The app user who acts (username).")]
AsNeeded = Annotated[str, typer.Option("--as", help="The app user who acts (username).")]
IdArg = Annotated[int, typer.Argument(help="The request's id.")]
VersionOpt = Annotated[int, typer.Option("--version", help="The version you saw (`requests show`).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _requests() -> Requests:
    # SQLAlchemy, Alembic and the results load only when a requests command runs
    return state().workspace.requests()


def _actor(username: str | None) -> Actor:
    """The command line, or the app user ``username`` with the scope the web app gives them."""
    from ..domain.access import EVERYONE, Scope
    from ..errors import AccountLeaderError, InputError
    from ..playbooks import CLI, Actor
    from ..store import list_users, users

    if username is None:
        return CLI
    ws = state().workspace
    name = users.normalize_username(username)
    user = next((u for u in list_users(ws.app_store()) if u.username == name), None)
    if user is None:
        raise InputError(f"--as {username!r}: no app user with this name (accountleader users list)", column="as",
                         value=username)
    if not user.active:
        raise InputError(f"--as {username!r}: this user is disabled", column="as", value=username)
    if user.role == "admin":
        return Actor(EVERYONE, user)
    try:
        scope = ws.reader().scope_for(user.role, user.crm_user_id)
    except AccountLeaderError:  # no results yet: the person's own records only
        own = frozenset({user.crm_user_id}) if user.crm_user_id else frozenset()
        scope = Scope(user.role, user.crm_user_id, own, None, frozenset())
    return Actor(scope, user)


def _line(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["id"], r["version"], r["status"], r["kind"], r["needed_by"], _short(r["outcome"]),
            r["requester"]["username"], r["assignee"]["username"], r.get("opportunity_name") or r["opportunity_id"] or "",
            "" if r["on_time"] is None else ("yes" if r["on_time"] else "late"))


def _short(text: str | None, n: int = 60) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _done(view: Any, what: str) -> None:
    con = state().console
    r = view.as_dict()
    con.success(f"request {r['id']} {what} (version {r['version']}, {r['status']})")
    note = r.get("notification")
    if note and note.get("sent"):
        con.info(f"emailed {note['to']}")
    elif note:
        con.warning(f"no email sent: {note.get('error')}")


@requests_app.command("list")
def list_(
    as_: AsOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="asked, proposed, decided, done or cancelled.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only those the --as user asked or is asked.")] = False,
    json: JsonOpt = False,
) -> None:
    """The requests the --as user may see (every request without --as), oldest first."""
    actor = _actor(as_)
    found = [v.as_dict() for v in _requests().list(actor, status=status, mine=True if mine else None)]
    con = state().console
    if json:
        con.json(found)
        return
    con.table("Support requests", ["id", "ver", "status", "kind", "needed by", "outcome", "asked by", "asked of",
                                   "deal", "on time"], [_line(r) for r in found])


@requests_app.command("show")
def show(request_id: IdArg, as_: AsOpt = None, json: JsonOpt = False) -> None:
    """One request and its history (who changed what, when)."""
    actor = _actor(as_)
    svc = _requests()
    r = svc.get(actor, request_id).as_dict()
    events = svc.history(actor, request_id)
    con = state().console
    if json:
        con.json({**r, "history": events})
        return
    con.table(f"Request {r['id']} (version {r['version']}, {r['status']})", ["field", "value"],
              [(k, v if not isinstance(v, dict) else v.get("username")) for k, v in r.items() if v is not None])
    con.table("History", ["at", "by", "action", "field", "old", "new"],
              [(e["at"], e["actor"], e["action"], e["field"], _short(e["old"], 40), _short(e["new"], 40))
               for e in events])


@requests_app.command("add")
def add(
    as_: AsNeeded,
    kind: Annotated[str, typer.Option("--kind", help="quote, pricing, engineering, legal, delivery or other.")],
    outcome: Annotated[str, typer.Option("--outcome", help="The result you need, not the steps.")],
    needed_by: Annotated[str, typer.Option("--needed-by", help="YYYY-MM-DD.")],
    assignee: Annotated[str, typer.Option("--assignee", help="The support user asked (username).")],
    constraints: Annotated[str | None, typer.Option("--constraints", help="Limits the result must respect.")] = None,
    opportunity: Annotated[str | None, typer.Option("--opportunity", help="The deal's CRM id.")] = None,
    quote: Annotated[str | None, typer.Option("--quote", help="The quote's CRM id.")] = None,
) -> None:
    """Ask a support user for an outcome."""
    view = _requests().add(_actor(as_), kind=kind, outcome=outcome, needed_by=needed_by, assignee=assignee,
                           constraints=constraints, opportunity_id=opportunity, quote_id=quote)
    _done(view, "asked")


@requests_app.command("propose")
def propose(
    request_id: IdArg, as_: AsNeeded, version: VersionOpt,
    proposal: Annotated[str | None, typer.Option("--proposal", help="Another way to get the result.")] = None,
    rationale: Annotated[str | None, typer.Option("--rationale", help="Why it is better.")] = None,
    as_asked: Annotated[bool, typer.Option("--as-asked", help="Reply that you will do it as asked.")] = False,
) -> None:
    """The assignee's answer before the decision: another way (with a rationale), or --as-asked."""
    view = _requests().propose(_actor(as_), request_id, version, proposal, rationale,
                               "as_asked" if as_asked else "another_way")
    _done(view, "answered")


@requests_app.command("decide")
def decide(
    request_id: IdArg, as_: AsNeeded, version: VersionOpt,
    decision: Annotated[str, typer.Option("--decision", help="accept, modify (with --note) or keep.")],
    note: Annotated[str | None, typer.Option("--note", help="How you modify the proposal.")] = None,
) -> None:
    """The requester's decision: accept or modify the proposal, or keep the original ask."""
    _done(_requests().decide(_actor(as_), request_id, version, decision, note), "decided")


@requests_app.command("done")
def done(
    request_id: IdArg, as_: AsNeeded, version: VersionOpt,
    achieved: Annotated[str, typer.Option("--achieved", help="yes or no: was the result achieved?")],
    note: Annotated[str | None, typer.Option("--note", help="A quality note.")] = None,
) -> None:
    """The assignee records the outcome (on time is worked out from the needed-by date)."""
    _done(_requests().done(_actor(as_), request_id, version, achieved, note), "done")


@requests_app.command("cancel")
def cancel(request_id: IdArg, as_: AsNeeded, version: VersionOpt) -> None:
    """The requester withdraws a request that is not done."""
    _done(_requests().cancel(_actor(as_), request_id, version), "cancelled")


@requests_app.command("remind")
def remind(
    within_days: Annotated[int | None, typer.Option(
        "--within-days", help="Open requests needed within this many days (default: requests.remind_within_days).")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Email whoever each open request due soon (or overdue) waits on: for cron."""
    from ..errors import InputError

    days = state().workspace.settings.requests.remind_within_days if within_days is None else within_days
    if days < 0:
        raise InputError(f"--within-days {days}: must be 0 or more", column="within-days", value=str(days))
    sent = _requests().remind(within_days=days)
    con = state().console
    if json:
        con.json(sent)
        return
    ok = sum(1 for e in sent if (e.get("notification") or {}).get("sent") is True)
    off = "not sent: notifications are off (set notifications.smtp_host)"
    con.table(f"Open requests needed within {days} days", ["id", "status", "needed by", "email"],
              [(e["id"], e["status"], e["needed_by"], off if e["notification"] is None else
                e["notification"].get("to") or e["notification"].get("error")) for e in sent])
    con.success(f"{ok} of {len(sent)} reminders sent")


@requests_app.command("figures")
def figures(as_: AsOpt = None, json: JsonOpt = False) -> None:
    """Consultation, proposal adoption, resourcefulness and the outcomes of adopted proposals
    against prescribed approaches, over the requests the --as user may see."""
    f = _requests().analytics(_actor(as_))
    con = state().console
    if json:
        con.json(f)
        return

    def pct(row: dict[str, Any], name: str) -> str:
        if row.get(name) is None:
            return f"- ({row.get(f'{name}_reason')})"
        return f"{row[name]:.0%} [{row[f'{name}_low']:.0%}-{row[f'{name}_high']:.0%}] n={row[f'{name}_n']}"

    con.table("Requesters", ["who", "decisions", "consultation", "proposal adoption"],
              [(r["name"], r["decisions_n"], pct(r, "consultation_rate"), pct(r, "proposal_adoption_rate"))
               for r in f["requesters"].values()])
    con.table("Support", ["who", "requests", "adoption", "resourcefulness credit"],
              [(r["name"], r["requests_n"], pct(r, "adoption_rate"), r["resourcefulness_credit"])
               for r in f["assignees"].values()])
    con.table("Outcomes", ["approach", "achieved", "on time"],
              [(k, pct(v, "achieved_rate"), pct(v, "on_time_rate")) for k, v in f["outcomes"].items()])


@requests_app.command("demo")
def demo(
    seed: Annotated[int, typer.Option("--seed", help="The seed the demo company was made with.")] = 7,
    scale: Annotated[float, typer.Option("--scale", help="The scale the demo company was made with.")] = 1.0,
) -> None:
    """Plant the demo company's support requests in the app database (after `accountleader demo`):
    app users for the people involved (random passwords: set one with `users passwd`)."""
    try:
        done = state().workspace.seed_demo_requests(seed=seed, scale=scale)
    except AlreadyDone as e:  # `make demo` run again: what is there stays, and that is no failure
        state().console.info(f"nothing planted: {e}")
        return
    state().console.success(f"planted {done['requests']} support requests; {done['users_added']} app users added "
                            "(set a password with `accountleader users passwd NAME` to log in as one)")
