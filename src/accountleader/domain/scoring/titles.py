"""Right people: job title (English or Spanish) and CRM contact role -> buyer role and seniority.

Titles are normalised (lower case, accents stripped, punctuation to spaces) and then run
through two ordered rule tables: one for seniority, one for the function (finance,
procurement, technical, ...).  The buyer role follows from both; see
``docs/metrics.md`` (right people) for the full table.  Spanish department heads
(Gerente / Jefe / Responsable of a function) decide for their function; agency and
account-side titles (account director, KAM, ejecutivo de cuentas) never are decision makers.
A contact role recorded on a deal (Salesforce ``OpportunityContactRole.Role``) beats
anything guessed from a title, and so does the org's own decision-level picklist when the
workspace maps its values (``decision_level_map``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import ConfigError
from ..schema import BUYER_ROLES, SENIORITY_LEVELS

__all__ = [
    "classify_title",
    "classify_titles",
    "role_from_contact_role",
    "build_contact_roles",
    "decision_level_roles",
    "normalise_title",
    "DECISION_ROLES",
    "SENIOR_LEVELS",
]

#: Buyer roles that count as "a decision maker reached".
DECISION_ROLES = ("executive", "economic_buyer", "decision_maker")
#: Seniority levels that count as "senior contact".
SENIOR_LEVELS = ("c_level", "vp", "director")


# Abbreviations seen in real exports, expanded before any rule runs ("Gte. de Compras",
# "Gerente Gral.", "Jefe Depto. Mantto.", "Ing. de Proyectos", "Gte. RR.HH.").
_ABBREVIATIONS = {
    "gte": "gerente",
    "gral": "general",
    "depto": "departamento",
    "dpto": "departamento",
    "mantto": "mantenimiento",
    "mant": "mantenimiento",
    "ing": "ingeniero",
    "admon": "administracion",
    "adm": "administracion",
    "rrhh": "recursos humanos",
    "rr hh": "recursos humanos",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "asst": "assistant",
    "mngr": "manager",
    "mgr": "manager",
    "dir": "director",
}
_ABBREVIATION_RE = re.compile(" (" + "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True)) + ")(?= )")


def normalise_title(title: str | None) -> str:
    """Lower case, accents removed, punctuation as spaces, single-spaced, common abbreviations
    expanded (``Gte.`` -> ``gerente``). ``None`` -> ``""``."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKD", str(title))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9&]+", " ", text)
    text = f" {' '.join(text.split())} "  # padded so rules can match whole words with spaces
    # dotted acronyms: "C.F.O." -> "cfo", "S.V.P." -> "svp"
    text = re.sub(r"(?<= )[a-z](?: [a-z])+(?= )", lambda m: m.group(0).replace(" ", ""), text)
    return _ABBREVIATION_RE.sub(lambda m: " " + _ABBREVIATIONS[m.group(1)], text)


def _w(*words: str) -> re.Pattern[str]:
    """A pattern matching any of the words/phrases as whole words of a normalised title."""
    return re.compile("|".join(rf" {w} " for w in words))


def _start(*words: str) -> re.Pattern[str]:
    """A pattern matching titles that *begin* with one of the words/phrases."""
    return re.compile("^(?:" + "|".join(rf" {w} " for w in words) + ")")


#: C-level abbreviations (CEO, CFO, COO, CTO, CIO, CMO, CRO, CSO, CPO, CAO, CHRO, CLO, CCO,
#: CDO, CISO, CXO ...).
_CXO = (r"c[acdefilmoprstx]o", r"chro", r"ciso", r"cnso", r"chief( \w+)*")

