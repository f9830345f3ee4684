"""Right people: title and contact-role rules, table-driven, and their accuracy on labelled titles."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import get_args

import pyarrow as pa
import pytest

from accountleader.config import BuyerRoleName, WorkspaceSettings
from accountleader.domain.schema import BUYER_ROLES, SENIORITY_LEVELS
from accountleader.domain.scoring.titles import (
    DECISION_ROLES,
    build_contact_roles,
    classify_title,
    classify_titles,
    decision_level_roles,
    role_from_contact_role,
)
from accountleader.errors import ConfigError

DATA = Path(__file__).with_name("data")

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
    # a Spanish Gerente / Jefe heads the function and decides for it (docs/metrics.md)
    ("Gerente de TI", "decision_maker", "manager"),
    ("Jefa de Contabilidad", "decision_maker", "manager"),
    ("Controller", "user", "manager"),
    ("Head of Procurement", "procurement", "director"),
    ("Chief Procurement Officer", "procurement", "c_level"),
    ("Comprador", "procurement", "individual"),
    ("Solutions Architect", "technical_evaluator", "individual"),
    ("Data Scientist", "technical_evaluator", "individual"),
    ("Account Executive", "user", "individual"),
    ("Marketing Manager", "user", "manager"),
    ("Tesorero", "user", "individual"),
    ("Managing Director", "executive", "c_level"),
    ("Director General", "executive", "c_level"),
    ("Supervisor de Planta", "user", "manager"),
    ("Técnico de Soporte", "technical_evaluator", "individual"),
    # Spanish management titles by function
    ("Gerente de Compras", "procurement", "manager"),
    ("Gte. de Compras", "procurement", "manager"),
    ("Jefe de Mantenimiento", "decision_maker", "manager"),
    ("Gerente de Finanzas", "economic_buyer", "manager"),
    ("Jefe de Recursos Humanos", "decision_maker", "manager"),
    ("Responsable de Sistemas", "decision_maker", "manager"),
    ("Subdirectora de Operaciones", "decision_maker", "director"),
    ("Vicepresidenta Jurídica", "decision_maker", "vp"),
    ("Jefe de Turno", "user", "manager"),  # a shift, not a function
    ("Encargado de Bodega", "user", "manager"),
    ("Coordinador Administrativo", "user", "individual"),
    ("Coordinadora de Compras", "procurement", "individual"),
    ("Gerente Gral.", "executive", "c_level"),
    # C-level abbreviations and the top lawyer
    ("CHRO", "executive", "c_level"),
    ("CLO", "executive", "c_level"),
    ("CCO", "executive", "c_level"),
    ("CRO", "executive", "c_level"),
    ("CISO", "executive", "c_level"),
    ("CDO", "executive", "c_level"),
    ("C.F.O.", "economic_buyer", "c_level"),
    ("EVP & CFO", "economic_buyer", "c_level"),
    ("General Counsel", "executive", "c_level"),
    ("Chief Legal Officer", "executive", "c_level"),
    ("Associate General Counsel", "user", "individual"),
    ("Executive Assistant to the CEO", "user", "individual"),
    # agency and account-side titles: seniority read, never a buyer decision role
    ("Directora de Cuentas", "user", "director"),
    ("Account Director", "user", "director"),
    ("Account Manager", "user", "manager"),
    ("Key Account Manager", "user", "manager"),
    ("Customer Success Manager", "user", "manager"),
    ("Ejecutivo de Cuentas", "user", "individual"),
    ("Gerente de Cuentas Clave", "user", "manager"),
    ("Jefe de Cuentas por Pagar", "decision_maker", "manager"),  # accounts payable is finance
    ("Sales Development Rep", "user", "individual"),
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


# -- accuracy on labelled real-world-style titles -----------------------------------------------
# titles_labelled.csv was written before the Spanish/C-level/account-side rules and the rules
# were then improved against it; titles_holdout.csv was written after those rules, before
# running them on it (docs/metrics.md gives the figures measured).

LABEL_FILES = ("titles_labelled.csv", "titles_holdout.csv")


def _labelled(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", LABEL_FILES)
def test_labelled_titles_are_well_formed(name: str) -> None:
    rows = _labelled(name)
    assert len(rows) >= (300 if name == "titles_labelled.csv" else 100)
    assert len({r["title"] for r in rows}) == len(rows)
    for r in rows:
        assert r["buyer_role"] in BUYER_ROLES, r
        assert r["seniority"] in SENIORITY_LEVELS, r
        # the product's decision maker: an executive, economic buyer or decision maker
        assert r["is_decision_maker"] == ("yes" if r["buyer_role"] in DECISION_ROLES else "no"), r
    spanish = [r for r in rows if any(w in r["title"].lower() for w in ("gerente", "jef", "director", "coordinador"))]
    assert len(spanish) >= 50


@pytest.mark.parametrize("name", [*LABEL_FILES, "both"])
def test_title_rules_reach_the_accuracy_targets(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r for f in LABEL_FILES for r in _labelled(f)] if name == "both" else _labelled(name)
    roles, levels = classify_titles([r["title"] for r in rows])
    n = len(rows)
    role_acc = sum(p == r["buyer_role"] for p, r in zip(roles, rows, strict=True)) / n
    dm_acc = sum((p in DECISION_ROLES) == (r["is_decision_maker"] == "yes") for p, r in zip(roles, rows, strict=True)) / n
    level_acc = sum(p == r["seniority"] for p, r in zip(levels, rows, strict=True)) / n
    misses = [(r["title"], r["buyer_role"], p) for p, r in zip(roles, rows, strict=True) if p != r["buyer_role"]]
    with capsys.disabled():
        print(f"\n{name}: {n} titles, buyer role {role_acc:.1%}, decision maker yes/no {dm_acc:.1%}, "
              f"seniority {level_acc:.1%}; role misses: {misses[:10]}")
    assert role_acc >= 0.90
    assert dm_acc >= 0.95
    assert level_acc >= 0.90


# -- the org's own decision-level field ---------------------------------------------------------

LEVEL_MAP = {"High-Decision": "decision_maker", "Sponsor": "executive", "Influencer": "champion", "Low": "user",
             "Unknown": "unknown"}


def test_decision_level_beats_the_title_and_unmapped_values_leave_it_to_the_title() -> None:
    contacts = pa.table(
        {
            "contact_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "title": ["Jefe de Mantenimiento", "Business Analyst", "Directora de Cuentas", "CFO", "IT Manager", "CEO"],
            "decision_level": ["Low", "high-decision", "HIGH DECISION", "Something new", None, "Unknown"],
        }
    )
    by_id = {r["contact_id"]: r for r in build_contact_roles(contacts, decision_level_map=LEVEL_MAP).to_pylist()}
    assert by_id["c1"] == {"contact_id": "c1", "buyer_role": "user", "seniority": "manager", "role_source": "decision_level"}
    assert (by_id["c2"]["buyer_role"], by_id["c2"]["seniority"]) == ("decision_maker", "individual")
    assert (by_id["c3"]["buyer_role"], by_id["c3"]["role_source"]) == ("decision_maker", "decision_level")
    # not in the map, empty, or mapped to unknown: the title decides
    assert (by_id["c4"]["buyer_role"], by_id["c4"]["role_source"]) == ("economic_buyer", "title")
    assert (by_id["c5"]["buyer_role"], by_id["c5"]["role_source"]) == ("technical_evaluator", "title")
    assert (by_id["c6"]["buyer_role"], by_id["c6"]["role_source"]) == ("executive", "title")


def test_without_a_map_the_decision_level_field_is_ignored() -> None:
    contacts = pa.table({"contact_id": ["c1"], "title": ["Jefe de Turno"], "decision_level": ["High-Decision"]})
    for mapping in (None, {}):
        out = build_contact_roles(contacts, decision_level_map=mapping).to_pylist()
        assert (out[0]["buyer_role"], out[0]["role_source"]) == ("user", "title")
    # and a contacts table without the column works with a map
    out = build_contact_roles(pa.table({"contact_id": ["c1"], "title": ["CEO"]}), decision_level_map=LEVEL_MAP).to_pylist()
    assert out[0]["buyer_role"] == "executive"


def test_a_deal_contact_role_still_beats_the_decision_level() -> None:
    contacts = pa.table({"contact_id": ["c1", "c2"], "title": ["Analyst", "Analyst"], "decision_level": ["Low", "Sponsor"]})
    ocr = pa.table({"contact_id": ["c1"], "role": ["Economic Buyer"]})
    by_id = {r["contact_id"]: r for r in build_contact_roles(contacts, ocr, decision_level_map=LEVEL_MAP).to_pylist()}
    assert (by_id["c1"]["buyer_role"], by_id["c1"]["role_source"]) == ("economic_buyer", "contact_role")
    assert (by_id["c2"]["buyer_role"], by_id["c2"]["role_source"]) == ("executive", "decision_level")


def test_a_map_to_no_buyer_role_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="decision_level_map.*'boss'"):
        decision_level_roles(["High"], {"High": "boss"})
    (tmp_path / "settings.yaml").write_text("decision_level_map:\n  High-Decision: boss\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="decision_level_map"):
        WorkspaceSettings.load(tmp_path)
    (tmp_path / "settings.yaml").write_text("decision_level_map:\n  High-Decision: decision_maker\n", encoding="utf-8")
    assert WorkspaceSettings.load(tmp_path).decision_level_map == {"High-Decision": "decision_maker"}
    assert WorkspaceSettings().decision_level_map == {}


def test_the_setting_offers_exactly_the_buyer_roles() -> None:
    assert set(get_args(BuyerRoleName)) == set(BUYER_ROLES)
