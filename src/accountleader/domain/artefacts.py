"""Data artefacts: what real CRM data holds that is not selling.

Real orgs bulk-load records, stop logging, send newsletters from the CRM, click deals
through five stages in a minute, create the quote at signature and type 100 as an
amount.  None of that is a finding about a seller or an account.  Each rule here is
documented in ``docs/metrics.md`` ("Data artefacts"), counted in ``status --json``
and excluded from the metrics it would distort.

Three steps, all pure:

1. :func:`stage_evidence` (an expression) and :func:`profile_stages` (plain Python
   over its few rows) say what each stage means: its order, whether it is closed or
   won, whether it is the quote stage or the commit (signature) stage, and why.
2. :func:`annotate` returns the canonical tables with artefact columns added:

   - ``opportunities``: ``closed_at``, ``closed_by_history``, ``entered_late``, ``placeholder_amount``
   - ``opportunity_history``: ``artefact`` (``bulk_loaded`` | ``click_through``)
   - ``activities``: ``artefact`` (``mass_email`` | ``open_task``)
   - ``quotes``: ``artefact`` (``closing_document``)
   - ``contacts``: ``bulk_loaded``

3. :func:`flagged` gives, per artefact kind, the ids it flags (for counts and
   examples); :func:`logging_stop` finds an org-wide stop in weekly activity counts.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from .metrics._clean import selling_activities
from .metrics._time import epoch_seconds

KINDS = (
    "closed_by_history",
    "bulk_loaded",
    "logging_stopped",
    "entered_late",
    "quote_as_closing_document",
    "mass_email",
    "open_task",
    "placeholder_amount",
)

#: What each artefact does to the figures: the text `status` and the reports show.
EFFECTS = {
    "closed_by_history": "closed from the date the stage history shows, not the later CloseDate: not open pipeline after it",
    "bulk_loaded": "records sharing one load timestamp: not new contacts, not close-date pushes or stage changes",
    "logging_stopped": "no activity logged org-wide after this date: no account is 'going dark' or starved after it",
    "entered_late": "deals first recorded at the commit/signature stage, or stage spells under a minute: left out of days to close and stage velocity",
    "quote_as_closing_document": "quotes created at or after the commit/signature stage: not quote turnaround samples",
    "mass_email": "list or marketing email: not a touch, not reach, not engagement",
    "open_task": "tasks not completed (plans): not activity",
    "placeholder_amount": "amounts at or below the placeholder threshold, or one value repeated on lost deals: left out of amount-weighted figures",
}

_WON_NAME = re.compile(r"\bwon\b|ganad|gagn|gewonnen|\bwin\b", re.I)
_LOST_NAME = re.compile(r"\blost\b|perdid|perdu|verloren|\bdead\b|descartad", re.I)
_QUOTE_NAME = re.compile(r"propos|propuesta|quote|cotiza|oferta|presupuesto|angebot|devis|price", re.I)
_COMMIT_NAME = re.compile(r"firma|signat|contract|commit|verbal|cierre|closing|sign", re.I)

_LIST_EMAIL_SUBTYPES = ("listemail", "list email", "massemail", "mass email", "marketing_email", "marketing email")
_LIST_EMAIL_SUBJECT = r"(?i)^\s*(\[?email de lista|list email|mass email|newsletter|bolet[ií]n|marketing email)"


@dataclass(frozen=True)
class Rules:
    """Thresholds of the detectors (workspace settings ``artefacts.*``)."""

    click_through_seconds: float = 60.0
    bulk_min_records: int = 20
    mass_email_min_contacts: int = 10
    mass_email_window_minutes: int = 10
    placeholder_max_amount: float = 100.0
    placeholder_repeat_share: float = 0.3
    placeholder_repeat_min: int = 10
    logging_drop_ratio: float = 0.2
    logging_min_quiet_days: int = 21


# --- stages ------------------------------------------------------------------------------


def stage_evidence(t: Mapping[str, ir.Table]) -> ir.Table:
    """Per stage seen on deals or in history: what the data says it means.

    Columns: ``stage``, ``deals_n`` (deals now in it), ``closed_n``, ``won_n``,
    ``probability`` (mean of deal and history probabilities), ``first_quote_n``
    (deals sitting in it when their first quote was created).
    """
    o, h, q = t["opportunities"], t["opportunity_history"], t["quotes"]
    now = o.filter(o.stage.notnull()).group_by("stage").aggregate(
        deals_n=o.opportunity_id.count(),
        closed_n=o.is_closed.fill_null(False).cast("int64").sum(),
        won_n=o.is_won.fill_null(False).cast("int64").sum(),
        _p_sum=o.probability.sum(),
        _p_n=o.probability.count(),
    )
    hh = h.filter(h.stage.notnull())
    hist = hh.group_by("stage").aggregate(_hp_sum=hh.probability.sum(), _hp_n=hh.probability.count(), _h_n=hh.count())
    first_q = q.filter(q.opportunity_id.notnull()).group_by("opportunity_id").aggregate(_q_at=q.created_at.min())
    # the history row in force when the first quote was made
    j = hh.join(first_q, "opportunity_id").filter(lambda r: r.changed_at <= r._q_at)
    w = ibis.window(group_by="opportunity_id", order_by=ibis.desc("changed_at"))
    j = j.mutate(_rn=ibis.row_number().over(w)).filter(lambda r: r._rn == 0)
    at_quote = j.group_by("stage").aggregate(first_quote_n=j.opportunity_id.nunique())
    stages = now.select("stage").union(hist.select("stage")).distinct()
    out = stages.left_join(now, "stage").drop("stage_right")
    out = out.left_join(hist, "stage").drop("stage_right")
    out = out.left_join(at_quote, "stage").drop("stage_right")
    p_sum = out._p_sum.fill_null(0) + out._hp_sum.fill_null(0)
    p_n = out._p_n.fill_null(0) + out._hp_n.fill_null(0)
    return out.select(
        "stage",
        deals_n=out.deals_n.fill_null(0),
        history_n=out._h_n.fill_null(0),
        closed_n=out.closed_n.fill_null(0),
        won_n=out.won_n.fill_null(0),
        probability=ibis.ifelse(p_n > 0, p_sum / p_n, ibis.null("float64")),
        first_quote_n=out.first_quote_n.fill_null(0),
    )


def profile_stages(
    evidence: Iterable[Mapping[str, Any]],
    exported: Iterable[Mapping[str, Any]] = (),
    *,
    quote_stages: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Decide each stage's order and meaning; every decision carries its basis.

    - Order and closed/won: the exported stage list (``stages`` table) where it has the
      stage; else probability (ascending, closed stages last) and what the deals in it
      are (all closed; mostly won).
    - Commit (signature) stage: open stages from the first one with a signature-like
      name (Firmas, Contract, Commit, Verbal...) onward, in stage order.
    - Quote stage: the configured names that occur; else open stages named like a
      proposal (Propuesta, Cotización, Quote...) before the commit stage; else the open
      stage, before the commit stage, in which most deals sat at their first quote.
    """
    ev = {str(r["stage"]): dict(r) for r in evidence if r.get("stage") is not None}
    ex = {str(r["stage"]): dict(r) for r in exported if r.get("stage") is not None}
    rows: list[dict[str, Any]] = []
    for name in sorted(set(ev) | set(ex)):
        e, x = ev.get(name, {}), ex.get(name)
        prob = x.get("probability") if x and x.get("probability") is not None else e.get("probability")
        if x is not None and x.get("is_closed") is not None:
            closed, won, basis = bool(x["is_closed"]), bool(x.get("is_won")), "exported stage list"
        else:
            deals, closed_n, won_n = e.get("deals_n", 0) or 0, e.get("closed_n", 0) or 0, e.get("won_n", 0) or 0
            if deals and closed_n == deals:
                closed, won, basis = True, won_n * 2 > deals, "every deal in it is closed"
            elif _WON_NAME.search(name) or (prob is not None and prob >= 100):
                closed, won, basis = True, True, "name or 100% probability"
            elif _LOST_NAME.search(name):
                closed, won, basis = True, False, "name"
            else:
                closed, won, basis = False, False, "deals in it are open"
        order = x.get("sort_order") if x else None
        rows.append({"stage": name, "sort_order": order, "probability": prob, "is_closed": closed, "is_won": won,
                     "basis": basis, "first_quote_n": e.get("first_quote_n", 0) or 0})
    # order: exported sort order, else probability; closed stages after open ones
    def key(r: dict[str, Any]) -> tuple[int, float, float, str]:
        so = r["sort_order"]
        return (1 if r["is_closed"] else 0, float(so) if so is not None else 1e9, r["probability"] if r["probability"] is not None else 50.0, r["stage"])

    if any(r["sort_order"] is not None for r in rows):
        rows.sort(key=key)
    else:
        rows.sort(key=lambda r: (1 if r["is_closed"] else 0, r["probability"] if r["probability"] is not None else 50.0, r["stage"]))
    for i, r in enumerate(rows):
        r["sort_order"] = i + 1
    open_rows = [r for r in rows if not r["is_closed"]]
    # Probability alone does not make a commit stage: Salesforce's default Negotiation/Review
    # is 90% and still before signature.  Only a signature-like name does.
    commit_at = next((i for i, r in enumerate(open_rows) if _COMMIT_NAME.search(r["stage"])), None)
    for i, r in enumerate(open_rows):
        r["is_commit_stage"] = commit_at is not None and i >= commit_at
    for r in rows:
        r.setdefault("is_commit_stage", False)
        r["is_quote_stage"] = False
        r["quote_basis"] = None
    before_commit = [r for r in open_rows if not r["is_commit_stage"]]
    wanted = {s.lower() for s in quote_stages}
    chosen = [r for r in rows if r["stage"].lower() in wanted]
    basis = "named in settings (quote_stages)"
    if not chosen:
        chosen = [r for r in before_commit if _QUOTE_NAME.search(r["stage"])]
        basis = "proposal-like stage name before the commit stage"
    if not chosen:
        total = sum(r["first_quote_n"] for r in rows)
        best = max(before_commit, key=lambda r: r["first_quote_n"], default=None)
        if best is not None and total and best["first_quote_n"] * 10 >= total * 3:
            chosen = [best]
            basis = f"where {best['first_quote_n']} of {total} deals sat when their first quote was created"
    for r in chosen:
        r["is_quote_stage"] = True
        r["quote_basis"] = basis
    for r in rows:
        r.pop("first_quote_n", None)
    return rows