# Seniority: the first matching rule wins, so the order matters (an assistant *to* the CEO
# is an assistant, "EVP & CFO" is the CFO, "vice president" before "president",
# "gerente general" before "gerente", "associate general counsel" before "general counsel").
_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("individual", _start(r"(executive |personal |administrative )?(assistant|asistente|secretari[oa]|secretary|"
                          r"auxiliar|ayudante|recepcionista|receptionist)( \w+)*")),
    ("individual", _w(r"(associate|deputy|assistant|senior|junior) general counsel", r"legal counsel",
                      r"corporate counsel", r"in house counsel", r"counsel (i|ii|iii)")),
    ("c_level", _w(*_CXO)),
    ("vp", _w(r"vice ?president[ae]?", r"vp", r"svp", r"evp", r"avp", r"vicepresident[ae]?",
              r"v p", r"vice pres")),
    ("c_level", _w(r"president[ae]?", r"owner",
                   r"co ?owner", r"founder", r"co ?founder", r"cofounder", r"dueno", r"duena",
                   r"propietari[oa]", r"fundador[a]?", r"cofundador[a]?", r"socio", r"socia",
                   r"gerente general", r"director[a]? general", r"managing director",
                   r"general manager", r"presidente ejecutivo", r"director[a]? ejecutiv[oa]",
                   r"executive director", r"country manager", r"gerente (de )?pais",
                   r"general counsel", r"managing partner", r"gm", r"chairman", r"chairwoman",
                   r"chairperson", r"chair of the board", r"representante legal", r"gerenta general")),
    ("director", _w(r"director[a]?", r"directeur", r"head( of)?", r"subdirector[a]?",
                    r"gerente senior", r"senior director")),
    ("manager", _w(r"manager", r"gerente", r"gerenta", r"subgerente", r"jef[ea]", r"supervisor[a]?",
                   r"lead", r"team lead", r"lider", r"encargad[oa]", r"responsable", r"controller",
                   r"contralor", r"superintendente?", r"contador[a]? general", r"kam")),
    ("individual", _w(r"analyst", r"analista", r"engineer", r"ingenier[oa]", r"developer",
                      r"desarrollador[a]?", r"programador[a]?", r"specialist", r"especialista",
                      r"coordinator", r"coordinador[a]?", r"assistant", r"asistente",
                      r"auxiliar", r"agent", r"agente", r"representative", r"representante", r"rep",
                      r"associate", r"consultant", r"consultor[a]?", r"administrator",
                      r"administrador[a]?", r"technician", r"tecnico", r"tecnica",
                      r"accountant", r"contador[a]?", r"clerk", r"architect", r"arquitect[oa]",
                      r"scientist", r"designer", r"disenador[a]?", r"buyer", r"comprador[a]?",
                      r"officer", r"oficial", r"ejecutiv[oa]", r"executive", r"staff",
                      r"intern", r"practicante", r"secretari[oa]", r"secretary",
                      r"recepcionista", r"receptionist", r"operator", r"operari[oa]",
                      r"vendedor[a]?", r"programmer", r"admin", r"user", r"usuari[oa]",
                      r"asesor[a]?", r"abogad[oa]", r"paralegal", r"recruiter", r"reclutador[a]?",
                      r"generalist", r"counsel", r"sdr", r"bdr", r"tesorer[oa]", r"treasurer", r"planner",
                      r"inspector[a]?", r"auditor[a]?", r"cientific[oa]", r"attorney", r"business partner",
                      r"promotor[a]?", r"televendedor[a]?", r"operador[a]?", r"cajer[oa]", r"chofer",
                      r"conductor[a]?", r"mecanic[oa]", r"soldador[a]?", r"electricista")),
)

