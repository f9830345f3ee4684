"""Delegation style from the CRM: results over obedience (issue 15), in portable Ibis.

Over the window (``window_days`` before as_of) four traces of how work is handed down:

* **tasks for others**: Task rows whose creator is not their owner, both people (users not
  ``system``), not mass-created (one creator, one subject, ``mass_min_owners`` or more owners
  within ``mass_window_minutes``: a reminder to the team, not an instruction). Any other user
  counts as the giver, not only the owner's management chain; ``from_chain_share`` says how
  many came from the chain (manager and up, three levels). Each is classified by its wording
  (:mod:`..instructions`): ``steps``, ``outcome``, ``check_in`` or ``other``; every task that is
  not a check-in is an *assignment*.
* **check-ins per assignment**: check-ins by the same creator to the same owner within
  ``checkin_days`` after an assignment, per assignment.
* **overrides**: edits of a deal by someone in its owner's management chain (three levels):
  ``opportunity_history`` rows by ``changed_by_id`` (not bulk-loaded, not click-through) and
  ``opportunity_field_history`` rows other than ``Owner``; one edit per deal, person and minute
  (Salesforce writes a stage change to both).
* **reassignments**: ``Owner`` rows of ``opportunity_field_history`` naming users on both sides,
  made by a person (assignment rules run as system users); counted for the changer, and for
  both sellers as received.

``micromanagement_index`` (0-100) is the sum of the parts' contributions, each ``weight x
scaled rate x 100`` (``PARTS``); a part with no denominator contributes 0 and says so. Fewer
than ``min_signals`` signals (tasks + overrides + reassignments): no index, a reason.

Outcomes: the deals the style touched (a task, override or reassignment in the window) against
the same sellers' other deals created in the window: win rate (closed deals, Wilson interval),
cycle days (won deals, created to close, normal interval) and quote turnaround (measured quotes,
business days, normal interval); each side below ``min_outcome_n``: no comparison, a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from .. import instructions as words
from ._clean import closed_at, is_artefact
from ._time import as_of_literal, days_before, days_between, epoch_seconds

METRICS = ("micromanagement_index",)

#: name, weight, the rate it scales, the rate at which the part is full
PARTS = (
    ("steps", 0.30, "share of classified instructions written as steps (steps / (steps + outcomes))", 1.0),
    ("check_ins", 0.25, "check-ins per assignment", 1.0),
    ("overrides", 0.25, "overrides per deal touched", 1.0),
    ("reassignments", 0.10, "reassignments per deal touched", 0.5),
    ("density", 0.10, "assignments per deal touched", 4.0),
)
Z = 1.96


@dataclass(frozen=True)
class DelegationRules:
    window_days: float = 365
    checkin_days: float = 7
    mass_min_owners: int = 5
    mass_window_minutes: int = 10
    min_signals: int = 10
    min_outcome_n: int = 5
    chain_levels: int = 3


def _only_people(t: ir.Table, column: str, users: ir.Table) -> ir.Table:
    """Rows of ``t`` whose ``column`` names a person (a user who is not ``system``)."""
    u = users.view()
    key = f"_person_{column}"
    p = u.filter(u.function.isnull() | (u.function != "system")).select(**{key: u.user_id})
    return t.semi_join(p, t[column] == p[key])


def management_chain(users: ir.Table, levels: int = 3) -> ir.Table:
    """(user_id, boss_id): the user's manager, the manager's manager... up to ``levels``."""
    step = users.filter(users.manager_id.notnull() & (users.manager_id != users.user_id)).select(
        "user_id", boss_id=users.manager_id)
    out, cur = step, step
    for _ in range(levels - 1):
        up = step.view()
        up = up.select(_u=up.user_id, _b=up.boss_id)
        cur = cur.view()
        cur = cur.join(up, cur.boss_id == up._u).select(user_id=cur.user_id, boss_id=up._b)
        out = out.union(cur, distinct=False)
    out = out.filter(out.user_id != out.boss_id)
    return out.distinct()


def instruction_kind(subject: ir.StringValue, description: ir.StringValue) -> ir.StringValue:
    """The :mod:`..instructions` rule set as an expression."""
    s = subject.fill_null("").strip().lower()
    body = description.fill_null("").strip().lower()
    text = ibis.ifelse(body == "", s, s + "\n" + body)
    check = (s.contains("?") & (s.length() <= words.CHECK_IN_MAX_CHARS) & (body == "")
             & (s.re_search(words.CHECK_IN) | s.re_search(words.SHORT)))
    return ibis.cases(
        (check, "check_in"),
        (text.re_search(words.STEPS), "steps"),
        (text.re_search(words.OUTCOME), "outcome"),
        else_="other",
    )


def instruction_rows(activities: ir.Table) -> ir.Table:
    """The Task rows someone created for another user, from the activities as imported (the
    annotated activities no longer carry subject, source object, creator or description).
    Workspaces imported before these columns existed give no rows."""
    a = activities
    if "created_by_id" not in a.columns:
        import pyarrow as pa

        return ibis.memtable(pa.schema([
            ("activity_id", pa.string()), ("created_by_id", pa.string()), ("owner_id", pa.string()),
            ("opportunity_id", pa.string()), ("created_at", pa.timestamp("us")), ("occurred_at", pa.timestamp("us")),
            ("subject", pa.string()), ("description", pa.string()), ("source_object", pa.string()),
        ]).empty_table())
    a = a.filter((a.source_object == "Task") & a.created_by_id.notnull() & a.owner_id.notnull()
                 & (a.created_by_id != a.owner_id))
    return a.select("activity_id", "created_by_id", "owner_id", "opportunity_id", "created_at", "occurred_at",
                    "subject", "description", "source_object")


def tasks_for_others(activities: ir.Table, users: ir.Table, chain: ir.Table, *, as_of: datetime,
                     rules: DelegationRules) -> ir.Table:
    """One row per task created for someone else in the window (mass-created left out):
    activity_id, creator_id, owner_id, opportunity_id, at, kind, from_chain."""
    a = activities
    at = ibis.coalesce(a.created_at, a.occurred_at)
    a = a.filter((a.source_object == "Task") & a.created_by_id.notnull() & a.owner_id.notnull()
                 & (a.created_by_id != a.owner_id) & (at >= days_before(as_of, rules.window_days))
                 & (at < as_of_literal(as_of)))
    a = a.select("activity_id", creator_id=a.created_by_id, owner_id=a.owner_id, opportunity_id=a.opportunity_id,
                 at=ibis.coalesce(a.created_at, a.occurred_at), subject=a.subject, description=a.description)
    a = _only_people(_only_people(a, "creator_id", users), "owner_id", users)
    a = a.mutate(_subj=a.subject.fill_null("").strip().lower(),
                 _bucket=(epoch_seconds(a.at) / (60 * rules.mass_window_minutes)).floor().cast("int64"))
    mass = (a.group_by(["creator_id", "_subj", "_bucket"]).aggregate(_owners=a.owner_id.nunique())
            .filter(lambda r: r._owners >= rules.mass_min_owners))
    a = a.anti_join(mass, ["creator_id", "_subj", "_bucket"])
    c = chain.select(_cu=chain.user_id, _cb=chain.boss_id, _in_chain=ibis.literal(True))
    a = a.left_join(c, (a.owner_id == c._cu) & (a.creator_id == c._cb))
    return a.select("activity_id", "creator_id", "owner_id", "opportunity_id", "at",
                    kind=instruction_kind(a.subject, a.description), from_chain=a._in_chain.fill_null(False))


def _matched_checkins(tasks: ir.Table, rules: DelegationRules) -> ir.Table:
    """Check-ins that follow an assignment by the same creator to the same owner within ``checkin_days``."""
    ci = tasks.filter(tasks.kind == "check_in")
    asg = tasks.filter(tasks.kind != "check_in").select(_c=tasks.creator_id, _o=tasks.owner_id, _at=tasks.at)
    j = ci.join(asg, (ci.creator_id == asg._c) & (ci.owner_id == asg._o) & (asg._at <= ci.at)
                & (ci.at <= asg._at + ibis.interval(seconds=int(rules.checkin_days * 86_400))))
    return j.select("activity_id").distinct()


def overrides(history: ir.Table, field_history: ir.Table, opportunities: ir.Table, chain: ir.Table, users: ir.Table, *,
              as_of: datetime, rules: DelegationRules) -> ir.Table:
    """One row per (deal, changer, minute) where someone in the owner's chain edited the deal:
    opportunity_id, owner_id, changer_id, at."""
    start, end = days_before(as_of, rules.window_days), as_of_literal(as_of)
    h = history
    if "artefact" in h.columns:
        h = h.filter(~is_artefact(h))
    h = h.filter(h.changed_by_id.notnull()).select("opportunity_id", changer_id=h.changed_by_id, at=h.changed_at)
    f = field_history.filter(field_history.changed_by_id.notnull()
                             & ~field_history.field.fill_null("").lower().strip().isin(["owner", "ownerid"]))
    # bulk edits (many deals in one second) are loads, not overrides
    f = f.mutate(_sec=epoch_seconds(f.changed_at).floor().cast("int64"))
    bulk = f.group_by("_sec").aggregate(_n=f.opportunity_id.nunique()).filter(lambda r: r._n >= 20)
    f = f.anti_join(bulk, "_sec")
    f = f.select("opportunity_id", changer_id=f.changed_by_id, at=f.changed_at)
    e = h.union(f, distinct=False)
    e = e.filter((e.at >= start) & (e.at < end))
    e = e.mutate(_min=(epoch_seconds(e.at) / 60).floor().cast("int64"))
    e = e.group_by(["opportunity_id", "changer_id", "_min"]).aggregate(at=e.at.min())
    o = opportunities.select(_oid=opportunities.opportunity_id, owner_id=opportunities.owner_id)
    e = e.join(o, e.opportunity_id == o._oid)
    e = e.filter(e.changer_id != e.owner_id)
    c = chain.view()
    e = e.semi_join(c, (e.owner_id == c.user_id) & (e.changer_id == c.boss_id))
    e = _only_people(e, "changer_id", users)
    return e.select("opportunity_id", "owner_id", "changer_id", "at")


def reassignments(field_history: ir.Table, users: ir.Table, *, as_of: datetime, rules: DelegationRules) -> ir.Table:
    """One row per Owner change between two users, by a person: opportunity_id, changer_id, from_id, to_id, at."""
    f = field_history
    f = f.filter(f.field.fill_null("").lower().strip().isin(["owner", "ownerid"]) & f.changed_by_id.notnull()
                 & (f.old_value != f.new_value)
                 & (f.changed_at >= days_before(as_of, rules.window_days)) & (f.changed_at < as_of_literal(as_of)))
    f = _only_people(f, "changed_by_id", users)
    # the values are text as the CRM wrote them: a user id in its 15- or 18-character form (the
    # 15 characters are the id; the importer writes users' ids in the 18-character form)
    old_u = users.view()
    old_u = old_u.select(_ok=old_u.user_id.substr(0, 15), from_id=old_u.user_id)
    new_u = users.view()
    new_u = new_u.select(_nk=new_u.user_id.substr(0, 15), to_id=new_u.user_id)
    f = f.join(old_u, f.old_value.strip().substr(0, 15) == old_u._ok)
    f = f.join(new_u, f.new_value.strip().substr(0, 15) == new_u._nk)
    f = f.filter(f.from_id != f.to_id)
    return f.select("opportunity_id", changer_id=f.changed_by_id, from_id=f.from_id, to_id=f.to_id,
                    at=f.changed_at)


def _num(x: ir.NumericValue, digits: int) -> ir.StringValue:
    return ibis.ifelse(x.isnull(), "null", x.round(digits).cast("string"))


def _parts(r: ir.Table) -> tuple[ir.NumericValue, ir.StringValue, dict[str, ir.Value]]:
    """The index, its parts as JSON, and each part's scaled contribution, from per-person counts."""
    rate = {
        "steps": (r.steps_n / (r.steps_n + r.outcome_n).nullif(0), r.steps_n + r.outcome_n),
        "check_ins": (r.checkins_matched_n / r.assignments_n.nullif(0), r.assignments_n),
        "overrides": (r.overrides_n / r.deals_n.nullif(0), r.deals_n),
        "reassignments": (r.reassignments_n / r.deals_n.nullif(0), r.deals_n),
        "density": (r.assignments_n / r.deals_n.nullif(0), r.deals_n),
    }
    index = ibis.literal(0.0)
    pieces = []
    cols: dict[str, ir.Value] = {}
    for name, weight, _what, full in PARTS:
        value, n = rate[name]
        contrib = (ibis.least(value.cast("float64") / full, 1.0) * weight * 100).fill_null(0.0)
        index = index + contrib
        cols[f"part_{name}_rate"] = value.cast("float64").round(4)
        cols[f"part_{name}_n"] = n.cast("int64")
        cols[f"part_{name}_contribution"] = contrib.round(1)
        pieces.append(
            ibis.literal(f'"{name}": {{"rate": ') + _num(value.cast("float64"), 3) + ', "n": '
            + n.cast("int64").cast("string") + ', "contribution": ' + _num(contrib, 1) + "}"
        )
    js = ibis.literal("{")
    for i, p in enumerate(pieces):
        js = js + (", " if i else "") + p
    return index.round(1), js + "}", cols