# --- annotating the canonical tables -------------------------------------------------------


def _in(col: ir.StringValue, values: Sequence[str]) -> ir.BooleanValue:
    if not values:
        return ibis.literal(False)
    return col.isin(list(values)).fill_null(False)


def _second(ts: ir.TimestampValue) -> ir.IntegerValue:
    return epoch_seconds(ts).floor().cast("int64")


#: Activity columns only :func:`annotate` reads (to find list email and open tasks); the
#: annotated activities leave them out. (The delegation metrics read a task's creator and
#: wording from the activities as imported: domain/metrics/delegation.py ``instruction_rows``.)
ACTIVITY_ANNOTATION_ONLY = ("subject", "subtype", "source_object", "is_done", "status", "created_by_id", "description")


def annotate(t: Mapping[str, ir.Table], profile: Sequence[Mapping[str, Any]], *, rules: Rules = Rules(),
             keep: Callable[[ir.Table], ir.Table] = lambda table: table) -> dict[str, ir.Table]:
    """The canonical tables with the artefact columns described in the module docstring.

    ``keep`` is applied to each annotated table as soon as it is built, before the next one
    reads it (history, then opportunities, then quotes): an engine passes its way of computing
    a table once (``Table.cache``), so the opportunities do not re-run the history's windows
    and the quotes do not re-run both. The default keeps the expressions as they are."""
    closed_stages = [r["stage"] for r in profile if r["is_closed"]]
    late_stages = [r["stage"] for r in profile if r["is_closed"] or r.get("is_commit_stage")]
    out = dict(t)
    h = t["opportunity_history"]

    # bulk loads: one timestamp (to the second) shared by many records
    hs = h.mutate(_sec=_second(h.changed_at))
    bulk_secs = hs.group_by("_sec").aggregate(_n=hs.opportunity_id.nunique()).filter(lambda r: r._n >= rules.bulk_min_records)
    hs = hs.left_join(bulk_secs.select("_sec", _bulk=ibis.literal(True)), "_sec").drop("_sec_right")
    order = ibis.window(group_by="opportunity_id", order_by=["changed_at", "history_id"])
    hs = hs.mutate(_next_at=hs.changed_at.lead().over(order), _prev_stage=hs.stage.lag().over(order))
    spell_s = epoch_seconds(hs._next_at) - epoch_seconds(hs.changed_at)
    click = (spell_s < rules.click_through_seconds).fill_null(False) & (
        hs._prev_stage.isnull() | (hs._prev_stage != hs.stage)
    ).fill_null(True)
    hs = hs.mutate(
        artefact=ibis.cases(
            (hs._bulk.fill_null(False), "bulk_loaded"),
            (click, "click_through"),
            else_=ibis.null("string"),
        )
    )
    hist = keep(hs.drop("_sec", "_bulk", "_next_at", "_prev_stage"))
    out["opportunity_history"] = hist

    # closed_at: the first history row in a closed stage, or the close date, whichever is first
    hc = hist.filter(_in(hist.stage, closed_stages))
    first_closed = hc.group_by("opportunity_id").aggregate(_hist_closed_at=hc.changed_at.min())
    # the first stage the deal really sat in (click-through rows skipped)
    real = hist.filter(hist.artefact.isnull() | (hist.artefact != "click_through"))
    w = ibis.window(group_by="opportunity_id", order_by=["changed_at", "history_id"])
    first = real.mutate(_rn=ibis.row_number().over(w)).filter(lambda r: r._rn == 0)
    first = first.select("opportunity_id", _first_stage=first.stage)
    hl = hist.filter(_in(hist.stage, late_stages))
    first_late = hl.group_by("opportunity_id").aggregate(_late_at=hl.changed_at.min())

    o = t["opportunities"]
    o = o.left_join(first_closed, "opportunity_id").drop("opportunity_id_right")
    o = o.left_join(first, "opportunity_id").drop("opportunity_id_right")
    close_ts = o.close_date.cast("timestamp")
    closed_at = ibis.cases(
        (o._hist_closed_at.notnull() & close_ts.notnull(), ibis.least(o._hist_closed_at, close_ts)),
        else_=ibis.coalesce(o._hist_closed_at, close_ts),
    )
    lost = o.is_closed.fill_null(False) & ~o.is_won.fill_null(False)
    value = ibis.coalesce(o.amount_corporate, o.amount)
    # one value repeated on many lost deals (and rare on won ones) is a placeholder too
    lost_vals = o.filter(lost & value.notnull())
    reps = lost_vals.group_by(_v=ibis.coalesce(lost_vals.amount_corporate, lost_vals.amount)).aggregate(_vn=lost_vals.count())
    # the share is of all lost deals with an amount: a window over every value's count
    reps = reps.mutate(_lost_n=reps._vn.sum().over(ibis.window()))
    reps = reps.filter((reps._vn >= rules.placeholder_repeat_min) & (reps._vn >= reps._lost_n * rules.placeholder_repeat_share))
    o = o.left_join(reps.select("_v", _repeated=ibis.literal(True)), value == reps._v).drop("_v")
    o = o.mutate(
        closed_at=ibis.ifelse(o.is_closed.fill_null(False), closed_at, ibis.null("timestamp")),
        closed_by_history=(o.is_closed.fill_null(False) & (o._hist_closed_at.date() < o.close_date)).fill_null(False),
        entered_late=_in(o._first_stage, late_stages),
        # a won deal's amount is what was booked (a 55 USD product exists): only zero is a placeholder there
        placeholder_amount=(
            (value == 0)
            | (~o.is_won.fill_null(False) & (value <= rules.placeholder_max_amount))
            | (lost & o._repeated.fill_null(False))
        ).fill_null(False),
    )
    out["opportunities"] = keep(o.drop("_hist_closed_at", "_first_stage", "_repeated"))

    # quotes created at or after the commit stage (or after the deal closed)
    q = t["quotes"]
    closes = out["opportunities"].filter(out["opportunities"].closed_at.notnull())
    closes = closes.select("opportunity_id", _closed_at=closes.closed_at)
    ql = q.left_join(first_late, "opportunity_id").drop("opportunity_id_right")
    ql = ql.left_join(closes, "opportunity_id").drop("opportunity_id_right")
    after = (ql.created_at >= ql._late_at).fill_null(False) | (ql.created_at >= ql._closed_at).fill_null(False)
    out["quotes"] = keep(ql.mutate(artefact=ibis.ifelse(after, "closing_document", ibis.null("string"))).drop(
        "_late_at", "_closed_at"
    ))

    # activities: list email, open tasks
    a = t["activities"]
    sub = a.subtype.lower().strip()
    listed = _in(sub, list(_LIST_EMAIL_SUBTYPES)) | a.subject.re_search(_LIST_EMAIL_SUBJECT).fill_null(False)
    bucket = (epoch_seconds(a.occurred_at) / (60 * rules.mass_email_window_minutes)).floor().cast("int64")
    a = a.mutate(_bucket=bucket, _subj=a.subject.lower().strip())
    blast = (
        a.filter(a._subj.notnull() & (a.kind == "email"))
        .group_by(["owner_id", "_subj", "_bucket"])
        .aggregate(_to=a.contact_id.nunique())
        .filter(lambda r: r._to >= rules.mass_email_min_contacts)
        .mutate(_blast=ibis.literal(True))
    )
    a = a.left_join(blast, ["owner_id", "_subj", "_bucket"])
    a = a.drop(*[c for c in a.columns if c.endswith("_right")])
    open_task = (a.source_object == "Task").fill_null(False) & (a.is_done == False).fill_null(False)  # noqa: E712
    a = a.mutate(
        artefact=ibis.cases(
            (listed | a._blast.fill_null(False), "mass_email"),
            (open_task, "open_task"),
            else_=ibis.null("string"),
        )
    )
    # the words and Salesforce bookkeeping that found these artefacts are read by no metric:
    # left out, so the kept table is a third of the size (10M activities: about 1 GiB less)
    out["activities"] = keep(a.drop("_bucket", "_subj", "_to", "_blast", *[c for c in ACTIVITY_ANNOTATION_ONLY if c in a.columns]))

    c = t["contacts"]
    cs = c.mutate(_sec=_second(c.created_at))
    cb = cs.group_by("_sec").aggregate(_n=cs.count()).filter(lambda r: r._n >= rules.bulk_min_records)
    cs = cs.left_join(cb.select("_sec", _b=ibis.literal(True)), "_sec").drop("_sec_right")
    out["contacts"] = keep(cs.mutate(bulk_loaded=cs._b.fill_null(False)).drop("_sec", "_b"))
    return out


