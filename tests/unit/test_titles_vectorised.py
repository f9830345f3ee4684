"""build_contact_roles (issue 12, no row-level Python): the Arrow version gives exactly what the
row-by-row pandas version gave, on every row.

``_oracle_build_contact_roles`` below is a frozen copy of the implementation before the rewrite
(pandas, a Python loop over rows). The per-value rules it calls (``classify_title``,
``role_from_contact_role``, ``decision_level_roles``) were not touched by the rewrite; the
rewrite only changed how rows are deduplicated, classified per distinct value, broadcast back
and overridden by decision levels and deal contact roles.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountleader.domain.schema import SENIORITY_LEVELS
from accountleader.domain.scoring.titles import (
    CONTACT_ROLES_SCHEMA,
    build_contact_roles,
    classify_title,
    decision_level_roles,
    role_from_contact_role,
)
from accountleader.errors import ConfigError

DATA = Path(__file__).with_name("data")

# -- the frozen reference: build_contact_roles as it was before issue 12 ------------------------

_ORACLE_ROLE_STRENGTH = {
    r: i
    for i, r in enumerate(
        ("economic_buyer", "executive", "decision_maker", "champion", "technical_evaluator", "procurement", "user",
         "unknown")
    )
}


def _oracle_classify_titles(titles: Iterable[str | None]) -> tuple[list[str], list[str]]:
    cache: dict[Any, tuple[str, str]] = {}
    roles: list[str] = []
    levels: list[str] = []
    for t in titles:
        key = None if t is None or (isinstance(t, float) and t != t) else t
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = classify_title(key)
        roles.append(hit[0])
        levels.append(hit[1])
    return roles, levels


def _oracle_to_pandas(data: pd.DataFrame | pa.Table | None, columns: Sequence[str]) -> pd.DataFrame:
    if data is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = data.to_pandas() if isinstance(data, pa.Table) else data
    for c in columns:
        if c not in frame.columns:
            frame = frame.assign(**{c: None})
    return frame


def _oracle_build_contact_roles(
    contacts: pd.DataFrame | pa.Table,
    opportunity_contact_roles: pd.DataFrame | pa.Table | None = None,
    *,
    decision_level_map: Mapping[str, str] | None = None,
) -> pa.Table:
    people = _oracle_to_pandas(contacts, ("contact_id", "title", "decision_level")).drop_duplicates("contact_id")
    roles, levels = _oracle_classify_titles(people["title"].tolist())
    out = pd.DataFrame(
        {"contact_id": people["contact_id"].astype("object").tolist(), "buyer_role": roles,
         "seniority": levels}
    )
    out["role_source"] = ["title" if r != "unknown" else "none" for r in roles]
    if decision_level_map:
        by_level = decision_level_roles(people["decision_level"].tolist(), decision_level_map)
        has_level = pd.Series([r != "unknown" for r in by_level], index=out.index)
        out.loc[has_level, "buyer_role"] = [r for r in by_level if r != "unknown"]
        out.loc[has_level, "role_source"] = "decision_level"
    ocr = _oracle_to_pandas(opportunity_contact_roles, ("contact_id", "role"))
    if len(ocr):
        seen: dict[Any, str] = {}
        mapped = pd.DataFrame(
            {"contact_id": ocr["contact_id"].tolist(),
             "ocr_role": [seen[r] if r in seen else seen.setdefault(r, role_from_contact_role(r))
                          for r in ocr["role"].tolist()]}
        )
        mapped = mapped[mapped["ocr_role"] != "unknown"]
        if len(mapped):
            mapped["strength"] = mapped["ocr_role"].map(_ORACLE_ROLE_STRENGTH)
            best = mapped.sort_values(["contact_id", "strength"]).drop_duplicates("contact_id")
            out = out.merge(best[["contact_id", "ocr_role"]], on="contact_id", how="left")
            has = out["ocr_role"].notna()
            out.loc[has, "buyer_role"] = out.loc[has, "ocr_role"]
            out.loc[has, "role_source"] = "contact_role"
            out = out.drop(columns="ocr_role")
    assert set(out["seniority"]) <= set(SENIORITY_LEVELS)
    return pa.Table.from_pandas(out, schema=CONTACT_ROLES_SCHEMA, preserve_index=False)


# -- comparison ---------------------------------------------------------------------------------


def _assert_same(contacts: Any, ocr: Any = None, level_map: Mapping[str, str] | None = None) -> pa.Table:
    got = build_contact_roles(contacts, ocr, decision_level_map=level_map)
    try:
        want = _oracle_build_contact_roles(contacts, ocr, decision_level_map=level_map)
    except ValueError as exc:
        # The old version crashed when the contact ids on one side were all null (pandas made
        # that column float64 and refused to merge it with strings). The new one answers; the
        # rows, ids and seniorities are those without deal roles, and a deal role can only
        # reach the null-id contact (null ids match, as in pandas' merge).
        assert "trying to merge on" in str(exc)
        base = _oracle_build_contact_roles(contacts, None, decision_level_map=level_map)
        assert got.schema.equals(CONTACT_ROLES_SCHEMA)
        assert got.select(["contact_id", "seniority"]).equals(base.select(["contact_id", "seniority"]))
        for g, b in zip(got.to_pylist(), base.to_pylist(), strict=True):
            assert g == b or (g["contact_id"] is None and g["role_source"] == "contact_role")
        return got
    assert isinstance(got, pa.Table)
    assert got.schema.equals(CONTACT_ROLES_SCHEMA)  # names, types, nullability
    assert got.schema.equals(want.schema)
    assert got.num_rows == want.num_rows
    assert got.to_pylist() == want.to_pylist()  # every row, in order, nulls included
    assert got.equals(want)
    return got


def _labelled_titles() -> list[str]:
    out: list[str] = []
    for name in ("titles_labelled.csv", "titles_holdout.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as fh:
            out += [r["title"] for r in csv.DictReader(fh)]
    return out


ODD_TITLES = [
    None, "", " ", "   ", "\t", "-", "--", ".", "Mr.", "0", "N/A", "null", "none",
    "  gerente   DE compras  ", "GERENTE GENERAL", "gerente general", "Gerente General ", "gerente  general",
    "Dueño", "DUEÑO", "dueno", "Directora de Tecnología", "DIRECTORA DE TECNOLOGIA", "Técnico de Soporte",
    "C.F.O.", "c.f.o", "S.V.P. Marketing", "Gte. de Compras", "Gte de compras", "Jefe Depto. Mantto.",
    "Ing. de Proyectos", "Gte. RR.HH.", "Sr. Software Engineer", "VP, IT", "V.P. Finance", "Jefe", "Jefa",
    "Jefe de Turno", "Jefe de Cuentas por Pagar", "Account Director", "Directora de Cuentas", "KAM",
    "Key Account Manager", "Executive Assistant to the CEO", "EVP & CFO", "Co-Founder & CEO",
    "Chief Everything Officer", "Ｃｈｉｅｆ Ｆｉｎａｎｃｉａｌ Ｏｆｆｉｃｅｒ", "ＣＥＯ", "ceo\u0301", "Ärztlicher Direktor",
    "Über-Manager", "İT Manager", "straße manager", "Gerente de Seguridad Industrial", "Gerente de Seguridad",
    "Responsable de IT", "Responsable", "Superintendente de Planta", "Plant Manager", "Contador General",
    "Contadora", "Head of Procurement", "Head", "Director", "Vice President", "President", "vicepresidente",
    "Owner/Operator", "🙂 CEO 🙂", "CEO\nCFO", "ceo;cfo", "x" * 300, "Purchasing Agent", "Comprador",
]
REAL_TITLES = _labelled_titles()
DECISION_LEVELS = [None, "", "High-Decision", "high-decision", "HIGH DECISION", "Sponsor", "Influencer", "Low",
                   "Unknown", "Something new", "  low ", "Spónsor"]
LEVEL_MAP = {"High-Decision": "decision_maker", "Sponsor": "executive", "Influencer": "champion", "Low": "user",
             "Unknown": "unknown"}
OCR_ROLES = [None, "", "Other", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Executive Sponsor",
             "Technical Buyer", "Evaluator", "Influencer", "Business User", "Procurement", "compras", "Usuario",
             "decision maker ", "Something Custom", "CHAMPION"]


def _mixed(n: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """A realistic mixed workspace: English and Spanish titles, odd spellings, nulls, a few duplicate
    and null contact ids, decision levels, and deal roles (several per contact, some for unknown
    contacts or with no contact)."""
    import random

    rnd = random.Random(seed)
    titles = REAL_TITLES + ODD_TITLES
    ids = [f"c{i}" for i in range(n)]
    contact_ids: list[str | None] = ids + [rnd.choice(ids) for _ in range(n // 20)] + [None, None, ""]
    rnd.shuffle(contact_ids)
    contacts = pa.table(
        {
            "contact_id": contact_ids,
            "title": [rnd.choice(titles) for _ in contact_ids],
            "decision_level": [rnd.choice(DECISION_LEVELS) if rnd.random() < 0.3 else None for _ in contact_ids],
        }
    )
    m = n * 2
    ocr = pa.table(
        {
            "opportunity_id": [f"o{rnd.randrange(n)}" for _ in range(m)],
            "contact_id": [rnd.choice(ids) if rnd.random() < 0.9 else rnd.choice([None, "", "ghost", "c"])
                           for _ in range(m)],
            "role": [rnd.choice(OCR_ROLES) for _ in range(m)],
        }
    )
    return contacts, ocr


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("level_map", [None, {}, LEVEL_MAP])
def test_mixed_workspace_same_as_row_by_row(seed: int, level_map: Mapping[str, str] | None) -> None:
    contacts, ocr = _mixed(3000, seed)
    out = _assert_same(contacts, ocr, level_map)
    assert set(out.column("role_source").to_pylist()) >= {"title", "contact_role", "none"}
    _assert_same(contacts, None, level_map)
    _assert_same(contacts.drop_columns("decision_level"), ocr, level_map)


def test_chunked_and_other_string_types_same_as_row_by_row() -> None:
    contacts, ocr = _mixed(500, 7)
    chunked = pa.Table.from_batches(contacts.to_batches(max_chunksize=97))
    ocr_chunked = pa.Table.from_batches(ocr.to_batches(max_chunksize=61))
    assert chunked.column("title").num_chunks > 1
    _assert_same(chunked, ocr_chunked, LEVEL_MAP)
    large = contacts.cast(pa.schema([(f.name, pa.large_string()) for f in contacts.schema]))
    large_ocr = ocr.cast(pa.schema([(f.name, pa.large_string()) for f in ocr.schema]))
    _assert_same(large, large_ocr, LEVEL_MAP)
    # dictionary-encoded titles and levels, as an importer may hand them over
    encoded = contacts.set_column(1, "title", contacts.column("title").dictionary_encode())
    encoded = encoded.set_column(2, "decision_level", encoded.column("decision_level").dictionary_encode())
    _assert_same(encoded, ocr.set_column(2, "role", ocr.column("role").dictionary_encode()), LEVEL_MAP)


def test_pandas_input_same_as_row_by_row() -> None:
    contacts, ocr = _mixed(400, 3)
    _assert_same(contacts.to_pandas(), ocr.to_pandas(), LEVEL_MAP)
    frame = pd.DataFrame(
        {
            "contact_id": pd.Series(["a", "b", None, "a", float("nan"), "c", "d"], dtype=object),
            "title": pd.Series(["CEO", float("nan"), "Jefe de Compras", "CFO", None, "", "  it MANAGER "], dtype=object),
        }
    )
    ocr_frame = pd.DataFrame({"contact_id": ["b", "b", "c", "zz"], "role": ["Influencer", "Economic Buyer", None, "User"]})
    _assert_same(frame, ocr_frame)
    _assert_same(frame, None, LEVEL_MAP)


def test_edge_tables_same_as_row_by_row() -> None:
    empty = pa.table({"contact_id": pa.array([], pa.string()), "title": pa.array([], pa.string())})
    empty_ocr = pa.table({"contact_id": pa.array([], pa.string()), "role": pa.array([], pa.string())})
    _assert_same(empty)
    _assert_same(empty, empty_ocr, LEVEL_MAP)
    one = pa.table({"contact_id": ["c1"], "title": ["CEO"]})
    _assert_same(one, empty_ocr)
    # every contact id null / duplicated: one row each, the first one
    _assert_same(pa.table({"contact_id": pa.array([None, None, None], pa.string()), "title": ["CFO", "CEO", None]}))
    _assert_same(pa.table({"contact_id": ["x", "x", "y", "x"], "title": [None, "CFO", "Analyst", "CEO"]}))
    # deal roles only for unknown contacts, only uninformative, all null
    _assert_same(one, pa.table({"contact_id": ["c9"], "role": ["Economic Buyer"]}))
    _assert_same(one, pa.table({"contact_id": ["c1", "c1"], "role": ["Other", None]}))
    _assert_same(one, pa.table({"contact_id": pa.array([None], pa.string()), "role": pa.array([None], pa.string())}))
    # columns missing: no title (all unknown), no role in the deal roles
    _assert_same(pa.table({"contact_id": ["a", "b"]}), pa.table({"contact_id": ["a"]}), LEVEL_MAP)
    # a null contact id with deal roles of a null contact id (pandas merges null keys)
    _assert_same(
        pa.table({"contact_id": pa.array(["a", None], pa.string()), "title": ["Analyst", "Analyst"]}),
        pa.table({"contact_id": pa.array([None, None, "a"], pa.string()), "role": ["Influencer", "Economic Buyer", "User"]}),
    )


def test_a_bad_decision_level_map_fails_the_same_way_even_without_rows() -> None:
    empty = pa.table({"contact_id": pa.array([], pa.string()), "title": pa.array([], pa.string())})
    for contacts in (empty, pa.table({"contact_id": ["c1"], "title": ["CEO"], "decision_level": ["High"]})):
        with pytest.raises(ConfigError, match="decision_level_map.*'boss'"):
            _oracle_build_contact_roles(contacts, decision_level_map={"High": "boss"})
        with pytest.raises(ConfigError, match="decision_level_map.*'boss'"):
            build_contact_roles(contacts, decision_level_map={"High": "boss"})


_title_text = st.one_of(
    st.sampled_from(REAL_TITLES + ODD_TITLES),
    st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ABCDEFGÑñéÉóú.,&-/()0123\t")), max_size=30),
    st.text(max_size=20),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(REAL_TITLES), st.sampled_from(REAL_TITLES)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from([f"c{i}" for i in range(12)])),
            st.one_of(st.none(), _title_text),
            st.one_of(st.none(), st.sampled_from(DECISION_LEVELS[1:]), st.text(max_size=8)),
        ),
        max_size=40,
    ),
    deal_roles=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from([f"c{i}" for i in range(15)])),
            st.one_of(st.none(), st.sampled_from(OCR_ROLES[1:]), st.text(max_size=8)),
        ),
        max_size=40,
    ),
    use_map=st.booleans(),
)
def test_random_titles_same_as_row_by_row(
    rows: list[tuple[str | None, str | None, str | None]],
    deal_roles: list[tuple[str | None, str | None]],
    use_map: bool,
) -> None:
    contacts = pa.table(
        {
            "contact_id": pa.array([r[0] for r in rows], pa.string()),
            "title": pa.array([r[1] for r in rows], pa.string()),
            "decision_level": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    ocr = pa.table(
        {"contact_id": pa.array([r[0] for r in deal_roles], pa.string()),
         "role": pa.array([r[1] for r in deal_roles], pa.string())}
    )
    _assert_same(contacts, ocr, LEVEL_MAP if use_map else None)
