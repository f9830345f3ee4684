"""Support maps drafted from the CRM, and the signals proposal readiness reads.

Every function works on *looks*: a table of ``(opportunity_id, account_id, look_at)``, one
moment per deal.  The analysis looks at every open deal at its as-of (:func:`open_looks`);
the readiness backtest looks at each closed deal as it entered the proposal stage
(:func:`proposal_looks`), with only what was logged before that moment.  One definition
serves both, so the backtest replays exactly what the analysis computes.

* :func:`stakeholder_draft`: ``support_map_draft``, one row per (deal, buyer contact) with a
  contact-role row or engagement, an inferred stance, influence and access, and the evidence.
* :func:`backer_draft`: ``support_backers_draft``, one row per (deal, support user) who worked
  on the deal, with the function read from their title and an inferred commitment.
* :func:`readiness_signals`: ``opportunity_readiness``, the facts the readiness rules
  (``domain/readiness.py``) need: stage and its probability rank, economic buyer's last
  touch, contacts engaged against the won-deal baseline at the same stage, and momentum.

The rules and thresholds are in docs/metrics.md ("Support maps, readiness and momentum");
thresholds come from ``settings.readiness``.  Portable Ibis only (DuckDB and PySpark).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import ibis
import ibis.expr.types as ir

from ..scoring.titles import DECISION_ROLES
from ._clean import closed_at, closed_by, real_history, selling_activities
from ._time import as_of_literal, days_between

__all__ = [
    "BACKER_FUNCTION_RULES",
    "METRICS",
    "backer_draft",
    "open_looks",
    "proposal_looks",
    "readiness_signals",
    "stage_baseline",
    "stakeholder_draft",
    "touches_at_looks",
]

#: The metrics documented in docs/metrics.md ("Support maps, readiness and momentum").
METRICS = ("stance", "backer_commitment", "momentum", "cooling", "readiness_score")
#: Momentum compares these two spans before the look, in days (docs/metrics.md).
MOMENTUM_DAYS = 30
#: Backer functions read from a support user's title and department, first match wins.
BACKER_FUNCTION_RULES: tuple[tuple[str, str], ...] = (
    ("pricing", r"pric|deal desk|commercial desk|revenue desk"),
    ("sales_engineering", r"sales engineer|solution|presales|pre-sales|technical consult"),
    ("legal", r"legal|counsel|contract|lawyer|jur[ií]dic"),
    ("delivery", r"deliver|implement|professional serv|onboard|customer success"),
    ("executive_sponsor", r"chief|\bvp\b|vice president|president|executive"),
)
_ASKS = {
    "pricing": "pricing approval",
    "sales_engineering": "technical validation",
    "legal": "contract review",
    "delivery": "delivery plan",
    "executive_sponsor": "executive sponsorship",
    "other": "help on the deal",
}


# -- looks -----------------------------------------------------------------------------------------


def open_looks(opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Every deal open at ``as_of``, looked at then: opportunity_id, account_id, look_at."""
    asof = as_of_literal(as_of)
    o = opportunities.filter((opportunities.created_at.isnull() | (opportunities.created_at <= asof))
                             & ~closed_by(opportunities, asof))
    return o.select("opportunity_id", "account_id", look_at=asof)


def stage_entries(history: ir.Table, *, as_of: datetime, stages: Sequence[str] | None = None) -> ir.Table:
    """First entry of each deal into each stage by ``as_of`` (real history rows only):
    opportunity_id, stage, entered_at.  ``stages`` (any case): only those."""
    h = history.filter(real_history(history) & history.stage.notnull()
                       & (history.changed_at <= as_of_literal(as_of)))
    if stages is not None:
        h = h.filter(h.stage.lower().isin([s.lower() for s in stages]))
    return h.group_by(["opportunity_id", "stage"]).aggregate(entered_at=h.changed_at.min())