#: Activities that are selling work (no list email, no open task): the metrics' own definition.
real_activities = selling_activities


# --- what each artefact flags ----------------------------------------------------------------


def flagged(a: Mapping[str, ir.Table]) -> dict[str, ir.Table]:
    """Per artefact kind, one column ``id`` of the records it flags (annotated tables in)."""
    o, h, q, acts, c = a["opportunities"], a["opportunity_history"], a["quotes"], a["activities"], a["contacts"]
    bulk = h.filter(h.artefact == "bulk_loaded").select(id=h.history_id).union(
        c.filter(c.bulk_loaded).select(id=c.contact_id)
    )
    late = o.filter(o.entered_late).select(id=o.opportunity_id).union(
        h.filter(h.artefact == "click_through").select(id=h.history_id)
    )
    return {
        "closed_by_history": o.filter(o.closed_by_history).select(id=o.opportunity_id),
        "bulk_loaded": bulk,
        "entered_late": late,
        "quote_as_closing_document": q.filter(q.artefact == "closing_document").select(id=q.quote_id),
        "mass_email": acts.filter(acts.artefact == "mass_email").select(id=acts.activity_id),
        "open_task": acts.filter(acts.artefact == "open_task").select(id=acts.activity_id),
        "placeholder_amount": o.filter(o.placeholder_amount).select(id=o.opportunity_id),
    }


