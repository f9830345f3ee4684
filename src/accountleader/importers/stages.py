"""What each sales stage means, and deals' IsClosed / IsWon when the export leaves them out.

A Data Loader export has only the columns someone picked, so ``Opportunity.csv`` may
lack ``IsClosed`` and ``IsWon``.  They are then derived per stage, in this order:

1. ``OpportunityStage.csv`` (the org's stage picklist: ``IsClosed``, ``IsWon``), matching
   a deal's ``StageName`` case-insensitively to the stage's ``MasterLabel`` or ``ApiName``;
2. the stage name: won (``Closed Won``, ``Won``, ``Ganada``, ``Cerrada ganada``, ``Signed``...)
   or lost (``Closed Lost``, ``Lost``, ``Perdida``, ``Descartada``, ``Cancelled``...);
3. the deals' ``Probability`` in the stage: most at 100 is won; most at 0 is lost, unless
   the name is that of an open stage (``Prospecting``, ``Negociación``...).

Any other stage is open.  A warning says how many deals were derived by which rule, and
a ``stages:`` line says which stages were taken as won and lost and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..domain import salesforce_mapping as sfm
from ..domain import vocabulary as words
from .batch import ImportBatch

_LOST = re.compile(words.STAGE_LOST, re.I)
_WON = re.compile(words.STAGE_WON, re.I)
_CLOSED = re.compile(words.STAGE_CLOSED, re.I)
_OPEN = re.compile(words.STAGE_OPEN, re.I)


@dataclass(frozen=True)
class Verdict:
    closed: bool
    won: bool
    rule: str  # "stage file" | "name" | "probability" | "open"


def _by_name(stage: str) -> Verdict | None:
    if _LOST.search(stage):
        return Verdict(True, False, "name")
    if _WON.search(stage):
        return Verdict(True, True, "name")
    return None


def _by_probability(stage: str, n_known: int, n_100: int, n_0: int) -> Verdict | None:
    if n_known and n_100 * 2 > n_known:
        return Verdict(True, True, "probability")
    if n_known and n_0 * 2 > n_known and not _OPEN.search(stage):
        return Verdict(True, False, "probability")
    if _CLOSED.search(stage):
        return Verdict(True, False, "name")  # "Closed" with no word of the outcome: closed, not won
    return None


def settle_stages(batch: ImportBatch, *, absent: set[str], aliases: dict[str, str], stage_file: str | None) -> None:
    """Name stages as deals carry them, and derive ``is_closed`` / ``is_won`` where ``absent``."""
    opps = batch.tables.get("opportunities")
    stages = batch.tables.get("stages")
    if stages is not None and stages.num_rows and opps is not None and opps.num_rows:
        stages = _as_on_deals(stages, opps, aliases)
        batch.tables["stages"] = stages
    table_verdicts: dict[str, Verdict] = {}
    if stages is not None and stages.num_rows:
        for row in stages.select(["stage", "is_closed", "is_won"]).to_pylist():
            if row["stage"] is None or row["is_closed"] is None:
                continue
            v = Verdict(bool(row["is_closed"]), bool(row["is_closed"] and row["is_won"]), "stage file")
            table_verdicts[row["stage"].strip().lower()] = v
        for label, api in aliases.items():
            for name in (label, api):
                v = table_verdicts.get(label.strip().lower()) or table_verdicts.get(api.strip().lower())
                if v is not None:
                    table_verdicts.setdefault(name.strip().lower(), v)
        won = [r["stage"] for r in stages.to_pylist() if r["is_won"]]
        lost = [r["stage"] for r in stages.to_pylist() if r["is_closed"] and not r["is_won"]]
        batch.warnings.append(
            f"stages: {stages.num_rows} from {stage_file or 'the stage table'}"
            + (f"; won: {', '.join(won)}" if won else "")
            + (f"; lost: {', '.join(lost)}" if lost else "")
        )
    derive = absent & {"is_closed", "is_won"}
    if not derive or opps is None or opps.num_rows == 0:
        return
    verdicts = _verdicts(opps, table_verdicts)
    keys = pc.utf8_lower(pc.utf8_trim_whitespace(opps.column("stage")))
    names = list(verdicts)
    idx = pc.index_in(keys, value_set=pa.array(names, pa.string()))
    closed = pc.fill_null(pc.take(pa.array([verdicts[k].closed for k in names], pa.bool_()), idx), False)
    won = pc.fill_null(pc.take(pa.array([verdicts[k].won for k in names], pa.bool_()), idx), False)
    rules = pc.fill_null(pc.take(pa.array([verdicts[k].rule for k in names], pa.string()), idx), "open")
    given_closed, given_won = opps.column("is_closed"), opps.column("is_won")
    if "is_closed" in derive and "is_won" in derive:
        new_closed, new_won = closed, won
    elif "is_won" in derive:  # IsClosed given: an open deal is not won
        new_closed = given_closed
        new_won = pc.and_(won, pc.fill_null(given_closed, True))
    else:  # IsWon given: a won deal is closed
        new_won = given_won
        new_closed = pc.or_(closed, pc.fill_null(given_won, False))
    opps = opps.set_column(opps.schema.get_field_index("is_closed"), "is_closed", new_closed)
    opps = opps.set_column(opps.schema.get_field_index("is_won"), "is_won", new_won)
    batch.tables["opportunities"] = opps

    counts = {r["values"]: r["counts"] for r in pc.value_counts(rules).to_pylist()}
    missing = " and ".join(str(sfm.column_field("opportunities", k)) for k in ("is_closed", "is_won") if k in derive)
    parts = [
        f"{counts[k]} {label}"
        for k, label in (
            ("stage file", f"from {stage_file or 'the stage table'}"),
            ("name", "by stage name"),
            ("probability", "by probability (100 won, 0 lost)"),
            ("open", "open (no closed stage)"),
        )
        if counts.get(k)
    ]
    batch.warnings.append(f"opportunities: no {missing} column; derived for {opps.num_rows} deals: {', '.join(parts)}")
    inferred = [(k, v) for k, v in verdicts.items() if v.closed and v.rule != "stage file"]
    if inferred:
        shown = {k: _shown_name(opps, k) for k, _ in inferred}
        batch.warnings.append(
            "stages: inferred from names and probability: "
            + ", ".join(f"{shown[k]} ({'won' if v.won else 'lost'}, by {v.rule})" for k, v in inferred)
            + "; all other stages open"
        )


def _verdicts(opps: pa.Table, table_verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """One verdict per distinct stage on the deals (lower-cased), by the first rule that decides."""
    prob = opps.column("probability")
    keyed = pa.table(
        {
            "k": pc.utf8_lower(pc.utf8_trim_whitespace(opps.column("stage"))),
            "known": pc.cast(pc.is_valid(prob), pa.int64()),
            "p100": pc.cast(pc.fill_null(pc.greater_equal(prob, 100), False), pa.int64()),
            "p0": pc.cast(pc.fill_null(pc.equal(prob, 0), False), pa.int64()),
        }
    )
    grouped = keyed.group_by("k").aggregate([("known", "sum"), ("p100", "sum"), ("p0", "sum")])
    out: dict[str, Verdict] = {}
    for row in grouped.to_pylist():
        k = row["k"]
        if k is None:
            continue
        v = table_verdicts.get(k) or _by_name(k) or _by_probability(k, row["known_sum"], row["p100_sum"], row["p0_sum"])
        out[k] = v or Verdict(False, False, "open")
    return out


def _shown_name(opps: pa.Table, key: str) -> str:
    stage = opps.column("stage")
    hit = pc.equal(pc.utf8_lower(pc.utf8_trim_whitespace(stage)), key)
    first = pc.filter(stage, pc.fill_null(hit, False))
    return first[0].as_py() if len(first) else key


def _as_on_deals(stages: pa.Table, opps: pa.Table, aliases: dict[str, str]) -> pa.Table:
    """``stages.stage`` as deals carry it: the ApiName where deals use it and not the MasterLabel."""
    if not aliases:
        return stages
    on_deals = set(pc.unique(opps.column("stage")).to_pylist())
    names = stages.column("stage").to_pylist()
    renamed = [
        aliases[n] if n in aliases and n not in on_deals and aliases[n] in on_deals else n for n in names
    ]
    if renamed == names:
        return stages
    return stages.set_column(stages.schema.get_field_index("stage"), "stage", pa.array(renamed, pa.string()))


def stage_aliases(labels: list[str | None], api_names: list[str | None]) -> dict[str, str]:
    """MasterLabel -> ApiName where the two differ (translated or renamed picklist values)."""
    return {
        lab.strip(): api.strip()
        for lab, api in zip(labels, api_names, strict=True)
        if lab and api and lab.strip() and api.strip() and lab.strip() != api.strip()
    }
