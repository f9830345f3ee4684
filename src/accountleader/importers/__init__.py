"""Importers: read a source, yield canonical Arrow tables with a validation report.

Each importer returns an :class:`ImportBatch`; nothing here touches the workspace's
database (the engine writes batches atomically).
"""

from .batch import ImportBatch
from .fivetran import read_fivetran
from .hubspot import is_hubspot, read_hubspot
from .mapped import read_mapped_csv
from .salesforce import read_salesforce_export
from .source import check_archive

__all__ = ["ImportBatch", "check_archive", "is_hubspot", "read_fivetran", "read_hubspot", "read_mapped_csv", "read_salesforce_export"]
