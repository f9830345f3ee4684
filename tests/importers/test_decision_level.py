"""The org's own decision-level picklist on Contact: imported, and used when the team maps it.

Real orgs keep it under different API names (``JobLevel__c``, ``Level__c``,
``Decision_Level__c``); the importer reads any of them into ``contacts.decision_level``, and
the analysis prefers it over the title once ``decision_level_map`` says what its values mean.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_export import C_ANA, C_BOB, Export

from accountleader.config import WorkspaceSettings
from accountleader.domain.scoring.titles import classify_title
from accountleader.importers.salesforce import read_salesforce_export
from accountleader.workspace import Workspace


@pytest.mark.parametrize("field", ["JobLevel__c", "Level__c", "Decision_Level__c"])
def test_each_known_field_name_is_read_into_decision_level(sf_export: Export, field: str) -> None:
    sf_export.add_column("Contact", field, ["High-Decision", ""])
    batch, tables = read_salesforce_export(sf_export.write())
    levels = dict(zip(tables["contacts"].column("contact_id").to_pylist(),
                      tables["contacts"].column("decision_level").to_pylist(), strict=True))
    assert levels == {C_ANA: "High-Decision", C_BOB: None}


def test_an_export_without_the_field_imports_with_an_empty_column(sf_export: Export) -> None:
    _, tables = read_salesforce_export(sf_export.write())
    assert tables["contacts"].column("decision_level").null_count == tables["contacts"].num_rows


def test_analysis_prefers_the_mapped_decision_level_over_the_title(sf_export: Export, tmp_path: Path) -> None:
    # Bob is an "IT Manager" by title (a technical evaluator) whom the org marks High-Decision;
    # Ana, a "VP Operations", is marked Influencer.
    sf_export.add_column("Contact", "JobLevel__c", ["Influencer", "High-Decision"])
    assert classify_title("IT Manager")[0] == "technical_evaluator"  # what the title alone says
    ws = Workspace.open(tmp_path / "ws")
    try:
        ws.import_salesforce(sf_export.write())
        ws.save_settings(WorkspaceSettings(decision_level_map={"High-Decision": "decision_maker", "Influencer": "champion"}))
        ws.analyze(as_of="2024-03-15")
        mapped = {r["contact_id"]: r for r in ws.results("contact_roles").to_pyarrow().to_pylist()}
        bob = {k: v for k, v in mapped[C_BOB].items() if k != "as_of"}  # every result row carries its as-of
        assert bob == {"contact_id": C_BOB, "buyer_role": "decision_maker", "seniority": "manager",
                                 "role_source": "decision_level"}
        assert (mapped[C_ANA]["buyer_role"], mapped[C_ANA]["seniority"]) == ("champion", "vp")
    finally:
        ws.close()
