"""Proposal readiness (domain/readiness.py): each documented gap fires on the fact behind it,
takes its points, and too little known gives no score."""

from __future__ import annotations

from datetime import datetime, timedelta

from accountleader.config import ReadinessSettings
from accountleader.domain.readiness import GAP_CODES, assess
from accountleader.domain.support_map import Backer, Stakeholder, SupportMap

AS_OF = datetime(2026, 9, 30)
RULES = ReadinessSettings()


def ready_map(**changes: object) -> SupportMap:
    """A deal with a champion, an economic buyer touched last week, no blocker, no backer."""
    people = (
        Stakeholder("c1", name="Ana", buyer_role="champion", stance="champion", last_touch_at=AS_OF - timedelta(days=2)),
        Stakeholder("c2", name="Bo", buyer_role="economic_buyer", stance="supporter",
                    last_touch_at=AS_OF - timedelta(days=7)),
    )
    return SupportMap("006A", changes.pop("stakeholders", people), changes.pop("backers", ()))  # type: ignore[arg-type]


SIGNALS = {"stage_probability": 75.0, "contacts_engaged": 4, "contacts_baseline": 4.0, "contacts_baseline_n": 200,
           "momentum": 0.2, "momentum_n": 6}


def codes(r: object) -> list[str]:
    return [g.code for g in r.gaps]  # type: ignore[attr-defined]


def test_a_deal_with_champion_economic_buyer_and_threads_is_fully_ready() -> None:
    r = assess(SIGNALS, ready_map(), as_of=AS_OF, settings=RULES)
    assert r.score == 100.0 and r.gaps == () and r.note is None


def test_each_gap_fires_on_its_fact_and_takes_its_points() -> None:
    m = ready_map(
        stakeholders=(
            Stakeholder("c2", buyer_role="economic_buyer", stance="supporter", last_touch_at=AS_OF - timedelta(days=45)),
            Stakeholder("c3", name="Cy", stance="blocker"),
        ),
        backers=(Backer("u1", name="Pia", function="legal", commitment="asked"),
                 Backer("u2", function="pricing", commitment="delivered")),
    )
    signals = {**SIGNALS, "contacts_engaged": 1, "momentum": -0.8, "momentum_n": 5}
    r = assess(signals, m, as_of=AS_OF, settings=RULES)
    assert codes(r) == list(GAP_CODES)
    assert r.score == max(0.0, 100 - sum(RULES.points.values()))
    texts = {g.code: g.text for g in r.gaps}
    assert "45 days ago" in texts["economic_buyer_silent"]
    assert "Cy" in texts["blocker_without_plan"]
    assert "Pia (legal)" in texts["backer_not_committed"] and "pricing" not in texts["backer_not_committed"]
    assert "against 4 on won deals" in texts["single_threaded"] and "n=200" in texts["single_threaded"]


def test_a_playbook_is_the_plan_for_a_blocker() -> None:
    m = ready_map(stakeholders=(*ready_map().stakeholders, Stakeholder("c3", stance="blocker")))
    assert codes(assess(SIGNALS, m, as_of=AS_OF, settings=RULES)) == ["blocker_without_plan"]
    assert assess({**SIGNALS, "has_playbook": True}, m, as_of=AS_OF, settings=RULES).gaps == ()


def test_a_backer_is_needed_only_from_the_stage_that_needs_them() -> None:
    m = ready_map(backers=(Backer("u1", function="legal", commitment="asked"),))
    early = assess({**SIGNALS, "stage_probability": 50.0}, m, as_of=AS_OF, settings=RULES)
    late = assess({**SIGNALS, "stage_probability": 75.0}, m, as_of=AS_OF, settings=RULES)
    assert early.gaps == () and codes(late) == ["backer_not_committed"]


def test_a_person_marking_a_champion_removes_the_gap() -> None:
    drafted = ready_map(stakeholders=(Stakeholder("c1", stance="supporter"), *ready_map().stakeholders[1:]))
    before = assess(SIGNALS, drafted, as_of=AS_OF, settings=RULES)
    after = assess(SIGNALS, ready_map(), as_of=AS_OF, settings=RULES)
    assert codes(before) == ["no_champion"] and before.score == 100 - RULES.points["no_champion"]
    assert after.score == 100.0


def test_a_drafted_champion_who_left_is_off_the_map() -> None:
    left = Stakeholder("c1", stance="neutral", evidence="left the company on 2026-09-01; CRM role Champion", left=True)
    m = ready_map(stakeholders=(left, *ready_map().stakeholders[1:]))
    r = assess(SIGNALS, m, as_of=AS_OF, settings=RULES)
    assert codes(r) == ["no_champion"] and "1 buyer contacts" in r.gaps[0].text


def test_too_little_known_gives_no_score_and_says_so() -> None:
    r = assess(SIGNALS, SupportMap("006A"), as_of=AS_OF, settings=RULES)
    assert r.score is None and r.gaps == () and "too little" in (r.note or "")


def test_small_samples_raise_no_single_thread_or_cooling_gap() -> None:
    thin = {**SIGNALS, "contacts_engaged": 1, "contacts_baseline_n": 3, "momentum": -1.0, "momentum_n": 2}
    assert assess(thin, ready_map(), as_of=AS_OF, settings=RULES).gaps == ()
