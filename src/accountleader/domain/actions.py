"""Next best actions: what a seller should do next, and why.

Pure: every function takes plain rows (dicts, as the workspace queries return them) and
returns :class:`Action` values.  Nothing here reads a database or the clock; the as-of
date comes in through :class:`ActionContext`.

Each action names its kind, the ids it is about, one reason sentence carrying the
evidence numbers, and a score from 0 to 100.  The score is a product of four factors,
each documented in ``docs/actions.md``::

    score = 100 * weight[kind] * value * urgency * fit

* ``weight``  - how much the kind matters by itself (``KIND_WEIGHTS``);
* ``value``   - 0.5 + 0.5 * min(1, amount / reference_amount) for deals,
                0.5 + 0.5 * fit_score / 100 for accounts;
* ``urgency`` - 0.5 + 0.5 * u, where u in [0, 1] is kind-specific (how late, how long silent);
* ``fit``     - ``FIT_FACTORS`` by the account's fit tier (0.8 when it has none).

Ties are broken by kind order, then by the target id, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

Row = Mapping[str, Any]

#: Kinds, in tie-break order, with their weights.
KIND_WEIGHTS: dict[str, float] = {
    "reach_decision_maker": 1.0,
    "send_overdue_quote": 0.95,
    "follow_up_late_quote": 0.75,
    "line_up_support": 0.8,
    "invest_in_starved_account": 0.6,
    "create_at_tended_account": 0.5,
}
KIND_TITLES = {
    "reach_decision_maker": "Reach the decision maker",
    "send_overdue_quote": "Send the overdue quote",
    "follow_up_late_quote": "Follow up a late quote",
    "line_up_support": "Line up support behind the proposal",
    "invest_in_starved_account": "Invest in a starved high-fit account",
    "create_at_tended_account": "Create business where you only tend",
}
FIT_FACTORS = {"A": 1.0, "B": 0.9, "C": 0.7, "D": 0.6}
NO_TIER_FIT_FACTOR = 0.8

#: Buyer roles that count as a decision maker (same as the effectiveness metrics).
DECISION_ROLES = ("executive", "economic_buyer", "decision_maker")
#: Roles preferred, in order, when choosing whom to call.
CALL_ORDER = ("economic_buyer", "decision_maker", "executive")
#: Stages where a proposal is on the table.
PROPOSAL_STAGES = ("proposal/price quote", "negotiation/review", "proposal", "negotiation", "quote")
ROLE_LABELS = {
    "economic_buyer": "economic buyer", "decision_maker": "decision maker", "executive": "executive",
    "champion": "champion", "technical_evaluator": "technical evaluator", "procurement": "procurement",
    "user": "user", "unknown": "unknown role",
}


@dataclass(frozen=True)
class ActionContext:
    """What the ranking needs besides the rows.

    ``reference_amount``: a deal this size (or larger) gets the full value factor; callers
    pass e.g. the 75th percentile of open deal amounts.  ``window_days``: the engagement
    window of the analysis.  ``sla_business_days``: the quote SLA.  ``logging_stopped_at``:
    the day activity logging stopped org-wide (``status`` → ``logging_stopped_at``), if it
    did before ``as_of``: silence is then counted up to that day, never blamed on a contact
    or an account, and the reason says "no activity logged since".
    """

    as_of: date
    window_days: int = 90
    sla_business_days: float = 2.0
    reference_amount: float = 100_000.0
    tended_activity_reference: int = 30
    logging_stopped_at: date | None = None
    #: Stage names (any case) that mean a proposal is out: the org's quote stage and the open
    #: stages after it (from the stage profile, so Spanish orgs work); empty means the defaults.
    proposal_stages: tuple[str, ...] = ()

    @property
    def stopped(self) -> date | None:
        """The logging stop, when it is before ``as_of``; else None."""
        stop = _day(self.logging_stopped_at)
        return stop if stop is not None and stop < self.as_of else None

    @property
    def activity_until(self) -> date:
        """The day silence is measured to: ``as_of``, or the logging stop when earlier."""
        return self.stopped or self.as_of

    def stop_note(self) -> str:
        stop = self.stopped
        return f" (counted to {stop:%Y-%m-%d}: no activity logged since, org-wide)" if stop else ""


@dataclass(frozen=True)
class Action:
    kind: str
    title: str
    reason: str
    score: float
    owner_id: str | None = None
    account_id: str | None = None
    opportunity_id: str | None = None
    contact_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- wording ----------------------------------------------------------------------------------


def money(amount: float | None) -> str:
    """120000 -> "120k", 1250000 -> "1.2M", None -> "no amount"."""
    if amount is None:
        return "no amount"
    a = abs(float(amount))
    if a >= 1_000_000:
        return f"{amount / 1_000_000:.1f}M"
    if a >= 1_000:
        return f"{amount / 1_000:.0f}k"
    return f"{amount:.0f}"


def pct(share: float | None) -> str:
    """0.624 -> "62%"; None -> "n/a"."""
    return "n/a" if share is None else f"{100 * share:.0f}%"


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "unknown", (role or "unknown").replace("_", " "))


def tier_phrase(account: Row) -> str:
    tier = account.get("fit_tier")
    return f"tier {tier}" if tier else "no fit tier"


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


# -- factors ----------------------------------------------------------------------------------


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def deal_value(amount: float | None, reference_amount: float) -> float:
    """0.5 for a deal with no amount, up to 1.0 at ``reference_amount`` and above."""
    if not amount or reference_amount <= 0:
        return 0.5
    return 0.5 + 0.5 * _clip(float(amount) / reference_amount)


def account_value(fit_score: float | None) -> float:
    return 0.5 + 0.5 * _clip((fit_score or 0.0) / 100)


def fit_factor(tier: str | None) -> float:
    return FIT_FACTORS.get(tier or "", NO_TIER_FIT_FACTOR)


def score(kind: str, value: float, urgency: float, fit: float) -> float:
    """The documented product, 0-100, rounded to 0.1."""
    return round(100 * KIND_WEIGHTS[kind] * value * (0.5 + 0.5 * _clip(urgency)) * fit, 1)


# -- the kinds --------------------------------------------------------------------------------


def is_proposal(stage: str | None, ctx: ActionContext | None = None) -> bool:
    names = [s.lower() for s in ctx.proposal_stages] if ctx is not None and ctx.proposal_stages else PROPOSAL_STAGES
    return (stage or "").lower() in names


def is_single_threaded(deal: Row) -> bool:
    """Open, exactly one contact engaged in the window, and not a decision maker.

    A deal with nobody engaged is not single-threaded but untouched; and where the data has
    no activities at all (e.g. an opportunities-only CRM export) calling every deal
    single-threaded would invent a finding the data cannot support."""
    return not deal.get("is_closed") and deal.get("contacts_engaged") == 1 and not deal.get("has_decision_maker")


def _best_contact(contacts: Sequence[Row]) -> Row | None:
    """The decision maker to call: economic buyer first, then decision maker, then executive;
    among equals the one touched least recently (never touched first)."""
    live = [c for c in contacts if c.get("buyer_role") in DECISION_ROLES and not c.get("departed_at")]
    if not live:
        return None
    return min(live, key=lambda c: (CALL_ORDER.index(c["buyer_role"]), c.get("last_touch") or "", c.get("contact_id") or ""))


def _days_since_dm_touch(contacts: Sequence[Row], as_of: date) -> int | None:
    touches = [_day(c.get("last_touch")) for c in contacts if c.get("buyer_role") in DECISION_ROLES]
    known = [t for t in touches if t is not None]
    return (as_of - max(known)).days if known else None


def reach_decision_maker(deals: Iterable[Row], accounts: Mapping[str, Row], contacts_by_account: Mapping[str, Sequence[Row]],
                         ctx: ActionContext) -> list[Action]:
    """Open, single-threaded deals with no decision maker engaged: call the best decision maker."""
    out = []
    for d in deals:
        if not is_single_threaded(d):
            continue
        acc = accounts.get(d.get("account_id") or "", {})
        people = contacts_by_account.get(d.get("account_id") or "", [])
        who = _best_contact(people)
        silent = _days_since_dm_touch(people, ctx.activity_until)
        kind_of_deal = "proposal" if is_proposal(d.get("stage"), ctx) else "deal"
        since = ("no decision maker ever engaged" if silent is None
                 else f"no decision maker engaged in {max(silent, 0)} days{ctx.stop_note()}")
        facts = (f"{tier_phrase(acc)}, open {kind_of_deal} of {money(d.get('amount'))} ({d.get('stage')}), "
                 f"{d.get('contacts_engaged') or 0} contact engaged in {ctx.window_days} days, {since}")
        account_name = acc.get("name") or d.get("account_id")
        if who is not None:
            title = who.get("title") or "no title"
            reason = f"Call {who.get('name')} ({title}, {role_label(who.get('buyer_role'))}) at {account_name}: {facts}."
        else:
            reason = f"Find and reach a decision maker at {account_name} (none on file): {facts}."
        urgency = 1.0 if silent is None else max(silent, 0) / max(ctx.window_days, 1)
        if is_proposal(d.get("stage"), ctx):
            urgency = max(urgency, 0.75)
        out.append(Action(
            kind="reach_decision_maker", title=KIND_TITLES["reach_decision_maker"], reason=reason,
            score=score("reach_decision_maker", deal_value(d.get("amount"), ctx.reference_amount), urgency,
                        fit_factor(acc.get("fit_tier"))),
            owner_id=d.get("owner_id"), account_id=d.get("account_id"), opportunity_id=d.get("opportunity_id"),
            contact_id=who.get("contact_id") if who else None,
            evidence={"amount": d.get("amount"), "stage": d.get("stage"), "contacts_engaged": d.get("contacts_engaged") or 0,
                      "days_since_decision_maker_touch": silent, "fit_tier": acc.get("fit_tier")},
        ))
    return out


def send_overdue_quotes(pending: Iterable[Row], accounts: Mapping[str, Row], ctx: ActionContext) -> list[Action]:
    """Quote requests with no quote yet, waiting longer than the SLA.

    Rows: opportunity_id, account_id, owner_id, name, amount, requested_at, business_days_waiting.
    """
    out = []
    for p in pending:
        waiting = float(p.get("business_days_waiting") or 0.0)
        if waiting <= ctx.sla_business_days:
            continue
        acc = accounts.get(p.get("account_id") or "", {})
        reason = (f"Send the quote for {p.get('name')} at {acc.get('name') or p.get('account_id')}: requested "
                  f"{waiting:.1f} business days ago against a {ctx.sla_business_days:g}-day SLA; "
                  f"{tier_phrase(acc)}, open deal of {money(p.get('amount'))}.")
        late = (waiting - ctx.sla_business_days) / 10
        out.append(Action(
            kind="send_overdue_quote", title=KIND_TITLES["send_overdue_quote"], reason=reason,
            score=score("send_overdue_quote", deal_value(p.get("amount"), ctx.reference_amount), late,
                        fit_factor(acc.get("fit_tier"))),
            owner_id=p.get("owner_id"), account_id=p.get("account_id"), opportunity_id=p.get("opportunity_id"),
            evidence={"business_days_waiting": round(waiting, 1), "sla_business_days": ctx.sla_business_days,
                      "amount": p.get("amount")},
        ))
    return out


def follow_up_late_quotes(late_quotes: Iterable[Row], deals: Mapping[str, Row], accounts: Mapping[str, Row],
                          ctx: ActionContext) -> list[Action]:
    """Open deals whose latest quote went out after the SLA within the window: confirm the buyer
    is still with you.  Rows: quote events (opportunity_id, quoted_at, business_days, over_sla)."""
    latest: dict[str, Row] = {}
    for q in late_quotes:
        oid = q.get("opportunity_id")
        if oid and (oid not in latest or str(q.get("quoted_at")) > str(latest[oid].get("quoted_at"))):
            latest[oid] = q
    out = []
    for oid, q in sorted(latest.items()):
        d = deals.get(oid)
        quoted = _day(q.get("quoted_at"))
        if d is None or d.get("is_closed") or not q.get("over_sla") or quoted is None:
            continue
        age = (ctx.as_of - quoted).days
        if age > ctx.window_days:
            continue
        days = float(q.get("business_days") or 0.0)
        acc = accounts.get(d.get("account_id") or "", {})
        reason = (f"Follow up the quote for {d.get('name')} at {acc.get('name') or d.get('account_id')}: it went out "
                  f"{days:.1f} business days after the request (SLA {ctx.sla_business_days:g}) {age} days ago; "
                  f"{tier_phrase(acc)}, open deal of {money(d.get('amount'))} in {d.get('stage')}.")
        out.append(Action(
            kind="follow_up_late_quote", title=KIND_TITLES["follow_up_late_quote"], reason=reason,
            score=score("follow_up_late_quote", deal_value(d.get("amount"), ctx.reference_amount),
                        (days - ctx.sla_business_days) / 10, fit_factor(acc.get("fit_tier"))),
            owner_id=d.get("owner_id"), account_id=d.get("account_id"), opportunity_id=oid,
            evidence={"quote_business_days": round(days, 1), "sla_business_days": ctx.sla_business_days,
                      "days_since_quote": age, "amount": d.get("amount")},
        ))
    return out


def line_up_support(deals: Iterable[Row], accounts: Mapping[str, Row], ctx: ActionContext) -> list[Action]:
    """Open proposals (not single-threaded) with no champion or no decision maker engaged."""
    out = []
    for d in deals:
        if d.get("is_closed") or not is_proposal(d.get("stage"), ctx) or is_single_threaded(d):
            continue
        roles = list(d.get("roles_engaged") or [])
        missing = []
        if "champion" not in roles:
            missing.append("no champion")
        if not d.get("has_decision_maker"):
            missing.append("no decision maker")
        if not missing:
            continue
        acc = accounts.get(d.get("account_id") or "", {})
        close = _day(d.get("close_date"))
        days_to_close = (close - ctx.as_of).days if close else None
        closing = f", closing in {days_to_close} days" if days_to_close is not None and days_to_close >= 0 else ""
        engaged = ", ".join(role_label(r) for r in roles) or "nobody"
        reason = (f"Line up support for {d.get('name')} at {acc.get('name') or d.get('account_id')}: "
                  f"{' and '.join(missing)} engaged (roles engaged: {engaged}); {tier_phrase(acc)}, "
                  f"open proposal of {money(d.get('amount'))}{closing}.")
        urgency = 1.0 - (days_to_close / 90 if days_to_close is not None and days_to_close >= 0 else 0.0)
        out.append(Action(
            kind="line_up_support", title=KIND_TITLES["line_up_support"], reason=reason,
            score=score("line_up_support", deal_value(d.get("amount"), ctx.reference_amount), urgency,
                        fit_factor(acc.get("fit_tier"))),
            owner_id=d.get("owner_id"), account_id=d.get("account_id"), opportunity_id=d.get("opportunity_id"),
            evidence={"missing": missing, "roles_engaged": roles, "amount": d.get("amount"),
                      "days_to_close": days_to_close},
        ))
    return out


def invest_in_starved_accounts(gaps: Iterable[Row], accounts: Mapping[str, Row], ctx: ActionContext) -> list[Action]:
    """High-fit (A/B) accounts with almost no effort.  Rows: effort_gaps with gap == "starved"."""
    out = []
    for g in gaps:
        if g.get("gap") != "starved":
            continue
        acc = accounts.get(g.get("account_id") or "", {})
        n = int(g.get("activities_n") or 0)
        fit = g.get("fit_score")
        # never a "first move" where the team already won or has deals open (account_results)
        won_n, open_n = int(acc.get("won_n") or 0), int(acc.get("open_n") or 0)
        verb = (f"Re-engage {acc.get('name') or g.get('account_id')} ({won_n} won, {open_n} open deal"
                f"{'s' if open_n != 1 else ''})" if won_n or open_n
                else f"Plan a first move at {acc.get('name') or g.get('account_id')}")
        reason = (f"{verb}: tier {g.get('fit_tier')} "
                  f"(fit {fit:.0f}), only {n} touch{'es' if n != 1 else ''} in {ctx.window_days} days{ctx.stop_note()}."
                  if fit is not None else
                  f"{verb}: tier {g.get('fit_tier')}, "
                  f"only {n} touches in {ctx.window_days} days{ctx.stop_note()}.")
        out.append(Action(
            kind="invest_in_starved_account", title=KIND_TITLES["invest_in_starved_account"], reason=reason,
            score=score("invest_in_starved_account", account_value(fit), 1.0 - n / 3, fit_factor(g.get("fit_tier"))),
            owner_id=g.get("owner_id"), account_id=g.get("account_id"),
            evidence={"fit_tier": g.get("fit_tier"), "fit_score": fit, "activities_n": n},
        ))
    return out


def create_at_tended_accounts(accounts: Iterable[Row], ctx: ActionContext) -> list[Action]:
    """Accounts that get activity but where nothing is being created (``only_tended``)."""
    out = []
    for a in accounts:
        if not a.get("only_tended"):
            continue
        n = int(a.get("activities_n") or 0)
        reason = (f"Create business at {a.get('name') or a.get('account_id')}: {n} activities in "
                  f"{ctx.window_days} days, {pct(a.get('create_share') or 0.0)} of them creating; "
                  f"{tier_phrase(a)}. Open an expansion or discovery conversation.")
        out.append(Action(
            kind="create_at_tended_account", title=KIND_TITLES["create_at_tended_account"], reason=reason,
            score=score("create_at_tended_account", account_value(a.get("fit_score")),
                        n / max(ctx.tended_activity_reference, 1), fit_factor(a.get("fit_tier"))),
            owner_id=a.get("owner_id"), account_id=a.get("account_id"),
            evidence={"activities_n": n, "create_share": a.get("create_share"), "fit_tier": a.get("fit_tier")},
        ))
    return out


# -- ranking ----------------------------------------------------------------------------------

_KIND_ORDER = {k: i for i, k in enumerate(KIND_WEIGHTS)}


def rank(actions: Iterable[Action], limit: int | None = None) -> list[Action]:
    """Highest score first; ties by kind order, then opportunity/account id.  One action per
    target: when a deal or account has several, the best-scoring one is kept."""
    ordered = sorted(actions, key=lambda a: (-a.score, _KIND_ORDER.get(a.kind, 99),
                                             a.opportunity_id or "", a.account_id or ""))
    seen: set[tuple[str, str]] = set()
    out = []
    for a in ordered:
        target = ("opportunity", a.opportunity_id) if a.opportunity_id else ("account", a.account_id or "")
        if target in seen:
            continue
        seen.add(target)
        out.append(a)
    return out[:limit] if limit is not None else out


def next_best_actions(*, deals: Sequence[Row], accounts: Sequence[Row], contacts: Sequence[Row],
                      pending_quotes: Sequence[Row], quote_events: Sequence[Row], effort_gaps: Sequence[Row],
                      ctx: ActionContext, limit: int | None = 15) -> list[Action]:
    """Every kind over the rows given, ranked (see the module docstring for the score)."""
    acc = {a["account_id"]: a for a in accounts}
    by_opp = {d["opportunity_id"]: d for d in deals}
    people: dict[str, list[Row]] = {}
    for c in contacts:
        people.setdefault(c.get("account_id") or "", []).append(c)
    found = [
        *reach_decision_maker(deals, acc, people, ctx),
        *send_overdue_quotes(pending_quotes, acc, ctx),
        *follow_up_late_quotes(quote_events, by_opp, acc, ctx),
        *line_up_support(deals, acc, ctx),
        *invest_in_starved_accounts(effort_gaps, acc, ctx),
        *create_at_tended_accounts(accounts, ctx),
    ]
    return rank(found, limit)


def reference_amount(amounts: Iterable[float | None], quantile: float = 0.9, default: float = 100_000.0) -> float:
    """The ``quantile`` of the positive amounts given (nearest rank); ``default`` when none."""
    xs = sorted(float(a) for a in amounts if a)
    if not xs:
        return default
    return xs[min(len(xs) - 1, int(quantile * len(xs)))]
