"""The messy demo company the tests in this directory share (see conftest.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from accountleader.demo import PlantedTruth
from accountleader.workspace import AnalysisSummary, Workspace

#: Small enough to keep tests/messy under a minute, big enough for 10 sellers. Set
#: ACCOUNTLEADER_MESSY_SCALE=1 to run the same tests on the full-size company (~3 min),
#: where the fit model has a signal and the fit-dependent behaviours are checked too.
SCALE = float(os.environ.get("ACCOUNTLEADER_MESSY_SCALE", "0.25"))


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
