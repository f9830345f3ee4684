"""App-level values and workspace setting overrides: small JSON values under a key."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ..errors import InputError
from .db import Store
from .models import Setting, utcnow


def set_setting(store: Store, *, key: str, value: Any, user_id: int | None = None) -> None:
    if not key or len(key) > 100:
        raise InputError("setting key must be 1-100 characters", value=key)
    text = json.dumps(value, sort_keys=True, default=str)
    with store.session() as s:
        row = s.get(Setting, key)
        if row is None:
            s.add(Setting(key=key, value=text, updated_by=user_id))
        else:
            row.value, row.updated_at, row.updated_by = text, utcnow(), user_id


def get_setting(store: Store, *, key: str, default: Any = None) -> Any:
    with store.session() as s:
        row = s.get(Setting, key)
        return default if row is None else json.loads(row.value)


def get_settings(store: Store, *, prefix: str = "") -> dict[str, Any]:
    """Every stored value whose key starts with ``prefix``."""
    with store.session() as s:
        rows = s.scalars(select(Setting).where(Setting.key.startswith(prefix, autoescape=True)).order_by(Setting.key))
        return {r.key: json.loads(r.value) for r in rows}
