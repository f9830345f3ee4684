"""Issue 15's CRM inputs: who created a task and its body, and OpportunityFieldHistory (optional)."""

from __future__ import annotations

from datetime import datetime

from sf_export import O_OPEN, U_MANAGER, U_SELLER, Export

from accountleader.domain.salesforce_ids import to_18
from accountleader.importers import read_salesforce_export


def test_task_creator_description_and_field_history_are_read(sf_export: Export) -> None:
    sf_export.add_column("Task", "CreatedById", [U_SELLER, U_MANAGER])
    sf_export.add_column("Task", "Description", ["", "1. Call Bob 2. Send the deck 3. Update the stage"])
    sf_export.rows["OpportunityFieldHistory"] = [
        ["Id", "OpportunityId", "Field", "DataType", "OldValue", "NewValue", "CreatedDate", "CreatedById", "IsDeleted"],
        [to_18("017Ax00000FhS01"), O_OPEN, "Amount", "Currency", "600", "500", "2024-02-05T10:00:00.000Z", U_MANAGER, "false"],
        [to_18("017Ax00000FhS02"), O_OPEN, "Owner", "EntityId", U_MANAGER, U_SELLER, "2024-02-01T09:00:00.000Z", U_MANAGER, "false"],
        [to_18("017Ax00000FhS03"), O_OPEN, "Owner", "EntityId", U_MANAGER, U_SELLER, "2024-02-01T09:00:00.000Z", U_MANAGER, "true"],
    ]
    _, tables = read_salesforce_export(sf_export.write())
    tasks = {r["subject"]: r for r in tables["activities"].to_pylist() if r["source_object"] == "Task"}
    assert tasks["Send deck"]["created_by_id"] == U_MANAGER
    assert tasks["Send deck"]["description"] == "1. Call Bob 2. Send the deck 3. Update the stage"
    assert tasks["Call Ana"]["created_by_id"] == U_SELLER and tasks["Call Ana"]["description"] is None
    fh = sorted(tables["opportunity_field_history"].to_pylist(), key=lambda r: r["changed_at"])
    assert [(r["field"], r["old_value"], r["new_value"], r["changed_by_id"]) for r in fh] == [
        ("Owner", U_MANAGER, U_SELLER, U_MANAGER), ("Amount", "600", "500", U_MANAGER)]  # the deleted row is left out
    assert fh[1]["changed_at"] == datetime(2024, 2, 5, 10, 0) and fh[1]["opportunity_id"] == O_OPEN


def test_an_export_without_field_history_gives_an_empty_table(sf_export: Export) -> None:
    _, tables = read_salesforce_export(sf_export.write())
    assert tables["opportunity_field_history"].num_rows == 0
    assert "changed_by_id" in tables["opportunity_field_history"].column_names
    assert all(r["created_by_id"] is None for r in tables["activities"].to_pylist() if r["source_object"] == "Task")