def proposal_looks(opportunities: ir.Table, history: ir.Table, *, as_of: datetime,
                   proposal_stages: Sequence[str], since: datetime | None = None) -> ir.Table:
    """Deals closed by ``as_of``, looked at as they first entered a proposal stage (any of
    ``proposal_stages``), when that was before they closed and (with ``since``) on or after
    ``since``: opportunity_id, account_id, look_at, is_won."""
    e = stage_entries(history, as_of=as_of, stages=proposal_stages)
    first = e.group_by("opportunity_id").aggregate(look_at=e.entered_at.min())
    o = opportunities.filter(closed_by(opportunities, as_of_literal(as_of)))
    o = o.select("opportunity_id", "account_id", _closed=closed_at(o), is_won=o.is_won.fill_null(False))
    j = o.join(first, "opportunity_id")
    j = j.filter(j._closed.isnull() | (j.look_at < j._closed))
    if since is not None:
        j = j.filter(j.look_at >= as_of_literal(since))
    return j.select("opportunity_id", "account_id", "look_at", "is_won")


# -- touches ----------------------------------------------------------------------------------------


def touches_at_looks(looks: ir.Table, activities: ir.Table, *, lookback_days: float | None = None) -> ir.Table:
    """Selling activities with a buyer contact on each looked-at deal, up to its look: those
    naming the deal, or its account without naming another deal (the engagement rule of
    ``contacts_engaged``).  Columns: opportunity_id, look_at, contact_id, owner_id, kind,
    direction, at, days_ago (days before the look, 0 or more)."""
    a = selling_activities(activities)
    a = a.filter(a.contact_id.notnull())
    a = a.select(_oid=a.opportunity_id, _aid=a.account_id, contact_id=a.contact_id, owner_id=a.owner_id,
                 kind=a.kind, direction=a.direction, at=a.occurred_at)
    lk = looks.select("opportunity_id", "account_id", "look_at")
    on_deal = lk.join(a, lk.opportunity_id == a._oid)
    on_account = lk.join(a.filter(a._oid.isnull()), lk.account_id == a._aid)
    cols = ["opportunity_id", "look_at", "contact_id", "owner_id", "kind", "direction", "at"]
    t = on_deal.select(*cols).union(on_account.select(*cols), distinct=False)
    t = t.filter(t.at <= t.look_at)
    t = t.mutate(days_ago=days_between(t.at, t.look_at))
    if lookback_days is not None:
        t = t.filter(t.days_ago < lookback_days)
    return t


def _is_reply(t: ir.Table) -> ir.BooleanValue:
    return (t.direction == "inbound").fill_null(False) & t.kind.isin(["email", "call"])


def _per_contact(touches: ir.Table, *, recent_days: float, window_days: float) -> ir.Table:
    """Per (deal, contact): touches in the window, replies, meetings and unanswered outbound
    touches recently, first and last touch on the deal, momentum parts."""
    t = touches
    recent = t.days_ago < recent_days
    prev = (t.days_ago >= MOMENTUM_DAYS) & (t.days_ago < 2 * MOMENTUM_DAYS)
    last = t.days_ago < MOMENTUM_DAYS
    reply = _is_reply(t)
    meeting = t.kind == "meeting"
    outbound = (t.direction == "outbound").fill_null(False) & t.kind.isin(["email", "call"])
    answered = reply | meeting
    return t.group_by(["opportunity_id", "contact_id"]).aggregate(
        first_touch_at=t.at.min(),
        last_touch_at=t.at.max(),
        touches_window=(t.days_ago < window_days).cast("int64").sum(),
        inbound_30d=(reply & recent).cast("int64").sum(),
        meetings_30d=(meeting & recent).cast("int64").sum(),
        outbound_30d=(outbound & recent).cast("int64").sum(),
        answered_60d=(answered & (t.days_ago < 2 * recent_days)).cast("int64").sum(),
        _in_last=(reply & last).cast("int64").sum(),
        _in_prev=(reply & prev).cast("int64").sum(),
        _meet_last=(meeting & last).cast("int64").sum(),
        _meet_prev=(meeting & prev).cast("int64").sum(),
        _first_days=t.days_ago.max(),
    )


# -- the stakeholder draft ----------------------------------------------------------------------------