def _counts(tasks: ir.Table, matched: ir.Table, ovr: ir.Table, moves: ir.Table, by: str) -> ir.Table:
    """Per person (``by``: ``giver`` or ``receiver``): the signal counts and the deals touched."""
    m = matched.select(_mid=matched.activity_id, _m=ibis.literal(1))
    t = tasks.left_join(m, tasks.activity_id == m._mid)
    who_t = t.creator_id if by == "giver" else t.owner_id
    t = t.mutate(user_id=who_t)
    tc = t.group_by("user_id").aggregate(
        tasks_n=t.count(),
        steps_n=(t.kind == "steps").cast("int64").sum(),
        outcome_n=(t.kind == "outcome").cast("int64").sum(),
        checkins_n=(t.kind == "check_in").cast("int64").sum(),
        checkins_matched_n=((t.kind == "check_in") & t._m.notnull()).cast("int64").sum(),
        assignments_n=(t.kind != "check_in").cast("int64").sum(),
        from_chain_n=t.from_chain.cast("int64").sum(),
        counterparts_n=(t.owner_id if by == "giver" else t.creator_id).nunique(),
    )
    o = ovr.mutate(user_id=ovr.changer_id if by == "giver" else ovr.owner_id)
    oc = o.group_by("user_id").aggregate(overrides_n=o.count())
    if by == "giver":
        mv = moves.select("opportunity_id", user_id=moves.changer_id)
    else:
        mv = moves.select("opportunity_id", user_id=moves.to_id).union(
            moves.select("opportunity_id", user_id=moves.from_id), distinct=False)
    mc = mv.group_by("user_id").aggregate(reassignments_n=mv.count())
    deals = (t.filter(t.opportunity_id.notnull()).select("user_id", "opportunity_id")
             .union(o.select("user_id", "opportunity_id"), distinct=False)
             .union(mv.select("user_id", "opportunity_id"), distinct=False))
    dc = deals.group_by("user_id").aggregate(deals_n=deals.opportunity_id.nunique())
    ids = tc.select("user_id").union(oc.select("user_id"), distinct=True).union(mc.select("user_id"), distinct=True)
    r = ids
    for part in (tc, oc, mc, dc):
        r = r.left_join(part, "user_id").drop("user_id_right")
    fill = {c: r[c].fill_null(0) for c in r.columns if c.endswith("_n")}
    return r.mutate(**fill)


