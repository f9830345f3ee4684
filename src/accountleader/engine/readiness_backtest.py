"""Replay proposal readiness on history: each closed deal as it entered the proposal stage.

The looks are ``support.proposal_looks``; the drafts and signals at them are the analysis's own
expressions (``support.support_tables``) with only what was logged before each look, the
won-deal baseline and stage ranks from before ``since``; readiness is ``domain.readiness.assess``
over the drafted map (no playbook is known in the past).  docs/metrics.md, "Readiness backtest".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from ..config import WorkspaceSettings
from ..domain.metrics import change, efficiency, support
from ..domain.readiness import assess, draft_map
from ..domain.readiness_backtest import Look, summarise
from ..domain.scoring.titles import build_contact_roles
from ..errors import InputError


def _by_deal(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["opportunity_id"]].append(r)
    return out


def run_readiness_backtest(t: dict[str, ir.Table], *, data_end: datetime, since: datetime,
                           settings: WorkspaceSettings) -> dict[str, Any]:
    """Readiness at the proposal stage of every deal closed by ``data_end`` that entered it on or
    after ``since``, against won or lost. ``t``: the annotated canonical tables."""
    if since >= data_end:
        raise InputError(f"--from {since:%Y-%m-%d} is not before the end of the data ({data_end:%Y-%m-%d})",
                         value=f"{since:%Y-%m-%d}")
    opps, hist = t["opportunities"], t["opportunity_history"]
    acts = efficiency.with_activity_account(t["activities"].filter(t["activities"].occurred_at <= ibis.literal(data_end)),
                                            t["contacts"])
    roles = build_contact_roles(t["contacts"].select("contact_id", "title").to_pyarrow(),
                                t["opportunity_contact_roles"].select("opportunity_id", "contact_id", "role").to_pyarrow())
    looks = support.proposal_looks(opps, hist, as_of=data_end, proposal_stages=settings.readiness.proposal_stages,
                                   since=since)
    looks_rows = looks.to_pyarrow().to_pylist()
    exprs = support.support_tables(
        t, activities=acts, contact_roles=ibis.memtable(roles), stage_ranks=change.stage_order(hist, opps, as_of=since),
        as_of=data_end, settings=settings, looks=looks, baseline_as_of=since)
    people = _by_deal(exprs["support_map_draft"].to_pyarrow().to_pylist())
    backers = _by_deal(exprs["support_backers_draft"].to_pyarrow().to_pylist())
    signals = {r["opportunity_id"]: r for r in exprs["opportunity_readiness"].to_pyarrow().to_pylist()}
    out = []
    for look in looks_rows:
        oid = look["opportunity_id"]
        m = draft_map(oid, people.get(oid, []), backers.get(oid, []))
        r = assess(signals.get(oid, {}), m, as_of=look["look_at"], settings=settings.readiness)
        out.append(Look(oid, bool(look["is_won"]), r.score, tuple(g.code for g in r.gaps)))
    return {"from": since.isoformat(), "data_end": data_end.isoformat(),
            "proposal_stages": list(settings.readiness.proposal_stages), **summarise(out)}
