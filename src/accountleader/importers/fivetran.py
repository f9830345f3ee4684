"""Salesforce tables as Fivetran lands them: snake_case names, CSV or Parquet files.

File names may be ``opportunity.csv``, ``opportunity.parquet`` or the seed style
``sf_opportunity_data.csv``.  Rows with ``is_deleted`` or ``_fivetran_deleted`` true
are skipped; in history mode only the current version (``_fivetran_active``) is kept.
Fivetran's history mode can also land ``opportunity_history`` as dated snapshots of
the opportunity itself (``id`` plus ``_fivetran_start``) rather than Salesforce's
OpportunityHistory object; both shapes are read.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..domain import salesforce_mapping as sfm
from .batch import ImportBatch
from .objectreader import Progress, read_objects
from .objects import OBJECTS, ObjectSpec
from .source import Source, SourceFile, no_known_files

# History-mode snapshots of Opportunity, read as opportunity history.
_SNAPSHOT_HISTORY = ObjectSpec(sfm.SNAPSHOT_HISTORY)


def _find(source: Source, spec: ObjectSpec) -> SourceFile | None:
    return source.get(*sfm.fivetran_tables(spec.object))


def read_fivetran(path: Path, *, progress: Progress | None = None) -> tuple[ImportBatch, dict[str, pa.Table]]:
    source = Source(Path(path))
    objects = list(OBJECTS)
    hist = _find(source, _SNAPSHOT_HISTORY)
    if hist is not None and _is_snapshot_history(hist):
        objects = [(_SNAPSHOT_HISTORY if o.object == _SNAPSHOT_HISTORY.object else o) for o in objects]
    batch = ImportBatch(source=str(path), kind="fivetran")
    read_objects(
        source,
        batch,
        naming=sfm.fivetran_name,
        find=_find,
        objects=tuple(objects),
        deleted_flags=sfm.DELETED_FLAGS[:1],
        inactive_flags=(sfm.ACTIVE_FLAG,),
        keep_all_versions=sfm.ALL_VERSIONS,
        progress=progress,
    )
    if not batch.files_read and not batch.problems:
        raise no_known_files(source, "no Fivetran Salesforce tables found (expected e.g. opportunity.csv)")
    return batch, batch.finish()


def _is_snapshot_history(src: SourceFile) -> bool:
    head = src.read_bytes()[:4096].decode("utf-8", errors="replace").splitlines()[0].lstrip("\ufeff")
    return sfm.is_snapshot_history([c.strip().strip('"') for c in head.split(",")])
