"""docs/data-model.md, generated from the canonical schema and the result-table contract."""

from __future__ import annotations

from .results import RESULT_EXTRA_COLUMNS, RESULT_KEYS, RESULT_TABLES, SUPPORTING_TABLES
from .salesforce_mapping import TABLE_OBJECTS, column_field
from .schema import TABLES, C, Column, Table

#: The column stamped on every result table when its snapshot is written (engine/storage.py).
AS_OF_COLUMN = C(
    "as_of",
    "timestamp",
    "The as-of these results were computed for (UTC, stored without a zone), the same on every row; stamped "
    "on every result table when its snapshot is written (see *Result snapshots*).",
)

#: The table of settings every workspace database carries (engine/storage.py ``META_TABLE``).
META_TABLE = "_meta"

#: The keys of ``_meta`` in a results file (``results.duckdb``, ``results/<date>.duckdb``), in order.
RESULTS_META_KEYS: tuple[tuple[str, str], ...] = (
    ("fingerprint", "Hash of what the results depend on (the data file, the settings, the as-of, the version and "
                    "the results format): `analyze` with the same fingerprint reuses them instead of recomputing."),
    ("summary", "The analysis summary, as `analyze --json` prints it: `as_of`, `as_of_basis` (what set the as-of), "
                "`tables` (rows per result table), `fit` (the fit model's report), `notes`, `artefacts`, `reused`, "
                "`seconds`."),
    ("computed_at", "When the analysis ran (UTC, ISO 8601)."),
    ("data_id", "The `data_id` of the import the results were computed from: a snapshot whose `data_id` is not the "
                "current import's is `stale`."),
    ("settings_fingerprint", "Hash of the settings that change what is computed: when the workspace's differ, the "
                             "results are stale."),
    ("as_of", "The as-of (ISO 8601, UTC without a zone): the value of every row's `as_of`."),
    ("results_id", "A random id per written snapshot: `results.duckdb` and the kept file it is share it, so a copied "
                   "workspace still knows which snapshot is current."),
)

#: The keys of ``_meta`` in ``crm.duckdb`` (the imported canonical tables), in order.
CRM_META_KEYS: tuple[tuple[str, str], ...] = (
    ("imported_at", "When the data was imported (UTC, ISO 8601)."),
    ("data_id", "A random id per import: results name the import they were computed from by it."),
    ("accountleader_version", "The version that imported the data."),
    ("import", "The import summary: the importer's kind and source, rows per table, warnings, files read and "
               "ignored, and per file the columns each canonical column was read from (`status --json`)."),
)


def _table_section(t: Table) -> list[str]:
    lines = [f"## `{t.name}`", "", t.description, ""]
    meta = f"Primary key: `{t.primary_key}`."
    if t.name in TABLE_OBJECTS:
        meta += f" Salesforce object: `{TABLE_OBJECTS[t.name]}`."
    lines += [meta, ""]
    lines += [
        "| column | type | required | Salesforce | description |",
        "|---|---|---|---|---|",
    ]
    for c in t.columns:
        sf = column_field(t.name, c.name) if t.name in TABLE_OBJECTS else None
        desc = c.description
        if c.enum:
            desc += " One of: " + ", ".join(f"`{e}`" for e in c.enum) + "."
        if c.references:
            desc += f" Refers to `{c.references}`."
        lines.append(
            f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | "
            f"{'`' + sf + '`' if sf else ''} | {desc} |"
        )
    lines.append("")
    for note in t.notes:
        lines += [f"Note: {note}", ""]
    return lines


def _result_section(t: Table, *, contract: bool) -> list[str]:
    """A result table: grain, key and one row per column, the ``as_of`` stamp last."""
    key = RESULT_KEYS[t.name]
    lines = [f"## `{t.name}`", "", t.description, ""]
    lines += [
        f"Grain: {_grain(t)} Key: {', '.join(f'`{k}`' for k in key)} "
        f"({'unique; ' if len(key) > 1 else ''}rows sorted by {'them' if len(key) > 1 else 'it'}).",
        "",
    ]
    extras = RESULT_EXTRA_COLUMNS.get(t.name, ()) if contract else ()
    lines += ["| column | type | description |", "|---|---|---|"]
    for c in t.columns:
        lines.append(_result_row(c, ""))
    for c in extras:
        lines.append(_result_row(c, "*extra*"))
    lines.append(_result_row(AS_OF_COLUMN, "*stamp*"))
    lines.append("")
    for note in t.notes:
        lines += [f"Note: {note}", ""]
    return lines


def _grain(t: Table) -> str:
    """``One row per ...``: the first sentence of the table's description."""
    first = t.description.split(":")[0].split(". ")[0].rstrip(".")
    return first[:1].lower() + first[1:] + "."


