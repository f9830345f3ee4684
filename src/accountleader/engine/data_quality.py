"""Run the artefact detectors on an engine: stage meanings, annotated tables, counts.

The rules are pure (``domain/artefacts.py``); this module executes the few small
queries they need (stage evidence, weekly activity, latest moments, counts) and hands
back plain values, so ``status``, the default as-of and the analysis all see the same
artefacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..config import WorkspaceSettings
from ..domain import artefacts

EXAMPLES = 5


@dataclass
class DataQuality:
    annotated: dict[str, ir.Table]
    stages: list[dict[str, Any]]
    logging_stopped_at: date | None
    default_as_of: datetime | None
    as_of_basis: str
    quote_stages: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        out = []
        if self.logging_stopped_at:
            out.append(f"no activity logged org-wide since {self.logging_stopped_at:%Y-%m-%d}: no account is called dark after it")
        return out


def rules(settings: WorkspaceSettings) -> artefacts.Rules:
    a = settings.artefacts
    return artefacts.Rules(
        click_through_seconds=a.click_through_seconds,
        bulk_min_records=a.bulk_min_records,
        mass_email_min_contacts=a.mass_email_min_contacts,
        mass_email_window_minutes=a.mass_email_window_minutes,
        placeholder_max_amount=a.placeholder_max_amount,
        placeholder_repeat_share=a.placeholder_repeat_share,
        placeholder_repeat_min=a.placeholder_repeat_min,
        logging_drop_ratio=a.logging_drop_ratio,
        logging_min_quiet_days=a.logging_min_quiet_days,
    )


def _py(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def assess(t: dict[str, ir.Table], settings: WorkspaceSettings) -> DataQuality:
    """Stage profile, annotated tables, logging stop and the default as-of."""
    r = rules(settings)
    evidence = artefacts.stage_evidence(t).to_pyarrow().to_pylist()
    exported = t["stages"].to_pyarrow().to_pylist() if "stages" in t else []
    profile = artefacts.profile_stages(evidence, exported, quote_stages=settings.quote_stages)
    # each annotated table computed once on the engine (a temporary table on DuckDB, a cached
    # frame on Spark), in the order the later ones read the earlier; the tables annotate
    # leaves as they were are read where they are, not copied
    annotated = artefacts.annotate(t, profile, rules=r, keep=lambda table: table.cache())
    cands = artefacts.as_of_candidates(annotated).to_pyarrow().to_pylist()
    as_of, basis = artefacts.pick_as_of((c["source"], _py(c["at"])) for c in cands)
    movement = [_py(c["at"]) for c in cands if c["source"] != "the last logged activity"]
    movement = [m for m in movement if m is not None]
    data_end = max(movement).date() if movement else None
    weekly = artefacts.weekly_activity(annotated).to_pyarrow().to_pylist()
    stop = artefacts.logging_stop(((_py(w["week"]), int(w["n"])) for w in weekly), data_end, rules=r)
    quote_stages = [p["stage"] for p in profile if p["is_quote_stage"]]
    return DataQuality(annotated, profile, stop, as_of, basis, quote_stages)


def data_start(t: dict[str, ir.Table]) -> datetime | None:
    """The earliest activity or deal creation in the data (the floor of a valid as-of)."""
    a, o = t["activities"], t["opportunities"]
    found = [_py(x.to_pyarrow().as_py()) for x in (a.occurred_at.min(), o.created_at.min())]
    found = [v for v in found if v is not None]
    return min(found) if found else None


def release(dq: DataQuality) -> None:
    """Drop the engine-side copies of the annotated tables (temporary tables, cached frames)."""
    for table in dq.annotated.values():
        release_table = getattr(table, "release", None)
        if release_table is not None:
            release_table()


def artefact_counts(dq: DataQuality) -> list[dict[str, Any]]:
    """One entry per artefact kind: ``kind``, ``count``, ``examples`` (ids), ``effect``."""
    ids = artefacts.flagged(dq.annotated)
    # one query for every kind: counts, and the first ids of each as examples
    u = ibis.union(*[t.select(kind=ibis.literal(k), id=t.id.cast("string")) for k, t in ids.items()], distinct=False)
    u = u.mutate(
        n=u.id.count().over(ibis.window(group_by="kind")),
        rn=ibis.row_number().over(ibis.window(group_by="kind", order_by="id")),
    )
    rows = u.filter(u.rn < EXAMPLES).order_by(["kind", "rn"]).to_pyarrow().to_pylist()
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for r in rows:
        counts[r["kind"]] = int(r["n"])
        examples.setdefault(r["kind"], []).append(r["id"])
    out: list[dict[str, Any]] = []
    for kind in artefacts.KINDS:
        if kind == "logging_stopped":
            stop = dq.logging_stopped_at
            days = (dq.default_as_of.date() - stop).days if stop and dq.default_as_of else 0
            out.append({"kind": kind, "count": max(days, 0) if stop else 0,
                        "examples": [stop.isoformat()] if stop else [], "unit": "days without logging",
                        "effect": artefacts.EFFECTS[kind]})
            continue
        out.append({"kind": kind, "count": counts.get(kind, 0), "examples": examples.get(kind, []), "unit": "records",
                    "effect": artefacts.EFFECTS[kind]})
    return out
