"""The three real public data sets in ../shared/data import, quirks and all."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest

from accountleader.importers import read_fivetran, read_mapped_csv
from accountleader.workspace import Workspace

pytestmark = pytest.mark.shared

HUBSPOT_MAPPING = Path(__file__).with_name("hubspot_test_mapping.yaml")


# -- Fivetran Salesforce --------------------------------------------------------------------


def test_fivetran_salesforce_seeds_import_keeping_live_rows_and_saying_what_was_skipped(shared_data: Path, workspace_dir: Path) -> None:
    with Workspace.open(workspace_dir) as ws:
        summary = ws.import_fivetran(shared_data / "fivetran_salesforce")
        status = ws.status()
    assert summary.tables == status["tables"]
    assert {k: v for k, v in status["tables"].items() if v} == {"users": 4, "accounts": 1, "contacts": 4, "activities": 20}
    warnings = status["warnings"]
    # every opportunity and every history snapshot is marked deleted in the seed: none kept, all said
    assert "sf_opportunity_data.csv: skipped 10 rows with is_deleted=true" in warnings
    assert "sf_opportunity_history_data.csv: skipped 10 rows with is_deleted=true" in warnings
    assert "sf_account_data.csv: skipped 9 rows with is_deleted=true" in warnings
    assert "sf_user_data.csv: skipped 5 rows with _fivetran_deleted=true" in warnings
    assert "sf_user_data.csv: skipped 1 rows with _fivetran_active=false" in warnings
    assert any(w.startswith("activities.owner_id: 20 rows refer to users not in the import") for w in warnings)
    assert {"sf_lead_data.csv", "sf_order_data.csv", "sf_product_2_data.csv"} <= set(summary.files_ignored)


def test_fivetran_history_mode_snapshots_become_opportunity_history_when_not_deleted(shared_data: Path, tmp_path: Path) -> None:
    """Flip the seed's is_deleted to false: the snapshots are then read as history, one row per version."""
    copy = tmp_path / "fivetran"
    shutil.copytree(shared_data / "fivetran_salesforce", copy)
    for name in ("sf_opportunity_data.csv", "sf_opportunity_history_data.csv"):
        f = copy / name
        header, *rows = f.read_text().splitlines()
        col = header.split(",").index("is_deleted")
        fixed = []
        for r in rows:
            cells = r.split(",")
            assert cells[col] == "true"
            cells[col] = "false"
            fixed.append(",".join(cells))
        f.write_text("\n".join([header, *fixed]) + "\n")
    batch, tables = read_fivetran(copy)
    # opportunity: the 2 non-current versions (_fivetran_active=false) are dropped; history keeps all versions
    assert tables["opportunities"].num_rows == 8
    assert "sf_opportunity_data.csv: skipped 2 rows with _fivetran_active=false" in batch.warnings
    history = tables["opportunity_history"]
    assert history.num_rows == 10
    assert all("@" in h for h in history.column("history_id").to_pylist())  # id@_fivetran_start
    first = [r for r in history.to_pylist() if r["opportunity_id"] == "006q000000HcZXXAA3"][0]
    assert first["changed_at"] == datetime(2019, 4, 3, 18, 36, 6)
    # the seed's deal that closes before it was created is kept and flagged
    opps = {r["opportunity_id"]: r for r in tables["opportunities"].to_pylist()}
    assert opps["006q000000HddueAAB"]["quality_flag"] == "closed_before_created"
    assert any("1 deals close before they were created" in w for w in batch.warnings)


# -- Maven CRM ------------------------------------------------------------------------------


def test_maven_crm_imports_through_the_builtin_mapping_with_its_typos_fixed(shared_data: Path, workspace_dir: Path) -> None:
    with Workspace.open(workspace_dir) as ws:
        summary = ws.import_csv(shared_data / "maven_crm_sales_opportunities", mapping="maven_crm")
        opps = ws.table("opportunities").to_pyarrow()
        accounts = ws.table("accounts").to_pyarrow()
        users = ws.table("users").to_pyarrow()
    assert (summary.tables["opportunities"], summary.tables["accounts"], summary.tables["users"]) == (8800, 85, 41)
    functions = pc.value_counts(users.column("function")).to_pylist()
    assert sorted((f["values"], f["counts"]) for f in functions) == [("manager", 6), ("seller", 35)]
    assert "technolgy" not in accounts.column("industry").to_pylist()
    assert "technology" in accounts.column("industry").to_pylist()
    products = set(opps.column("product").to_pylist())
    assert "GTXPro" not in products and "GTX Pro" in products
    assert opps.column("account_id").null_count == 1425  # open deals with no account: kept, unlinked
    won = pc.sum(opps.column("is_won")).as_py()
    assert 0 < won < 8800 and opps.column("currency").unique().to_pylist() == ["USD"]
    assert summary.files_ignored == ["data_dictionary.csv", "products.csv"]


# -- Fivetran HubSpot through a YAML mapping ------------------------------------------------


def test_fivetran_hubspot_imports_through_a_yaml_mapping_despite_its_quirks(shared_data: Path) -> None:
    src = shared_data / "fivetran_hubspot"
    assert b"\r\n" in (src / "deal_data.csv").read_bytes()  # CRLF really is there
    batch, tables = read_mapped_csv(src, HUBSPOT_MAPPING)
    counts = {k: v.num_rows for k, v in tables.items() if v.num_rows}
    assert counts == {
        "users": 100, "accounts": 24, "contacts": 22, "opportunities": 44,
        "opportunity_history": 14, "opportunity_contact_roles": 11, "activities": 101,
    }
    history = {r["opportunity_id"]: r for r in tables["opportunity_history"].to_pylist()}
    assert history["3954699413"]["changed_at"] == datetime(2021, 1, 7, 6, 49, 18)  # '2021-01-07 6:49:18'
    users = {r["user_id"]: r for r in tables["users"].to_pylist()}
    assert users["44023296"]["name"] == "1B2M2Y8AsgTpgAmY7PhCfg== 1B2M2Y8AsgTpgAmY7PhCfg=="
    call = [a for a in tables["activities"].to_pylist() if a["kind"] == "call"][0]
    assert call["occurred_at"] == datetime(2014, 8, 27, 20, 50, 44)  # '...44.778000', sub-second dropped
    # associations pointing at deals and contacts that are not in the seed: warned, not fatal
    assert any(w.startswith("opportunity_contact_roles.opportunity_id: 11 rows refer to opportunities not in the import") for w in batch.warnings)
    assert any(w.startswith("opportunity_contact_roles.contact_id: 11 rows refer to contacts not in the import") for w in batch.warnings)
    assert any(w.startswith("opportunity_history.opportunity_id:") for w in batch.warnings)
