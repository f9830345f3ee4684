"""Every planted artefact imports, is detected and counted in `status`, with its planted ids."""

from __future__ import annotations

import pytest
from messy_demo import Messy

from accountleader.domain import artefacts

KINDS = artefacts.KINDS
RECORD_KINDS = [k for k in KINDS if k != "logging_stopped"]


def test_it_imports_with_the_won_and_lost_of_the_truth(messy: Messy) -> None:
    assert messy.imported["tables"]["opportunities"] == len(messy["Opportunity"])
    opps = messy.workspace.table("opportunities").to_pandas()
    assert int(opps.is_won.sum()) == messy.planted["demo"]["won"]
    assert int((opps.is_closed & ~opps.is_won).sum()) == messy.planted["demo"]["lost"]
    assert int((~opps.is_closed).sum()) == messy.planted["demo"]["open"]
    users = messy.workspace.table("users").to_pandas().set_index("user_id")
    assert users.name.notna().all() and (users.name.str.strip() != "").all()
    contacts = messy.workspace.table("contacts").to_pandas()
    assert contacts.name.notna().all() and (contacts.name.str.strip() != "").all()


def test_the_spanish_stages_are_read_from_the_stage_file(messy: Messy) -> None:
    stages = {s["stage"]: s for s in messy.status["stages"]}
    assert stages["Cerrada Ganada"]["is_won"] and stages["Cerrada Perdida"]["is_closed"]
    assert not stages["Cerrada Perdida"]["is_won"] and not stages["Firmas"]["is_closed"]
    assert stages["Firmas"]["is_commit_stage"]
    assert [s for s, v in stages.items() if v["is_quote_stage"]] == ["Diseño Propuesta"]


def test_status_lists_every_artefact_kind_once(messy: Messy) -> None:
    assert [a["kind"] for a in messy.status["artefacts"]] == list(KINDS)
    for a in messy.status["artefacts"]:
        assert a["effect"] and isinstance(a["examples"], list)


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_each_artefact_is_counted_at_least_as_often_as_planted(messy: Messy, kind: str) -> None:
    found = messy.artefact(kind)
    assert found["count"] >= messy.planted[kind]["count"], (kind, found["count"], messy.planted[kind]["count"])


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_each_planted_record_is_among_those_detected(messy: Messy, kind: str) -> None:
    flagged = artefacts.flagged(messy.workspace.data_quality().annotated)[kind]
    detected = set(flagged.to_pyarrow().column("id").to_pylist())
    missing = set(messy.planted[kind]["ids"]) - detected
    assert not missing, f"{len(missing)} planted {kind} not detected, e.g. {sorted(missing)[:3]}"
    examples = set(messy.artefact(kind)["examples"])
    assert examples <= detected


def test_the_logging_stop_is_found_on_the_planted_day(messy: Messy) -> None:
    stop = messy.planted["logging_stopped"]["ids"][0]
    found = messy.artefact("logging_stopped")
    assert found["examples"] == [stop] and messy.status["logging_stopped_at"] == stop
    assert found["count"] >= messy.planted["logging_stopped"]["count"]


def test_the_default_as_of_is_set_by_deal_movement_not_by_open_tasks(messy: Messy) -> None:
    at = messy.status["default_as_of"]["at"]
    assert at is not None and at < messy.truth.as_of.strftime("%Y-%m-%dT%H:%M:%S")
    assert "activity" not in messy.status["default_as_of"]["basis"]


def test_system_users_and_the_null_id_are_not_sellers(messy: Messy) -> None:
    users = messy.workspace.table("users").to_pandas().set_index("user_id")
    system = messy.planted["demo"]["system_users"]
    assert users.loc[system["integration"], "function"] == "system"
    assert users.loc[system["admin"], "function"] == "system"
    sellers = set(users.index[users.function == "seller"])
    assert set(messy.truth.seller_archetypes) <= sellers
    assert not sellers & messy.system_ids