def _result_row(c: Column, mark: str) -> str:
    desc = c.description
    if c.enum:
        desc += " One of: " + ", ".join(f"`{e}`" for e in c.enum) + "."
    if c.references:
        desc += f" Refers to `{c.references}`."
    if mark:
        desc = f"{mark} {desc}"
    return f"| `{c.name}` | {c.type} | {desc} |"


def _meta_section() -> list[str]:
    lines = [
        f"## `{META_TABLE}`",
        "",
        "Every workspace database (`crm.duckdb`, `results.duckdb`, each `results/<date>.duckdb`)",
        "also holds a `_meta` table: one row per key, describing the file as a whole.",
        "",
        "| column | type | description |",
        "|---|---|---|",
        "| `key` | string | The key (below). |",
        "| `value` | string | Its value, as JSON text. |",
        "",
        "Keys of a results file, in order:",
        "",
        "| key | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {m} |" for k, m in RESULTS_META_KEYS]
    lines += ["", "Keys of `crm.duckdb`, in order:", "", "| key | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {m} |" for k, m in CRM_META_KEYS]
    lines.append("")
    return lines


def data_model_markdown() -> str:
    """The text of docs/data-model.md."""
    lines = [
        "# Data model",
        "",
        "<!-- Generated from src/accountleader/domain/schema.py, salesforce_mapping.py and results.py by "
        "`accountleader docs data-model`; a test fails when the two differ. -->",
        "",
        "Every importer turns its source into these canonical tables; every metric reads them.",
        "Salesforce API names are the reference vocabulary (column *Salesforce*); Fivetran's",
        "landed tables use the snake_case of the same names. The column *Salesforce* is the field",
        "a column is read from by default; the one Salesforce mapping,",
        "`src/accountleader/domain/salesforce_mapping.py`, is the only place the two meet: it also",
        "names fallbacks (e.g. `region` from `Region__c`, `Sales_Region__c` or `Territory__c`) and",
        "derivations, and both the importers and the in-place Fivetran source execute it.",
        "Ids are text; Salesforce ids are",
        "normalised to their 18-character form and `000000000000000AAA` reads as empty.",
        "Timestamps are UTC.",
        "",
        "# Canonical CRM tables",
        "",
    ]
    for t in TABLES.values():
        lines += _table_section(t)
    lines += [
        "# Result tables",
        "",
        "`accountleader analyze` writes these beside the CRM tables, as of one moment (the as-of).",
        "Their columns are the public contract of `show --json` and the web API; list",
        "columns (`fit_reasons`, `change_drivers`, `roles_engaged`) are stored as JSON text and",
        "served as lists. The contract (`RESULT_TABLES`, `domain/results.py`) fixes each table's",
        "leading columns, their order and type: analyze writes every one of them, empty where a",
        "figure is unknown, and keeps the further columns its metrics produce after them (marked",
        "*extra* below; `RESULT_EXTRA_COLUMNS`). The analysis also stores the evidence behind",
        "these figures and what pages show beside them (see *Supporting result tables*). Every",
        "result table also has an `as_of` column (timestamp, UTC): the as-of it was computed for.",
        "",
        "Each table below says its grain (what one row is) and its key: the columns that tell",
        "its rows apart, by which analyze sorts them, so the same data always gives the same",
        "bytes on every engine. Shares are 0-1, indices 0-100, durations in the unit the column",
        "names; \"the window\" is the `engagement_window_days` (default 90) ending at the as-of",
        "(docs/metrics.md). An empty value (null) means unknown or not applicable, never zero.",
        "",
        "## Result snapshots",
        "",
        "Results are kept per as-of date, one snapshot per date, in `results/<YYYY-MM-DD>.duckdb`;",
        "a later analysis for the same date replaces that date's snapshot. `results.duckdb` is the",
        "*current* snapshot: what the web shows by default, and what `show`, `report` and the",
        "Python API read when no as-of is given. Only `analyze` (CLI, web or `Workspace.analyze`)",
        "makes its snapshot current; `report --as-of DATE` reads the snapshot kept for that date,",
        "computing it first when it is not kept, and never changes the current one. Up to",
        "`results_snapshots_kept` snapshots are kept (default 5, docs/settings.md); beyond that the",
        "oldest as-of dates are pruned first, never the current one nor the one just written.",
        "",
        "`accountleader show snapshots` (`--json`) and `GET /api/v1/snapshots` list the kept dates;",
        "`show reps --as-of DATE`, `?as_of=DATE` on every page and its JSON twin, and",
        "`Workspace.at(DATE)` / `Workspace.reader(as_of=DATE)` read one (a date not kept is a 404,",
        "or a one-line error naming the kept dates). Every page and report names the as-of it shows.",
        "A snapshot computed from an earlier import is marked `stale` in the list: its pages read the",
        "latest CRM data when that import's data is no longer kept.",
        "",
        "An as-of is given as a date (`2026-09-30`, meaning the end of that day, UTC) or a date and",
        "time (`2026-09-30T17:00`, UTC unless it carries an offset); it is converted once, where it",
        "enters (`domain/as_of.py`, `AsOf`), and a value that is not a date is refused naming it.",
        "",
    ]
    lines += _meta_section()
    for t in RESULT_TABLES.values():
        lines += _result_section(t, contract=True)
    lines += [
        "# Supporting result tables",
        "",
        "`analyze` writes these beside the contract tables, in the same snapshot: the evidence behind",
        "the figures (`contact_roles`, `effort_gaps`, `quote_events`; docs/metrics.md) and what pages",
        "and reports show beside them (`account_peers`, `account_products`, `account_timeline`,",
        "`pending_quotes`, `contact_touches`, `account_effort`: `domain/metrics/views.py`), so the",
        "results reader only filters and words rows. They have no contract: their columns are as the",
        "metric that computes them returns them (described in `SUPPORTING_TABLES`,",
        "`domain/results.py`), and they are not part of `show --json`.",
        "",
    ]
    for t in SUPPORTING_TABLES.values():
        lines += _result_section(t, contract=False)
    lines += _status_section()
    return "\n".join(lines).rstrip() + "\n"