# --- logging stop ----------------------------------------------------------------------------


def weekly_activity(a: Mapping[str, ir.Table]) -> ir.Table:
    """Real activities per week (Monday start): ``week`` (date), ``n``. Annotated tables in."""
    acts = real_activities(a["activities"])
    acts = acts.filter(acts.occurred_at.notnull())
    day = acts.occurred_at.date()
    week = day - (day.day_of_week.index().cast("int32")).as_interval("D")
    return acts.group_by(week=week).aggregate(n=acts.count())


def logging_stop(weekly: Iterable[tuple[date, int]], data_end: date | None, *, rules: Rules = Rules()) -> date | None:
    """The first day of an org-wide stop or sharp drop in logged activity, or None.

    A stop: from some week to the end of the data (at least ``logging_min_quiet_days``
    long), every week has fewer than ``logging_drop_ratio`` times the median of the
    twelve weeks before it.  ``data_end`` is the last day deals moved or closed.
    """
    counts = {w: n for w, n in weekly if w is not None}
    if not counts or data_end is None:
        return None
    first = min(counts)
    end_week = data_end - timedelta(days=data_end.weekday())
    weeks = []
    w = first
    while w <= end_week:
        weeks.append((w, counts.get(w, 0)))
        w += timedelta(days=7)
    for i in range(4, len(weeks)):
        start = weeks[i][0]
        if (data_end - start).days < rules.logging_min_quiet_days:
            break
        before = [n for _, n in weeks[max(0, i - 12) : i]]
        base = statistics.median(before)
        if base < 5:
            continue
        if all(n < rules.logging_drop_ratio * base for _, n in weeks[i:]):
            last = max((wk for wk, n in weeks[:i] if n), default=start)
            return min(start, last + timedelta(days=7))
    return None


