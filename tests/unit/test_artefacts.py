"""The data-artefact detectors on hand-made tables: each rule flags what docs/metrics.md says.

Every expected count below is worked out from the rows in this file.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import pandas as pd
import pytest
from fixtures_small import canonical, d, load, ts

from accountleader.domain import artefacts
from accountleader.domain.schema import TABLES

# Spanish stages, in the order an org's OpportunityStage.csv gives them.
STAGES = [
    dict(stage="Interés", sort_order=1, probability=10.0, is_closed=False, is_won=False),
    dict(stage="Diseño Propuesta", sort_order=2, probability=40.0, is_closed=False, is_won=False),
    dict(stage="Negociación", sort_order=3, probability=70.0, is_closed=False, is_won=False),
    dict(stage="Firmas", sort_order=4, probability=90.0, is_closed=False, is_won=False),
    dict(stage="Cerrada Ganada", sort_order=5, probability=100.0, is_closed=True, is_won=True),
    dict(stage="Cerrada Perdida", sort_order=6, probability=0.0, is_closed=True, is_won=False),
]


def _opp(oid: str, stage: str, *, closed: bool, won: bool = False, amount: float | None = 5000.0,
         close: str = "2024-06-01", created: str = "2024-01-02 09:00") -> dict:
    return dict(opportunity_id=oid, owner_id="u1", account_id="a1", stage=stage, amount=amount, is_closed=closed,
                is_won=won, close_date=d(close), created_at=ts(created))


def _hist(hid: str, oid: str, at: str, stage: str) -> dict:
    return dict(history_id=hid, opportunity_id=oid, changed_at=ts(at), stage=stage)


OPPS = [
    # O1: won; history shows it closed on 3 Feb, CloseDate says 1 June -> closed_by_history
    _opp("O1", "Cerrada Ganada", closed=True, won=True),
    # O2: first recorded at Firmas -> entered_late
    _opp("O2", "Cerrada Ganada", closed=True, won=True, close="2024-02-10"),
    # O3: clicked through three stages in 20 seconds, then sat in Negociación -> 2 click spells
    _opp("O3", "Negociación", closed=False),
    # O4, O5: lost with placeholder amounts 100 and 0
    _opp("O4", "Cerrada Perdida", closed=True, amount=100.0, close="2024-03-01"),
    _opp("O5", "Cerrada Perdida", closed=True, amount=0.0, close="2024-03-01"),
    # O6: a normal open deal
    _opp("O6", "Diseño Propuesta", closed=False),
]

HISTORY = [
    _hist("H1", "O1", "2024-01-02 09:00", "Interés"),
    _hist("H2", "O1", "2024-01-20 10:00", "Diseño Propuesta"),
    _hist("H3", "O1", "2024-02-03 11:00", "Cerrada Ganada"),
    _hist("H4", "O2", "2024-02-01 09:00", "Firmas"),
    _hist("H5", "O2", "2024-02-10 09:00", "Cerrada Ganada"),
    _hist("H6", "O3", "2024-03-01 09:00:00", "Interés"),
    _hist("H7", "O3", "2024-03-01 09:00:10", "Diseño Propuesta"),
    _hist("H8", "O3", "2024-03-01 09:00:20", "Negociación"),
    _hist("H9", "O6", "2024-03-05 09:00", "Interés"),
    _hist("H10", "O6", "2024-03-20 09:00", "Diseño Propuesta"),
]

QUOTES = [
    # made in Diseño Propuesta: a real turnaround sample
    dict(quote_id="Q1", opportunity_id="O1", created_at=ts("2024-01-22 10:00")),
    # made at Firmas: a closing document
    dict(quote_id="Q2", opportunity_id="O2", created_at=ts("2024-02-05 10:00")),
    dict(quote_id="Q3", opportunity_id="O6", created_at=ts("2024-03-21 10:00")),
]


def _acts() -> list[dict]:
    rows = [
        # one newsletter subject to 12 contacts within two minutes -> mass email by burst
        dict(activity_id=f"M{i}", kind="email", subject="Novedades de marzo", owner_id="u1", contact_id=f"c{i}",
             occurred_at=ts("2024-03-04 10:00") + timedelta(seconds=10 * i), source_object="Task", is_done=True)
        for i in range(12)
    ]
    rows += [
        # Salesforce's own list-email subtype, one contact: still mass email
        dict(activity_id="L1", kind="email", subtype="ListEmail", subject="Oferta", owner_id="u1", contact_id="c1",
             occurred_at=ts("2024-03-05 10:00"), source_object="Task", is_done=True),
        # "Email de lista" subject
        dict(activity_id="L2", kind="email", subject="Email de lista: Boletín", owner_id="u1", contact_id="c2",
             occurred_at=ts("2024-03-06 10:00"), source_object="Task", is_done=True),
        # an open task dated far in the future -> open_task, and never the as-of
        dict(activity_id="T1", kind="task", subject="Llamar", owner_id="u1", contact_id="c1",
             occurred_at=ts("2025-01-15 09:00"), created_at=ts("2024-03-06 09:00"), source_object="Task", is_done=False),
        # a real call
        dict(activity_id="R1", kind="call", subject="Llamada", owner_id="u1", contact_id="c3",
             occurred_at=ts("2024-03-07 10:00"), created_at=ts("2024-03-07 10:05"), source_object="Task", is_done=True),
        # two real emails to different people with the same subject: not a burst
        dict(activity_id="R2", kind="email", subject="Propuesta", owner_id="u1", contact_id="c4",
             occurred_at=ts("2024-03-07 11:00"), source_object="EmailMessage"),
        dict(activity_id="R3", kind="email", subject="Propuesta", owner_id="u1", contact_id="c5",
             occurred_at=ts("2024-03-07 11:01"), source_object="EmailMessage"),
    ]
    return rows


def _contacts() -> list[dict]:
    loaded = [dict(contact_id=f"B{i}", account_id="a1", name=f"B {i}", created_at=ts("2023-05-01 03:00:00"))
              for i in range(25)]
    return loaded + [dict(contact_id="K1", account_id="a1", name="K", created_at=ts("2023-05-01 03:00:01"))]


@pytest.fixture(scope="module")
def annotated():
    tables = {name: canonical(name, []) for name in TABLES}
    tables |= {
        "stages": canonical("stages", STAGES),
        "opportunities": canonical("opportunities", OPPS),
        "opportunity_history": canonical("opportunity_history", HISTORY),
        "quotes": canonical("quotes", QUOTES),
        "activities": canonical("activities", _acts()),
        "contacts": canonical("contacts", _contacts()),
    }
    con = ibis.duckdb.connect()
    t = load(con, tables)
    evidence = artefacts.stage_evidence(t).to_pyarrow().to_pylist()
    profile = artefacts.profile_stages(evidence, t["stages"].to_pyarrow().to_pylist(), quote_stages=["Proposal"])
    a = artefacts.annotate(t, profile, rules=artefacts.Rules(bulk_min_records=20, mass_email_min_contacts=10))
    return profile, a


def _ids(table, column: str, value) -> set[str]:
    df = table.to_pandas()
    return set(df[df[column] == value].iloc[:, 0])


def test_stage_profile_reads_spanish_stages(annotated):
    profile, _ = annotated
    by = {p["stage"]: p for p in profile}
    assert [p["stage"] for p in profile][:4] == ["Interés", "Diseño Propuesta", "Negociación", "Firmas"]
    assert by["Firmas"]["is_commit_stage"] and not by["Negociación"]["is_commit_stage"]
    # "Proposal" from the settings is not a stage here, so the proposal-like Spanish name is taken
    assert [p["stage"] for p in profile if p["is_quote_stage"]] == ["Diseño Propuesta"]
    assert by["Diseño Propuesta"]["quote_basis"].startswith("proposal-like")
    assert by["Cerrada Ganada"]["is_won"] and by["Cerrada Perdida"]["is_closed"] and not by["Cerrada Perdida"]["is_won"]


def test_closed_at_from_history_not_close_date(annotated):
    _, a = annotated
    o = a["opportunities"].to_pandas().set_index("opportunity_id")
    assert o.loc["O1", "closed_at"] == datetime(2024, 2, 3, 11, 0)
    assert bool(o.loc["O1", "closed_by_history"])
    # closed on its close date (history agrees): not counted as closed by history
    assert not bool(o.loc["O2", "closed_by_history"])
    # lost deals with no history close on their close date; open deals have none
    assert o.loc["O4", "closed_at"] == datetime(2024, 3, 1)
    assert o.loc[["O3", "O6"], "closed_at"].isna().all()


def test_entered_late_and_click_through(annotated):
    _, a = annotated
    o = a["opportunities"].to_pandas().set_index("opportunity_id")
    assert set(o.index[o.entered_late]) == {"O2"}
    # O3's click-through rows are skipped: its first real stage is Negociación, not late
    h = a["opportunity_history"].to_pandas().set_index("history_id")
    assert set(h.index[h.artefact == "click_through"]) == {"H6", "H7"}
    assert pd.isna(h.loc["H8", "artefact"])


def test_quote_at_signature_is_a_closing_document(annotated):
    _, a = annotated
    q = a["quotes"].to_pandas().set_index("quote_id")
    assert set(q.index[q.artefact == "closing_document"]) == {"Q2"}


def test_mass_email_and_open_tasks(annotated):
    _, a = annotated
    acts = a["activities"].to_pandas().set_index("activity_id")
    assert set(acts.index[acts.artefact == "mass_email"]) == {f"M{i}" for i in range(12)} | {"L1", "L2"}
    assert set(acts.index[acts.artefact == "open_task"]) == {"T1"}
    assert acts.loc[["R1", "R2", "R3"], "artefact"].isna().all()


def test_placeholder_amounts(annotated):
    _, a = annotated
    o = a["opportunities"].to_pandas().set_index("opportunity_id")
    assert set(o.index[o.placeholder_amount]) == {"O4", "O5"}


def test_bulk_loaded_contacts(annotated):
    _, a = annotated
    c = a["contacts"].to_pandas().set_index("contact_id")
    assert int(c.bulk_loaded.sum()) == 25
    assert not bool(c.loc["K1", "bulk_loaded"])  # one second later: a real creation


def test_flagged_counts_every_kind(annotated):
    _, a = annotated
    counts = {k: int(t.count().execute()) for k, t in artefacts.flagged(a).items()}
    assert counts == {
        "closed_by_history": 1,
        "bulk_loaded": 25,
        "entered_late": 3,  # O2, and the click-through spells H6, H7
        "quote_as_closing_document": 1,
        "mass_email": 14,
        "open_task": 1,
        "placeholder_amount": 2,
    }


def test_default_as_of_ignores_future_open_tasks(annotated):
    _, a = annotated
    rows = artefacts.as_of_candidates(a).to_pyarrow().to_pylist()
    at, basis = artefacts.pick_as_of((r["source"], r["at"]) for r in rows)
    # O1's CloseDate (1 June) is not movement: its history closed it on 3 February. The last
    # real event is quote Q3 on 21 March; the open task of January 2025 is a plan.
    assert at == datetime(2024, 3, 21, 10, 0)
    assert basis == "the last quote created"


def _weeks(start: date, counts: list[int]) -> list[tuple[date, int]]:
    return [(start + timedelta(days=7 * i), n) for i, n in enumerate(counts)]


def test_logging_stop_found_when_the_org_goes_quiet():
    monday = date(2024, 1, 1)
    weekly = _weeks(monday, [40] * 16 + [1, 0, 0, 0, 0])
    data_end = monday + timedelta(days=7 * 21)
    assert artefacts.logging_stop(weekly, data_end) == monday + timedelta(days=7 * 16)


def test_no_logging_stop_for_a_steady_org_or_a_short_lull():
    monday = date(2024, 1, 1)
    steady = _weeks(monday, [40, 35, 42, 38] * 5)
    assert artefacts.logging_stop(steady, monday + timedelta(days=7 * 20)) is None
    # two quiet weeks at the very end are shorter than the 21 days a stop needs
    lull = _weeks(monday, [40] * 18 + [0, 0])
    assert artefacts.logging_stop(lull, monday + timedelta(days=7 * 19 + 3)) is None
    # a small org (median under 5 a week) never "stops logging"
    small = _weeks(monday, [2] * 12 + [0] * 6)
    assert artefacts.logging_stop(small, monday + timedelta(days=7 * 18)) is None


def test_stage_profile_without_an_exported_list():
    evidence = [
        dict(stage="Prospecting", deals_n=10, closed_n=0, won_n=0, probability=10.0, first_quote_n=0),
        dict(stage="Proposal/Price Quote", deals_n=5, closed_n=0, won_n=0, probability=75.0, first_quote_n=9),
        dict(stage="Negotiation/Review", deals_n=4, closed_n=0, won_n=0, probability=90.0, first_quote_n=1),
        dict(stage="Closed Won", deals_n=30, closed_n=30, won_n=30, probability=100.0, first_quote_n=0),
        dict(stage="Closed Lost", deals_n=20, closed_n=20, won_n=0, probability=0.0, first_quote_n=0),
    ]
    prof = {p["stage"]: p for p in artefacts.profile_stages(evidence, quote_stages=[])}
    # probability 90 alone does not make Negotiation/Review the signature stage
    assert not any(p["is_commit_stage"] for p in prof.values())
    assert prof["Proposal/Price Quote"]["is_quote_stage"]
    assert prof["Closed Won"]["is_won"] and prof["Closed Lost"]["is_closed"] and not prof["Closed Lost"]["is_won"]
    assert prof["Prospecting"]["sort_order"] < prof["Proposal/Price Quote"]["sort_order"] < prof["Closed Won"]["sort_order"]


def test_quote_stage_learned_from_where_first_quotes_are_made():
    evidence = [
        dict(stage="Etapa 1", deals_n=10, closed_n=0, won_n=0, probability=10.0, first_quote_n=1),
        dict(stage="Etapa 2", deals_n=10, closed_n=0, won_n=0, probability=40.0, first_quote_n=8),
        dict(stage="Etapa 3", deals_n=10, closed_n=0, won_n=0, probability=60.0, first_quote_n=1),
        dict(stage="Ganada", deals_n=10, closed_n=10, won_n=10, probability=100.0, first_quote_n=0),
    ]
    prof = {p["stage"]: p for p in artefacts.profile_stages(evidence)}
    assert [s for s, p in prof.items() if p["is_quote_stage"]] == ["Etapa 2"]
    assert "8 of 10 deals" in prof["Etapa 2"]["quote_basis"]


def test_a_repeated_lost_amount_is_a_placeholder_only_when_it_dominates():
    # 40 lost deals: 12 carry 5000 (30% -> placeholder), 10 carry 8100 (25% -> real), 18 distinct
    lost = [_opp(f"X{i}", "Cerrada Perdida", closed=True, amount=5000.0) for i in range(12)]
    lost += [_opp(f"Y{i}", "Cerrada Perdida", closed=True, amount=8100.0) for i in range(10)]
    lost += [_opp(f"Z{i}", "Cerrada Perdida", closed=True, amount=20000.0 + i) for i in range(18)]
    tables = {name: canonical(name, []) for name in TABLES} | {"opportunities": canonical("opportunities", lost)}
    t = load(ibis.duckdb.connect(), tables)
    profile = artefacts.profile_stages(artefacts.stage_evidence(t).to_pyarrow().to_pylist())
    o = artefacts.annotate(t, profile)["opportunities"].to_pandas()
    assert set(o.opportunity_id[o.placeholder_amount]) == {f"X{i}" for i in range(12)}