def touched_deals(tasks: ir.Table, ovr: ir.Table, moves: ir.Table) -> ir.Table:
    """(opportunity_id, giver_id): the deals each person's style touched."""
    return (tasks.filter(tasks.opportunity_id.notnull()).select("opportunity_id", giver_id=tasks.creator_id)
            .union(ovr.select("opportunity_id", giver_id=ovr.changer_id), distinct=False)
            .union(moves.select("opportunity_id", giver_id=moves.changer_id), distinct=False)).distinct()


def _deal_outcomes(opportunities: ir.Table, quote_events: ir.Table | None, *, as_of: datetime,
                   rules: DelegationRules) -> ir.Table:
    """Deals created in the window: opportunity_id, owner_id, closed, won, cycle_days, quote_days."""
    o = opportunities
    o = o.filter(o.created_at.notnull() & (o.created_at >= days_before(as_of, rules.window_days))
                 & (o.created_at < as_of_literal(as_of)))
    ca = closed_at(o)
    closed = o.is_closed.fill_null(False) & ca.notnull() & (ca < as_of_literal(as_of))
    won = closed & o.is_won.fill_null(False)
    o = o.select("opportunity_id", "owner_id", closed=closed, won=won,
                 cycle_days=ibis.ifelse(won, days_between(o.created_at, ca), ibis.null("float64")))
    if quote_events is not None:
        q = quote_events.filter(quote_events.status == "measured")
        q = q.group_by("opportunity_id").aggregate(quote_days=q.business_days.mean())
        o = o.left_join(q, "opportunity_id").drop("opportunity_id_right")
    else:
        o = o.mutate(quote_days=ibis.null("float64"))
    return o