# Function: the first matching rule wins.
_FUNCTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Account-side and seller titles: an agency's account director, a key account manager, a
    # sales rep. They manage *their own* customers and are not buyer-side decision makers
    # (sales leadership - VP Sales, Director/Gerente Comercial - is not in this list).
    ("account_side", _w(r"accounts?(?! payable| receivable)( \w+)? (director|manager|executive|supervisor|lead|"
                        r"representative|rep|coordinator|specialist|planner)",
                        r"key accounts?", r"kam", r"de cuentas?(?! por)( \w+)?", r"customer success manager",
                        r"client success manager", r"customer success (rep|representative|associate|specialist)",
                        r"sales (rep|representative|executive|associate|agent|consultant|specialist)",
                        r"inside sales", r"(sales|business) development (rep|representative)",
                        r"client services? (director|manager|executive|lead)", r"televendedor[a]?", r"sdr", r"bdr",
                        r"vendedor[a]?", r"representante (de ventas|comercial)", r"asesor[a]? (comercial|de ventas)",
                        r"ejecutiv[oa] (comercial|de ventas|de negocios)", r"account executive")),
    ("procurement", _w(r"procurement", r"purchasing", r"purchase", r"purchaser", r"buyer",
                       r"sourcing", r"compras?", r"comprador[a]?", r"adquisiciones",
                       r"abastecimiento", r"aprovisionamiento", r"suministros", r"cpo", r"vendor management")),
    ("finance", _w(r"cfo", r"finance", r"financial", r"financiero", r"financiera", r"finanzas",
                   r"treasurer", r"treasury", r"tesorer[oa]", r"tesoreria", r"controller", r"contralor",
                   r"comptroller", r"contraloria", r"control de gestion", r"accounting", r"contabilidad", r"contable", r"contador[a]?", r"accountant",
                   r"accounts payable", r"accounts receivable", r"cuentas por (pagar|cobrar)",
                   r"administracion y finanzas", r"budget", r"presupuesto", r"fp&a", r"fp a")),
    ("technical", _w(r"cto", r"cio", r"ciso", r"it", r"ti", r"tic", r"tics", r"information technology",
                     r"informatica", r"information", r"informacion", r"technology", r"technical",
                     r"tecnologia", r"tecnologias", r"sistemas", r"systems?", r"software",
                     r"engineer", r"engineering", r"ingenier[oa]", r"ingenieria", r"developer",
                     r"desarrollador[a]?", r"desarrollo", r"development", r"programador[a]?",
                     r"programmer", r"architect", r"arquitect[oa]", r"data", r"datos",
                     r"security", r"seguridad(?! industrial| y salud| ocupacional| patrimonial| fisica| e higiene)", r"devops", r"infrastructure", r"infraestructura",
                     r"network", r"redes", r"database", r"base de datos", r"cloud", r"tecnico", r"tecnica",
                     r"technician", r"soporte tecnico", r"help ?desk", r"service desk", r"mesa de ayuda", r"tech")),
)

#: Finance words that make a department head the economic buyer (the budget); accounting
#: and treasury heads decide for their area but do not hold the budget.
_FINANCE_BUDGET = _w(r"cfo", r"finance", r"financial", r"financiero", r"financiera", r"finanzas", r"fp&a",
                     r"administracion y finanzas", r"budget", r"presupuesto", r"accounting", r"treasury",
                     r"contraloria", r"control de gestion")

# Spanish department heads: "Gerente de Mantenimiento", "Jefe de Compras", "Jefa de Sistemas",
# "Responsable de IT", "Gerente Comercial". In Latin American and Spanish orgs the Gerente /
# Jefe of a function runs it and decides its purchases, even though the seniority word is
# "manager". A head of a shift, a crew, a section, a store or a single project is not.
_DEPARTMENT_HEAD = _start(r"(sub)?gerente", r"gerenta", r"jef[ea]", r"responsable", r"superintendente?",
                          r"contador[a]? general", r"plant manager", r"(sub)?gerente de planta")
_NARROW_SCOPE = _w(r"turno", r"grupo", r"seccion", r"cuadrilla", r"linea", r"proyecto", r"almacen", r"bodega",
                   r"tienda", r"obra", r"despacho", r"guardia", r"equipo", r"mostrador", r"caja", r"piso")
_HEAD_WORDS = re.compile(r"^ ((sub)?gerente|gerenta|jef[ea]|responsable|superintendente?) $")