def _role_matches(role: ir.StringValue, words: Sequence[str]) -> ir.BooleanValue:
    low = role.lower()
    out = ibis.literal(False)
    for w in words:
        out = out | low.contains(w.lower())
    return out.fill_null(False)


def _crm_roles(looks: ir.Table, contact_role_rows: ir.Table, *, champion_roles: Sequence[str],
               blocker_roles: Sequence[str]) -> ir.Table:
    r = contact_role_rows
    r = r.join(looks.select("opportunity_id"), "opportunity_id")
    return r.group_by(["opportunity_id", "contact_id"]).aggregate(
        crm_role=r.role.max(),
        is_primary=r.is_primary.fill_null(False).any(),
        _crm_champion=_role_matches(r.role, champion_roles).any(),
        _crm_blocker=_role_matches(r.role, blocker_roles).any(),
    )


def stakeholder_draft(
    looks: ir.Table,
    touches: ir.Table,
    contact_role_rows: ir.Table,
    contacts: ir.Table,
    contact_roles: ir.Table,
    *,
    window_days: float = 90,
    recent_days: float = 30,
    champion_roles: Sequence[str] = ("champion", "coach"),
    blocker_roles: Sequence[str] = ("blocker", "opponent", "detractor"),
    unanswered_touches: int = 4,
    per: ir.Table | None = None,
) -> ir.Table:
    """The draft of each looked-at deal's buyer side (``support_map_draft``).

    ``touches``: :func:`touches_at_looks` with no lookback (first touches need all of it).
    ``contact_role_rows``: ``opportunity_contact_roles``; ``contact_roles``: the result
    table (buyer_role, seniority).  A row per (deal, contact) with a contact-role row, or a
    touch on the deal in the ``window_days`` before the look.  ``per``: the touches summed
    per (deal, contact) already (:func:`_per_contact` with the same days), if computed."""
    if per is None:
        per = _per_contact(touches, recent_days=recent_days, window_days=window_days)
    crm = _crm_roles(looks, contact_role_rows, champion_roles=champion_roles, blocker_roles=blocker_roles)
    keys = per.filter(per.touches_window > 0).select("opportunity_id", "contact_id").union(
        crm.select("opportunity_id", "contact_id"), distinct=True)
    d = keys.join(looks.select("opportunity_id", "look_at"), "opportunity_id")
    d = d.left_join(per, ["opportunity_id", "contact_id"]).drop("opportunity_id_right", "contact_id_right")
    d = d.left_join(crm, ["opportunity_id", "contact_id"]).drop("opportunity_id_right", "contact_id_right")
    c = contacts.select(_cid=contacts.contact_id, contact_name=contacts.name, title=contacts.title,
                        departed_at=contacts.departed_at)
    d = d.left_join(c, d.contact_id == c._cid).drop("_cid")
    cr = contact_roles.select(_rid=contact_roles.contact_id, _role=contact_roles.buyer_role,
                              _sen=contact_roles.seniority)
    d = d.left_join(cr, d.contact_id == cr._rid).drop("_rid")
    zero = {k: d[k].fill_null(0) for k in ("touches_window", "inbound_30d", "meetings_30d", "outbound_30d",
                                           "answered_60d")}
    d = d.mutate(
        buyer_role=ibis.coalesce(d._role, ibis.literal("unknown")),
        seniority=ibis.coalesce(d._sen, ibis.literal("unknown")),
        is_primary=d.is_primary.fill_null(False),
        _crm_champion=d._crm_champion.fill_null(False),
        _crm_blocker=d._crm_blocker.fill_null(False),
        _left=(d.departed_at.notnull() & (d.departed_at <= d.look_at)).fill_null(False),
        **zero,
    )
    # the most engaged contact (replies and meetings lately) may be the champion
    score = d.inbound_30d + d.meetings_30d
    w = ibis.window(group_by=d.opportunity_id, order_by=[ibis.desc(score), ibis.desc(d.last_touch_at), d.contact_id])
    d = d.mutate(_engaged_rank=ibis.ifelse(~d._left & (d.inbound_30d > 0) & (d.meetings_30d > 0),
                                           ibis.row_number().over(w), ibis.null("int64")))
    decision = d.buyer_role.isin(DECISION_ROLES) | d.seniority.isin(["c_level", "vp"])
    unanswered = (d.outbound_30d >= unanswered_touches) & (d.answered_60d == 0)
    engaged_champion = d._engaged_rank == 0  # row_number counts from 0 in Ibis
    stance = ibis.cases(
        (d._left, "neutral"),
        (d._crm_champion, "champion"),
        (d._crm_blocker, "blocker"),
        (engaged_champion.fill_null(False), "champion"),
        (decision & unanswered, "blocker"),
        (unanswered, "skeptic"),
        (d.inbound_30d + d.meetings_30d > 0, "supporter"),
        else_="neutral",
    )
    influence = ibis.cases(
        (decision, "high"),
        (d.seniority.isin(["director", "manager"])
         | d.buyer_role.isin(["champion", "technical_evaluator", "procurement"]), "medium"),
        else_="low",
    )
    days = f"{recent_days:g} days"
    evidence = ibis.cases(
        (d._left, "left the company on " + d.departed_at.date().cast("string")
         + ibis.ifelse(d.crm_role.notnull(), "; CRM role " + d.crm_role, "")),
        (d._crm_champion, "CRM contact role " + d.crm_role),
        (d._crm_blocker, "CRM contact role " + d.crm_role),
        (engaged_champion.fill_null(False), "most engaged contact: " + d.inbound_30d.cast("string")
         + " replies and " + d.meetings_30d.cast("string") + f" meetings in {days}"),
        (decision & unanswered, "decision-level contact: " + d.outbound_30d.cast("string")
         + f" outbound touches in {days}, no reply or meeting in {2 * recent_days:g} days"),
        (unanswered, d.outbound_30d.cast("string") + f" outbound touches in {days}, no reply or meeting in "
         f"{2 * recent_days:g} days"),
        (d.inbound_30d + d.meetings_30d > 0, d.inbound_30d.cast("string") + " replies and "
         + d.meetings_30d.cast("string") + f" meetings in {days}"),
        (d.crm_role.notnull(), "CRM contact role " + d.crm_role + ", no recent replies or meetings"),
        else_=f"touched, no replies or meetings in {days}",
    )
    return d.select(
        "opportunity_id", "contact_id", "contact_name", "title", "buyer_role", "crm_role", "is_primary",
        stance=stance, influence=influence,
        access=ibis.ifelse(d.last_touch_at.notnull() & ~d._left, "direct", "through"),
        last_touch_at=d.last_touch_at, inbound_30d=d.inbound_30d, meetings_30d=d.meetings_30d,
        outbound_30d=d.outbound_30d, departed_at=d.departed_at, left_company=d._left,
        crm_stance=ibis.cases((d._crm_champion, "champion"), (d._crm_blocker, "blocker"), else_=ibis.null("string")),
        evidence=evidence,
    )


