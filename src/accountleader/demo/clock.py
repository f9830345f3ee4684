"""The demo company's calendar: a fixed as-of date and business-day arithmetic.

All instants are ``int64`` seconds since the Unix epoch, UTC; all dates are
``datetime64[D]``. Nothing here reads the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

#: The end of the demo data (exclusive): every record happens before this instant.
AS_OF = datetime(2026, 9, 30, tzinfo=UTC)
#: Years of history before :data:`AS_OF`.
HISTORY_YEARS = 3

DAY = 86_400
HOUR = 3_600
MINUTE = 60


def as_of_seconds() -> int:
    """:data:`AS_OF` in seconds since the epoch."""
    return int(AS_OF.timestamp())


def window_start_seconds() -> int:
    """Start of the generated history, in seconds since the epoch."""
    return as_of_seconds() - int(round(HISTORY_YEARS * 365.25)) * DAY


def to_days(seconds: np.ndarray) -> np.ndarray:
    """Instants (s) to calendar dates."""
    return (np.asarray(seconds, dtype=np.int64) // DAY).astype("datetime64[D]")


def business_instants(
    rng: np.random.Generator,
    start: np.ndarray,
    end: np.ndarray,
    utc_hour_from: int = 13,
    utc_hour_to: int = 22,
) -> np.ndarray:
    """One random business-hours instant (s) per row in ``[start, end)``, on a weekday.

    Rows whose window holds no weekday fall on ``start``'s day. Hours are UTC; the
    default 13:00-22:00 is a US working day.
    """
    start = np.asarray(start, dtype=np.int64)
    end = np.maximum(np.asarray(end, dtype=np.int64), start + 1)
    d0 = np.busday_count(np.datetime64("1970-01-01"), to_days(start))
    d1 = np.busday_count(np.datetime64("1970-01-01"), to_days(end - 1))
    d1 = np.maximum(d1, d0)
    pick = d0 + np.floor(rng.random(start.shape[0]) * (d1 - d0 + 1)).astype(np.int64)
    day = np.busday_offset(np.datetime64("1970-01-01"), pick, roll="forward")
    seconds = day.astype(np.int64) * DAY
    span = (utc_hour_to - utc_hour_from) * HOUR
    seconds += (
        utc_hour_from * HOUR
        + (rng.random(start.shape[0]) * span).astype(np.int64) // MINUTE * MINUTE
    )
    return np.clip(seconds, start, end - 1)


def add_business_days(seconds: np.ndarray, business_days: np.ndarray) -> np.ndarray:
    """``seconds`` plus a (fractional) number of business days, skipping weekends.

    Whole days move to the same time of day that many weekdays later; the fraction is
    a share of a 9-hour working day.
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    business_days = np.asarray(business_days, dtype=np.float64)
    whole = np.floor(business_days).astype(np.int64)
    day = to_days(seconds)
    moved = np.busday_offset(day, whole, roll="forward").astype(np.int64) * DAY
    time_of_day = seconds - day.astype(np.int64) * DAY
    fraction = ((business_days - whole) * 9 * HOUR).astype(np.int64)
    return moved + time_of_day + fraction


def group_starts(group: np.ndarray) -> np.ndarray:
    """For rows sorted by ``group``, the index of the first row of each row's group."""
    n = group.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = group[1:] != group[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))
