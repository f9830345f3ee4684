"""Style flexibility: how much a seller's approach changes with the situation.

Every selling activity a seller owns in the window is placed in a situation and an approach:

* situation: the account's change level (``heavy`` at the lead threshold of the change index,
  else ``steady``: the level at as_of, not at the time), the deal's stage group at the time of
  the activity (``no deal``, ``early``: a stage whose mean probability is below 50,
  ``late``, ``closed``) and the buyer role of the contact (``decision side``, ``other role``,
  ``unknown``);
* approach: the kind (call, email, meeting, task), the seniority targeted (``senior``:
  c-level, VP, director; ``not senior``; ``no contact``) and the cadence: days since the
  seller's previous touch at the same account (``within 2 days``, ``3-7 days``,
  ``8-21 days``, ``over 21 days``).

For each approach dimension A and situation dimension S the share of A's variety that S
explains is the uncertainty coefficient U(A|S) = I(S;A) / H(A), with the mutual information
corrected for small samples (Miller-Madow: minus (|S|-1)(|A|-1) / 2n nats, floored at 0); a
seller who always does the same (H(A) = 0) has U = 0.  Seniority is not set against the buyer
role (both are read from the same contact).  ``style_flexibility`` is the mean over the three
approach dimensions of the best-explaining situation, 0-1; empty below ``min_activities``.

``style_locked``: flexibility at most ``rigid_max`` *and* underperforming in one change
level: the seller's gap to the company's create share (of the accounts they own; at least
``min_activities_situation`` classified activities in each level) or win rate (deals closed
in the window; at least ``min_closed_situation`` in each level) is worse in one level than in
the other by at least ``underperform_margin``, and below the company's there.  A consistent seller who does as well in
heavy change as in steady state is not flagged, nor one who is behind by the same everywhere
(that is not about the situation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from ._clean import closed_at, closed_by, real_history, selling_activities
from ._time import as_of_literal, days_before, days_between
from .account_leadership import SENIOR, json_list
from .efficiency import left_join_on

METRICS = ("style_flexibility", "style_locked")

APPROACH = ("kind", "seniority", "cadence")
SITUATION = ("change_level", "stage_group", "role_group")
#: pairs left out: both sides read from the same contact
SKIPPED_PAIRS = {("seniority", "role_group")}
DECISION = ("executive", "economic_buyer", "decision_maker")


@dataclass(frozen=True)
class StyleRules:
    window_days: float = 180
    heavy_change_index: float = 40.0
    min_activities: int = 100
    rigid_max: float = 0.1
    underperform_margin: float = 0.1
    min_activities_situation: int = 20
    min_closed_situation: int = 5


def _stage_at_time(a: ir.Table, history: ir.Table, stage_ranks: ir.Table, *, as_of: datetime) -> ir.Table:
    """``activity_id``, ``stage_group``: the deal's stage when each activity happened (the
    latest real history row at or before it), grouped by the stage's rank."""
    asof = as_of_literal(as_of)
    h = history.filter((history.changed_at <= asof) & history.stage.notnull() & real_history(history))
    d = a.filter(a.opportunity_id.notnull())
    h = h.semi_join(d.select("opportunity_id").distinct(), "opportunity_id")  # only the deals worked in the window
    ev_h = h.select("opportunity_id", _t=h.changed_at, _stage=h.stage, _is_h=ibis.literal(1), _id=h.history_id,
                    activity_id=ibis.null("string"))
    ev_a = d.select("opportunity_id", _t=d.occurred_at, _stage=ibis.null("string"), _is_h=ibis.literal(0),
                    _id=d.activity_id, activity_id=d.activity_id)
    u = ibis.union(ev_h, ev_a, distinct=False)
    upto = ibis.window(group_by="opportunity_id", order_by=["_t", ibis.desc("_is_h"), "_id"], preceding=None, following=0)
    u = u.mutate(_grp=u._is_h.sum().over(upto))
    u = u.mutate(_stage_at=u._stage.max().over(ibis.window(group_by=["opportunity_id", "_grp"])))
    u = u.filter(u._is_h == 0)
    u = left_join_on(u.select("activity_id", stage=u._stage_at), stage_ranks, "stage")
    group = ibis.cases(
        (u.is_closed_stage.fill_null(False), "closed"),
        (u.stage_rank.isnull() | (u.stage_rank < 50), "early"),
        else_="late",
    )
    return u.select("activity_id", stage_group=group)