@lru_cache(maxsize=65536)
def _classify_normalised(norm: str) -> tuple[str, str]:
    if not norm.strip():
        return "unknown", "unknown"
    seniority = next((lvl for lvl, pat in _SENIORITY_RULES if pat.search(norm)), "unknown")
    function = next((fn for fn, pat in _FUNCTION_RULES if pat.search(norm)), "general")
    head = (
        seniority == "manager"
        and bool(_DEPARTMENT_HEAD.search(norm))
        and not _NARROW_SCOPE.search(norm)
        and not _HEAD_WORDS.match(norm)  # "Jefe" alone names no function
    )
    if function == "account_side":
        role = "user" if seniority != "unknown" else "unknown"
    elif function == "procurement":
        role = "procurement"
    elif function == "finance" and (seniority in ("c_level", "vp", "director") or head):
        role = "economic_buyer" if seniority != "manager" or _FINANCE_BUDGET.search(norm) else "decision_maker"
    elif seniority == "c_level":
        role = "executive"
    elif seniority in ("vp", "director") or head:
        role = "decision_maker"
    elif function == "technical" and seniority in ("manager", "individual", "unknown"):
        role = "technical_evaluator"
    elif seniority in ("manager", "individual"):
        role = "user"
    else:
        role = "unknown"
    return role, seniority


def classify_title(title: str | None) -> tuple[str, str]:
    """``(buyer_role, seniority)`` for one job title; ``("unknown", "unknown")`` when empty.

    Matching is case- and accent-insensitive and works on English and Spanish titles.
    """
    return _classify_normalised(normalise_title(title))


def classify_titles(titles: Iterable[str | None]) -> tuple[list[str], list[str]]:
    """Vectorised :func:`classify_title`: two lists (roles, seniorities) in input order.

    Each distinct title is classified once (titles repeat a lot in real CRMs).
    """
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


_CONTACT_ROLE_MAP = {
    "decision maker": "decision_maker",
    "tomador de decisiones": "decision_maker",
    "decisor": "decision_maker",
    "economic buyer": "economic_buyer",
    "economic decision maker": "economic_buyer",
    "comprador economico": "economic_buyer",
    "executive sponsor": "executive",
    "sponsor ejecutivo": "executive",
    "patrocinador ejecutivo": "executive",
    "technical buyer": "technical_evaluator",
    "technical evaluator": "technical_evaluator",
    "evaluator": "technical_evaluator",
    "evaluador": "technical_evaluator",
    "influencer": "champion",
    "influenciador": "champion",
    "champion": "champion",
    "business user": "user",
    "user": "user",
    "usuario": "user",
    "procurement": "procurement",
    "purchasing": "procurement",
    "compras": "procurement",
    "other": "unknown",
}


def role_from_contact_role(role: str | None) -> str:
    """Buyer role from a Salesforce OpportunityContactRole picklist value ("Other"/empty -> unknown)."""
    norm = normalise_title(role).strip()
    return _CONTACT_ROLE_MAP.get(norm, "unknown")


# When one contact holds different roles on different deals, the strongest one is kept.
_ROLE_STRENGTH = {
    r: i
    for i, r in enumerate(
        (
            "economic_buyer",
            "executive",
            "decision_maker",
            "champion",
            "technical_evaluator",
            "procurement",
            "user",
            "unknown",
        )
    )
}
assert set(_ROLE_STRENGTH) == set(BUYER_ROLES)

CONTACT_ROLES_SCHEMA = pa.schema(
    [
        ("contact_id", pa.string()),
        ("buyer_role", pa.string()),
        ("seniority", pa.string()),
        ("role_source", pa.string()),
    ]
)


_Column: TypeAlias = "pa.ChunkedArray | pa.Array | pd.Series"


def _column(data: pd.DataFrame | pa.Table | None, name: str) -> _Column | None:
    """One input column; ``None`` when the table or the column is missing (all values null)."""
    if isinstance(data, pd.DataFrame):
        return data[name] if name in data.columns else None
    return data.column(name) if data is not None and name in data.column_names else None