def _side(d: ir.Table, key: str, flag: str, label: str) -> ir.Table:
    """Outcome figures of one side (``flag`` true: touched) per ``key``."""
    d = d.filter(d[flag]) if label == "touched" else d.filter(~d[flag])
    won, closed = d.won.cast("int64"), d.closed.cast("int64")
    p = f"{label}_"
    return d.group_by(key).aggregate(**{
        p + "closed_n": closed.sum(),
        p + "won_n": won.sum(),
        p + "cycle_n": d.cycle_days.count(),
        p + "cycle_mean": d.cycle_days.mean(),
        p + "cycle_sd": d.cycle_days.std(),
        p + "quote_n": d.quote_days.count(),
        p + "quote_mean": d.quote_days.mean(),
        p + "quote_sd": d.quote_days.std(),
    })


def _with_intervals(r: ir.Table, rules: DelegationRules) -> ir.Table:
    """Win rate (Wilson), cycle days and quote days (normal) per side, and the reasons for gaps."""
    out: dict[str, ir.Value] = {}
    for side in ("touched", "other"):
        n = r[f"{side}_closed_n"].fill_null(0)
        k = r[f"{side}_won_n"].fill_null(0)
        ok = n >= rules.min_outcome_n
        n = n.nullif(0).cast("float64")
        p = k.cast("float64") / n
        z2 = Z * Z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z * ((p * (1 - p) / n + z2 / (4 * n * n)).sqrt()) / (1 + z2 / n)
        out[f"{side}_win_rate"] = ibis.ifelse(ok, p, ibis.null("float64"))
        out[f"{side}_win_rate_low"] = ibis.ifelse(ok, (centre - half).round(4), ibis.null("float64"))
        out[f"{side}_win_rate_high"] = ibis.ifelse(ok, (centre + half).round(4), ibis.null("float64"))
        out[f"{side}_closed_n"] = r[f"{side}_closed_n"].fill_null(0)
        for fig in ("cycle", "quote"):
            m, sd, cnt = r[f"{side}_{fig}_mean"], r[f"{side}_{fig}_sd"], r[f"{side}_{fig}_n"].fill_null(0)
            ok2 = cnt >= rules.min_outcome_n
            err = Z * sd.fill_null(0) / cnt.nullif(0).cast("float64").sqrt()
            name = "cycle_days" if fig == "cycle" else "quote_turnaround_days"
            out[f"{side}_{name}"] = ibis.ifelse(ok2, m.round(2), ibis.null("float64"))
            out[f"{side}_{name}_low"] = ibis.ifelse(ok2, (m - err).round(2), ibis.null("float64"))
            out[f"{side}_{name}_high"] = ibis.ifelse(ok2, (m + err).round(2), ibis.null("float64"))
            out[f"{side}_{name}_n"] = cnt
    few = (r.touched_closed_n.fill_null(0) < rules.min_outcome_n) | (r.other_closed_n.fill_null(0) < rules.min_outcome_n)
    reason = ibis.ifelse(
        few,
        "win rates not compared: " + r.touched_closed_n.fill_null(0).cast("string") + " closed deals touched and "
        + r.other_closed_n.fill_null(0).cast("string") + f" not touched (at least {rules.min_outcome_n} each)",
        ibis.null("string"),
    )
    return r.mutate(**out, outcome_reason=reason)


