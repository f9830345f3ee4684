"""Buyer job titles (English and Spanish, every seniority) and people's names.

Seniority codes index :data:`SENIORITY`: 0 c_level, 1 vp, 2 director, 3 manager,
4 individual. Spanish titles come in a masculine and a feminine form.
"""

from __future__ import annotations

import numpy as np

SENIORITY = ("c_level", "vp", "director", "manager", "individual")
C_LEVEL, VP, DIRECTOR, MANAGER, INDIVIDUAL = range(5)

# (seniority, department, English, Spanish masculine, Spanish feminine)
_TITLES: tuple[tuple[int, str, str, str, str], ...] = (
    (C_LEVEL, "Executive", "CEO", "Gerente General", "Gerenta General"),
    (C_LEVEL, "Finance", "CFO", "Director Financiero", "Directora Financiera"),
    (C_LEVEL, "IT", "CIO", "Director de Tecnología", "Directora de Tecnología"),
    (
        C_LEVEL,
        "Operations",
        "COO",
        "Director General de Operaciones",
        "Directora General de Operaciones",
    ),
    (C_LEVEL, "IT", "Chief Technology Officer", "CTO", "CTO"),
    (C_LEVEL, "Executive", "President", "Presidente", "Presidenta"),
    (C_LEVEL, "Executive", "Managing Director", "Director Ejecutivo", "Directora Ejecutiva"),
    (VP, "Finance", "VP Finance", "Vicepresidente de Finanzas", "Vicepresidenta de Finanzas"),
    (VP, "Sales", "VP of Sales", "Vicepresidente Comercial", "Vicepresidenta Comercial"),
    (
        VP,
        "Operations",
        "VP Operations",
        "Vicepresidente de Operaciones",
        "Vicepresidenta de Operaciones",
    ),
    (VP, "IT", "VP Engineering", "Vicepresidente de Ingeniería", "Vicepresidenta de Ingeniería"),
    (
        VP,
        "Marketing",
        "SVP Marketing",
        "Vicepresidente de Marketing",
        "Vicepresidenta de Marketing",
    ),
    (
        VP,
        "IT",
        "Vice President, Information Technology",
        "Vicepresidente de Sistemas",
        "Vicepresidenta de Sistemas",
    ),
    (DIRECTOR, "IT", "Director of IT", "Director de TI", "Directora de TI"),
    (
        DIRECTOR,
        "Operations",
        "Director of Operations",
        "Director de Operaciones",
        "Directora de Operaciones",
    ),
    (DIRECTOR, "Procurement", "Head of Procurement", "Director de Compras", "Directora de Compras"),
    (DIRECTOR, "Finance", "Finance Director", "Director de Finanzas", "Directora de Finanzas"),
    (
        DIRECTOR,
        "Marketing",
        "Marketing Director",
        "Director de Marketing",
        "Directora de Marketing",
    ),
    (
        DIRECTOR,
        "Human Resources",
        "HR Director",
        "Director de Recursos Humanos",
        "Directora de Recursos Humanos",
    ),
    (DIRECTOR, "IT", "Head of Data", "Director de Datos", "Directora de Datos"),
    (MANAGER, "Procurement", "Procurement Manager", "Jefe de Compras", "Jefa de Compras"),
    (MANAGER, "IT", "IT Manager", "Gerente de Sistemas", "Gerente de Sistemas"),
    (MANAGER, "Operations", "Operations Manager", "Jefe de Operaciones", "Jefa de Operaciones"),
    (MANAGER, "Finance", "Controller", "Contralor", "Contralora"),
    (MANAGER, "Marketing", "Marketing Manager", "Gerente de Marketing", "Gerente de Marketing"),
    (MANAGER, "IT", "Project Manager", "Jefe de Proyectos", "Jefa de Proyectos"),
    (MANAGER, "Finance", "Accounting Manager", "Jefe de Contabilidad", "Jefa de Contabilidad"),
    (INDIVIDUAL, "IT", "Business Analyst", "Analista de Negocio", "Analista de Negocio"),
    (INDIVIDUAL, "IT", "Systems Analyst", "Analista de Sistemas", "Analista de Sistemas"),
    (
        INDIVIDUAL,
        "Marketing",
        "Marketing Coordinator",
        "Coordinador de Marketing",
        "Coordinadora de Marketing",
    ),
    (
        INDIVIDUAL,
        "Executive",
        "Executive Assistant",
        "Asistente de Gerencia",
        "Asistente de Gerencia",
    ),
    (
        INDIVIDUAL,
        "Procurement",
        "Purchasing Specialist",
        "Asistente de Compras",
        "Asistente de Compras",
    ),
    (INDIVIDUAL, "Finance", "Financial Analyst", "Analista Financiero", "Analista Financiera"),
    (INDIVIDUAL, "IT", "Software Engineer", "Ingeniero de Software", "Ingeniera de Software"),
    (
        INDIVIDUAL,
        "Operations",
        "Operations Coordinator",
        "Coordinador de Operaciones",
        "Coordinadora de Operaciones",
    ),
    (
        INDIVIDUAL,
        "Finance",
        "Accounts Payable Specialist",
        "Auxiliar Contable",
        "Auxiliar Contable",
    ),
)

