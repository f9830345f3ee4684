"""The pure rules of support requests (domain.requests): transitions, their refusals naming the
field and value, and the analytics over hand-built records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accountleader.domain import requests as rq
from accountleader.errors import InputError

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _asked(**over: object) -> rq.SupportRequest:
    given: dict[str, object] = {"kind": "pricing", "outcome": "A price the buyer's CFO signs this quarter",
                                "needed_by": "2026-03-10", **over}
    r, _ = rq.ask(requester_id=1, assignee_id=2, at=AT, **given)  # type: ignore[arg-type]
    return r


def test_a_request_moves_asked_proposed_decided_done_and_each_step_names_its_changes() -> None:
    r = _asked(opportunity_id="006A", constraints="no discount above 15%")
    assert (r.status, r.kind, r.needed_by, r.constraints) == ("asked", "pricing", date(2026, 3, 10), "no discount above 15%")
    p, changes = rq.propose(r, proposal="Three-year term at list", rationale="CFO wants budget certainty",
                            reply="another_way", at=AT + timedelta(days=1))
    assert p.status == "proposed" and p.reply == "another_way"
    assert {c.field: (c.old, c.new) for c in changes}["status"] == ("asked", "proposed")
    assert {c.action for c in changes} == {"propose"}
    d, _ = rq.decide(p, decision="modify", note="two years, not three", at=AT + timedelta(days=2))
    assert (d.status, d.consulted, d.adopted) == ("decided", True, True)
    f, changes = rq.finish(d, achieved="yes", quality_note="signed", at=datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
    assert (f.status, f.achieved, f.on_time) == ("done", True, True)
    late, _ = rq.finish(d, achieved=False, quality_note=None, at=datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    assert (late.on_time, late.achieved) == (False, False)
    assert "on_time" not in {c.field for c in changes}  # derived, never stored


def test_deciding_straight_from_asked_keeps_the_ask_and_records_no_consultation() -> None:
    d, _ = rq.decide(_asked(), decision="keep", note=None, at=AT)
    assert (d.consulted, d.adopted, d.decision) == (False, False, "keep")
    with pytest.raises(InputError, match="nothing was proposed yet") as caught:
        rq.decide(_asked(), decision="accept", note=None, at=AT)
    assert (caught.value.column, caught.value.value) == ("decision", "accept")


@pytest.mark.parametrize(("call", "column", "value", "says"), [
    (lambda: _asked(kind="poem"), "kind", "poem", "must be one of quote, pricing"),
    (lambda: rq.ask(kind="legal", outcome="  ", needed_by="2026-04-01", requester_id=1, assignee_id=2, at=AT),
     "outcome", None, "is required"),
    (lambda: rq.ask(kind="legal", outcome="x", needed_by="31/12/2026", requester_id=1, assignee_id=2, at=AT),
     "needed_by", "31/12/2026", "is not a date"),
    (lambda: rq.ask(kind="legal", outcome="x", needed_by="2026-03-01", requester_id=1, assignee_id=2, at=AT),
     "needed_by", "2026-03-01", "before the day it is asked"),
    (lambda: _asked(opportunity_id="006 A;drop"), "opportunity_id", "006 A;drop", "not a CRM id"),
    (lambda: rq.propose(_asked(), proposal="", rationale="r", reply="another_way", at=AT), "proposal", None,
     "is required"),
    (lambda: rq.propose(_asked(), proposal="p", rationale="r", reply="maybe", at=AT), "reply", "maybe",
     "another_way, as_asked"),
    (lambda: rq.decide(rq.propose(_asked(), proposal="p", rationale="r", reply="another_way", at=AT)[0],
                       decision="modify", note="", at=AT), "decision_note", None, "is required"),
    (lambda: rq.finish(_asked(), achieved=True, quality_note=None, at=AT), "status", "asked",
     "only one that is decided"),
    (lambda: rq.cancel(rq.finish(rq.decide(_asked(), decision="keep", note=None, at=AT)[0], achieved=True,
                                 quality_note=None, at=AT)[0], at=AT), "status", "done", "cannot be cancelled"),
])
def test_bad_input_names_the_field_and_the_value(call, column, value, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=says) as caught:
        call()
    assert (caught.value.column, caught.value.value) == (column, value)


def _decided(i: int, *, reply: str | None, decision: str, achieved: bool | None = None, late: bool = False,
             requester: int = 1, assignee: int = 2) -> rq.SupportRequest:
    r, _ = rq.ask(kind="engineering", outcome=f"outcome {i}", needed_by="2026-03-20", requester_id=requester,
                  assignee_id=assignee, at=AT)
    if reply is not None:
        r, _ = rq.propose(r, proposal="another way", rationale="because", reply=reply, at=AT)
    r, _ = rq.decide(r, decision=decision, note="changed" if decision == "modify" else None, at=AT)
    if achieved is not None:
        done_at = datetime(2026, 3, 25 if late else 19, tzinfo=UTC)
        r, _ = rq.finish(r, achieved=achieved, quality_note=None, at=done_at)
    return r


def test_requester_figures_count_consultation_and_adoption_with_intervals() -> None:
    rs = ([_decided(i, reply="another_way", decision="accept") for i in range(4)]
          + [_decided(4, reply="another_way", decision="keep"), _decided(5, reply="as_asked", decision="accept")]
          + [_decided(6 + i, reply=None, decision="keep") for i in range(4)])
    f = rq.requester_figures(rs, min_decisions=5)
    c, a = f["consultation_rate"], f["proposal_adoption_rate"]
    assert (c.hits, c.n, c.rate) == (6, 10, 0.6)
    assert c.low is not None and c.high is not None and c.low < 0.6 < c.high
    assert (a.hits, a.n, a.rate) == (4, 5, 0.8)
    few = rq.requester_figures(rs[:3], min_decisions=5)
    assert few["consultation_rate"].rate is None and few["consultation_rate"].reason == "3 decisions; 5 needed"
    flat = rq.flatten(few)
    assert flat["proposal_adoption_rate_n"] == 3 and flat["proposal_adoption_rate_reason"] == "3 decided proposals; 5 needed"


def test_wilson_interval_matches_the_formula() -> None:
    low, high = rq.wilson(8, 10)
    # the Wilson bounds are the roots of (p - x)^2 = z^2 x (1 - x) / n, 90%: z = 1.6449
    for x in (low, high):
        assert abs((0.8 - x) ** 2 - rq.Z90 ** 2 * x * (1 - x) / 10) < 1e-12
    assert round(low, 3) == 0.541 and round(high, 3) == 0.931
    assert rq.wilson(0, 5)[0] == 0.0 and rq.wilson(5, 5)[1] == 1.0


def test_assignee_credit_and_adopted_against_prescribed_outcomes() -> None:
    rs = ([_decided(i, reply="another_way", decision="accept", achieved=True) for i in range(5)]
          + [_decided(5, reply="another_way", decision="modify", achieved=False)]
          + [_decided(6 + i, reply=None, decision="keep", achieved=i < 2, late=i >= 1) for i in range(5)]
          + [_decided(11, reply="another_way", decision="keep", assignee=3)])
    a = rq.assignee_figures([r for r in rs if r.assignee_id == 2], min_decisions=5)
    assert (a["adoption_rate"].rate, a["adoption_rate"].n, a["resourcefulness_credit"]) == (1.0, 6, 5)
    o = rq.outcome_figures(rs, min_decisions=5)
    assert (o["adopted"]["achieved_rate"].hits, o["adopted"]["achieved_rate"].n) == (5, 6)
    assert (o["prescribed"]["achieved_rate"].hits, o["prescribed"]["achieved_rate"].n) == (2, 5)
    assert (o["prescribed"]["on_time_rate"].hits, o["adopted"]["on_time_rate"].hits) == (1, 6)
    assert rq.outcome_figures(rs[:4], min_decisions=5)["adopted"]["achieved_rate"].reason == "4 done requests; 5 needed"
