"""Docs stay in step with the code: the data model and every metric are documented."""

from __future__ import annotations

import re
from pathlib import Path

from accountleader.domain.datamodel_doc import data_model_markdown
from accountleader.domain.metrics.registry import metric_names

ROOT = Path(__file__).resolve().parents[2]


def test_data_model_doc_is_generated_from_the_schema() -> None:
    written = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert written == data_model_markdown(), (
        "docs/data-model.md is stale: run `accountleader docs data-model > docs/data-model.md`"
    )


def test_every_metric_has_a_heading_in_metrics_doc() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    headings = {m.group(1).strip().strip("`") for m in re.finditer(r"^#{2,4}\s+(.+)$", text, re.M)}
    names = metric_names()
    assert len(names) >= 10, f"expected the metric modules to declare their metrics, found {sorted(names)}"
    missing = sorted(n for n in names if n not in headings)
    assert not missing, f"metrics without a heading in docs/metrics.md: {missing}"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme


def test_every_setting_is_documented() -> None:
    from accountleader.config import (
        ArtefactSettings,
        EngineSettings,
        LeadershipSettings,
        NotificationSettings,
        ReadinessSettings,
        RequestSettings,
        VerdictSettings,
        WinSettings,
        WorkspaceSettings,
    )

    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    names = [n for n in WorkspaceSettings.model_fields if n not in ("engine", "artefacts", "verdict", "win")]
    names += [f"engine.{n}" for n in EngineSettings.model_fields]
    names += [f"artefacts.{n}" for n in ArtefactSettings.model_fields]
    names += [f"verdict.{n}" for n in VerdictSettings.model_fields]
    names += [f"win.{n}" for n in WinSettings.model_fields]
    names += [f"readiness.{n}" for n in ReadinessSettings.model_fields]
    names += [f"leadership.{n}" for n in LeadershipSettings.model_fields]
    names += [f"requests.{n}" for n in RequestSettings.model_fields]
    names += [f"notifications.{n}" for n in NotificationSettings.model_fields]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"settings missing from docs/settings.md: {missing}"
