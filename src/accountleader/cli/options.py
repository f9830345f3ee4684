"""Options several commands share, converted once at the edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..domain.as_of import AsOf

AS_OF_FORMS = "a date like 2026-09-30 (the end of that day, UTC) or a date and time like 2026-09-30T17:00"


def as_of_option(value: str | None) -> AsOf | None:
    """``--as-of`` text as the one as-of type (None when not given); a bad value raises
    InputError naming it, which the CLI prints as one red line (exit 2)."""
    from ..domain.as_of import AsOf

    return AsOf.optional(value, name="--as-of")
