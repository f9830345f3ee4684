"""The messy demo company the tests in this directory share (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from accountleader.demo import PlantedTruth
from accountleader.workspace import AnalysisSummary, Workspace

#: Small enough to keep tests/messy well under a minute, big enough for 10 sellers.
SCALE = 0.25


@dataclass
class Messy:
    workspace: Workspace
    export: Path
    truth: PlantedTruth  # the normal demo's planted behaviours
    planted: dict[str, Any]  # messy_truth.json
    imported: dict[str, Any]  # `demo --messy --json` output
    analysis: AnalysisSummary
    status: dict[str, Any]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        """One export file as text, exactly as written."""
        if name not in self.frames:
            self.frames[name] = pd.read_csv(self.export / f"{name}.csv", dtype=str, keep_default_na=False)
        return self.frames[name]

    def artefact(self, kind: str) -> dict[str, Any]:
        """The `status` entry for one artefact kind."""
        return next(a for a in self.status["artefacts"] if a["kind"] == kind)

    @property
    def system_ids(self) -> set[str]:
        return set(self.planted["demo"]["system_users"].values())
