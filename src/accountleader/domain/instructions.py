"""How a task one person creates for another is phrased: steps, an outcome, or a check-in.

The rule set behind the delegation metrics (``domain/metrics/delegation.py``; documented in
``docs/metrics.md``, "Results over obedience: from the CRM"). It reads the task's subject and
description together, lower-cased, English and Spanish, and answers the first that matches:

1. ``check_in``: a short question about progress, with no body ("follow up?", "status?",
   "any news?", "did you call them?", "¿novedades?", "¿cómo va?", "¿llamaste?"): a subject
   of at most ``CHECK_IN_MAX_CHARS`` characters that holds a question mark and either a
   progress word or nothing else to say.
2. ``steps``: the text prescribes how: a numbered list with a second item ("1. ... 2. ...",
   "1) ... 2) ..."), "step 2" / "paso 2" (or "step 1:" / "paso 1:"), two or more bullet lines,
   or a sequence ("first ... then ...", "primero ... luego/después ...").
3. ``outcome``: the text asks for a result: "get/have/secure ... approved/signed/closed/done",
   "by <day>", "before the/end of", "conseguir", "lograr", "que ... antes de", "antes del",
   "para el <day>".
4. ``other``: anything else (a task with no wording of either kind).

The patterns are plain regular expressions with no look-around, so DuckDB (RE2) and Spark
(Java) read them alike; :func:`classify` is the Python twin the tests and reports use.
"""

from __future__ import annotations

import re

CHECK_IN_MAX_CHARS = 40

#: progress words of a check-in
CHECK_IN = (
    r"follow[ -]?up|status|update|any news|news\b|did you|have you|how is|how's|where are we|progress|"
    r"novedades|c[oó]mo va|estado|llamaste|alguna noticia|qu[eé] tal|avance|seguimiento|pudiste"
)
#: the text prescribes how: numbered, bulleted or sequenced steps
STEPS = (
    r"(?s)(^|[^0-9])1[.)] .*[^0-9]2[.)] |"
    r"\b(step|paso) ?[2-9]\b|\b(step|paso) ?1 ?:|"
    r"(^|\n) *[-•*] [^\n]*\n *[-•*] |"
    r"\bfirst\b.*\bthen\b|\bprimero\b.*\b(luego|despu[eé]s)\b"
)
#: the text asks for a result
OUTCOME = (
    r"(?s)\b(get|have|secure|make sure|ensure)\b.*\b(approved|signed|closed|done|agreed|confirmed|renewed|booked)\b|"
    r"\bsecure\b|\bby (monday|tuesday|wednesday|thursday|friday|end of|eo[mqwy]\b|the [0-9]|[0-9])|"
    r"\bbefore (the|end of|[0-9])|\bconseguir\b|\blograr\b|\bque el cliente\b|\bantes del?\b|"
    r"\bpara el (lunes|martes|mi[eé]rcoles|jueves|viernes|[0-9])|\bcerrar\b.*\bantes\b|\bclose the\b.*\bbefore\b"
)

#: at most three words
SHORT = r"^[^ ]+( +[^ ]+){0,2}$"

KINDS = ("check_in", "steps", "outcome", "other")

_CHECK_IN = re.compile(CHECK_IN)
_STEPS = re.compile(STEPS)
_OUTCOME = re.compile(OUTCOME)
_SHORT = re.compile(SHORT)


def classify(subject: str | None, description: str | None = None) -> str:
    """``check_in``, ``steps``, ``outcome`` or ``other`` for one task's wording (see the module)."""
    s = (subject or "").strip().lower()
    body = (description or "").strip().lower()
    if s and "?" in s and len(s) <= CHECK_IN_MAX_CHARS and not body and (_CHECK_IN.search(s) or _SHORT.search(s)):
        return "check_in"
    text = (s + "\n" + body) if body else s
    if _STEPS.search(text):
        return "steps"
    if _OUTCOME.search(text):
        return "outcome"
    return "other"
