"""HubSpot, first class: Fivetran's HubSpot tables or HubSpot's own CRM export CSVs.

The layout is detected from the files: Fivetran's table names (``deal``, ``deal_stage``,
``engagement_meeting``, ``owner``, ... or the seed form ``deal_data.csv``; see
:mod:`.hubspot_fivetran`), else HubSpot's export headers (``Record ID``, ``Deal Name``,
``Deal Stage``, ...; see :mod:`.hubspot_export`).  A source with neither is refused,
naming the files it has.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from .batch import ImportBatch
from .hubspot_export import is_hubspot_export, read_hubspot_export
from .hubspot_fivetran import is_fivetran_hubspot, read_fivetran_hubspot
from .normalize import add_user_functions
from .objectreader import Progress
from .source import Source, no_known_files


def is_hubspot(path: Path) -> bool:
    """True when ``path`` holds HubSpot data in either layout (used by ``import fivetran``)."""
    source = Source(Path(path))
    return is_fivetran_hubspot(source) or is_hubspot_export(source)


def read_hubspot(path: Path, *, progress: Progress | None = None) -> tuple[ImportBatch, dict[str, pa.Table]]:
    """Read a HubSpot source; returns the batch (warnings, files, report) and the canonical tables."""
    source = Source(Path(path))
    batch = ImportBatch(source=str(path), kind="hubspot")
    if progress:
        progress("reading HubSpot tables", 0.1)
    if is_fivetran_hubspot(source):
        used = read_fivetran_hubspot(source, batch)
        layout = "Fivetran HubSpot tables"
    elif is_hubspot_export(source):
        used = read_hubspot_export(source, batch)
        layout = "HubSpot CRM export"
    else:
        raise no_known_files(
            source,
            "no HubSpot data found: expected Fivetran's HubSpot tables (deal, deal_pipeline_stage, engagement, "
            "owner, company, contact; CSV or Parquet) or HubSpot CRM export CSVs (with 'Record ID' and "
            "'Deal Name' / 'Company name' / 'First Name' columns)",
        )
    batch.files_ignored = sorted(f.name for f in source.files.values() if f.name not in used)
    if not batch.sources and not batch.problems:
        raise no_known_files(source, f"the {layout} here hold no rows to import")
    if "users" in batch.tables:
        batch.tables["users"] = add_user_functions(batch.tables["users"], batch.tables.get("opportunities"))
    return batch, batch.finish()