def situated_activities(
    activities: ir.Table,
    contact_roles: ir.Table,
    change_index: ir.Table,
    history: ir.Table,
    stage_ranks: ir.Table,
    *,
    as_of: datetime,
    rules: StyleRules = StyleRules(),  # noqa: B008 - frozen
    owners: ir.Table | None = None,
) -> ir.Table:
    """The selling activities of the window (of ``owners``, an ``owner_id`` table, when given: the
    sellers), each with its situation and approach.

    ``activities`` have their account filled; ``change_index`` is :func:`.change.change_index`,
    ``stage_ranks`` :func:`.change.stage_order`.  Columns: ``activity_id``, ``owner_id``,
    ``account_id``, the three situation and three approach columns (see the module)."""
    asof = as_of_literal(as_of)
    a = selling_activities(activities)
    a = a.filter((a.occurred_at <= asof) & (a.occurred_at > days_before(as_of, rules.window_days + 30))
                 & a.owner_id.notnull() & a.account_id.notnull())
    if owners is not None:
        a = a.semi_join(owners, "owner_id")
    w = ibis.window(group_by=["owner_id", "account_id"], order_by=["occurred_at", "activity_id"])
    # the window's activities without the lag, for their deals' stages: the same rows (the lag
    # reads the 30 days before), without a second run of the window in the same query
    in_window = a.filter(a.occurred_at > days_before(as_of, rules.window_days))
    a = a.mutate(_prev=a.occurred_at.lag().over(w))
    a = a.filter(a.occurred_at > days_before(as_of, rules.window_days))
    gap = days_between(a._prev, a.occurred_at)
    a = a.mutate(cadence=ibis.cases(
        (a._prev.isnull(), "over 21 days"), (gap <= 2, "within 2 days"), (gap <= 7, "3-7 days"),
        (gap <= 21, "8-21 days"), else_="over 21 days",
    ))
    roles = contact_roles.select(_cid=contact_roles.contact_id, _role=contact_roles.buyer_role,
                                 _sen=contact_roles.seniority)
    a = a.left_join(roles, a.contact_id == roles._cid)
    level = change_index.select(_acc=change_index.account_id, _ci=change_index.change_index)
    a = a.left_join(level, a.account_id == level._acc)
    stages = _stage_at_time(in_window.select("activity_id", "opportunity_id", "occurred_at"), history, stage_ranks,
                            as_of=as_of)
    a = left_join_on(a, stages, "activity_id")
    return a.select(
        "activity_id", "owner_id", "account_id",
        change_level=ibis.ifelse(a._ci.fill_null(0.0) >= rules.heavy_change_index, "heavy", "steady"),
        stage_group=a.stage_group.fill_null("no deal"),
        role_group=ibis.cases(
            (a._role.isin(DECISION), "decision side"),
            (a._role.notnull() & (a._role != "unknown"), "other role"),
            else_="unknown",
        ),
        kind=a.kind,
        seniority=ibis.cases(
            (a.contact_id.isnull(), "no contact"), (a._sen.isin(SENIOR), "senior"), else_="not senior",
        ),
        cadence=a.cadence,
    )