def _num_rows(data: pd.DataFrame | pa.Table | None) -> int:
    return 0 if data is None else len(data) if isinstance(data, pd.DataFrame) else data.num_rows


def _arrow(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One Arrow array; string-like and dictionary-encoded columns as plain strings."""
    t = values.type
    if pa.types.is_dictionary(t):
        values, t = values.cast(t.value_type), t.value_type
    if pa.types.is_null(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        values = values.cast(pa.string())
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _codes(values: _Column | None, n: int, *, distinct: bool = True) -> tuple[np.ndarray, list[Any]]:
    """Each row's position in the distinct non-null values (``-1`` for a null), and (with
    ``distinct``) those values as Python objects in order of first appearance. Nulls are
    ``None`` and ``NaN`` (pandas) and Arrow nulls; a missing column is all nulls."""
    if values is None:
        return np.full(n, -1, dtype=np.int64), []
    if isinstance(values, pd.Series):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64), list(uniques)
    encoded = pc.dictionary_encode(_arrow(values))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return codes, encoded.dictionary.to_pylist() if distinct else []


def _lookup(per_value: list[str], for_null: str, codes: np.ndarray) -> pa.Array:
    """Broadcast one string per distinct value (and one for nulls) back to the rows."""
    table = pa.array([*per_value, for_null], pa.string())
    return table.take(np.where(codes < 0, len(per_value), codes))


def _take(values: _Column, rows: np.ndarray | None) -> _Column:
    if rows is None:
        return values
    return values.iloc[rows] if isinstance(values, pd.Series) else values.take(rows)


def _contact_ids(values: _Column | None, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pd.Series):
        return pa.array(values.astype("object"), type=pa.string(), from_pandas=True)
    return _arrow(values).cast(pa.string())


def decision_level_roles(values: Iterable[Any], decision_level_map: Mapping[str, str] | None) -> list[str]:
    """Buyer role per value of a decision-level picklist (``JobLevel__c``, ``Level__c``), through
    the workspace's ``decision_level_map`` (value -> buyer role; matched ignoring case, accents
    and punctuation). Values not in the map, empty values, and values mapped to ``unknown``
    give ``unknown`` (the title then decides). A map value that is no buyer role is a
    ``ConfigError``.
    """
    lookup: dict[str, str] = {}
    for key, role in (decision_level_map or {}).items():
        if role not in BUYER_ROLES:
            raise ConfigError(
                f"setting 'decision_level_map': {key!r} maps to {role!r}, which is no buyer role "
                f"(one of {', '.join(BUYER_ROLES)})"
            )
        lookup[normalise_title(key).strip()] = role
    seen: dict[Any, str] = {}
    out: list[str] = []
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            out.append("unknown")
            continue
        hit = seen.get(v)
        if hit is None:
            hit = seen[v] = lookup.get(normalise_title(str(v)).strip(), "unknown")
        out.append(hit)
    return out


def build_contact_roles(
    contacts: pd.DataFrame | pa.Table,
    opportunity_contact_roles: pd.DataFrame | pa.Table | None = None,
    *,
    decision_level_map: Mapping[str, str] | None = None,
) -> pa.Table:
    """The ``contact_roles`` table: one row per contact with buyer role and seniority.

    Columns: ``contact_id``, ``buyer_role`` (one of BUYER_ROLES), ``seniority`` (one of
    SENIORITY_LEVELS), ``role_source`` (``contact_role`` | ``decision_level`` | ``title`` |
    ``none``). The role comes from the contact's deal roles when any is informative (the
    strongest wins), then from the contact's ``decision_level`` picklist value when the
    workspace maps it (``decision_level_map``; empty = the field is ignored), otherwise from
    the title; seniority always comes from the title.
    """
    # Vectorised (issue 12): rules run once per distinct title / level / deal-role value and
    # their answers are broadcast back to the rows with Arrow ``take``; no Python loop over rows.
    n = _num_rows(contacts)
    # one row per contact id, the first one, in input order (null ids count as one id)
    if isinstance(contacts, pd.DataFrame) and "contact_id" in contacts.columns:
        # pandas' own rule (it keeps a None and a NaN id apart)
        firsts = np.flatnonzero(~contacts.duplicated("contact_id").to_numpy())
    else:
        firsts = np.unique(_codes(_column(contacts, "contact_id"), n, distinct=False)[0], return_index=True)[1]
    rows = None if len(firsts) == n else np.sort(firsts)
    n_people = n if rows is None else len(rows)

    def people_column(name: str) -> _Column | None:
        values = _column(contacts, name)
        return None if values is None else _take(values, rows)

    contact_id = _contact_ids(people_column("contact_id"), n_people)

    # seniority and buyer role from the title, classified once per distinct title
    title_codes, distinct_titles = _codes(people_column("title"), n_people)
    classified = [classify_title(t) for t in distinct_titles]
    none_role, none_level = classify_title(None)
    roles = [r for r, _ in classified]
    levels = [lvl for _, lvl in classified]
    assert set(levels) | {none_level} <= set(SENIORITY_LEVELS)
    buyer_role = _lookup(roles, none_role, title_codes)
    seniority = _lookup(levels, none_level, title_codes)
    role_source = _lookup(
        ["title" if r != "unknown" else "none" for r in roles], "title" if none_role != "unknown" else "none",
        title_codes,
    )

    if decision_level_map:
        level_codes, distinct_levels = _codes(people_column("decision_level"), n_people)
        # validates the map too (a ConfigError even without rows)
        by_level = _lookup(decision_level_roles(distinct_levels, decision_level_map), "unknown", level_codes)
        has_level = pc.not_equal(by_level, "unknown")
        buyer_role = pc.if_else(has_level, by_level, buyer_role)
        role_source = pc.if_else(has_level, "decision_level", role_source)

    n_ocr = _num_rows(opportunity_contact_roles)
    if n_ocr and n_people:
        # each distinct picklist value mapped once; its strength per deal-role row
        role_codes, distinct_roles = _codes(_column(opportunity_contact_roles, "role"), n_ocr)
        strength_of = np.array(
            [_ROLE_STRENGTH[role_from_contact_role(r)] for r in distinct_roles]
            + [_ROLE_STRENGTH[role_from_contact_role(None)]],
            dtype=np.int64,
        )
        strength = strength_of[np.where(role_codes < 0, len(distinct_roles), role_codes)]
        unknown = _ROLE_STRENGTH["unknown"]
        informative = strength != unknown
        if informative.any():
            # the contact (output row) of each informative deal role; a null id matches the
            # null-id contact (as pandas' merge did)
            ocr_ids = _contact_ids(_column(opportunity_contact_roles, "contact_id"), n_ocr)
            if not informative.all():
                ocr_ids, strength = ocr_ids.filter(pa.array(informative)), strength[informative]
            person = pc.index_in(ocr_ids, value_set=contact_id, skip_nulls=False)
            person = pc.fill_null(person, -1).to_numpy(zero_copy_only=False)
            keep = person >= 0
            # the strongest informative role per contact
            best = np.full(n_people, unknown, dtype=np.int64)
            np.minimum.at(best, person[keep], strength[keep])
            has = best != unknown
            by_strength = pa.array(sorted(_ROLE_STRENGTH, key=_ROLE_STRENGTH.__getitem__), pa.string())
            buyer_role = pc.if_else(pa.array(has), by_strength.take(best), buyer_role)
            role_source = pc.if_else(pa.array(has), "contact_role", role_source)

    return pa.Table.from_arrays([contact_id, buyer_role, seniority, role_source], schema=CONTACT_ROLES_SCHEMA)
