"""The demo company: a realistic synthetic B2B sales organisation, written as a
Salesforce data export, with planted behaviours the analytics must find.

``write_demo_export(directory, seed=7, scale=1.0)`` is deterministic by seed and
scale and never reads the wall clock; the data end at :data:`AS_OF`.
"""

from .clock import AS_OF
from .company import TRUTH_FILE, write_demo_export
from .ids import checksum, is_valid_id
from .truth import DemoExport, PlantedTruth

__all__ = [
    "AS_OF",
    "TRUTH_FILE",
    "DemoExport",
    "PlantedTruth",
    "checksum",
    "is_valid_id",
    "write_demo_export",
]