def _flexibility(t: ir.Table) -> ir.Table:
    """Per owner: ``_flex``, the mean over the approaches of the best small-sample-corrected
    U(approach | situation), 0-1.  Every (approach, situation) pair is one long table, so the
    counts are one aggregation whatever the number of pairs."""
    parts = [
        t.select("owner_id", _pair=ibis.literal(f"{a}|{s}"), _approach=ibis.literal(a), _s=t[s], _a=t[a])
        for a in APPROACH for s in SITUATION if (a, s) not in SKIPPED_PAIRS
    ]
    long = ibis.union(*parts, distinct=False)
    keys = ["owner_id", "_pair", "_approach"]
    joint = long.group_by([*keys, "_s", "_a"]).aggregate(_nsa=long.count())
    ps = joint.group_by([*keys, "_s"]).aggregate(_ns=joint._nsa.sum())
    pa = joint.group_by([*keys, "_a"]).aggregate(_na=joint._nsa.sum())
    n = joint.group_by(keys).aggregate(_n=joint._nsa.sum())
    j = joint.join(ps, [*keys, "_s"]).join(pa, [*keys, "_a"]).join(n, keys)
    term = (j._nsa / j._n) * (j._nsa * j._n / (j._ns * j._na)).cast("float64").ln()
    mi = j.group_by(keys).aggregate(_mi=term.sum(), _r=j._s.nunique(), _c=j._a.nunique(), _n=j._n.max())
    pa = pa.join(n, keys)
    p = (pa._na / pa._n).cast("float64")
    h = pa.group_by(keys).aggregate(_h=(-(p * p.ln())).sum())
    m = mi.join(h, keys)
    corrected = ibis.greatest(m._mi - (m._r - 1) * (m._c - 1) / (2.0 * m._n), 0.0)
    m = m.mutate(_u=ibis.ifelse(m._h > 1e-9, ibis.least(corrected / m._h, 1.0), 0.0))
    best = m.group_by(["owner_id", "_approach"]).aggregate(_best=m._u.max())
    return best.group_by("owner_id").aggregate(_flex=best._best.sum() / len(APPROACH))


def _modal(t: ir.Table, situation: str, approach: str) -> ir.Table:
    """Per owner and situation value: the most frequent approach value, its share and n."""
    c = t.group_by(["owner_id", situation, approach]).aggregate(_k=t.count())
    w = ibis.window(group_by=["owner_id", situation], order_by=[ibis.desc("_k"), approach])
    tot = ibis.window(group_by=["owner_id", situation])
    c = c.mutate(_rank=ibis.row_number().over(w), _tot=c._k.sum().over(tot))
    c = c.filter(c._rank == 0)
    return c.select("owner_id", situation, mode=c[approach], share=c._k / c._tot, n=c._tot)


def _pair_sentence(t: ir.Table, situation: str, approach: str, a_val: str, b_val: str,
                   a_words: str, b_words: str, what: str, min_n: int = 10) -> ir.Table:
    """Per owner: one plain sentence comparing the modal ``approach`` in two situations."""
    m = _modal(t, situation, approach)
    x = m.filter(m[situation] == a_val).select("owner_id", _xm="mode", _xs="share", _xn="n")
    y = m.filter(m[situation] == b_val).select("owner_id", _ym="mode", _ys="share", _yn="n")
    j = x.join(y, "owner_id")
    j = j.filter((j._xn >= min_n) & (j._yn >= min_n))
    pct = lambda s: (s * 100).round(0).cast("int64").cast("string")  # noqa: E731
    same = ("same " + what + " (mostly " + j._xm + ", " + pct(j._xs) + "% and " + pct(j._ys) + "%) "
            + a_words + " and " + b_words + " (n=" + j._xn.cast("string") + " and " + j._yn.cast("string") + ")")
    differ = (what + " mostly " + j._xm + " " + a_words + " but mostly " + j._ym + " " + b_words
              + " (n=" + j._xn.cast("string") + " and " + j._yn.cast("string") + ")")
    return j.select("owner_id", **{f"_ex_{situation}_{approach}": ibis.ifelse(j._xm == j._ym, same, differ)})


