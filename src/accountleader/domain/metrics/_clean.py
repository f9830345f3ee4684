"""What the metrics leave out: one definition per data artefact, shared by every metric.

The analysis hands the metrics tables annotated by :func:`accountleader.domain.artefacts.annotate`
(columns ``closed_at``, ``entered_late``, ``placeholder_amount`` on opportunities,
``artefact`` on history, activities and quotes, ``bulk_loaded`` on contacts).  Each
helper here reads one of those columns.  On a table without it (an older caller, a
hand-made test table) the helper falls back to the plain CRM fields, so nothing is
excluded that was not detected.
"""

from __future__ import annotations

from datetime import date, datetime

import ibis
import ibis.expr.types as ir

from ._time import as_of_literal


def closed_at(o: ir.Table) -> ir.TimestampValue:
    """When the deal closed: ``closed_at`` (stage history or close date, the earlier),
    else the close date's midnight."""
    if "closed_at" in o.columns:
        return o.closed_at
    return o.close_date.cast("timestamp")


def closed_by(o: ir.Table, as_of: datetime | date | ir.Value) -> ir.BooleanValue:
    """Closed at ``as_of``: ``is_closed`` and closed by then (or with no known close time).

    A deal whose history shows it closed before ``as_of`` is closed, whatever its later
    ``CloseDate`` says; so open pipeline never holds a deal already won or lost.
    """
    asof = as_of if isinstance(as_of, ir.Value) else as_of_literal(as_of)
    at = closed_at(o)
    return (o.is_closed.fill_null(False) & (at.isnull() | (at <= asof))).fill_null(False)


def won_by(o: ir.Table, as_of: datetime | date | ir.Value) -> ir.BooleanValue:
    """Won and closed at ``as_of`` (see :func:`closed_by`)."""
    return closed_by(o, as_of) & o.is_won.fill_null(False)


def entered_late(o: ir.Table) -> ir.BooleanValue:
    """First recorded at the commit/signature stage or later: its cycle and spells are entry lag."""
    if "entered_late" in o.columns:
        return o.entered_late.fill_null(False)
    return ibis.literal(False)


def placeholder_amount(o: ir.Table) -> ir.BooleanValue:
    """A placeholder amount (at or below the threshold, or one value repeated on lost deals)."""
    if "placeholder_amount" in o.columns:
        return o.placeholder_amount.fill_null(False)
    return ibis.literal(False)


def deal_value(o: ir.Table) -> ir.NumericValue:
    """The deal's amount for amount-weighted figures: corporate amount where converted, else
    amount; null for a placeholder amount (the deal still counts in deal counts)."""
    value = ibis.coalesce(o.amount_corporate, o.amount)
    return ibis.ifelse(placeholder_amount(o), ibis.null("float64"), value)


def is_artefact(t: ir.Table) -> ir.BooleanValue:
    """The row is flagged (``artefact`` set): list email, open task, click-through or bulk-loaded
    history row, quote made as a closing document."""
    if "artefact" in t.columns:
        return t.artefact.notnull()
    return ibis.literal(False)


def selling_activities(activities: ir.Table) -> ir.Table:
    """Activities that are selling work: no list or marketing email, no open (not done) task.

    Every activity metric starts here: touches, reach, engagement, effort, first touch,
    follow-up, tending and creating."""
    if "artefact" not in activities.columns:
        return activities
    return activities.filter(activities.artefact.isnull())


def real_history(history: ir.Table) -> ir.BooleanValue:
    """The history row is a real event (not bulk-loaded, not a click-through row)."""
    return ~is_artefact(history)


def bulk_loaded_contact(contacts: ir.Table) -> ir.BooleanValue:
    """The contact was created in a bulk load: its ``created_at`` is not an arrival."""
    if "bulk_loaded" in contacts.columns:
        return contacts.bulk_loaded.fill_null(False)
    return ibis.literal(False)


def activity_end(as_of: datetime, logging_stopped_at: datetime | date | None) -> datetime:
    """The end of activity windows: ``as_of``, or the org-wide logging stop when it is earlier.

    After a logging stop no account is quieter than another: windows end where logging did."""
    if logging_stopped_at is None:
        return as_of
    stop = logging_stopped_at
    if not isinstance(stop, datetime):
        stop = datetime(stop.year, stop.month, stop.day)
    return min(as_of, stop)


def logging_stopped_before(as_of: datetime, logging_stopped_at: datetime | date | None) -> bool:
    return logging_stopped_at is not None and activity_end(as_of, logging_stopped_at) < as_of
