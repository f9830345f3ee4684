"""Support-map edits on hand-built maps: checking what a person entered, and the history's
wording of what an edit changed (pure: no store, no results)."""

from __future__ import annotations

import pytest

from accountleader.domain.support_map import Backer, Stakeholder, SupportMap, merge
from accountleader.domain.support_map_edits import FieldError, backer_from, diff, stakeholder_from

ANA = Stakeholder("003A", name="Ana Ruiz", title="CFO", buyer_role="economic_buyer", stance="neutral",
                  evidence="primary contact, replied twice")
BEN = Stakeholder("003B", name="Ben Ito", stance="supporter")
DRAFT = SupportMap("006X", (ANA, BEN), (Backer("005P", name="Pia Lund", function="pricing"),))


def test_marking_a_drafted_contact_champion_is_one_history_line_naming_her() -> None:
    row = stakeholder_from({"contact_id": "003A", "stance": "Champion"}, ANA)
    after = merge(DRAFT, [row])
    assert after.stakeholder("003A") == Stakeholder("003A", name="Ana Ruiz", title="CFO", buyer_role="economic_buyer",
                                                    stance="champion", inferred=False)
    (change,) = diff(merge(DRAFT), after)
    assert change.text == "stance of Ana Ruiz: neutral → champion"


def test_confirming_a_draft_unchanged_says_so_and_dropping_it_again_goes_back_to_the_draft() -> None:
    confirmed = merge(DRAFT, [stakeholder_from({"contact_id": "003B"}, BEN)])
    (change,) = diff(merge(DRAFT), confirmed)
    assert change.text == "Ben Ito: inferred → confirmed"
    (back,) = diff(confirmed, merge(DRAFT))
    assert back.text == "Ben Ito: confirmed → inferred"


def test_a_contact_not_in_the_draft_is_added_and_removed_with_its_values() -> None:
    carl = stakeholder_from({"contact_id": "003C", "stance": "blocker", "influence": "high"})
    added = merge(DRAFT, [carl])
    assert [c.text for c in diff(merge(DRAFT), added)] == ["added 003C (blocker, high influence, direct)"]
    assert [c.text for c in diff(added, merge(DRAFT))] == ["removed 003C (was blocker, high influence, direct)"]


def test_a_backer_commitment_and_due_date_change_one_line_each() -> None:
    pia = backer_from({"user_id": "005P", "commitment": "committed", "due_date": "2027-01-15"}, DRAFT.backers[0])
    texts = [c.text for c in diff(merge(DRAFT), merge(DRAFT, stored_backers=[pia]))]
    assert texts == ["commitment of Pia Lund: asked → committed", "due date of Pia Lund: — → 2027-01-15"]


@pytest.mark.parametrize(("values", "field", "reason"), [
    ({"contact_id": "003A", "stance": "fan"}, "stance",
     "'fan' is not one of: champion, supporter, neutral, skeptic, blocker"),
    ({"contact_id": "003A", "influence": "huge"}, "influence", "'huge' is not one of: high, medium, low"),
    ({"contact_id": "003A", "access": "through"}, "via_contact_id", "access 'through' needs the contact it goes through"),
    ({"contact_id": "003A", "access": "through", "via_contact_id": "003A"}, "via_contact_id",
     "a contact cannot be reached through themself"),
    ({"contact_id": " "}, "contact_id", "is empty"),
])
def test_a_bad_stakeholder_value_names_the_field_and_the_value(values: dict, field: str, reason: str) -> None:
    with pytest.raises(FieldError) as caught:
        stakeholder_from(values)
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_a_bad_backer_value_names_the_field() -> None:
    with pytest.raises(FieldError, match="commitment: 'maybe' is not one of: asked, committed, delivered"):
        backer_from({"user_id": "005P", "commitment": "maybe"})
    with pytest.raises(FieldError, match=r"due_date: '31/01/2027' is not a date \(YYYY-MM-DD\)"):
        backer_from({"user_id": "005P", "due_date": "31/01/2027"})