def _outcome_comparison(deals: ir.Table, touched: ir.Table, key: str, rules: DelegationRules) -> ir.Table:
    """Per ``key`` (``giver_id``: the deals this person touched against the same sellers' other
    deals; ``owner_id``: a seller's touched deals against their others)."""
    if key == "giver_id":
        t = touched.join(deals, "opportunity_id").select("giver_id", "owner_id")
        sellers = t.select("giver_id", "owner_id").distinct()
        base = sellers.join(deals, "owner_id")
        mine = touched.select(_gid=touched.giver_id, _oid=touched.opportunity_id, _t=ibis.literal(True))
        base = base.left_join(mine, (base.giver_id == mine._gid) & (base.opportunity_id == mine._oid))
        d = base.mutate(_touched=base._t.fill_null(False))
    else:
        any_t = touched.select(_oid=touched.opportunity_id, _t=ibis.literal(True)).distinct()
        d = deals.left_join(any_t, deals.opportunity_id == any_t._oid)
        d = d.mutate(_touched=d._t.fill_null(False))
    a = _side(d, key, "_touched", "touched")
    b = _side(d, key, "_touched", "other")
    r = a.outer_join(b, a[key] == b[key])
    r = r.mutate(**{key: ibis.coalesce(r[f"{key}"], r[f"{key}_right"])}).drop(f"{key}_right") \
        if f"{key}_right" in r.columns else r
    return _with_intervals(r, rules)