# -- the backer draft ---------------------------------------------------------------------------------


def backer_function(title: ir.StringValue, department: ir.StringValue) -> ir.StringValue:
    """A support user's backer function from their title and department (first rule wins)."""
    text = (title.fill_null("") + " " + department.fill_null("")).lower()
    return ibis.cases(*((text.re_search(p), f) for f, p in BACKER_FUNCTION_RULES), else_="other")


def backer_draft(looks: ir.Table, activities: ir.Table, users: ir.Table, quotes: ir.Table) -> ir.Table:
    """Our support users who worked on each looked-at deal (``support_backers_draft``): an
    activity of theirs naming the deal by the look.  ``commitment`` is ``delivered`` when a
    pricing backer's deal got a quote after their first activity on it, or any other backer
    met a buyer contact on it; ``asked`` otherwise (``committed`` is for people to say)."""
    a = selling_activities(activities)
    a = a.filter(a.opportunity_id.notnull())
    lk = looks.select("opportunity_id", "look_at")
    u = users.filter(users.function == "support")
    u = u.select(_uid=u.user_id, name=u.name, function=backer_function(u.title, u.department))
    j = a.join(lk, "opportunity_id")
    j = j.filter(j.occurred_at <= j.look_at)
    j = j.join(u, j.owner_id == u._uid)
    per = j.group_by(["opportunity_id", "owner_id", "name", "function", "look_at"]).aggregate(
        first_at=j.occurred_at.min(), last_at=j.occurred_at.max(), activities_n=j.count(),
        _met=((j.kind == "meeting") & j.contact_id.notnull()).any(),
    )
    q = quotes.filter(quotes.opportunity_id.notnull()).select(_qoid=quotes.opportunity_id, _qat=quotes.created_at)
    pq = per.join(q, (per.opportunity_id == q._qoid) & (q._qat >= per.first_at) & (q._qat <= per.look_at))
    quoted = pq.group_by(["opportunity_id", "owner_id"]).aggregate(_quoted=pq.count())
    per = per.left_join(quoted, ["opportunity_id", "owner_id"]).drop("opportunity_id_right", "owner_id_right")
    pricing_done = (per.function == "pricing") & (per._quoted.fill_null(0) > 0)
    other_done = (per.function != "pricing") & per._met.fill_null(False)
    delivered = pricing_done | other_done
    ask = ibis.cases(*((per.function == f, text) for f, text in _ASKS.items()), else_="help on the deal")
    evidence = ibis.cases(
        (pricing_done, "a quote was made on the deal after their first activity on it"),
        (other_done, "met a buyer contact on the deal"),
        else_=per.activities_n.cast("string") + " activities on the deal since "
        + per.first_at.date().cast("string") + ", nothing delivered in the CRM",
    )
    return per.select(
        "opportunity_id", user_id=per.owner_id, name=per.name, function=per.function, ask=ask,
        commitment=ibis.ifelse(delivered, "delivered", "asked"), first_at=per.first_at,
        last_at=per.last_at, activities_n=per.activities_n, evidence=evidence,
    )


