"""The support-map store on SQLite and PostgreSQL: every write is one transaction at a version;
a write at an older version names who changed what since and writes nothing, also when it is
one of several maps written together (a CSV import)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accountleader.domain.support_map import Stakeholder
from accountleader.domain.support_map_edits import Change
from accountleader.errors import EditConflict
from accountleader.store import Store, models
from accountleader.store import support_maps as records


def _write(oid: str, version: int, stance: str, old: str | None = "neutral") -> records.MapWrite:
    return records.MapWrite(oid, version, [Stakeholder("003A", stance=stance, inferred=False)], [],
                            [Change("stakeholder", "003A", "Ana Ruiz", "stance", old, stance)], deal_name="Acme renewal",
                            owner_id="005R", account_id="001A")


def _rows(store: Store) -> tuple[int, ...]:
    with store.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (
            models.SupportMapRecord, models.SupportStakeholder, models.SupportBacker, models.SupportMapEvent))


def test_a_write_at_an_old_version_names_who_changed_what_and_writes_nothing(store: Store) -> None:
    assert records.write_maps(store, writes=[_write("006X", 0, "champion")], by="maria") == {"006X": 1}
    before = _rows(store)
    with pytest.raises(EditConflict) as caught:
        records.write_maps(store, writes=[_write("006X", 0, "blocker")], by="joe")
    message = str(caught.value)
    assert message.startswith("the support map of Acme renewal was changed after the version you edited (0): "
                              "maria changed it at ")
    assert "UTC: stance of Ana Ruiz: neutral → champion. It is now at version 1; nothing of your edit was saved" in message
    assert caught.value.details["changed_by"] == ["maria"] and caught.value.details["current_version"] == 1
    assert _rows(store) == before
    stored = records.read_maps(store, opportunity_ids=["006X"])["006X"]
    assert (stored.version, stored.updated_by, stored.stakeholders[0].stance) == (1, "maria", "champion")
    with pytest.raises(EditConflict, match="has no version 5"):
        records.write_maps(store, writes=[_write("006X", 5, "blocker")], by="joe")


def test_several_maps_are_written_all_or_nothing(store: Store) -> None:
    records.write_maps(store, writes=[_write("006X", 0, "champion")], by="maria")
    before = _rows(store)
    with pytest.raises(EditConflict):  # the second map is stale: the first is not written either
        records.write_maps(store, writes=[_write("006Y", 0, "supporter"), _write("006X", 0, "skeptic")], by="cli")
    assert _rows(store) == before and set(records.read_maps(store, opportunity_ids=["006X", "006Y"])) == {"006X"}
    done = records.write_maps(store, writes=[_write("006Y", 0, "supporter"), _write("006X", 1, "skeptic", "champion")],
                              by="cli")
    assert done == {"006Y": 1, "006X": 2}
    assert [e.change.text for e in records.history(store, opportunity_id="006X")] == [
        "stance of Ana Ruiz: champion → skeptic", "stance of Ana Ruiz: neutral → champion"]
