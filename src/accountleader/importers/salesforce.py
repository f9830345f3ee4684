"""Salesforce Data Export / Data Loader CSVs, from a directory or a .zip."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..domain import salesforce_mapping as sfm
from .batch import ImportBatch
from .objectreader import Progress, read_objects
from .objects import ObjectSpec
from .source import Source, SourceFile, no_known_files


def _find(source: Source, spec: ObjectSpec) -> SourceFile | None:
    return source.get(spec.object, spec.object + "s")  # Opportunity.csv, or Opportunitys.csv


def read_salesforce_export(path: Path, *, progress: Progress | None = None) -> tuple[ImportBatch, dict[str, pa.Table]]:
    """Read an export; returns the batch (warnings, files) and the clean canonical tables.

    Raises ImportRejected listing every problem (up to a cap) when anything is unreadable.
    """
    source = Source(Path(path))
    batch = ImportBatch(source=str(path), kind="salesforce")
    read_objects(
        source, batch, naming=lambda f: f, find=_find, deleted_flags=sfm.DELETED_FLAGS[:1], progress=progress
    )
    if not batch.files_read and not batch.problems:
        raise no_known_files(source, "no Salesforce export files found (expected e.g. Account.csv, Opportunity.csv)")
    return batch, batch.finish()
