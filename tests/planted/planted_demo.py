"""The analysed demo company the planted-behaviour tests share (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from accountleader.demo import PlantedTruth
from accountleader.workspace import AnalysisSummary, ImportSummary, Workspace


@dataclass
class Demo:
    workspace: Workspace
    truth: PlantedTruth
    imported: ImportSummary
    analysis: AnalysisSummary
