"""What each deal looked like while it was open: the win model's deal-by-date panel.

The win model (``domain/scoring/win.py``) learns from closed deals *as they stood while they
were still open*, never from what happened at the close (the final stage, the final
probability of 0 or 100, the actual close date).  So every feature is read at a moment
``snapshot_at``:

* each month start (00:00 on the 1st, i.e. the previous month's end) while the deal was open,
  up to ``as_of``;
* a deal that was never open over a month end (opened and closed within one month) is looked
  at once, halfway between its creation and its close;
* every deal open at ``as_of`` is looked at ``as_of`` only (these are the rows the model scores);
* a deal whose life cannot be placed in time (no creation date, or closed with no known close
  time) has one row with ``snapshot_at`` empty: only its own attributes (type, source,
  product, amount, mapped attributes) are known for it.

Features at ``snapshot_at`` (history rows flagged as artefacts never count as changes):
stage, the CRM's probability, the expected close date and the amount as the history last set
them; days since the current stage was entered; close-date pushes, stage regressions and
amount cuts so far; age; selling activities naming the deal in the previous 30 days, the
distinct contacts and inbound touches among them, and days since the last one (up to 90);
the account's and the owner's deals won and lost before ``snapshot_at``.

Every function returns an Ibis expression and executes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

import ibis
import ibis.expr.types as ir

from . import _clean
from ._time import as_of_literal, days_between, epoch_seconds
from .change import stage_order
from .efficiency import left_join_on

#: The documented figures (docs/metrics.md, "Win probability"), for the docs test.
METRICS = ("win_probability", "win_reasons")
#: Days of activity that count as the deal's recent engagement.
ENGAGEMENT_DAYS = 30
#: Days looked back for the last activity (older: "no activity in 90 days").
LAST_TOUCH_DAYS = 90


def month_starts(start: datetime | date | None, as_of: datetime) -> list[datetime]:
    """Midnight of every 1st of the month after ``start`` and strictly before ``as_of``."""
    if start is None:
        return []
    d = datetime(start.year, start.month, 1)
    out: list[datetime] = []
    while True:
        d = datetime(d.year + (d.month == 12), d.month % 12 + 1, 1)
        if d >= as_of:
            return out
        out.append(d)


def _snapshots(moments: list[datetime]) -> ir.Table:
    return ibis.memtable({"snapshot_at": moments}, schema={"snapshot_at": "timestamp"})


def _history(hist: ir.Table, all_history: ir.Table, opps: ir.Table, as_of: datetime) -> ir.Table:
    """History rows by ``as_of`` with their order, and whether each is a push, a regression,
    a cut or a stage entry (each compared with the deal's previous row carrying that field)."""
    asof = as_of_literal(as_of)
    h = hist.filter(hist.changed_at <= asof)
    h = h.mutate(_real=_clean.real_history(h))
    w = ibis.window(group_by="opportunity_id", order_by=["changed_at", "history_id"])
    ranks = stage_order(all_history, opps, as_of=as_of)  # ranked on every deal's history
    h = h.left_join(ranks, "stage").drop("stage_right")
    # the previous non-null value of each field (artefact rows still count as "previous")
    h = h.mutate(_seq=ibis.row_number().over(w))
    c = h.filter(h.close_date.notnull()).mutate(_pc=h.close_date.lag().over(w))
    a = h.filter(h.amount.notnull()).mutate(_pa=h.amount.lag().over(w))
    s = h.filter(h.stage.notnull()).mutate(_ps=h.stage.lag().over(w), _pr=h.stage_rank.lag().over(w))
    c = c.select("history_id", pushed=(c._pc.notnull() & (c.close_date > c._pc) & c._real).fill_null(False))
    a = a.select("history_id", cut=(a._pa.notnull() & (a.amount < a._pa) & a._real).fill_null(False))
    s = s.select(
        "history_id",
        entered=(s._ps.isnull() | (s.stage != s._ps)).fill_null(False),
        regressed=((s.stage != s._ps) & (s.stage_rank < s._pr) & ~s.is_closed_stage & s._real).fill_null(False),
    )
    for part in (c, a, s):
        h = left_join_on(h, part, "history_id")
    return h.mutate(
        pushed=h.pushed.fill_null(False), cut=h.cut.fill_null(False),
        entered=h.entered.fill_null(False), regressed=h.regressed.fill_null(False),
    )


def deal_panel(
    opportunities: ir.Table,
    opportunity_history: ir.Table,
    activities: ir.Table,
    *,
    as_of: datetime,
    data_start: datetime | date | None,
    closed_sample: list[str] | None = None,
) -> ir.Table:
    """One row per deal and look (see the module doc), with its features at that look.

    ``closed_sample``: the closed deals to keep (every open one is kept); None keeps all.  The
    account's and owner's records still count every closed deal.

    Columns: ``opportunity_id``, ``account_id``, ``owner_id``, ``snapshot_at`` (empty: an
    undated deal), ``closed`` (closed by ``as_of``), ``is_won``, ``closed_at``, ``type``,
    ``lead_source``, ``product``, ``attributes``, ``amount``, ``stage``, ``crm_probability``
    (0-100), ``age_days``, ``stage_days``, ``close_date_pushes``, ``stage_regressions``,
    ``amount_cuts``, ``days_to_close`` (negative: overdue), ``activities_30d``,
    ``contacts_30d``, ``inbound_30d``, ``days_since_activity``, ``account_won_before``,
    ``account_lost_before``, ``owner_won_before``, ``owner_lost_before``.
    """
    asof = as_of_literal(as_of)
    o = opportunities.filter(opportunities.created_at.isnull() | (opportunities.created_at <= asof))
    closed = _clean.closed_by(o, asof)
    o = o.mutate(
        _closed=closed,
        _closed_at=ibis.ifelse(closed, _clean.closed_at(o), ibis.null("timestamp")),
        _won=closed & o.is_won.fill_null(False),
    )
    dated = o.created_at.notnull() & ~(o._closed & o._closed_at.isnull())
    kept = o
    if closed_sample is not None:
        sample = ibis.memtable({"opportunity_id": list(closed_sample)}, schema={"opportunity_id": "string"})
        kept = o.filter(~o._closed | o.opportunity_id.isin(sample.opportunity_id))
    base = kept.select(
        "opportunity_id", "account_id", "owner_id", "created_at", closed="_closed", closed_at="_closed_at",
        is_won="_won", _dated=dated,
    )

    # dated deals: every month start while open, as_of itself, or the midpoint of a short life
    moments = _snapshots([*month_starts(data_start, as_of), as_of])
    d = base.filter(base._dated)
    grid = d.cross_join(moments)
    open_at = (grid.created_at <= grid.snapshot_at) & (grid.closed_at.isnull() | (grid.closed_at > grid.snapshot_at))
    # a deal still open at as_of is only looked at as_of: its earlier looks teach nothing (no
    # outcome yet), and they were most of the rows on a large pipeline
    grid = grid.filter(open_at & (grid.closed | (grid.snapshot_at == as_of_literal(as_of))))
    looked = grid.select("opportunity_id").distinct().mutate(_looked=ibis.literal(True))
    short = left_join_on(d.filter(d.closed), looked, "opportunity_id")
    short = short.filter(short._looked.isnull())
    # created + half the life, as a naive timestamp on every engine (a timestamp from epoch
    # seconds is zoned on DuckDB and would drag every comparison through the session zone)
    half = ((epoch_seconds(short.closed_at) - epoch_seconds(short.created_at)) / 2).round().cast("int64")
    short = short.mutate(snapshot_at=(short.created_at + half.as_interval("s")).cast("timestamp")).drop("_looked")
    undated = base.filter(~base._dated).mutate(snapshot_at=ibis.null("timestamp"))
    cols = ["opportunity_id", "account_id", "owner_id", "created_at", "closed", "closed_at", "is_won", "snapshot_at"]
    p = grid.select(*cols).union(short.select(*cols)).union(undated.select(*cols))

    # history as it stood at each look (only the deals looked at: the windows run on fewer rows)
    ids = base.select("opportunity_id")
    h = _history(opportunity_history.filter(opportunity_history.opportunity_id.isin(ids.opportunity_id)),
                 opportunity_history, opportunities, as_of)
    looks = p.filter(p.snapshot_at.notnull()).select(_oid=p.opportunity_id, _at=p.snapshot_at)
    j = looks.join(h, (looks._oid == h.opportunity_id) & (h.changed_at <= looks._at))
    hs = j.group_by(["_oid", "_at"]).aggregate(
        stage=j.stage.argmax(ibis.ifelse(j.stage.notnull(), j._seq, ibis.null("int64"))),
        crm_probability=j.probability.argmax(ibis.ifelse(j.probability.notnull(), j._seq, ibis.null("int64"))),
        _close=j.close_date.argmax(ibis.ifelse(j.close_date.notnull(), j._seq, ibis.null("int64"))),
        _amount=j.amount.argmax(ibis.ifelse(j.amount.notnull(), j._seq, ibis.null("int64"))),
        _entered=j.changed_at.max(where=j.entered),
        close_date_pushes=j.pushed.cast("int64").sum(),
        stage_regressions=j.regressed.cast("int64").sum(),
        amount_cuts=j.cut.cast("int64").sum(),
    )

    # selling activities naming the deal, up to 90 days back
    acts = _clean.selling_activities(activities)
    acts = acts.filter(acts.opportunity_id.notnull() & acts.opportunity_id.isin(ids.opportunity_id))
    acts = acts.select("opportunity_id", "contact_id", "direction", "occurred_at")
    ja = looks.join(
        acts,
        (looks._oid == acts.opportunity_id) & (acts.occurred_at <= looks._at)
        & (acts.occurred_at > looks._at - ibis.interval(days=LAST_TOUCH_DAYS)),
    )
    recent = ja.occurred_at > ja._at - ibis.interval(days=ENGAGEMENT_DAYS)
    act = ja.group_by(["_oid", "_at"]).aggregate(
        activities_30d=ja.count(where=recent),
        contacts_30d=ja.contact_id.nunique(where=recent),
        inbound_30d=ja.count(where=recent & (ja.direction == "inbound")),
        _last=ja.occurred_at.max(),
    )

    # the account's and the owner's record before each look
    done = o.filter(o._closed & o._closed_at.notnull()).select(
        "account_id", "owner_id", _c_at=o._closed_at, _c_won=o._won
    )

    def record(key: str, prefix: str) -> ir.Table:
        # one window over the key's closed deals and looks in time order (a look sorts before a
        # close at the same instant: "before" is strict), instead of a range join that pairs
        # every look with every earlier close
        keys = p.filter(p.snapshot_at.notnull() & p[key].notnull()).select(_k=p[key], _at=p.snapshot_at).distinct()
        one, none = ibis.literal(1, "int64"), ibis.literal(0, "int64")
        looks_k = keys.mutate(_look=one, _w=none, _l=none)
        ends = done.filter(done[key].notnull()).select(
            _k=done[key], _at=done._c_at, _look=none, _w=done._c_won.cast("int64"), _l=(~done._c_won).cast("int64"),
        )
        u = looks_k.union(ends)
        w = ibis.cumulative_window(group_by="_k", order_by=["_at", ibis.desc("_look")])
        u = u.mutate(_won=u._w.sum().over(w), _lost=u._l.sum().over(w))
        u = u.filter(u._look == 1)
        return u.select("_k", "_at", **{f"{prefix}_won_before": u._won, f"{prefix}_lost_before": u._lost})

    acc, own = record("account_id", "account"), record("owner_id", "owner")

    out = p.left_join(hs, (p.opportunity_id == hs._oid) & (p.snapshot_at == hs._at)).drop("_oid", "_at")
    out = out.left_join(act, (out.opportunity_id == act._oid) & (out.snapshot_at == act._at)).drop("_oid", "_at")
    out = out.left_join(acc, (out.account_id == acc._k) & (out.snapshot_at == acc._at)).drop("_k", "_at")
    out = out.left_join(own, (out.owner_id == own._k) & (out.snapshot_at == own._at)).drop("_k", "_at")
    static = opportunities.select(
        _sid=opportunities.opportunity_id, type=opportunities.type, lead_source=opportunities.lead_source,
        product=opportunities.product, attributes=opportunities.attributes, _deal_amount=_clean.deal_value(opportunities),
    )
    out = out.left_join(static, out.opportunity_id == static._sid).drop("_sid")
    at = out.snapshot_at
    dated_row = at.notnull()

    def counted(col: ir.IntegerValue) -> ir.IntegerValue:
        return ibis.ifelse(dated_row, col.fill_null(0), ibis.null("int64"))

    return out.select(
        "opportunity_id", "account_id", "owner_id", "snapshot_at", "closed", "is_won", "closed_at",
        "type", "lead_source", "product", "attributes",
        amount=ibis.coalesce(ibis.ifelse(out._amount > 0, out._amount, ibis.null("float64")), out._deal_amount),
        stage=out.stage,
        crm_probability=out.crm_probability,
        age_days=days_between(out.created_at, at),
        stage_days=days_between(out._entered, at),
        close_date_pushes=counted(out.close_date_pushes),
        stage_regressions=counted(out.stage_regressions),
        amount_cuts=counted(out.amount_cuts),
        days_to_close=days_between(at, out._close.cast("timestamp")),
        activities_30d=counted(out.activities_30d),
        contacts_30d=counted(out.contacts_30d),
        inbound_30d=counted(out.inbound_30d),
        days_since_activity=days_between(out._last, at),
        account_won_before=counted(out.account_won_before),
        account_lost_before=counted(out.account_lost_before),
        owner_won_before=counted(out.owner_won_before),
        owner_lost_before=counted(out.owner_lost_before),
    )


def closed_deals(opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """The ids of the deals closed by ``as_of`` (the win model samples its training deals from
    them when there are many), sorted."""
    o = opportunities.filter(opportunities.created_at.isnull() | (opportunities.created_at <= as_of_literal(as_of)))
    return o.filter(_clean.closed_by(o, as_of_literal(as_of))).select("opportunity_id").order_by("opportunity_id")


def stages_reached(opportunity_history: ir.Table, *, as_of: datetime) -> ir.Table:
    """Each deal's stages by ``as_of`` (real history rows only) and when it first reached each:
    ``opportunity_id``, ``stage``, ``reached_at``.  The stage win rate (the win model's
    fallback and a backtest baseline) reads these."""
    h = opportunity_history
    h = h.filter((h.changed_at <= as_of_literal(as_of)) & h.stage.notnull() & _clean.real_history(h))
    return h.group_by(["opportunity_id", "stage"]).aggregate(reached_at=h.changed_at.min())


def stage_win_rates(opportunity_history: ir.Table, opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Per stage, the deals closed by ``as_of`` that reached it (a real history row in it) and how
    many of them were won: ``stage``, ``won_n``, ``deals_n`` (the win model's fallback)."""
    reached = stages_reached(opportunity_history, as_of=as_of).select("opportunity_id", "stage")
    o = opportunities
    closed = o.filter(_clean.closed_by(o, as_of_literal(as_of))).select(_oid=o.opportunity_id, _won=o.is_won.fill_null(False))
    j = reached.join(closed, reached.opportunity_id == closed._oid)
    return j.group_by("stage").aggregate(won_n=j._won.cast("int64").sum(), deals_n=j.count())


def stage_default_probability(opportunity_history: ir.Table, *, as_of: datetime) -> ir.Table:
    """The CRM's own probability per stage: the mean ``probability`` of the history rows in it
    by ``as_of`` (Salesforce sets it from the stage): ``stage``, ``stage_probability`` (0-100)."""
    h = opportunity_history
    h = h.filter((h.changed_at <= as_of_literal(as_of)) & h.stage.notnull() & h.probability.notnull())
    return h.group_by("stage").aggregate(stage_probability=h.probability.mean())


def month_after(moment: datetime) -> datetime:
    """The next month start after ``moment`` (the end of a backtest's forecast period)."""
    return datetime(moment.year + (moment.month == 12), moment.month % 12 + 1, 1)
