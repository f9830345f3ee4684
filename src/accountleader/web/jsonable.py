"""Workspace results to plain JSON values: NaN and NaT become null, timestamps ISO strings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if hasattr(value, "to_pydict") and hasattr(value, "schema"):  # pyarrow table
        return jsonable(value.to_pylist())
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # pandas DataFrame
        return jsonable(value.to_dict(orient="records"))
    if hasattr(value, "isoformat"):  # pandas Timestamp
        try:
            return None if value != value else value.isoformat()  # NaT is not equal to itself
        except (TypeError, ValueError):
            return None
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "tolist"):  # numpy array
        return jsonable(value.tolist())
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    return str(value)