def delegation(t: dict[str, ir.Table], *, as_of: datetime, rules: DelegationRules = DelegationRules(),
               quote_events: ir.Table | None = None) -> tuple[ir.Table, ir.Table]:
    """(delegation_style, per-seller micromanagement for ``reps``) over the canonical tables
    (``opportunity_history`` may carry the artefact column)."""
    users = t["users"]
    chain = management_chain(users, rules.chain_levels)
    tasks = tasks_for_others(t["activities"], users, chain, as_of=as_of, rules=rules)
    matched = _matched_checkins(tasks, rules)
    ovr = overrides(t["opportunity_history"], t["opportunity_field_history"], t["opportunities"], chain, users,
                    as_of=as_of, rules=rules)
    moves = reassignments(t["opportunity_field_history"], users, as_of=as_of, rules=rules)
    deals = _deal_outcomes(t["opportunities"], quote_events, as_of=as_of, rules=rules)
    touched = touched_deals(tasks, ovr, moves)

    def scored(by: str) -> ir.Table:
        r = _counts(tasks, matched, ovr, moves, by)
        index, js, cols = _parts(r)
        signals = r.tasks_n + r.overrides_n + r.reassignments_n
        enough = signals >= rules.min_signals
        r = r.mutate(
            **cols,
            signals_n=signals,
            micromanagement_index=ibis.ifelse(enough, index, ibis.null("float64")),
            micromanagement_parts=js,
            micromanagement_reason=ibis.ifelse(
                enough, ibis.null("string"),
                "too few signals: " + signals.cast("string") + f" (at least {rules.min_signals})"),
        )
        return r

    giver = scored("giver")
    giver = giver.mutate(from_chain_share=(giver.from_chain_n / giver.tasks_n.nullif(0)).round(3))
    cmp_g = _outcome_comparison(deals, touched, "giver_id", rules).rename(user_id="giver_id")
    style = giver.left_join(cmp_g, "user_id").drop("user_id_right")
    names = users.select(_uid=users.user_id, name=users.name, function=users.function, team=users.team)
    style = style.left_join(names, style.user_id == names._uid).drop("_uid")

    receiver = scored("receiver")
    cmp_r = _outcome_comparison(deals, touched, "owner_id", rules).rename(user_id="owner_id")
    received = receiver.left_join(cmp_r, "user_id").drop("user_id_right")
    names_r = users.select(_uid=users.user_id, name=users.name, function=users.function, team=users.team)
    received = received.left_join(names_r, received.user_id == names_r._uid).drop("_uid")
    return style, received