# -- readiness signals ---------------------------------------------------------------------------------


def stage_at_looks(looks: ir.Table, history: ir.Table, opportunities: ir.Table) -> ir.Table:
    """Each look's stage: the latest real history row by the look, else the deal's stage."""
    h = history.filter(real_history(history) & history.stage.notnull())
    h = h.select(_hid=h.opportunity_id, _stage=h.stage, _changed=h.changed_at)
    j = looks.select("opportunity_id", "look_at").join(h, (looks.opportunity_id == h._hid))
    j = j.filter(j._changed <= j.look_at)
    w = ibis.window(group_by=j.opportunity_id, order_by=[ibis.desc(j._changed), ibis.desc(j._stage)])
    j = j.mutate(_rn=ibis.row_number().over(w))
    latest = j.filter(j._rn == 0).select("opportunity_id", _hstage=j._stage)
    o = opportunities.select(_oid=opportunities.opportunity_id, _ostage=opportunities.stage)
    out = looks.select("opportunity_id").left_join(latest, "opportunity_id").drop("opportunity_id_right")
    out = out.left_join(o, out.opportunity_id == o._oid)
    return out.select("opportunity_id", stage=ibis.coalesce(out._hstage, out._ostage))


def stage_baseline(opportunities: ir.Table, history: ir.Table, activities: ir.Table, *, as_of: datetime,
                   window_days: float = 90) -> ir.Table:
    """The won-deal baseline per stage: the median distinct contacts engaged on won deals (by
    ``as_of``) in the ``window_days`` before each entered the stage.  stage, contacts_baseline,
    contacts_baseline_n."""
    won = opportunities.filter(closed_by(opportunities, as_of_literal(as_of)) & opportunities.is_won.fill_null(False))
    e = stage_entries(history, as_of=as_of)
    e = e.join(won.select("opportunity_id", "account_id"), "opportunity_id")
    looks = e.select("opportunity_id", "account_id", "stage", look_at=e.entered_at)
    t = touches_at_looks(looks, activities, lookback_days=window_days)
    n = t.group_by(["opportunity_id", "look_at"]).aggregate(_n=t.contact_id.nunique())
    per = looks.left_join(n, ["opportunity_id", "look_at"]).drop("opportunity_id_right", "look_at_right")
    per = per.mutate(_n=per._n.fill_null(0))
    return per.group_by("stage").aggregate(contacts_baseline=per._n.median().cast("float64"),
                                           contacts_baseline_n=per.count())


