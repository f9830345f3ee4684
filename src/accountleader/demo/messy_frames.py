"""Reading and rewriting a written demo export as text, for the messy demo.

Every file is read as strings and written back the way a Salesforce Data Export
writes it: every field quoted, ``""`` for empty, CRLF line ends, UTF-8 without a BOM.
Instants are ``2025-03-04T14:05:00.000Z`` and dates ``2025-03-04``, as in
:mod:`accountleader.demo.export`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..domain.salesforce_ids import checksum
from .clock import DAY
from .export import dates, timestamps
from .ids import make_ids

#: Timestamps at or below this are blank (Salesforce leaves an empty lookup / date).
NONE = -(2**62)


def read(path: Path) -> pd.DataFrame:
    """One export file, every column as text (blank stays ``""``)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def write(path: Path, frame: pd.DataFrame) -> int:
    """Write ``frame`` as a Salesforce export file (quoted, CRLF); returns the data rows. A line
    break inside a value (a task's description) is written CRLF too, as the export does."""
    table = pa.table(
        {
            c: pc.replace_substring_regex(pa.array(frame[c].astype(str).to_numpy(dtype=object), pa.string()),
                                          r"\r?\n", "\r\n")
            for c in frame.columns
        }
    )
    pacsv.write_csv(
        table, path, pacsv.WriteOptions(quoting_style="all_valid", eol="\r\n", batch_size=65_536)
    )
    return frame.shape[0]


def seconds(col: pd.Series) -> np.ndarray:
    """Instants or dates (text) as seconds since the epoch; blanks as :data:`NONE`."""
    text = col.to_numpy(dtype=object)
    blank = text == ""
    out = np.full(text.shape[0], NONE, dtype=np.int64)
    if (~blank).any():
        raw = np.array([t[:19] for t in text[~blank]], dtype="datetime64[s]")
        out[~blank] = raw.astype(np.int64)
    return out


def stamp(secs: Iterable[int] | np.ndarray) -> np.ndarray:
    """Seconds as Salesforce datetimes (text); :data:`NONE` as blank."""
    s = np.asarray(list(secs) if not isinstance(secs, np.ndarray) else secs, dtype=np.int64)
    out = np.asarray(timestamps(np.where(s <= NONE, -1, s)).to_pylist(), dtype=object)
    out[out == None] = ""  # noqa: E711
    return out


def day(secs: Iterable[int] | np.ndarray) -> np.ndarray:
    """Seconds as ``YYYY-MM-DD`` (text)."""
    s = np.asarray(list(secs) if not isinstance(secs, np.ndarray) else secs, dtype=np.int64)
    return np.asarray(dates(s // DAY).to_pylist(), dtype=object)


class IdMaker:
    """New 18-character ids per object, from serials far above the demo's own."""

    def __init__(self, base: int = 60_000_000) -> None:
        self._next: dict[str, int] = {}
        self._base = base

    def make(self, obj: str, count: int) -> np.ndarray:
        start = self._next.get(obj, self._base)
        self._next[obj] = start + count
        return make_ids(obj, count, start).astype(object)

    @staticmethod
    def with_prefix(prefix: str, count: int, first_serial: int = 1) -> list[str]:
        """Ids for an object the demo has no key prefix for (e.g. ``01J`` OpportunityStage)."""
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        out = []
        for serial in range(first_serial, first_serial + count):
            digits = ""
            for _ in range(9):
                serial, d = divmod(serial, 62)
                digits = alphabet[d] + digits
            head = prefix + "Hs0" + digits
            out.append(head + checksum(head))
        return out


def append(frame: pd.DataFrame, rows: list[dict[str, str]]) -> pd.DataFrame:
    """``frame`` with ``rows`` added (columns not given are blank)."""
    if not rows:
        return frame
    extra = pd.DataFrame(rows, columns=frame.columns).fillna("")
    return pd.concat([frame, extra], ignore_index=True)
