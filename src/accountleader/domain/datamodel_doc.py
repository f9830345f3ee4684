"""docs/data-model.md, generated from the canonical schema and the result-table contract."""

from __future__ import annotations

from .results import RESULT_TABLES
from .schema import TABLES, Table


def _table_section(t: Table) -> list[str]:
    lines = [f"## `{t.name}`", "", t.description, ""]
    meta = f"Primary key: `{t.primary_key}`."
    if t.sf_object:
        meta += f" Salesforce object: `{t.sf_object}`."
    lines += [meta, ""]
    lines += [
        "| column | type | required | Salesforce | description |",
        "|---|---|---|---|---|",
    ]
    for c in t.columns:
        desc = c.description
        if c.enum:
            desc += " One of: " + ", ".join(f"`{e}`" for e in c.enum) + "."
        if c.references:
            desc += f" Refers to `{c.references}`."
        lines.append(
            f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | "
            f"{'`' + c.sf + '`' if c.sf else ''} | {desc} |"
        )
    lines.append("")
    for note in t.notes:
        lines += [f"Note: {note}", ""]
    return lines


def data_model_markdown() -> str:
    """The text of docs/data-model.md."""
    lines = [
        "# Data model",
        "",
        "<!-- Generated from src/accountleader/domain/schema.py and results.py by "
        "`accountleader docs data-model`; a test fails when the two differ. -->",
        "",
        "Every importer turns its source into these canonical tables; every metric reads them.",
        "Salesforce API names are the reference vocabulary (column *Salesforce*); Fivetran's",
        "landed tables use the snake_case of the same names. Ids are text; Salesforce ids are",
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
        "`accountleader analyze` writes these beside the CRM tables (in `results.duckdb`), as of",
        "one date. Their columns are the public contract of `show --json` and the web API; list",
        "columns (`fit_reasons`, `change_drivers`, `roles_engaged`) are stored as JSON text and",
        "served as lists. The analysis also stores `effort_gaps`, `quote_events` and",
        "`contact_roles`, the evidence behind these figures (see docs/metrics.md).",
        "",
    ]
    for t in RESULT_TABLES.values():
        lines += _table_section(t)
    return "\n".join(lines).rstrip() + "\n"