def readiness_signals(
    looks: ir.Table,
    touches: ir.Table,
    draft: ir.Table,
    backers: ir.Table,
    stages: ir.Table,
    stage_ranks: ir.Table,
    baseline: ir.Table,
    *,
    window_days: float = 90,
    cooling_momentum: float = -0.5,
    cooling_min_events: int = 4,
    per: ir.Table | None = None,
) -> ir.Table:
    """``opportunity_readiness``: one row per look (open deal) with what the readiness rules read.

    ``touches``: :func:`touches_at_looks` (no lookback); ``draft``/``backers``: the drafts at
    the same looks; ``stages``: :func:`stage_at_looks`; ``stage_ranks``: stage, stage_rank (the
    stage's mean probability, ``change.stage_order``); ``baseline``: :func:`stage_baseline`.
    ``per``: the touches summed per (deal, contact) already, with the same ``window_days`` (the
    draft's: its ``recent_days`` do not matter here, only columns over ``MOMENTUM_DAYS`` are read)."""
    if per is None:
        per = _per_contact(touches, recent_days=MOMENTUM_DAYS, window_days=window_days)
    new_last = (per._first_days < MOMENTUM_DAYS).cast("int64")
    new_prev = ((per._first_days >= MOMENTUM_DAYS) & (per._first_days < 2 * MOMENTUM_DAYS)).cast("int64")
    m = per.group_by("opportunity_id").aggregate(
        contacts_engaged=(per.touches_window > 0).cast("int64").sum(),
        inbound_30d=per._in_last.sum(), inbound_prev_30d=per._in_prev.sum(),
        meetings_30d=per._meet_last.sum(), meetings_prev_30d=per._meet_prev.sum(),
        new_stakeholders_30d=new_last.sum(), new_stakeholders_prev_30d=new_prev.sum(),
    )
    eb = draft.filter(draft.buyer_role == "economic_buyer")
    eb = eb.group_by("opportunity_id").aggregate(economic_buyer_n=eb.count(), _eb_last=eb.last_touch_at.max())
    st = draft.group_by("opportunity_id").aggregate(
        known_contacts_n=(~draft.left_company).cast("int64").sum(),
        champions_n=(draft.stance == "champion").cast("int64").sum(),
        blockers_n=(draft.stance == "blocker").cast("int64").sum(),
        champions_left_n=(draft.left_company & (draft.crm_stance == "champion").fill_null(False)).cast("int64").sum(),
    )
    bk = backers.group_by("opportunity_id").aggregate(
        backers_n=backers.count(), backers_asked_n=(backers.commitment == "asked").cast("int64").sum())
    out = looks.select("opportunity_id", "look_at")
    for part in (stages, m, eb, st, bk):
        out = out.left_join(part, "opportunity_id").drop("opportunity_id_right")
    ranks = stage_ranks.select(_rstage=stage_ranks.stage, stage_probability=stage_ranks.stage_rank.cast("float64"))
    out = out.left_join(ranks, out.stage == ranks._rstage).drop("_rstage")
    base = baseline.select(_bstage=baseline.stage, contacts_baseline=baseline.contacts_baseline,
                           contacts_baseline_n=baseline.contacts_baseline_n)
    out = out.left_join(base, out.stage == base._bstage).drop("_bstage")
    zero = {k: out[k].fill_null(0) for k in (
        "contacts_engaged", "inbound_30d", "inbound_prev_30d", "meetings_30d", "meetings_prev_30d",
        "new_stakeholders_30d", "new_stakeholders_prev_30d", "economic_buyer_n", "known_contacts_n",
        "champions_n", "blockers_n", "champions_left_n", "backers_n", "backers_asked_n", "contacts_baseline_n")}
    out = out.mutate(**zero)
    last = out.inbound_30d + out.meetings_30d + out.new_stakeholders_30d
    prev = out.inbound_prev_30d + out.meetings_prev_30d + out.new_stakeholders_prev_30d
    n = last + prev
    momentum = ibis.ifelse(n > 0, (last - prev).cast("float64") / n.cast("float64"), ibis.null("float64"))
    return out.select(
        "opportunity_id", "stage", "stage_probability",
        economic_buyer_days=ibis.ifelse(out._eb_last.notnull(), days_between(out._eb_last, out.look_at),
                                        ibis.null("float64")),
        economic_buyer_n=out.economic_buyer_n,
        contacts_engaged=out.contacts_engaged, contacts_baseline=out.contacts_baseline,
        contacts_baseline_n=out.contacts_baseline_n,
        known_contacts_n=out.known_contacts_n, champions_n=out.champions_n, blockers_n=out.blockers_n,
        champions_left_n=out.champions_left_n, backers_n=out.backers_n, backers_asked_n=out.backers_asked_n,
        inbound_30d=out.inbound_30d, inbound_prev_30d=out.inbound_prev_30d,
        meetings_30d=out.meetings_30d, meetings_prev_30d=out.meetings_prev_30d,
        new_stakeholders_30d=out.new_stakeholders_30d, new_stakeholders_prev_30d=out.new_stakeholders_prev_30d,
        momentum=momentum, momentum_n=n.cast("int64"),
        cooling=((n >= cooling_min_events) & (momentum <= cooling_momentum)).fill_null(False),
    )


