"""What the demo company hides: the answers the analytics should find."""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class PlantedTruth:
    """The planted behaviours, by Salesforce id. Exposed to tests, never printed to users."""

    as_of: datetime  # the fixed end of the data (exclusive), UTC
    seller_archetypes: dict[str, str]  # user id -> leading | busy | slow | at_risk | tender
    starved_high_fit_accounts: frozenset[str]
    single_threaded_opportunities: frozenset[str]
    heavy_change_accounts: frozenset[str]
    high_fit_industries: frozenset[str]
    low_fit_industries: frozenset[str]
    out_of_sequence_opportunities: frozenset[str]
    duplicate_history_opportunities: frozenset[str]
    dangling_task_ids: frozenset[str]
    # issue 14 (demo/support_plants.py): "opportunity_id:contact_id" of planted champions, blockers
    # and champions who left; "opportunity_id:user_id" of backers asked on late-stage deals with
    # nothing delivered; deals whose engagement cools
    champions: frozenset[str] = frozenset()
    blockers: frozenset[str] = frozenset()
    champion_departures: frozenset[str] = frozenset()
    uncommitted_backers: frozenset[str] = frozenset()
    cooling_opportunities: frozenset[str] = frozenset()
    # issue 14 (demo/leadership_plants.py): accounts in heavy change handled as steady state, the
    # sellers who handle them so (rigid, behind in heavy change only), and sellers who adapt
    steady_state_change_accounts: frozenset[str] = frozenset()
    style_locked_sellers: frozenset[str] = frozenset()
    flexible_sellers: frozenset[str] = frozenset()
    # issue 15 (demo/delegation_plants.py): managers who micromanage (step-by-step tasks, check-ins,
    # edits of their sellers' deals, reassignments) and who delegate (few tasks, phrased as outcomes);
    # the delegators' mass-created team tasks (an artefact, not instructions)
    micromanaging_managers: frozenset[str] = frozenset()
    delegating_managers: frozenset[str] = frozenset()
    mass_created_tasks: frozenset[str] = frozenset()

    def to_json(self) -> str:
        """Stable JSON: sets as sorted lists, the as-of date in ISO 8601."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, dict):
                value = dict(sorted(value.items()))
            out[f.name] = value
        return json.dumps(out, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> PlantedTruth:
        data = json.loads(text)
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            if f.name not in data and f.default is not MISSING:  # written before the field existed
                continue
            value = data[f.name]
            if f.name == "as_of":
                value = datetime.fromisoformat(value)
            elif f.name == "seller_archetypes":
                value = dict(value)
            else:
                value = frozenset(value)
            kwargs[f.name] = value
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DemoExport:
    """A written demo export: where, how many rows per file, and the hidden truth."""

    directory: Path
    files: dict[str, int]  # file name -> data rows written
    truth: PlantedTruth
