"""Writing CSV files the way Salesforce's Data Export and Data Loader do.

Every value is quoted, empty values are written as ``""``, timestamps look like
``2025-03-04T14:05:00.000Z`` (UTC), dates ``2025-03-04``, booleans ``true``/``false``,
numbers plainly (``28900``, ``1234.5``). Files are UTF-8 without a BOM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

Column = np.ndarray | pa.Array


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Instants (s since epoch, UTC) as Salesforce datetimes; negative values are blank."""
    seconds = np.asarray(seconds, dtype=np.int64)
    blank = seconds < 0
    arr = pa.array(np.where(blank, 0, seconds).astype("datetime64[s]"), mask=blank)
    return pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S.000Z")


def dates(days: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """Days since epoch as ``YYYY-MM-DD``; rows where ``blank`` are empty."""
    days = np.asarray(days, dtype=np.int64)
    arr = pa.array(days.astype(np.int32), type=pa.int32(), mask=blank).cast(pa.date32())
    return pc.strftime(arr, format="%Y-%m-%d")


def booleans(values: np.ndarray) -> np.ndarray:
    """``true``/``false``."""
    return np.where(np.asarray(values, dtype=bool), "true", "false")


def numbers(values: np.ndarray) -> pa.Array:
    """Numbers written plainly, rounded to cents; NaN is blank."""
    values = np.round(np.asarray(values, dtype=np.float64), 2)
    return pc.cast(pa.array(values, mask=np.isnan(values)), pa.string())


def lookup(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The id at each row, blank where the row is negative (an empty lookup)."""
    rows = np.asarray(rows, dtype=np.int64)
    out = ids[np.maximum(rows, 0)].astype(object)
    out[rows < 0] = ""
    return out


def _as_text(values: Column, n: int) -> pa.Array:
    if isinstance(values, str):
        return pa.array(np.full(n, values, dtype=object), type=pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(
            np.asarray(values).astype(object) if np.asarray(values).dtype.kind != "U" else values,
            type=pa.string(),
            from_pandas=True,
        )
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    return pc.fill_null(values, "")


def write_csv(path: Path, columns: Mapping[str, Column | str]) -> int:
    """Write one object's file; returns the number of data rows."""
    n = next(len(v) for v in columns.values() if not isinstance(v, str))
    table = pa.table({name: _as_text(v, n) for name, v in columns.items()})  # type: ignore[arg-type]
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="all_valid", batch_size=65_536))
    return n


@dataclass
class ExportRows:
    """Rows of one export file being planted, as text, in the file's column order (a column
    first named on a later row is blank on the earlier ones)."""

    columns: dict[str, list[str]] = field(default_factory=dict)

    def add(self, **values: str) -> None:
        n = len(self)
        for k in values:
            self.columns.setdefault(k, [""] * n)
        for k, col in self.columns.items():
            col.append(values.get(k, ""))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0