def support_tables(
    t: dict[str, ir.Table],
    *,
    activities: ir.Table,
    contact_roles: ir.Table,
    stage_ranks: ir.Table,
    as_of: datetime,
    settings: object,
    looks: ir.Table | None = None,
    baseline_as_of: datetime | None = None,
    keep: Callable[[ir.Table, str], ir.Table] | None = None,
) -> dict[str, ir.Table]:
    """``support_map_draft``, ``support_backers_draft`` and ``opportunity_readiness`` at the
    looks (default: every deal open at ``as_of``).  ``t``: the annotated canonical tables;
    ``activities``: activities by ``as_of`` with their account filled; ``settings``: the
    workspace settings (``engagement_window_days`` and ``readiness``).  ``baseline_as_of``:
    the won deals behind the single-threading baseline closed by then (default ``as_of``).

    ``keep(expr, name)``: how the engine computes a table once for several readers (the plan's
    temporary table): the touches per (deal, contact), the draft and the backers are each read
    by the readiness signals too. The default leaves them inline."""
    r = settings.readiness  # type: ignore[attr-defined]
    window = settings.engagement_window_days  # type: ignore[attr-defined]
    kept = keep or (lambda expr, name: expr)
    opps = t["opportunities"]
    if looks is None:
        looks = open_looks(opps, as_of=as_of)
    touches = touches_at_looks(looks, activities)
    per = kept(_per_contact(touches, recent_days=r.recent_days, window_days=window), "support_touches_per_contact")
    draft = kept(stakeholder_draft(
        looks, touches, t["opportunity_contact_roles"], t["contacts"], contact_roles,
        window_days=window, recent_days=r.recent_days, champion_roles=r.champion_roles,
        blocker_roles=r.blocker_roles, unanswered_touches=r.unanswered_touches, per=per,
    ), "support_map_draft")
    backers = kept(backer_draft(looks, activities, t["users"], t["quotes"]), "support_backers_draft")
    baseline = stage_baseline(opps, t["opportunity_history"], activities, as_of=baseline_as_of or as_of,
                              window_days=window)
    signals = readiness_signals(
        looks, touches, draft, backers, stage_at_looks(looks, t["opportunity_history"], opps), stage_ranks,
        baseline, window_days=window, cooling_momentum=r.cooling_momentum, cooling_min_events=r.cooling_min_events,
        per=per,
    )
    return {"support_map_draft": draft, "support_backers_draft": backers, "opportunity_readiness": signals}
