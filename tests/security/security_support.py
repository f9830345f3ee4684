"""Fixtures and helpers for the security tests (conftest.py imports the fixtures): the demo company's export with hostile values planted.

``planted`` imports (once per run) the demo export after these changes:

* a **shared account**: an account owned by a seller of team A gets deals owned by a seller of
  team B, renamed ``ZZ-OTHER-TEAM-<n>`` so any leak of their names is easy to find;
* account names a spreadsheet, a Markdown renderer and a terminal would each execute:
  ``=cmd|' /C calc'!A0``, ``<script>alert(1)</script> Corp`` and ``Evil \\x1b[31mRed\\x1b[0m Inc``.
"""

from __future__ import annotations

import csv
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from demo_support import built_once, private_copy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))  # web_support, for the tests

FORMULA_NAME = "=cmd|' /C calc'!A0"
SCRIPT_NAME = "<script>alert(1)</script> Corp"
ESCAPE_NAME = "Evil \x1b[31mRed\x1b[0m Inc"
OTHER_DEAL_PREFIX = "ZZ-OTHER-TEAM-"


@dataclass(frozen=True)
class Planted:
    path: Path  # the imported and analysed workspace (treat as read-only; copy to change it)
    shared_account: str
    rep_a: str  # owns the shared account
    rep_b: str  # another team's seller, owner of the planted deals
    other_deals: tuple[str, ...]  # ids of team B's deals on the shared account
    other_names: tuple[str, ...]
    formula_account: str
    script_account: str
    escape_account: str


def _rewrite(path: Path, change) -> None:  # noqa: ANN001 - a row callback
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys())
    for row in rows:
        change(row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="session")
def planted(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """Imported and analysed once per run (demo_support.py); this session's own copy."""
    template, found = built_once(tmp_path_factory, "security-planted", lambda d: _plant(demo_workspace, d))
    path = private_copy(template / "workspace", tmp_path_factory.mktemp("planted") / "workspace")
    return Planted(path, *found)


def _plant(demo_workspace: Path, directory: Path) -> tuple[object, ...]:
    """Builds the planted workspace in ``directory / "workspace"``; returns the Planted fields but the path."""
    from accountleader.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    try:
        users = ws.table("users").to_pandas()
        sellers = users[users.function == "seller"]
        opps = ws.table("opportunities").to_pandas()
        hist = ws.table("opportunity_history").to_pandas()
        accounts = ws.results("account_results").select("account_id", "owner_id").to_pandas()
    finally:
        ws.close()
    moved = hist.groupby("opportunity_id").stage.nunique()
    with_history = set(moved[moved > 1].index)
    # an account owned by a seller, with deals that moved stage
    owned = accounts[accounts.owner_id.isin(sellers.user_id)]
    candidates = owned.merge(opps[opps.opportunity_id.isin(with_history)], on="account_id", suffixes=("", "_opp"))
    counts = candidates.groupby(["account_id", "owner_id"]).opportunity_id.count().sort_values(ascending=False)
    shared_account, rep_a = counts.index[0]
    team_a = sellers[sellers.user_id == rep_a].team.iloc[0]
    rep_b = sellers[(sellers.team != team_a) & sellers.team.notna()].user_id.iloc[0]
    deals = sorted(candidates[candidates.account_id == shared_account].opportunity_id)[:3]
    names = tuple(f"{OTHER_DEAL_PREFIX}{i}" for i in range(len(deals)))
    others = [a for a in accounts.account_id if a != shared_account]
    formula_account, script_account, escape_account = others[:3]

    export = directory / "export"
    shutil.copytree(demo_workspace / "demo-export", export)

    def opp(row: dict[str, str]) -> None:
        if row["Id"] in deals:
            row["OwnerId"] = rep_b
            row["Name"] = names[deals.index(row["Id"])]

    def acc(row: dict[str, str]) -> None:
        row["Name"] = {formula_account: FORMULA_NAME, script_account: SCRIPT_NAME,
                       escape_account: ESCAPE_NAME}.get(row["Id"], row["Name"])

    _rewrite(export / "Opportunity.csv", opp)
    _rewrite(export / "Account.csv", acc)
    path = export.parent / "workspace"
    ws = Workspace.open(path)
    try:
        ws.import_salesforce(export)
        ws.analyze()
    finally:
        ws.close()
    return (shared_account, rep_a, rep_b, tuple(deals), names, formula_account, script_account, escape_account)


@pytest.fixture
def planted_copy(planted: Planted, tmp_path: Path) -> Path:
    """A private copy of the planted workspace, for tests that change it."""
    return private_copy(planted.path, tmp_path / "workspace")