def situation_results(
    account_shares: ir.Table, accounts: ir.Table, opportunities: ir.Table, change_index: ir.Table, *,
    as_of: datetime, rules: StyleRules = StyleRules(),  # noqa: B008 - frozen
) -> tuple[ir.Table, ir.Table]:
    """Per owner and change level, and for the company per change level: the create share of the
    accounts they own (``account_shares``: the per-account :func:`.leadership.create_share`) and
    the win rate of their deals closed in the window.  Returns ``(per_owner, company)``; columns
    ``change_level``, ``creating_n``, ``classified_n``, ``won_n``, ``closed_n`` (and ``owner_id``)."""
    level = change_index.select("account_id", _heavy=change_index.change_index >= rules.heavy_change_index)
    owners = accounts.filter(accounts.owner_id.notnull()).select("account_id", "owner_id")
    c = account_shares.select("account_id", "creating_n", "activities_n").join(owners, "account_id")
    c = left_join_on(c, level, "account_id")
    c = c.mutate(change_level=ibis.ifelse(c._heavy.fill_null(False), "heavy", "steady"))
    acts = c.group_by(["owner_id", "change_level"]).aggregate(
        creating_n=c.creating_n.sum(), classified_n=c.activities_n.sum())
    asof = as_of_literal(as_of)
    o = opportunities.filter(closed_by(opportunities, asof) & (closed_at(opportunities) > days_before(as_of, rules.window_days))
                             & opportunities.owner_id.notnull())
    o = left_join_on(o, level, "account_id")
    o = o.mutate(change_level=ibis.ifelse(o._heavy.fill_null(False), "heavy", "steady"))
    deals = o.group_by(["owner_id", "change_level"]).aggregate(
        won_n=o.count(where=o.is_won.fill_null(False)), closed_n=o.count())
    keys = acts.select("owner_id", "change_level").union(deals.select("owner_id", "change_level"), distinct=True)
    per = keys.left_join(acts, ["owner_id", "change_level"]).drop("owner_id_right", "change_level_right")
    per = per.left_join(deals, ["owner_id", "change_level"]).drop("owner_id_right", "change_level_right")
    per = per.mutate(creating_n=per.creating_n.fill_null(0), classified_n=per.classified_n.fill_null(0),
                     won_n=per.won_n.fill_null(0), closed_n=per.closed_n.fill_null(0))
    company = per.group_by("change_level").aggregate(
        creating_n=per.creating_n.sum(), classified_n=per.classified_n.sum(),
        won_n=per.won_n.sum(), closed_n=per.closed_n.sum())
    return per, company


def _underperformance(per: ir.Table, company: ir.Table, sellers: ir.Table, rules: StyleRules) -> ir.Table:
    """Per owner who falls behind in one change level more than in the other: ``_under_text``.

    For each figure (create share, win rate) the seller's gap to the company in heavy change is
    set against their gap in steady state; a difference of at least the margin (with the sample
    floor met in both levels) is underperformance in the worse level, when the seller is also
    below the company's figure there.  A seller below the
    company everywhere by the same amount is not singled out by one situation."""
    # a share over none is unknown (NULLIF): Spark's ANSI mode raises on a division by zero
    co = company.select("change_level", _cc=company.creating_n / company.classified_n.nullif(0),
                        _cw=company.won_n / company.closed_n.nullif(0))
    p = left_join_on(per.semi_join(sellers, "owner_id"), co, "change_level")
    p = p.mutate(_cs=p.creating_n / p.classified_n.nullif(0), _wr=p.won_n / p.closed_n.nullif(0))
    cols = ("_cs", "_wr", "_cc", "_cw", "classified_n", "closed_n")
    hv = p.filter(p.change_level == "heavy").select("owner_id", **{f"h{c}" if c.startswith("_") else f"h_{c}": p[c] for c in cols})
    st = p.filter(p.change_level == "steady").select("owner_id", **{f"s{c}" if c.startswith("_") else f"s_{c}": p[c] for c in cols})
    j = hv.join(st, "owner_id")
    m = rules.underperform_margin
    pct = lambda s: (s * 100).round(0).cast("int64").cast("string")  # noqa: E731
    enough_cs = (j.h_classified_n >= rules.min_activities_situation) & (j.s_classified_n >= rules.min_activities_situation)
    enough_wr = (j.h_closed_n >= rules.min_closed_situation) & (j.s_closed_n >= rules.min_closed_situation)
    cs_gap = (j.h_cs - j.h_cc) - (j.s_cs - j.s_cc)  # negative: worse in heavy change
    wr_gap = (j.h_wr - j.h_cw) - (j.s_wr - j.s_cw)

    def said(figure: str, mine: ir.Value, theirs: ir.Value, n: ir.Value, unit: str, where: str) -> ir.StringValue:
        return (figure + " " + pct(mine) + "% " + where + " (" + n.cast("string") + unit + ") against the company's "
                + pct(theirs) + "% there")

    text = ibis.cases(
        (enough_cs & (cs_gap <= -m) & (j.h_cs < j.h_cc), said("create share", j.h_cs, j.h_cc, j.h_classified_n, " activities",
                                          "in heavy-change accounts") + "; " + pct(j.s_cs) + "% in steady ones against "
         + pct(j.s_cc) + "%"),
        (enough_cs & (cs_gap >= m) & (j.s_cs < j.s_cc), said("create share", j.s_cs, j.s_cc, j.s_classified_n, " activities",
                                         "in steady accounts") + "; " + pct(j.h_cs) + "% in heavy-change ones against "
         + pct(j.h_cc) + "%"),
        (enough_wr & (wr_gap <= -m) & (j.h_wr < j.h_cw), said("win rate", j.h_wr, j.h_cw, j.h_closed_n, " closed", "in heavy-change accounts")
         + "; " + pct(j.s_wr) + "% in steady ones against " + pct(j.s_cw) + "%"),
        (enough_wr & (wr_gap >= m) & (j.s_wr < j.s_cw), said("win rate", j.s_wr, j.s_cw, j.s_closed_n, " closed", "in steady accounts")
         + "; " + pct(j.h_wr) + "% in heavy-change ones against " + pct(j.h_cw) + "%"),
        else_=ibis.null("string"),
    )
    j = j.mutate(_under_text=text)
    return j.filter(j._under_text.notnull()).select("owner_id", "_under_text")


