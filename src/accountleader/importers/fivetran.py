"""Salesforce tables as Fivetran lands them: snake_case names, CSV or Parquet files.

File names may be ``opportunity.csv``, ``opportunity.parquet`` or the seed style
``sf_opportunity_data.csv``.  Rows with ``is_deleted`` or ``_fivetran_deleted`` true
are skipped; in history mode only the current version (``_fivetran_active``) is kept.
Fivetran's history mode can also land ``opportunity_history`` as dated snapshots of
the opportunity itself (``id`` plus ``_fivetran_start``) rather than Salesforce's
OpportunityHistory object; both shapes are read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..domain.schema import snake_case
from .batch import ImportBatch
from .objectreader import Progress, read_objects
from .objects import OBJECTS, ObjectSpec, first_of
from .source import Source, SourceFile, no_known_files


def _fivetran_case(name: str) -> str:
    """Fivetran's name for a Salesforce API name: snake_case, a managed package's ``__`` as one ``_``
    (``SBQQ__Quote__c`` -> ``sbqq_quote_c``, ``SBQQ__Opportunity2__c`` -> ``sbqq_opportunity_2_c``)."""
    return re.sub(r"_{2,}", "_", snake_case(name))


def _stems(obj: str) -> tuple[str, ...]:
    s = _fivetran_case(obj)
    return (s, f"sf_{s}_data", f"sf_{s}", f"{s}_data", "product_2" if s == "product2" else s)


def _find(source: Source, spec: ObjectSpec) -> SourceFile | None:
    return source.get(*_stems(spec.object))


def _snapshot_id(get, n):  # type: ignore[no-untyped-def]
    ids, start = get("Id"), get("_fivetran_start")
    if ids is None or start is None:
        return pa.nulls(n, pa.string())
    return pc.binary_join_element_wise(ids, start, "@")


_snapshot_id.fields = ("Id", "_fivetran_start")  # type: ignore[attr-defined]

# History-mode snapshots of Opportunity, read as opportunity history.
_SNAPSHOT_HISTORY = ObjectSpec(
    "OpportunityHistory",
    "opportunity_history",
    {
        "history_id": _snapshot_id,
        "opportunity_id": "Id",
        "stage": "StageName",
        "forecast_category": first_of("ForecastCategoryName", "ForecastCategory"),
        "changed_at": first_of("_fivetran_start", "LastModifiedDate", "SystemModstamp"),
        "changed_by_id": first_of("LastModifiedById"),
    },
)


def _naming(field: str) -> str:
    return field if field.startswith("_fivetran") else _fivetran_case(field)


def read_fivetran(path: Path, *, progress: Progress | None = None) -> tuple[ImportBatch, dict[str, pa.Table]]:
    source = Source(Path(path))
    objects = list(OBJECTS)
    hist = _find(source, OBJECTS[[o.object for o in OBJECTS].index("OpportunityHistory")])
    if hist is not None and _is_snapshot_history(hist):
        objects = [(_SNAPSHOT_HISTORY if o.object == "OpportunityHistory" else o) for o in objects]
    batch = ImportBatch(source=str(path), kind="fivetran")
    read_objects(
        source,
        batch,
        naming=_naming,
        find=_find,
        objects=tuple(objects),
        inactive_flags=("_fivetran_active",),
        keep_all_versions=frozenset({"OpportunityHistory"}),
        progress=progress,
    )
    if not batch.files_read and not batch.problems:
        raise no_known_files(source, "no Fivetran Salesforce tables found (expected e.g. opportunity.csv)")
    return batch, batch.finish()


def _is_snapshot_history(src: SourceFile) -> bool:
    head = src.read_bytes()[:4096].decode("utf-8", errors="replace").splitlines()[0].lstrip("\ufeff")
    cols = {c.strip().strip('"') for c in head.split(",")}
    return "opportunity_id" not in cols and "_fivetran_start" in cols