TITLE_SENIORITY = np.array([t[0] for t in _TITLES], dtype=np.int8)
TITLE_DEPARTMENT = np.array([t[1] for t in _TITLES], dtype=object)
TITLE_EN = np.array([t[2] for t in _TITLES], dtype=object)
TITLE_ES_M = np.array([t[3] for t in _TITLES], dtype=object)
TITLE_ES_F = np.array([t[4] for t in _TITLES], dtype=object)


def seniority_of_title(title: str) -> int | None:
    """The seniority code of a title this module generates, or None if it is not one of ours."""
    return _SENIORITY_BY_TITLE.get(title)


_SENIORITY_BY_TITLE: dict[str, int] = {}
for _t in _TITLES:
    for _name in _t[2:]:
        _SENIORITY_BY_TITLE.setdefault(_name, _t[0])


def pick_titles(rng: np.random.Generator, seniority: np.ndarray) -> np.ndarray:
    """One catalogue index per person, drawn among the titles of that person's seniority."""
    out = np.empty(seniority.shape[0], dtype=np.int64)
    for level in range(5):
        rows = np.flatnonzero(seniority == level)
        choices = np.flatnonzero(TITLE_SENIORITY == level)
        out[rows] = choices[rng.integers(0, choices.shape[0], rows.shape[0])]
    return out


def title_text(index: np.ndarray, spanish: np.ndarray, female: np.ndarray) -> np.ndarray:
    """The written title for catalogue ``index`` in the person's language and gender."""
    return np.where(
        spanish, np.where(female, TITLE_ES_F[index], TITLE_ES_M[index]), TITLE_EN[index]
    )


FIRST_EN_F = np.array(
    "Emily Sarah Jessica Ashley Olivia Hannah Megan Lauren Rachel Grace Chloe Amanda Karen Linda Susan Nicole Rebecca Laura Emma Abigail".split(),
    dtype=object,
)
FIRST_EN_M = np.array(
    "James Michael Robert David William Daniel Matthew Andrew Joshua Ryan Brian Kevin Thomas Steven Jason Eric Mark Paul Scott Nathan".split(),
    dtype=object,
)
FIRST_ES_F = np.array(
    "María Lucía Sofía Valentina Camila Isabel Carmen Ana Paula Daniela Gabriela Fernanda Andrea Mariana Natalia Verónica Adriana Claudia Patricia Beatriz".split(),
    dtype=object,
)
FIRST_ES_M = np.array(
    "José Luis Carlos Javier Miguel Alejandro Diego Andrés Juan Fernando Ricardo Sergio Pablo Jorge Manuel Raúl Eduardo Héctor Álvaro Ignacio".split(),
    dtype=object,
)
LAST_EN = np.array(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson Thompson White Harris Clark Lewis Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson O'Brien Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Collins".split(),
    dtype=object,
)
LAST_ES = np.array(
    "García Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez Torres Flores Rivera Gómez Díaz Reyes Morales Jiménez Ruiz Álvarez Castillo Romero Vargas Castro Ortiz Rubio Navarro Domínguez Muñoz Herrera Medina Aguilar Vega Ibáñez Peña Cabrera Salazar Núñez Fuentes Carrasco Espinoza".split(),
    dtype=object,
)


def pick_names(
    rng: np.random.Generator, spanish: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first names, last names, is_female) for people, Spanish-speaking where ``spanish``."""
    n = spanish.shape[0]
    female = rng.random(n) < 0.45
    first = np.where(
        spanish,
        np.where(female, FIRST_ES_F[rng.integers(0, 20, n)], FIRST_ES_M[rng.integers(0, 20, n)]),
        np.where(female, FIRST_EN_F[rng.integers(0, 20, n)], FIRST_EN_M[rng.integers(0, 20, n)]),
    )
    last = np.where(
        spanish,
        LAST_ES[rng.integers(0, LAST_ES.shape[0], n)],
        LAST_EN[rng.integers(0, LAST_EN.shape[0], n)],
    )
    return first, last, female