#: The keys of `accountleader status --json` (the same object as the web API's status), in order.
STATUS_KEYS: tuple[tuple[str, str], ...] = (
    ("workspace", "The workspace directory."),
    ("has_data", "False before the first import; then only `workspace`, `tables` (all 0) and `warnings` follow."),
    ("imported_at", "When the data was imported (UTC, ISO 8601)."),
    ("source", '`{"kind", "path"}`: the importer (`salesforce`, `fivetran`, `hubspot`, `csv`) and what it read.'),
    ("tables", "Rows per canonical table."),
    ("date_ranges", 'Per table, `{"column", "min", "max"}` of its main date column.'),
    ("warnings", "What the importer noticed and how it read it (one sentence each)."),
    (
        "files_ignored",
        "Files in the source the importer did not read. Files read only to look values up (a HubSpot "
        "`deal_pipeline` or `engagement_deal`) are neither here nor in `sources`.",
    ),
    (
        "sources",
        'The import report: one entry per file and table it fed, `{"file", "table", "rows", "columns"}`; '
        "`columns` maps each canonical column to the source column(s) it was read from "
        '(e.g. `{"stage": "StageName", "name": "FirstName, LastName"}`; generated ids and constants '
        "are named in brackets; a column read through another file is named `table.column`, e.g. a "
        "HubSpot deal's `is_closed`: `deal_pipeline_stage.is_closed`).",
    ),
    ("default_as_of", '`{"at", "basis"}`: the as-of `analyze` uses by default, and what set it.'),
    ("logging_stopped_at", "The date org-wide activity logging stopped, or null."),
    (
        "stages",
        "The stage profile the analysis uses: per stage its order, probability, closed / won, commit and "
        "quote stage, and the basis each was taken on.",
    ),
    (
        "artefacts",
        'Data artefacts detected, one entry per kind: `{"kind", "count", "examples", "unit", "effect"}`; '
        "`examples` are a few record ids (or the date, for `logging_stopped`), `effect` says what the "
        "analysis keeps them out of. Kinds: `closed_by_history`, `bulk_loaded`, `logging_stopped`, "
        "`entered_late`, `quote_as_closing_document`, `mass_email`, `open_task`, `placeholder_amount` "
        "(rules in docs/metrics.md).",
    ),
)


def _status_section() -> list[str]:
    lines = [
        "# `status --json`",
        "",
        "`accountleader status --json` describes the data in the workspace: what was imported from",
        "where, how each file was read, and what the data can and cannot support. Keys:",
        "",
        "| key | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{key}` | {meaning} |" for key, meaning in STATUS_KEYS]
    lines += [
        "",
        "An entry of `sources`:",
        "",
        "```json",
        '{"file": "Opportunity.csv", "table": "opportunities", "rows": 1840,',
        ' "columns": {"opportunity_id": "Id", "stage": "StageName", "amount": "Amount"}}',
        "```",
        "",
        "An entry of `artefacts`:",
        "",
        "```json",
        '{"kind": "mass_email", "count": 200, "examples": ["00T5e00000AbCdEAAV"], "unit": "records",',
        ' "effect": "not a touch for reach or engagement"}',
        "```",
        "",
    ]
    return lines
