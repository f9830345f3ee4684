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
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd
import pyarrow as pa

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


def _to_pandas(data: pd.DataFrame | pa.Table | None, columns: Sequence[str]) -> pd.DataFrame:
    if data is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = data.to_pandas() if isinstance(data, pa.Table) else data
    for c in columns:
        if c not in frame.columns:
            frame = frame.assign(**{c: None})
    return frame


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
    people = _to_pandas(contacts, ("contact_id", "title", "decision_level")).drop_duplicates("contact_id")
    roles, levels = classify_titles(people["title"].tolist())
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
    ocr = _to_pandas(opportunity_contact_roles, ("contact_id", "role"))
    if len(ocr):
        seen: dict[Any, str] = {}
        mapped = pd.DataFrame(
            {"contact_id": ocr["contact_id"].tolist(),
             # each distinct picklist value mapped once (a few values over millions of rows)
             "ocr_role": [seen[r] if r in seen else seen.setdefault(r, role_from_contact_role(r))
                          for r in ocr["role"].tolist()]}
        )
        mapped = mapped[mapped["ocr_role"] != "unknown"]
        if len(mapped):
            mapped["strength"] = mapped["ocr_role"].map(_ROLE_STRENGTH)
            best = mapped.sort_values(["contact_id", "strength"]).drop_duplicates("contact_id")
            out = out.merge(best[["contact_id", "ocr_role"]], on="contact_id", how="left")
            has = out["ocr_role"].notna()
            out.loc[has, "buyer_role"] = out.loc[has, "ocr_role"]
            out.loc[has, "role_source"] = "contact_role"
            out = out.drop(columns="ocr_role")
    assert set(out["seniority"]) <= set(SENIORITY_LEVELS)
    return pa.Table.from_pandas(out, schema=CONTACT_ROLES_SCHEMA, preserve_index=False)