def as_of_candidates(a: Mapping[str, ir.Table]) -> ir.Table:
    """Latest moment of real activity or deal movement, by source: ``source``, ``at``.

    Future-dated open tasks and list email do not count; closed dates do (a deal won
    on its close date moved then).  Activities dated after the last one logged are
    plans, not events.
    """
    acts = real_activities(a["activities"])
    logged = a["activities"].created_at.max()
    acts = acts.filter(acts.created_at.isnull() | (acts.occurred_at <= logged + ibis.interval(days=1)))
    o, h, q, cs = a["opportunities"], a["opportunity_history"], a["quotes"], a["cases"]
    parts = [
        acts.aggregate(source=ibis.literal("the last logged activity"), at=acts.occurred_at.max()),
        h.aggregate(source=ibis.literal("the last stage or deal change"), at=h.changed_at.max()),
        o.aggregate(source=ibis.literal("the last deal closed"), at=o.closed_at.max()),
        o.aggregate(source=ibis.literal("the last deal created"), at=o.created_at.max()),
        q.aggregate(source=ibis.literal("the last quote created"), at=q.created_at.max()),
        cs.aggregate(source=ibis.literal("the last case opened"), at=cs.created_at.max()),
    ]
    parts = [p.mutate(at=p.at.cast("timestamp")) for p in parts]
    return ibis.union(*parts, distinct=False)


def pick_as_of(candidates: Iterable[tuple[str, datetime | None]]) -> tuple[datetime | None, str]:
    """The latest candidate and the sentence that says what set it."""
    best: tuple[datetime | None, str] = (None, "no dated activity or deals")
    for source, at in candidates:
        if at is not None and (best[0] is None or at > best[0]):
            best = (at, source)
    return best