def style_flexibility(
    situated: ir.Table, per_situation: ir.Table, company_situation: ir.Table, sellers: ir.Table,
    *, rules: StyleRules = StyleRules(),  # noqa: B008 - frozen
) -> ir.Table:
    """Per seller (``sellers``: ``owner_id``): ``style_flexibility`` (0-1; empty below the
    floor), ``style_n`` (activities placed), ``style_examples`` (JSON list of plain sentences),
    ``style_locked`` and ``style_note`` (why empty, or why locked)."""
    t = situated.semi_join(sellers, "owner_id")
    n = t.group_by("owner_id").aggregate(style_n=t.count())
    out = sellers.select("owner_id")
    out = left_join_on(out, n, "owner_id")
    out = left_join_on(out, _flexibility(t), "owner_id")
    enough = out.style_n.fill_null(0) >= rules.min_activities
    out = out.mutate(style_n=out.style_n.fill_null(0), _flex=ibis.ifelse(enough, out._flex, ibis.null("float64")))

    sentences = [
        _pair_sentence(t, "change_level", "cadence", "heavy", "steady", "for accounts in heavy change",
                       "in steady state", "cadence"),
        _pair_sentence(t, "change_level", "seniority", "heavy", "steady", "in heavy-change accounts",
                       "in steady ones", "seniority targeted"),
        _pair_sentence(t, "stage_group", "kind", "early", "late", "on early-stage deals", "on late-stage deals",
                       "channel"),
        _pair_sentence(t, "stage_group", "seniority", "early", "late", "on early-stage deals", "on late-stage deals",
                       "seniority targeted"),
    ]
    for s in sentences:
        out = left_join_on(out, s, "owner_id")
    out = left_join_on(out, _underperformance(per_situation, company_situation, sellers, rules), "owner_id")
    rigid = out._flex.notnull() & (out._flex <= rules.rigid_max)
    locked = rigid & out._under_text.notnull()
    ex_cols = [c for c in out.columns if c.startswith("_ex_")]
    examples = json_list([*[out[c] for c in ex_cols], ibis.ifelse(locked, out._under_text, ibis.null("string"))])
    note = ibis.cases(
        (~enough, out.style_n.cast("string") + f" activities in {rules.window_days:g} days "
         f"(flexibility needs {rules.min_activities})"),
        (locked, "locked into one style and underperforming: " + out._under_text),
        (rigid, ibis.literal("one style everywhere, without falling behind the company in any change level")),
        else_=ibis.null("string"),
    )
    return out.select(
        "owner_id",
        style_flexibility=out._flex,
        style_n=out.style_n,
        style_examples=ibis.ifelse(enough, examples, ibis.null("string")),
        style_locked=locked.fill_null(False),
        style_note=note,
    )
