"""What the scenario forecast reads, as Ibis expressions (pure: nothing executes here).

* :func:`stage_slips`: how far each won deal's actual close landed after the close date expected
  when it entered each open stage (docs/metrics.md, "Forecast", the slip rule);
* :func:`stage_win_rates`: per stage, the deals closed by the as-of that reached it, and how
  many of them were won (the fallback probability);
* :func:`open_deals`: the open deals at the as-of with what the simulation needs;
* :func:`won_since`: deals won from a date up to the as-of (won-to-date).

Tables are the annotated canonical tables the metrics read (artefact history rows are left
out) and the stored ``opportunity_results``.
"""

from __future__ import annotations

from datetime import date, datetime

import ibis
import ibis.expr.types as ir

from .metrics._clean import closed_at, closed_by, deal_value, real_history, won_by
from .metrics._time import as_of_literal, days_between


def _open_stage_history(opportunities: ir.Table, history: ir.Table, as_of: datetime) -> ir.Table:
    """Real history rows by ``as_of`` in open stages (a stage that closed deals end in is not open)."""
    closed = opportunities.filter(opportunities.is_closed.fill_null(False)).select("stage").distinct()
    h = history.filter(real_history(history) & (history.changed_at <= as_of_literal(as_of))
                       & history.stage.notnull())
    return h.anti_join(closed, "stage")


def _actual_close(o: ir.Table) -> ir.DateValue:
    return ibis.coalesce(o.close_date, closed_at(o).date())


def stage_slips(opportunities: ir.Table, history: ir.Table, *, as_of: datetime) -> ir.Table:
    """One row per (deal won by ``as_of``, open stage it entered): ``stage`` and ``slip_days``,
    the actual close date minus the close date on the deal's first history row in that stage
    (negative: it closed early). Rows without a close date on entry are left out."""
    h = _open_stage_history(opportunities, history, as_of)
    h = h.filter(h.close_date.notnull())
    entry = h.group_by(["opportunity_id", "stage"]).aggregate(expected=h.close_date.argmin(h.changed_at))
    o = opportunities
    won = o.filter(won_by(o, as_of)).select("opportunity_id", actual=_actual_close(o))
    j = entry.join(won, "opportunity_id")
    return j.filter(j.actual.notnull()).select(
        "opportunity_id", "stage", slip_days=days_between(j.expected, j.actual).round().cast("int64"))


def stage_win_rates(opportunities: ir.Table, history: ir.Table, *, as_of: datetime) -> ir.Table:
    """Per open stage: ``closed_n``, the deals closed by ``as_of`` that reached it, and
    ``won_n``, those of them won; and a row with stage ``""``: every closed deal that reached
    any open stage, counted once."""
    h = _open_stage_history(opportunities, history, as_of)
    reached = h.select("opportunity_id", "stage").distinct()
    o = opportunities
    closed = o.filter(closed_by(o, as_of)).select("opportunity_id", won=o.is_won.fill_null(False))
    j = reached.join(closed, "opportunity_id")
    by_stage = j.group_by("stage").aggregate(closed_n=j.count(), won_n=j.won.cast("int64").sum())
    # every closed deal that reached any open stage, once: the overall rate (stage "")
    deals = j.select("opportunity_id", "won").distinct()
    overall = deals.aggregate(closed_n=deals.count(), won_n=deals.won.cast("int64").sum().fill_null(0))
    return by_stage.union(overall.select(stage=ibis.literal(""), closed_n=overall.closed_n, won_n=overall.won_n))


def state_at(history: ir.Table, *, as_of: datetime) -> ir.Table:
    """Each deal's last real history row by ``as_of``: its stage, close date, amount and
    probability then (``h_stage``, ``h_close_date``, ``h_amount``, ``h_probability``)."""
    h = history.filter(real_history(history) & (history.changed_at <= as_of_literal(as_of)))
    key = h.changed_at.epoch_seconds()
    return h.group_by("opportunity_id").aggregate(
        h_stage=h.stage.argmax(key), h_close_date=h.close_date.argmax(key), h_amount=h.amount.argmax(key),
        h_probability=h.probability.argmax(key))


def open_results(results: ir.Table) -> ir.Table:
    """The open deals of ``opportunity_results`` (filtered by the reader's scope) with the
    columns :func:`open_deals` reads, ``model_probability`` and ``model_basis`` empty while
    the results hold no win model."""
    r = results.filter(~results.is_closed.fill_null(False))
    model = {
        "model_probability": r.win_probability if "win_probability" in r.columns else ibis.null("float64"),
        "model_basis": r.win_basis if "win_basis" in r.columns else ibis.null("string"),
    }
    return r.select("opportunity_id", "name", "account_id", "owner_id", "owner_name", r_stage=r.stage,
                    r_close_date=r.close_date, **model)


def open_deals(results: ir.Table, opportunities: ir.Table, history: ir.Table, accounts: ir.Table,
               users: ir.Table, *, as_of: datetime) -> ir.Table:
    """The deals open at ``as_of`` in ``results`` (:func:`open_results`), with their state at ``as_of`` where the history records it (else as
    imported): ``stage``, ``close_date``, ``amount`` (corporate currency where converted; empty
    for a placeholder amount), the CRM's ``crm_probability`` (0-100) and, when the results hold
    the win model's, ``model_probability`` and ``model_basis``; plus ``team``, ``account_name``,
    ``industry`` and ``product``."""
    r = results
    o = opportunities
    rate = ibis.ifelse(o.amount.notnull() & (o.amount != 0), o.amount_corporate / o.amount, ibis.null("float64"))
    o = o.select(o.opportunity_id, o.product, o.probability, value=deal_value(o), placeholder=deal_value(o).isnull()
                 & o.amount.notnull(), rate=ibis.coalesce(rate, 1.0))
    a = accounts.select(account_id=accounts.account_id, account_name=accounts.name, industry=accounts.industry)
    u = users.select(owner_id=users.user_id, team=users.team)
    s = state_at(history, as_of=as_of)
    j = (r.left_join(o, "opportunity_id").drop("opportunity_id_right")
         .left_join(s, "opportunity_id").drop("opportunity_id_right")
         .left_join(a, "account_id").drop("account_id_right")
         .left_join(u, "owner_id").drop("owner_id_right"))
    amount = ibis.ifelse(j.placeholder.fill_null(False), ibis.null("float64"),
                         ibis.coalesce(j.h_amount * j.rate, j.value))
    return j.select(
        "opportunity_id", "name", "account_id", "account_name", "owner_id", "owner_name", "team", "industry",
        "product", "model_probability", "model_basis",
        stage=ibis.coalesce(j.h_stage, j.r_stage), close_date=ibis.coalesce(j.h_close_date, j.r_close_date),
        amount=amount, crm_probability=ibis.coalesce(j.h_probability, j.probability),
    ).order_by("opportunity_id")


def won_since(opportunities: ir.Table, users: ir.Table, *, start: date, as_of: datetime) -> ir.Table:
    """Deals won by ``as_of`` whose actual close date is on or after ``start``: ``owner_id``,
    ``team``, ``close_date`` and ``amount`` (as :func:`open_deals` counts it)."""
    o = opportunities.filter(won_by(opportunities, as_of))
    o = o.select("owner_id", close_date=_actual_close(o), amount=deal_value(o))
    o = o.filter((o.close_date >= start) & o.amount.notnull())
    u = users.select(owner_id=users.user_id, team=users.team)
    return o.left_join(u, "owner_id").drop("owner_id_right").order_by(["close_date", "owner_id", "amount"])
