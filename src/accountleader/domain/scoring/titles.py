"""Right people: job title (English or Spanish) and CRM contact role -> buyer role and seniority.

Titles are normalised (lower case, accents stripped, punctuation to spaces) and then run
through two ordered rule tables: one for seniority, one for the function (finance,
procurement, technical, ...).  The buyer role follows from both; see
``docs/metrics.md`` (right people) for the full table.  A contact role recorded on a deal
(Salesforce ``OpportunityContactRole.Role``) beats anything guessed from a title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd
import pyarrow as pa

from ..schema import BUYER_ROLES, SENIORITY_LEVELS

__all__ = [
    "classify_title",
    "classify_titles",
    "role_from_contact_role",
    "build_contact_roles",
    "normalise_title",
    "DECISION_ROLES",
    "SENIOR_LEVELS",
]

#: Buyer roles that count as "a decision maker reached".
DECISION_ROLES = ("executive", "economic_buyer", "decision_maker")
#: Seniority levels that count as "senior contact".
SENIOR_LEVELS = ("c_level", "vp", "director")


def normalise_title(title: str | None) -> str:
    """Lower case, accents removed, punctuation as spaces, single-spaced. ``None`` -> ``""``."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKD", str(title))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9&]+", " ", text)
    return f" {' '.join(text.split())} "  # padded so rules can match whole words with spaces


def _w(*words: str) -> re.Pattern[str]:
    """A pattern matching any of the words/phrases as whole words of a normalised title."""
    return re.compile("|".join(rf" {w} " for w in words))


# Seniority: the first matching rule wins, so the order matters ("vice president" before
# "president", "gerente general" before "gerente").
_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("vp", _w(r"vice ?president[ae]?", r"vp", r"svp", r"evp", r"avp", r"vicepresident[ae]?",
              r"v p", r"vice pres")),
    ("c_level", _w(r"c[aefimoprst]o", r"ciso", r"chief( \w+)*", r"president[ae]?", r"owner",
                   r"co ?owner", r"founder", r"co ?founder", r"cofounder", r"dueno", r"duena",
                   r"propietari[oa]", r"fundador[a]?", r"cofundador[a]?", r"socio", r"socia",
                   r"gerente general", r"director[a]? general", r"managing director",
                   r"general manager", r"presidente ejecutivo", r"ceo & founder")),
    ("director", _w(r"director[a]?", r"directeur", r"head( of)?", r"subdirector[a]?",
                    r"gerente senior", r"senior director", r"dir")),
    ("manager", _w(r"manager", r"mgr", r"gerente", r"jef[ea]", r"supervisor[a]?", r"lead",
                   r"team lead", r"lider", r"encargad[oa]", r"responsable", r"controller",
                   r"contralor", r"superintendente?")),
    ("individual", _w(r"analyst", r"analista", r"engineer", r"ingenier[oa]", r"developer",
                      r"desarrollador[a]?", r"programador[a]?", r"specialist", r"especialista",
                      r"coordinator", r"coordinador[a]?", r"assistant", r"asistente",
                      r"auxiliar", r"agent", r"agente", r"representative", r"representante",
                      r"associate", r"consultant", r"consultor[a]?", r"administrator",
                      r"administrador[a]?", r"technician", r"tecnico", r"tecnica",
                      r"accountant", r"contador[a]?", r"clerk", r"architect", r"arquitect[oa]",
                      r"scientist", r"designer", r"disenador[a]?", r"buyer", r"comprador[a]?",
                      r"officer", r"oficial", r"ejecutiv[oa]", r"executive", r"staff",
                      r"intern", r"practicante", r"secretari[oa]", r"secretary",
                      r"recepcionista", r"receptionist", r"operator", r"operari[oa]",
                      r"vendedor[a]?", r"programmer", r"admin", r"user", r"usuari[oa]")),
)

# Function: the first matching rule wins.
_FUNCTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("procurement", _w(r"procurement", r"purchasing", r"purchase", r"purchaser", r"buyer",
                       r"sourcing", r"compras?", r"comprador[a]?", r"adquisiciones",
                       r"abastecimiento", r"aprovisionamiento", r"cpo", r"vendor management")),
    ("finance", _w(r"cfo", r"finance", r"financial", r"financiero", r"financiera", r"finanzas",
                   r"treasurer", r"tesorer[oa]", r"controller", r"contralor", r"comptroller",
                   r"accounting", r"contabilidad", r"contador[a]?", r"accountant",
                   r"administracion y finanzas", r"budget", r"presupuesto")),
    ("technical", _w(r"cto", r"cio", r"ciso", r"it", r"ti", r"tic", r"tics", r"information technology",
                     r"informatica", r"information", r"informacion", r"technology", r"technical",
                     r"tecnologia", r"tecnologias", r"sistemas", r"systems?", r"software",
                     r"engineer", r"engineering", r"ingenier[oa]", r"ingenieria", r"developer",
                     r"desarrollador[a]?", r"desarrollo", r"development", r"programador[a]?",
                     r"programmer", r"architect", r"arquitect[oa]", r"data", r"datos",
                     r"security", r"seguridad", r"devops", r"infrastructure", r"infraestructura",
                     r"network", r"redes", r"database", r"cloud", r"tecnico", r"tecnica",
                     r"technician", r"soporte tecnico")),
)


@lru_cache(maxsize=65536)
def _classify_normalised(norm: str) -> tuple[str, str]:
    if not norm.strip():
        return "unknown", "unknown"
    seniority = next((lvl for lvl, pat in _SENIORITY_RULES if pat.search(norm)), "unknown")
    function = next((fn for fn, pat in _FUNCTION_RULES if pat.search(norm)), "general")
    if function == "procurement":
        role = "procurement"
    elif function == "finance" and seniority in ("c_level", "vp", "director"):
        role = "economic_buyer"
    elif seniority == "c_level":
        role = "executive"
    elif seniority in ("vp", "director"):
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


def build_contact_roles(
    contacts: pd.DataFrame | pa.Table,
    opportunity_contact_roles: pd.DataFrame | pa.Table | None = None,
) -> pa.Table:
    """The ``contact_roles`` table: one row per contact with buyer role and seniority.

    Columns: ``contact_id``, ``buyer_role`` (one of BUYER_ROLES), ``seniority`` (one of
    SENIORITY_LEVELS), ``role_source`` (``contact_role`` | ``title`` | ``none``).
    The role comes from the contact's deal roles when any is informative (the strongest
    wins), otherwise from the title; seniority always comes from the title.
    """
    people = _to_pandas(contacts, ("contact_id", "title")).drop_duplicates("contact_id")
    roles, levels = classify_titles(people["title"].tolist())
    out = pd.DataFrame(
        {"contact_id": people["contact_id"].astype("object").tolist(), "buyer_role": roles,
         "seniority": levels}
    )
    out["role_source"] = ["title" if r != "unknown" else "none" for r in roles]
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
