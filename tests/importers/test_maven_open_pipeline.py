"""On the Maven CRM data (no history, no activity), the default as-of and open pipeline are right.

Before, the default as-of was the last engage date, so every deal won or lost after it
counted as open pipeline. Now the as-of is the last close date and no deal whose stage
is Won or Lost is open.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from accountleader.workspace import Workspace

pytestmark = pytest.mark.shared


def test_maven_open_pipeline_holds_no_won_or_lost_deal(shared_data: Path, workspace_dir: Path) -> None:
    with Workspace.open(workspace_dir) as ws:
        ws.import_csv(shared_data / "maven_crm_sales_opportunities", mapping="maven_crm")
        summary = ws.analyze()
        open_deals = ws.opportunities(open_only=True)
        every_deal = ws.opportunities()
        quality = ws.quality()
    assert summary.as_of.startswith("2017-12-31") and summary.as_of_basis == "the last deal closed"
    assert quality["default_as_of"]["basis"] == "the last deal closed"
    stages = Counter(o["stage"] for o in open_deals)
    assert set(stages) == {"Engaging", "Prospecting"}
    # every deal not Won or Lost is open, and nothing else
    assert sum(stages.values()) == sum(1 for o in every_deal if o["stage"] not in ("Won", "Lost"))
    # lost deals carry close_value 0: placeholders, left out of amount-weighted figures
    placeholders = {a["kind"]: a["count"] for a in quality["artefacts"]}["placeholder_amount"]
    lost = sum(1 for o in every_deal if o["stage"] == "Lost")
    assert placeholders == lost
