"""The instruction wording rules (domain/instructions.py): steps, outcome asks, check-ins; English
and Spanish; the Python rule and the expression the engines run agree."""

from __future__ import annotations

import ibis
import pytest

from accountleader.domain.instructions import classify
from accountleader.domain.metrics.delegation import instruction_kind

CASES = [
    ("Next steps", "1. Call procurement 2. Send the deck 3. Update the stage", "steps"),
    ("1) Email legal 2) Call Dana re: MSA", None, "steps"),
    ("Acme renewal", "- Call the CFO\n- Send the pricing sheet\n- Update next step", "steps"),
    ("Step 1: book the demo", None, "steps"),
    ("First call the champion, then send the case study", None, "steps"),
    ("Paso 1: llamar a compras. Paso 2: enviar la propuesta", None, "steps"),
    ("Haz esto", "Primero llama al director, luego envía la presentación", "steps"),
    ("Get the pricing approved by Friday", None, "outcome"),
    ("Have the security review signed off before month end", "Your call on how.", "outcome"),
    ("Conseguir la firma del contrato antes del 30", None, "outcome"),
    ("Lograr la aprobación de precios esta semana", None, "outcome"),
    ("Que el cliente valide la propuesta", "antes de fin de mes", "outcome"),
    ("follow up?", None, "check_in"),
    ("Status?", None, "check_in"),
    ("Any news on Globex?", None, "check_in"),
    ("¿novedades?", None, "check_in"),
    ("¿Cómo va lo de Acme?", None, "check_in"),
    ("Call back re: pricing", None, "other"),
    ("QBR prep", None, "other"),
    ("Can you send the 2024 price list and the case study for the CFO?", None, "other"),
    (None, None, "other"),
]


@pytest.mark.parametrize(("subject", "description", "kind"), CASES)
def test_wording_is_classified(subject: str | None, description: str | None, kind: str) -> None:
    assert classify(subject, description) == kind


def test_the_engine_expression_agrees_with_the_python_rule() -> None:
    t = ibis.memtable({"subject": [c[0] for c in CASES], "description": [c[1] for c in CASES]},
                      schema={"subject": "string", "description": "string"})
    got = ibis.duckdb.connect().to_pyarrow(t.select(kind=instruction_kind(t.subject, t.description))).column("kind").to_pylist()
    assert got == [c[2] for c in CASES]
