"""Right people: title and contact-role rules, table-driven."""

from __future__ import annotations

import pyarrow as pa
import pytest

from accountleader.domain.schema import BUYER_ROLES, SENIORITY_LEVELS
from accountleader.domain.scoring.titles import (
    build_contact_roles,
    classify_title,
    classify_titles,
    role_from_contact_role,
)

TITLES = [
    # title, buyer_role, seniority
    ("CFO", "economic_buyer", "c_level"),
    ("Chief Financial Officer", "economic_buyer", "c_level"),
    ("VP Finance", "economic_buyer", "vp"),
    ("Vice President of Sales", "decision_maker", "vp"),
    ("Director of IT", "decision_maker", "director"),
    ("IT Manager", "technical_evaluator", "manager"),
    ("Procurement Manager", "procurement", "manager"),
    ("Purchasing Agent", "procurement", "individual"),
    ("Business Analyst", "user", "individual"),
    ("Software Engineer", "technical_evaluator", "individual"),
    ("Gerente General", "executive", "c_level"),
    ("Director Financiero", "economic_buyer", "director"),
    ("Director de Operaciones", "decision_maker", "director"),
    ("Jefe de Compras", "procurement", "manager"),
    ("Gerente de Compras", "procurement", "manager"),
    ("Analista de Sistemas", "technical_evaluator", "individual"),
    ("Coordinadora de Marketing", "user", "individual"),
    ("Asistente Administrativo", "user", "individual"),
    ("Ingeniero de Sistemas", "technical_evaluator", "individual"),
    ("Presidente", "executive", "c_level"),
    ("Dueño", "executive", "c_level"),
    ("Owner", "executive", "c_level"),
    ("Founder", "executive", "c_level"),
    # variants: case, accents, punctuation, abbreviations
    ("DUENO", "executive", "c_level"),
    ("dueño", "executive", "c_level"),
    ("ceo", "executive", "c_level"),
    ("Chief Executive Officer", "executive", "c_level"),
    ("CTO", "executive", "c_level"),
    ("Co-Founder & CEO", "executive", "c_level"),
    ("S.V.P. Marketing", "decision_maker", "vp"),
    ("SVP, Marketing", "decision_maker", "vp"),
    ("Executive Vice President", "decision_maker", "vp"),
    ("Vicepresidente de Finanzas", "economic_buyer", "vp"),
    ("Directora de Tecnología", "decision_maker", "director"),
    ("Gerente de TI", "technical_evaluator", "manager"),
    ("Jefa de Contabilidad", "user", "manager"),
    ("Controller", "user", "manager"),
    ("Head of Procurement", "procurement", "director"),
    ("Chief Procurement Officer", "procurement", "c_level"),
    ("Comprador", "procurement", "individual"),
    ("Solutions Architect", "technical_evaluator", "individual"),
    ("Data Scientist", "technical_evaluator", "individual"),
    ("Account Executive", "user", "individual"),
    ("Marketing Manager", "user", "manager"),
    ("Tesorero", "unknown", "unknown"),
    ("Managing Director", "executive", "c_level"),
    ("Director General", "executive", "c_level"),
    ("Supervisor de Planta", "user", "manager"),
    ("Técnico de Soporte", "technical_evaluator", "individual"),
    ("", "unknown", "unknown"),
    (None, "unknown", "unknown"),
    ("Mr.", "unknown", "unknown"),
]


@pytest.mark.parametrize(("title", "role", "seniority"), TITLES)
def test_title_rules(title: str | None, role: str, seniority: str) -> None:
    assert classify_title(title) == (role, seniority)


def test_rule_table_has_at_least_forty_titles() -> None:
    assert len(TITLES) >= 40


def test_outputs_stay_in_schema_vocabulary() -> None:
    roles, levels = classify_titles([t for t, _, _ in TITLES])
    assert set(roles) <= set(BUYER_ROLES)
    assert set(levels) <= set(SENIORITY_LEVELS)


def test_vectorised_matches_scalar_and_keeps_order() -> None:
    titles = [t for t, _, _ in TITLES] * 3 + [float("nan")]
    roles, levels = classify_titles(titles)
    assert len(roles) == len(titles)
    assert (roles[-1], levels[-1]) == ("unknown", "unknown")
    for t, r, s in zip(titles[:-1], roles, levels, strict=False):
        assert classify_title(t) == (r, s)


@pytest.mark.parametrize(
    ("value", "role"),
    [
        ("Decision Maker", "decision_maker"),
        ("Economic Buyer", "economic_buyer"),
        ("Economic Decision Maker", "economic_buyer"),
        ("Executive Sponsor", "executive"),
        ("Technical Buyer", "technical_evaluator"),
        ("Evaluator", "technical_evaluator"),
        ("Influencer", "champion"),
        ("Business User", "user"),
        ("Other", "unknown"),
        (None, "unknown"),
        ("decision maker ", "decision_maker"),
        ("Something Custom", "unknown"),
    ],
)
def test_contact_role_picklist(value: str | None, role: str) -> None:
    assert role_from_contact_role(value) == role


def test_contact_role_beats_title_and_strongest_role_wins() -> None:
    contacts = pa.table(
        {
            "contact_id": ["c1", "c2", "c3", "c4"],
            "title": ["Business Analyst", "CFO", None, "IT Manager"],
        }
    )
    ocr = pa.table(
        {
            "contact_id": ["c1", "c1", "c3", "c4"],
            "role": ["Influencer", "Economic Buyer", "Other", "Other"],
        }
    )
    out = build_contact_roles(contacts, ocr).to_pylist()
    by_id = {r["contact_id"]: r for r in out}
    assert by_id["c1"] == {
        "contact_id": "c1", "buyer_role": "economic_buyer", "seniority": "individual",
        "role_source": "contact_role",
    }
    assert by_id["c2"]["buyer_role"] == "economic_buyer"
    assert by_id["c2"]["role_source"] == "title"
    assert (by_id["c3"]["buyer_role"], by_id["c3"]["role_source"]) == ("unknown", "none")
    assert by_id["c4"]["buyer_role"] == "technical_evaluator"
