"""The one as-of value: the moment an analysis is computed for.

Converted once at the edge (a CLI option, a web query parameter, a Python API argument) with
:meth:`AsOf.parse` or :meth:`AsOf.of`, then passed as an ``AsOf`` everywhere inside. It wraps
a timezone-aware UTC datetime.

* A bare date means the end of that day: ``2026-09-30`` is ``2026-09-30T23:59:59`` UTC, so
  everything that happened on the day counts.
* A date and time is taken as given; without an offset it is UTC (CRM timestamps are stored
  as naive UTC), with one it is converted to UTC.
* :meth:`iso` is the stored form (naive UTC ISO, as ``AnalysisSummary.as_of`` and the
  ``as_of`` column of every result table hold it); :attr:`naive` is what engine expressions
  compare with naive-UTC timestamp columns; :attr:`date` keys the kept result snapshots
  (one per as-of date); :attr:`label` is for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from ..errors import InputError

_END_OF_DAY = time(23, 59, 59)
_EXAMPLE = "a date like 2026-09-30 (or a date and time like 2026-09-30T17:00)"


@dataclass(frozen=True, order=True)
class AsOf:
    """A moment in UTC (timezone-aware); ordered by time."""

    at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime):
            raise TypeError(f"AsOf wraps a datetime, not {type(self.at).__name__}; use AsOf.of(...)")
        if self.at.tzinfo is None:
            raise TypeError("AsOf wraps a timezone-aware datetime; use AsOf.of(...) for a naive one (taken as UTC)")
        if self.at.tzinfo is not UTC:
            object.__setattr__(self, "at", self.at.astimezone(UTC))

    # -- converting at the edge ------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, *, name: str = "as-of") -> AsOf:
        """``text`` as a date (end of that day) or an ISO date and time.

        Raises InputError naming the value (and ``name``, e.g. ``--as-of``), never a traceback."""
        if not isinstance(text, str):
            raise InputError(f"{name} {text!r} is not {_EXAMPLE}", value=str(text))
        raw = text.strip()
        if not raw:
            raise InputError(f"{name} is empty; give {_EXAMPLE}", value=text)
        if len(raw) > 40:
            raise InputError(f"{name} {raw[:40]!r}... is not {_EXAMPLE}", value=raw[:40])
        try:
            if len(raw) <= 10:
                day = date.fromisoformat(raw)
                return cls(datetime.combine(day, _END_OF_DAY, tzinfo=UTC))
            parsed = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError as exc:
            why = _why(raw, exc)
            raise InputError(f"{name} {raw!r} is not {_EXAMPLE}{why}", value=raw) from None
        return cls.of(parsed)

    @classmethod
    def of(cls, value: AsOf | datetime | date | str, *, name: str = "as-of") -> AsOf:
        """Any accepted form: an AsOf, a datetime (naive = UTC), a date (end of day) or text."""
        if isinstance(value, AsOf):
            return value
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return cls(value.replace(tzinfo=UTC))
            return cls(value.astimezone(UTC))
        if isinstance(value, date):
            return cls(datetime.combine(value, _END_OF_DAY, tzinfo=UTC))
        if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
            return cls.of(value.to_pydatetime(), name=name)
        return cls.parse(value, name=name)

    @classmethod
    def optional(cls, value: AsOf | datetime | date | str | None, *, name: str = "as-of") -> AsOf | None:
        """:meth:`of`, with None (and empty text) meaning "not given"."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return cls.of(value, name=name)

    # -- reading it ------------------------------------------------------------------------

    @property
    def date(self) -> date:
        """The UTC date: the key of the result snapshot kept for this as-of."""
        return self.at.date()

    @property
    def naive(self) -> datetime:
        """Naive UTC, to compare with the naive-UTC timestamps of the CRM tables."""
        return self.at.replace(tzinfo=None)

    @property
    def key(self) -> str:
        """``YYYY-MM-DD``: how snapshots, file names and ``?as_of=`` name this as-of."""
        return self.date.isoformat()

    @property
    def is_end_of_day(self) -> bool:
        return self.at.time().replace(microsecond=0) == _END_OF_DAY

    def iso(self) -> str:
        """The stored form: naive UTC ISO 8601 (``2026-09-30T23:59:59``); :meth:`parse` reads it back."""
        return self.naive.isoformat()

    @property
    def label(self) -> str:
        """For people: ``2026-09-30``, or ``2026-09-30 17:05 UTC`` when not the end of a day."""
        if self.is_end_of_day:
            return self.key
        return f"{self.key} {self.at:%H:%M} UTC"

    def __str__(self) -> str:
        return self.label


def _why(raw: str, exc: ValueError) -> str:
    """A short reason for a value that looks like a date but is not a real one."""
    message = str(exc)
    if any(word in message for word in ("out of range", "must be in")):
        return f" ({message})"
    return ""


__all__ = ["AsOf"]
