"""HubSpot as Fivetran lands it: ``deal``, ``deal_stage``, ``engagement_*``, ``owner``, ...

Each table may be named as Fivetran lands it (``deal.csv``, ``deal.parquet``) or as
Fivetran's dbt test seeds name it (``deal_data.csv``).  What becomes what:

- ``deal_pipeline_stage`` (+ ``deal_pipeline``) -> ``stages``: label, ``display_order`` as
  sort order, probability x 100, ``is_closed``; won when ``closed_won`` is true, or a
  closed stage has probability 1.0 or a label that says won.  A label used in several
  pipelines is named ``label (pipeline)``.
- ``deal`` -> ``opportunities`` (without the deals ``merged_deal`` says were merged into
  another); the stage is the deal's ``deal_pipeline_stage_id``
  (else ``property_dealstage``, else its latest ``deal_stage`` row), and closed / won
  come from that stage.  The company comes from ``deal_company``.
- ``deal_stage`` (one row per stage entered, ``date_entered``) -> ``opportunity_history``;
  without it, ``deal_property_history`` rows for ``dealstage``.
- ``owner`` -> ``users`` (name from first and last name, else the email; queues are
  ``system`` users); team from ``owner_team`` + ``team``.
- ``company`` -> ``accounts``; ``contact`` -> ``contacts`` (``property_*`` columns);
  ``deal_contact`` -> ``opportunity_contact_roles``.
- ``engagement_call / email / meeting / note / task / communication`` and ``engagement``
  -> ``activities``: kind from the type (NOTE and TASK are tasks, COMMUNICATION an
  email), ``subtype`` the HubSpot type, ``is_done`` from a task's status (COMPLETED),
  direction from the call or email direction; linked to deals, contacts and companies
  through ``engagement_deal / engagement_contact / engagement_company`` (the first link
  where there are several).

Rows with ``is_deleted`` or ``_fivetran_deleted`` true are skipped.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .batch import ImportBatch
from .coerce import ColumnSource, parse_timestamps
from .hubspot_common import (
    Array,
    add_table,
    blank_to_null,
    bool_text,
    derived,
    distinct_rows,
    drop_flagged,
    first,
    lookup,
    matches,
    multi_valued,
    nulls,
    numbers,
    or_nulls,
    percent,
    pick,
    read_source,
    stage_meaning,
    truthy,
)
from .normalize import opportunity_type
from .rawtable import RawTable
from .source import Source, SourceFile

#: Tables that only a HubSpot connector lands (Salesforce's Fivetran tables never use these names).
HUBSPOT_TABLES = (
    "deal",
    "deal_stage",
    "deal_pipeline",
    "deal_pipeline_stage",
    "deal_company",
    "deal_contact",
    "owner",
    "company",
    "engagement",
    "engagement_call",
    "engagement_email",
    "engagement_meeting",
    "engagement_note",
    "engagement_task",
    "engagement_communication",
)
OTHER_TABLES = ("contact", "contact_company", "owner_team", "team", "deal_property_history", "merged_deal")
ENGAGEMENT_TYPES = {  # table suffix -> (kind, HubSpot type)
    "call": ("call", "CALL"),
    "email": ("email", "EMAIL"),
    "meeting": ("meeting", "MEETING"),
    "note": ("task", "NOTE"),
    "task": ("task", "TASK"),
    "communication": ("email", "COMMUNICATION"),
}
KIND_OF_TYPE = {hs_type: kind for kind, hs_type in ENGAGEMENT_TYPES.values()} | {"INCOMING_EMAIL": "email", "FORWARDED_EMAIL": "email"}
NO_STAGE = "(no stage)"
_DELETED = ("is_deleted", "_fivetran_deleted")
_EPOCH_SLIP = datetime(1970, 3, 1)  # epoch seconds written where HubSpot means milliseconds


def find(source: Source, table: str) -> SourceFile | None:
    return source.get(table, f"{table}_data", f"hubspot_{table}", f"hubspot_{table}_data")


def is_fivetran_hubspot(source: Source) -> bool:
    return any(find(source, t) is not None for t in HUBSPOT_TABLES)


class _Reader:
    def __init__(self, source: Source, batch: ImportBatch) -> None:
        self.source = source
        self.batch = batch
        self.used: set[str] = set()

    def raw(self, table: str, *, keep_deleted: bool = False) -> RawTable | None:
        src = find(self.source, table)
        if src is None:
            return None
        self.used.add(src.name)
        raw = read_source(self.batch, src)
        if not raw.table.num_columns:
            return None
        return raw if keep_deleted else drop_flagged(raw, self.batch, *_DELETED)


def read_fivetran_hubspot(source: Source, batch: ImportBatch) -> set[str]:
    """Read every HubSpot table the source has into ``batch``; returns the files used."""
    r = _Reader(source, batch)
    stages = _stages(r)
    _users(r)
    _accounts(r)
    _contacts(r)
    _deals(r, stages)
    _history(r, stages)
    _contact_roles(r)
    _activities(r)
    return r.used


# -- stages ------------------------------------------------------------------------------------


class _Stages:
    """Stage id -> display name, closed, won (from deal_pipeline_stage)."""

    def __init__(self, ids: Array, names: Array, closed: Array, won: Array, probability: Array) -> None:
        self.ids, self.names, self.closed, self.won, self.probability = ids, names, closed, won, probability

    def probability_of(self, ids: Array) -> Array:
        return lookup(ids, self.ids, self.probability)

    def name_of(self, ids: Array) -> Array:
        return lookup(ids, self.ids, self.names)

    def closed_of(self, ids: Array) -> Array:
        return lookup(ids, self.ids, self.closed)

    def won_of(self, ids: Array) -> Array:
        return lookup(ids, self.ids, self.won)


def _stages(r: _Reader) -> _Stages | None:
    raw = r.raw("deal_pipeline_stage", keep_deleted=True)  # deleted stages still name old deals' history
    if raw is None or not raw.has("stage_id"):
        return None
    pipelines = r.raw("deal_pipeline")
    t = raw.table
    ids = blank_to_null(t.column("stage_id"))
    labels = or_nulls(first(raw, "label"), raw)
    labels = pc.coalesce(labels, ids)
    pipe_ids = or_nulls(first(raw, "pipeline_id"), raw)
    pipe_names = pipe_ids
    if pipelines is not None and pipelines.has("pipeline_id") and pipelines.has("label"):
        pipe_names = pc.coalesce(lookup(pipe_ids, pipelines.table.column("pipeline_id"), pipelines.table.column("label")), pipe_ids)
    names = _unique_names(labels.to_pylist(), pipe_names.to_pylist(), ids.to_pylist())
    prob = numbers(r.batch, raw, "probability") if raw.has("probability") else None
    closed, won = stage_meaning(names, prob, truthy(first(raw, "is_closed")), truthy(first(raw, "closed_won")))
    active = truthy(first(raw, "active"))
    deleted = truthy(first(raw, "_fivetran_deleted"))
    is_active = active if active is not None else pa.array([True] * t.num_rows)
    if deleted is not None:
        is_active = pc.and_(pc.fill_null(is_active, True), pc.invert(pc.fill_null(deleted, False)))
    mapping: dict[str, ColumnSource | None] = {
        "stage": derived("label", lambda _r: names),
        "sort_order": pick("display_order"),
        "probability": derived("probability", lambda _r: percent(prob)) if prob is not None else None,
        "is_closed": derived("is_closed", lambda _r: bool_text(closed)),
        "is_won": derived("closed_won / probability / label", lambda _r: bool_text(won)),
        "is_active": derived("active / _fivetran_deleted", lambda _r: bool_text(is_active)),
        "pipeline": derived("pipeline_id", lambda _r: pipe_names),
    }
    add_table(r.batch, "stages", raw, mapping)
    return _Stages(ids, names, closed, won, prob if prob is not None else pa.nulls(t.num_rows, pa.float64()))


def _unique_names(labels: list[str | None], pipelines: list[str | None], ids: list[str | None]) -> pa.Array:
    """Stage labels, with the pipeline added where one label is used in several pipelines."""
    counts: dict[str | None, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    names = [f"{lab} ({pipe})" if counts[lab] > 1 and pipe else lab for lab, pipe in zip(labels, pipelines, strict=True)]
    seen: dict[str | None, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    names = [f"{n} ({i})" if seen[n] > 1 else n for n, i in zip(names, ids, strict=True)]
    return pa.array(names, pa.string())


# -- people and companies ----------------------------------------------------------------------


def _users(r: _Reader) -> None:
    raw = r.raw("owner")
    if raw is None:
        return
    key = first(raw, "owner_id", "id")
    if key is None:
        return
    raw = distinct_rows(raw, key)  # history-mode versions of one owner
    teams = _owner_teams(r)

    def name(v: RawTable) -> Array:
        parts = [pc.fill_null(c, "") for c in (first(v, "first_name"), first(v, "last_name")) if c is not None]
        full = blank_to_null(pc.binary_join_element_wise(*parts, " ")) if parts else nulls(v)
        return pc.coalesce(full, or_nulls(first(v, "email"), v), pc.binary_join_element_wise("owner ", or_nulls(first(v, "owner_id", "id"), v), ""))

    def function(v: RawTable) -> Array:
        typ = first(v, "type")
        if typ is None:
            return nulls(v)
        return pc.if_else(matches(pc.utf8_upper(typ), "^(QUEUE|INTEGRATION|APP|BOT)"), "system", pa.scalar(None, pa.string()))

    def team(v: RawTable) -> Array:
        ids = or_nulls(first(v, "owner_id", "id"), v)
        return nulls(v) if teams is None else lookup(ids, teams[0], teams[1])

    def active(v: RawTable) -> Array:
        archived = truthy(first(v, "archived", "is_archived"))
        if archived is not None:
            return bool_text(pc.invert(archived))
        return or_nulls(first(v, "is_active", "active"), v)

    add_table(
        r.batch,
        "users",
        raw,
        {
            "user_id": pick("owner_id", "id"),
            "name": derived("first_name / last_name / email", name),
            "email": pick("email"),
            "function": derived("type", function),
            "team": derived("owner_team / team", team) if teams is not None else None,
            "is_active": derived("archived / is_active", active),
        },
    )


def _owner_teams(r: _Reader) -> tuple[Array, Array] | None:
    link, team = r.raw("owner_team"), r.raw("team")
    if link is None or team is None or not (link.has("owner_id") and link.has("team_id") and team.has("id") and team.has("name")):
        return None
    lt = link.table
    primary = truthy(first(link, "is_team_primary"))
    order = pc.sort_indices(pa.table({"p": pc.fill_null(pc.invert(primary), True) if primary is not None else pa.array([True] * lt.num_rows)}), sort_keys=[("p", "ascending")])
    owners = pc.take(lt.column("owner_id"), order)
    names = lookup(pc.take(lt.column("team_id"), order), team.table.column("id"), team.table.column("name"))
    return owners, names


def _accounts(r: _Reader) -> None:
    raw = r.raw("company")
    if raw is None:
        return

    def name(v: RawTable) -> Array:
        shown = first(v, "property_name", "property_domain", "property_website")
        ids = or_nulls(first(v, "id", "company_id"), v)
        fallback = pc.binary_join_element_wise("(company ", ids, ")", "")
        return pc.coalesce(or_nulls(shown, v), fallback)

    add_table(
        r.batch,
        "accounts",
        raw,
        {
            "account_id": pick("id", "company_id"),
            "name": derived("property_name / property_domain", name),
            "industry": pick("property_industry"),
            "annual_revenue": pick("property_annualrevenue"),
            "employees": pick("property_numberofemployees"),
            "country": pick("property_country"),
            "region": pick("property_hs_territory", "property_region"),
            "account_type": pick("property_type", "property_lifecyclestage"),
            "owner_id": pick("property_hubspot_owner_id", "owner_id"),
            "parent_id": pick("property_hs_parent_company_id"),
            "created_at": pick("property_createdate", "property_hs_createdate", "created_at"),
        },
    )


def _contacts(r: _Reader) -> None:
    raw = r.raw("contact")
    if raw is None:
        return
    link = r.raw("contact_company")

    def account(v: RawTable) -> Array:
        own = first(v, "property_associatedcompanyid", "property_hs_primary_company_id")
        if link is not None and link.has("contact_id") and link.has("company_id"):
            linked = lookup(or_nulls(first(v, "id", "contact_id"), v), link.table.column("contact_id"), link.table.column("company_id"))
            return linked if own is None else pc.coalesce(own, linked)
        return or_nulls(own, v)

    def name(v: RawTable) -> Array:
        parts = [pc.fill_null(c, "") for c in (first(v, "property_firstname"), first(v, "property_lastname")) if c is not None]
        full = blank_to_null(pc.binary_join_element_wise(*parts, " ")) if parts else nulls(v)
        return pc.coalesce(full, or_nulls(first(v, "property_email"), v))

    add_table(
        r.batch,
        "contacts",
        raw,
        {
            "contact_id": pick("id", "contact_id"),
            "account_id": derived("property_associatedcompanyid / contact_company", account),
            "first_name": pick("property_firstname"),
            "last_name": pick("property_lastname"),
            "name": derived("property_firstname / property_lastname", name),
            "title": pick("property_jobtitle"),
            "department": pick("property_department"),
            "email": pick("property_email"),
            "created_at": pick("property_createdate", "property_created_at"),
        },
    )


# -- deals -------------------------------------------------------------------------------------


def _latest_stage_ids(r: _Reader) -> tuple[Array, Array] | None:
    raw = r.raw("deal_stage")
    if raw is None or not (raw.has("deal_id") and raw.has("value")):
        return None
    t = raw.table
    at, _ = parse_timestamps(or_nulls(first(raw, "date_entered", "_fivetran_start"), raw))  # '2021-01-07 6:49:18'
    order = pc.sort_indices(pa.table({"at": at}), sort_keys=[("at", "descending")])
    return pc.take(t.column("deal_id"), order), pc.take(blank_to_null(t.column("value")), order)


def _deals(r: _Reader, stages: _Stages | None) -> None:
    raw = r.raw("deal")
    if raw is None:
        return
    key = first(raw, "deal_id", "id")
    if key is None:
        return
    raw, key = _without_merged(r, raw, key)
    latest = _latest_stage_ids(r)
    companies = r.raw("deal_company")
    n = raw.table.num_rows
    batch = r.batch

    stage_id = first(raw, "deal_pipeline_stage_id", "property_dealstage")
    stage_id = pa.nulls(n, pa.string()) if stage_id is None else stage_id
    if latest is not None:
        stage_id = pc.coalesce(stage_id, lookup(key, latest[0], latest[1]))
    if stages is not None:
        name = pc.coalesce(stages.name_of(stage_id), stage_id)
        closed = stages.closed_of(stage_id)
        won = stages.won_of(stage_id)
    else:
        name, closed, won = stage_id, pa.nulls(n, pa.bool_()), pa.nulls(n, pa.bool_())
    # HubSpot's own calculated flags, where the connector synced them
    hs_closed = truthy(first(raw, "property_hs_is_closed"))
    hs_won = truthy(first(raw, "property_hs_is_closed_won"))
    if hs_closed is not None:
        closed = pc.coalesce(closed, hs_closed)
    if hs_won is not None:
        won = pc.coalesce(won, hs_won)
    by_label_closed, by_label_won = stage_meaning(pc.fill_null(name, ""), None, None, None)
    unknown_meaning = pc.and_(pc.is_valid(name), pc.is_null(closed))
    n_guess = int(pc.sum(unknown_meaning).as_py() or 0)
    closed = pc.coalesce(closed, by_label_closed)
    won = pc.coalesce(won, by_label_won)
    n_no_stage = int(pc.sum(pc.is_null(name)).as_py() or 0)
    if n_no_stage:
        batch.warnings.append(
            f"opportunities: {n_no_stage} of {n} deals have no pipeline stage (deal_pipeline_stage_id and "
            f"property_dealstage are empty and deal_stage has no row for them); stage set to {NO_STAGE!r} and "
            "read as open: stage, win-rate and pipeline figures for them mean nothing"
        )
    if n_guess:
        batch.warnings.append(
            f"opportunities: {n_guess} deals are in stages that deal_pipeline_stage does not describe; closed and "
            "won read from the stage label (won / lost), else open"
        )
    name = pc.fill_null(name, NO_STAGE)
    closed, won = pc.fill_null(closed, False), pc.fill_null(won, False)
    # the deal's own probability where synced, else its stage's default
    hs_prob = numbers(batch, raw, "property_hs_deal_stage_probability") if raw.has("property_hs_deal_stage_probability") else None
    stage_prob = stages.probability_of(stage_id) if stages is not None else None

    def account(v: RawTable) -> Array:
        ids = or_nulls(first(v, "deal_id", "id"), v)
        if companies is None or not (companies.has("deal_id") and companies.has("company_id")):
            return or_nulls(first(v, "property_associatedcompanyid"), v)
        linked = lookup(ids, companies.table.column("deal_id"), companies.table.column("company_id"))
        return linked

    if companies is not None and companies.has("deal_id"):
        several = multi_valued(companies.table.column("deal_id"))
        if several:
            batch.warnings.append(f"opportunities: {several} deals are linked to several companies; the first is the account")

    def probability(_v: RawTable) -> Array:
        if hs_prob is None:
            return percent(stage_prob) if stage_prob is not None else nulls(raw)
        return percent(hs_prob if stage_prob is None else pc.coalesce(hs_prob, stage_prob))

    mapping: dict[str, ColumnSource | None] = {
        "opportunity_id": pick("deal_id", "id"),
        "account_id": derived("deal_company.company_id", account),
        "owner_id": pick("owner_id", "property_hubspot_owner_id"),
        "name": pick("property_dealname"),
        "type": derived("property_dealtype", lambda v: opportunity_type(or_nulls(first(v, "property_dealtype"), v))),
        "stage": derived("deal_pipeline_stage_id / property_dealstage / deal_stage.value", lambda _v: name),
        "amount": pick("property_amount", "property_amount_in_home_currency"),
        "currency": pick("property_deal_currency_code"),
        "amount_corporate": pick("property_amount_in_home_currency"),
        "probability": derived("property_hs_deal_stage_probability / deal_pipeline_stage.probability", probability)
        if hs_prob is not None or stage_prob is not None
        else None,
        "forecast_category": pick("property_hs_forecast_category", "property_forecast_category"),
        "created_at": pick("property_createdate", "property_hs_createdate"),
        "close_date": pick("property_closedate"),
        "is_closed": derived("deal_pipeline_stage.is_closed", lambda _v: bool_text(closed)),
        "is_won": derived("deal_pipeline_stage.closed_won / deal_pipeline_stage.probability / deal_pipeline_stage.label", lambda _v: bool_text(won)),
        "lead_source": pick("property_hs_analytics_source", "property_lead_source"),
    }
    add_table(batch, "opportunities", raw, mapping)


def _without_merged(r: _Reader, raw: RawTable, key: Array) -> tuple[RawTable, Array]:
    """Deals merged into another (``merged_deal.merged_deal_id``) no longer exist in HubSpot: skipped."""
    merged = r.raw("merged_deal")
    if merged is None or not merged.has("merged_deal_id"):
        return raw, key
    gone = pc.fill_null(pc.is_in(key, value_set=pc.drop_null(merged.table.column("merged_deal_id")).combine_chunks()), False)
    n = int(pc.sum(gone).as_py() or 0)
    if not n:
        return raw, key
    r.batch.warnings.append(f"{raw.file}: skipped {n} deals merged into another deal ({merged.file})")
    raw = raw.view(pc.invert(gone))
    r.batch.files_read[raw.file] = raw.table.num_rows
    return raw, or_nulls(first(raw, "deal_id", "id"), raw)


def _history(r: _Reader, stages: _Stages | None) -> None:
    raw = r.raw("deal_stage")
    value_col, at_cols = "value", ("date_entered", "_fivetran_start")
    if raw is None:
        raw = r.raw("deal_property_history")
        if raw is None or not raw.has("name"):
            return
        raw = raw.view(matches(raw.table.column("name"), "^dealstage$"))
        at_cols = ("timestamp",)
    if not (raw.has("deal_id") and raw.has(value_col)):
        return
    at = or_nulls(first(raw, *at_cols), raw)
    key = pc.binary_join_element_wise(pc.fill_null(raw.table.column("deal_id"), ""), pc.fill_null(at, ""), pc.fill_null(raw.table.column(value_col), ""), "|")
    raw = distinct_rows(raw, key)  # history-mode versions of one stage entry

    def stage(v: RawTable) -> Array:
        ids = blank_to_null(v.table.column(value_col))
        return ids if stages is None else pc.coalesce(stages.name_of(ids), ids)

    if stages is not None:
        ids = blank_to_null(raw.table.column(value_col))
        unknown = int(pc.sum(pc.and_(pc.is_valid(ids), pc.is_null(stages.name_of(ids)))).as_py() or 0)
        if unknown:
            r.batch.warnings.append(
                f"opportunity_history: {unknown} stage entries name stage ids that deal_pipeline_stage does not have; "
                "kept as the id"
            )

    add_table(
        r.batch,
        "opportunity_history",
        raw,
        {
            "history_id": derived(
                "deal_id + " + at_cols[0] + " + " + value_col,
                lambda v: pc.binary_join_element_wise(
                    v.table.column("deal_id"), or_nulls(first(v, *at_cols), v), pc.fill_null(v.table.column(value_col), ""), "|"
                ),
            ),
            "opportunity_id": "deal_id",
            "stage": derived(value_col, stage),
            "changed_at": pick(*at_cols),
        },
    )


def _contact_roles(r: _Reader) -> None:
    raw = r.raw("deal_contact")
    if raw is None or not (raw.has("deal_id") and raw.has("contact_id")):
        return
    key = pc.binary_join_element_wise(raw.table.column("deal_id"), raw.table.column("contact_id"), ":")
    raw = distinct_rows(raw, key)
    add_table(
        r.batch,
        "opportunity_contact_roles",
        raw,
        {
            "contact_role_id": derived("deal_id + contact_id", lambda v: pc.binary_join_element_wise(v.table.column("deal_id"), v.table.column("contact_id"), ":")),
            "opportunity_id": "deal_id",
            "contact_id": "contact_id",
            "role": pick("role", "label"),
        },
    )


# -- engagements -------------------------------------------------------------------------------


class _Links:
    """Engagement id -> deal, contact, company (the first of several)."""

    def __init__(self, r: _Reader) -> None:
        self.tables: dict[str, tuple[Array, Array]] = {}
        for what, col in (("deal", "deal_id"), ("contact", "contact_id"), ("company", "company_id")):
            raw = r.raw(f"engagement_{what}")
            if raw is None or not (raw.has("engagement_id") and raw.has(col)):
                continue
            self.tables[what] = (raw.table.column("engagement_id"), raw.table.column(col))
            several = multi_valued(raw.table.column("engagement_id"))
            if several:
                r.batch.warnings.append(
                    f"activities: {several} engagements are linked to several {what}s ({raw.file}); the first is kept"
                )

    def of(self, what: str, ids: Array, raw: RawTable) -> Array:
        if what not in self.tables:
            return nulls(raw)
        return lookup(ids, *self.tables[what])


def _activities(r: _Reader) -> None:
    links = _Links(r)
    base = r.raw("engagement")
    base_ids = base.table.column("id") if base is not None and base.has("id") else None
    seen: list[Array] = []
    for suffix, (kind, hs_type) in ENGAGEMENT_TYPES.items():
        raw = r.raw(f"engagement_{suffix}")
        if raw is None or not raw.has("engagement_id"):
            continue
        raw = distinct_rows(raw, raw.table.column("engagement_id"))
        raw = _with_time(r, raw, ("property_hs_timestamp", "start_time", "timestamp", "property_hs_createdate", "created_at"))
        seen.append(raw.table.column("engagement_id"))
        _add_engagements(r, raw, links, "engagement_id", kind=kind, hs_type=hs_type, base=base)
    if base is None or base_ids is None:
        return
    # engagements with no row in a type table: read from the engagement table itself
    rest = base
    if seen:
        known = pa.chunked_array([c for s in seen for c in (s.chunks if isinstance(s, pa.ChunkedArray) else [s])])
        rest = base.view(pc.invert(pc.fill_null(pc.is_in(base_ids, value_set=known.combine_chunks()), False)))
    if rest.table.num_rows:
        rest = distinct_rows(rest, rest.table.column("id"))
        rest = _with_time(r, rest, ("timestamp", "occurred_at", "created_at"))
        if rest.table.num_rows:
            _add_engagements(r, rest, links, "id", kind=None, hs_type=None, base=None)


def _with_time(r: _Reader, raw: RawTable, columns: tuple[str, ...]) -> RawTable:
    """Rows that say when they happened; the others cannot be placed in time and are skipped (with a warning)."""
    at = first(raw, *columns)
    if at is None:
        if raw.table.num_rows:
            r.batch.warnings.append(f"{raw.file}: no time column ({' / '.join(columns)}); its {raw.table.num_rows} engagements skipped")
        return raw.view(pa.array([], pa.int64()))
    missing = pc.is_null(at)
    n = int(pc.sum(missing).as_py() or 0)
    if n:
        r.batch.warnings.append(f"{raw.file}: {n} engagements with no time skipped")
        raw = raw.view(pc.invert(missing))
    return raw


def _add_engagements(
    r: _Reader, raw: RawTable, links: _Links, id_col: str, *, kind: str | None, hs_type: str | None, base: RawTable | None
) -> None:
    def from_base(v: RawTable, column: str) -> Array | None:
        if base is None or not base.has("id") or not base.has(column):
            return None
        return lookup(v.table.column(id_col), base.table.column("id"), blank_to_null(base.table.column(column)))

    def typ(v: RawTable) -> Array:
        own = first(v, "type", "engagement_type")
        fallback = pa.array([hs_type] * v.table.num_rows, pa.string()) if hs_type else nulls(v)
        return pc.utf8_upper(pc.coalesce(or_nulls(own, v), or_nulls(from_base(v, "type"), v), fallback))

    def kind_of(v: RawTable) -> Array:
        if kind is not None:
            return pa.array([kind] * v.table.num_rows, pa.string())
        t = typ(v)
        keys = pa.array(list(KIND_OF_TYPE))
        vals = pa.array(list(KIND_OF_TYPE.values()))
        return pc.fill_null(pc.take(vals, pc.index_in(t, value_set=keys)), "task")

    def owner(v: RawTable) -> Array:
        own = first(v, "property_hubspot_owner_id", "owner_id")
        return pc.coalesce(or_nulls(own, v), or_nulls(from_base(v, "owner_id"), v))

    def status(v: RawTable) -> Array:
        return or_nulls(first(v, "property_hs_task_status", "status", "property_hs_call_status", "property_hs_email_status", "meeting_outcome", "property_hs_meeting_outcome"), v)

    def done(v: RawTable) -> Array:
        st = first(v, "property_hs_task_status", "status")
        if st is None:
            return nulls(v)
        is_task = pc.equal(typ(v), "TASK")
        result = pc.if_else(pc.equal(pc.utf8_upper(st), "COMPLETED"), "true", "false")
        return pc.if_else(pc.and_(is_task, pc.is_valid(st)), result, pa.scalar(None, pa.string()))

    def direction(v: RawTable) -> Array:
        d = first(v, "property_hs_call_direction", "property_hs_email_direction", "direction")
        if d is None:
            return nulls(v)
        up = pc.utf8_upper(d)
        inbound = matches(up, "^(INBOUND|INCOMING)")
        outbound = matches(up, "^(OUTBOUND|EMAIL$|FORWARDED)")
        return pc.if_else(inbound, "inbound", pc.if_else(outbound, "outbound", pa.scalar(None, pa.string())))

    def occurred(v: RawTable) -> Array:
        return or_nulls(first(v, "property_hs_timestamp", "start_time", "timestamp", "occurred_at", "property_hs_createdate", "created_at"), v)

    ids = lambda v: v.table.column(id_col)  # noqa: E731
    mapping: dict[str, ColumnSource | None] = {
        "activity_id": id_col,
        "kind": derived("type", kind_of),
        "direction": derived("property_hs_call_direction / property_hs_email_direction", direction),
        "subject": pick("property_hs_email_subject", "property_hs_call_title", "property_hs_meeting_title", "title", "property_hs_task_subject", "property_hs_body_preview", "subject"),
        "owner_id": derived("property_hubspot_owner_id / engagement.owner_id", owner),
        "contact_id": derived("engagement_contact.contact_id", lambda v: links.of("contact", ids(v), v)),
        "what_id": derived("engagement_deal / engagement_company", lambda v: pc.coalesce(links.of("deal", ids(v), v), links.of("company", ids(v), v))),
        "opportunity_id": derived("engagement_deal.deal_id", lambda v: links.of("deal", ids(v), v)),
        "account_id": derived("engagement_company.company_id", lambda v: links.of("company", ids(v), v)),
        "occurred_at": derived("property_hs_timestamp / start_time / timestamp", occurred),
        "created_at": pick("property_hs_createdate", "created_at"),
        "status": derived("property_hs_task_status / status / property_hs_call_status / property_hs_email_status / meeting_outcome / property_hs_meeting_outcome", status),
        "subtype": derived("type", typ),
        "is_done": derived("property_hs_task_status", done),
        "source_object": derived("(HubSpot engagement)", lambda v: pa.array(["other"] * v.table.num_rows, pa.string())),
    }
    before = r.batch.tables.get("activities")
    n_before = before.num_rows if before is not None else 0
    add_table(r.batch, "activities", raw, mapping)
    _fix_epoch_seconds(r, raw.file, n_before)


def _fix_epoch_seconds(r: _Reader, file: str, start: int) -> None:
    """Times in the first weeks of 1970 are epoch seconds written into a millisecond field: rescale them."""
    acts = r.batch.tables.get("activities")
    if acts is None or acts.num_rows <= start:
        return
    at = acts.column("occurred_at")
    rows = pa.array(np.arange(acts.num_rows) >= start)
    slip = pc.and_(rows, pc.fill_null(pc.less(at, pa.scalar(_EPOCH_SLIP, pa.timestamp("us"))), False))
    n = int(pc.sum(slip).as_py() or 0)
    if not n:
        return
    micros = pc.cast(pc.cast(at, pa.int64()), pa.int64())
    fixed = pc.cast(pc.multiply(micros, 1000), pa.timestamp("us"))
    fixed = pc.floor_temporal(fixed, unit="second")
    pos = acts.schema.get_field_index("occurred_at")
    r.batch.tables["activities"] = acts.set_column(pos, "occurred_at", pc.if_else(slip, fixed, at))
    r.batch.warnings.append(
        f"{file}: {n} times fall in early 1970: read as epoch seconds written where HubSpot means milliseconds, and rescaled"
    )
