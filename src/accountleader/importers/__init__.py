"""Importers: read a source, yield canonical Arrow tables with a validation report.

Each importer returns an :class:`ImportBatch`; nothing here touches the workspace's
database (the engine writes batches atomically).
"""

from .batch import ImportBatch
from .fivetran import read_fivetran
from .mapped import read_mapped_csv
from .salesforce import read_salesforce_export

__all__ = ["ImportBatch", "read_fivetran", "read_mapped_csv", "read_salesforce_export"]