#: delegation_style's columns, in order (documented in domain/results.py and docs/data-model.md)
STYLE_COLUMNS = (
    "user_id", "role", "name", "function", "team", "signals_n", "tasks_n", "steps_n", "outcome_n", "checkins_n",
    "checkins_matched_n", "assignments_n", "from_chain_share", "counterparts_n", "overrides_n", "reassignments_n",
    "deals_n",
    *[f"part_{name}_{k}" for name, *_ in PARTS for k in ("rate", "n", "contribution")],
    "micromanagement_index", "micromanagement_parts", "micromanagement_reason",
    *[f"{side}_{fig}" for side in ("touched", "other") for fig in (
        "closed_n", "win_rate", "win_rate_low", "win_rate_high",
        "cycle_days", "cycle_days_low", "cycle_days_high", "cycle_days_n",
        "quote_turnaround_days", "quote_turnaround_days_low", "quote_turnaround_days_high", "quote_turnaround_days_n")],
    "outcome_reason",
)


def style_table(style: ir.Table, received: ir.Table, users: ir.Table | None = None) -> ir.Table:
    """``delegation_style``: one row per person and role: ``exercised`` (gave tasks, edited or
    moved others' deals) and ``received`` (got them)."""
    def shaped(t: ir.Table, role: str) -> ir.Table:
        t = t.mutate(role=ibis.literal(role))
        if "from_chain_share" not in t.columns:
            t = t.mutate(from_chain_share=(t.from_chain_n / t.tasks_n.nullif(0)).round(3))
        for c in ("name", "function", "team"):
            if c not in t.columns:
                t = t.mutate(**{c: ibis.null("string")})
        return t.select(*STYLE_COLUMNS)
    if "name" not in received.columns and users is not None:
        names = users.select(_uid=users.user_id, name=users.name, function=users.function, team=users.team)
        received = received.left_join(names, received.user_id == names._uid).drop("_uid")
    return shaped(style, "exercised").union(shaped(received, "received"), distinct=False)


def reps_columns(received: ir.Table) -> ir.Table:
    """The seller's micromanagement (received) for ``reps``: owner_id and the four columns."""
    return received.select(owner_id=received.user_id, micromanagement_index=received.micromanagement_index,
                           micromanagement_parts=received.micromanagement_parts,
                           micromanagement_n=received.signals_n.cast("int64"),
                           micromanagement_reason=received.micromanagement_reason)
