"""Time arithmetic shared by the metrics, written in portable Ibis only.

Everything is built on ``epoch_seconds()`` and plain arithmetic, which every
Ibis backend we target (DuckDB, PySpark) compiles; no backend-specific
business-day function is used.  Timestamps are UTC and timezone-naive.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import ibis.expr.types as ir

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600

#: 1970-01-05 00:00 UTC was a Monday; counting from it makes weekday 0 Monday.
_MONDAY_EPOCH_SECONDS = 4 * SECONDS_PER_DAY


def as_of_literal(as_of: datetime | date) -> ir.TimestampScalar:
    """The as-of moment as an Ibis timestamp literal (a bare date means its midnight)."""
    if not isinstance(as_of, datetime):
        as_of = datetime(as_of.year, as_of.month, as_of.day)
    if as_of.tzinfo is not None:
        raise ValueError(f"as_of must be a naive UTC datetime, got {as_of!r}")
    return ibis.timestamp(as_of)


def days_before(as_of: datetime | date, days: float) -> ir.TimestampScalar:
    """The timestamp ``days`` calendar days before ``as_of``."""
    if not isinstance(as_of, datetime):
        as_of = datetime(as_of.year, as_of.month, as_of.day)
    return ibis.timestamp(as_of - timedelta(days=days))


def epoch_seconds(ts: ir.TimestampValue | ir.DateValue) -> ir.NumericValue:
    """Seconds since 1970-01-01 00:00 UTC, as float64 (dates count from their midnight)."""
    if isinstance(ts, ir.DateValue):
        ts = ts.cast("timestamp")
    return ts.epoch_seconds().cast("float64")


def hours_between(start: ir.Value, end: ir.Value) -> ir.FloatingValue:
    """Elapsed calendar hours from ``start`` to ``end`` (negative when end is earlier)."""
    return (epoch_seconds(end) - epoch_seconds(start)) / SECONDS_PER_HOUR


def days_between(start: ir.Value, end: ir.Value) -> ir.FloatingValue:
    """Elapsed calendar days from ``start`` to ``end``, fractional (dates count from midnight)."""
    return (epoch_seconds(end) - epoch_seconds(start)) / SECONDS_PER_DAY


def _business_seconds_since_epoch(ts: ir.Value) -> ir.FloatingValue:
    """Weekday seconds (Monday-Friday) elapsed from the Monday epoch to ``ts``.

    For a moment ``d`` whole days after the epoch Monday, the weekdays before
    its own day are ``5 * (d // 7) + min(d % 7, 5)``; a weekday adds the seconds
    already gone that day, a Saturday or Sunday adds nothing.  The business time
    between two moments is then the difference of this running total.
    """
    x = epoch_seconds(ts) - _MONDAY_EPOCH_SECONDS
    day = (x / SECONDS_PER_DAY).floor()
    week = (day / 7).floor()
    weekday = day - week * 7  # 0 = Monday ... 6 = Sunday
    into_day = x - day * SECONDS_PER_DAY
    whole_days = week * 5 + ibis.least(weekday, 5)
    today = ibis.ifelse(weekday < 5, into_day, 0.0)
    return (whole_days * SECONDS_PER_DAY + today).cast("float64")


def business_days_between(start: ir.Value, end: ir.Value) -> ir.FloatingValue:
    """Elapsed business days (Saturday and Sunday excluded) from ``start`` to ``end``.

    Fractional: Friday 17:00 to Monday 09:00 is 16 hours of weekday time, so
    ``16 / 24`` business days.  Public holidays are not known and count as
    business days.  Negative when ``end`` is before ``start``.
    """
    return (_business_seconds_since_epoch(end) - _business_seconds_since_epoch(start)) / (
        SECONDS_PER_DAY
    )
