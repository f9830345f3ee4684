"""The words CRM data is read by: deal types, activity kinds, stage outcomes, who is not a seller.

Patterns are plain regular-expression text (matched case-insensitively, on lower-cased text
where noted), so the importers (Python ``re``, Arrow compute) and the engine (Ibis, on any
backend) read one list of words, written once.
"""

from __future__ import annotations

# -- deal types (lower-cased text) -------------------------------------------------------------
#: Salesforce's default picklist is "New Business", "Existing Customer - Upgrade",
#: "Existing Customer - Replacement", "Existing Customer - Downgrade"; many orgs add
#: "Renewal", "Upsell", "Cross-sell", "Add-on".
DEAL_RENEWAL = r"renew|downgrade|retention|maintenance|renovaci"
DEAL_EXPANSION = r"upgrade|upsell|up-sell|cross|add-on|addon|expan|replacement|existing|ampliaci"
DEAL_NEW = r"new|nuevo|nueva|logo|acquisition"

# -- activity kinds (lower-cased text), tried in this order; anything else is a task ------------
KIND_CALL = r"call|llamada"
KIND_EMAIL = r"email|e-mail|correo"
KIND_MEETING = r"meeting|reuni|demo"

#: Task statuses (lower-cased) that say the task is done.
DONE_STATUSES = ("completed", "completada", "completado", "done", "complete", "closed")

# -- stage names (case-insensitive) -----------------------------------------------------------
STAGE_LOST = (
    r"\blost\b|\bloss\b|perdid|\bdead\b|descartad|rechazad|cancel|disqualif|descalific|\bunqualified\b|"
    r"verloren|\bperdu|no ganad|\bdeclined\b|\bclosed[ -]?no\b"
)
STAGE_WON = r"\bwon\b|\bwin\b|ganad|\bsigned\b|firmad|gewonnen|\bgagn|vendid|\bsold\b|\bbooked\b"
STAGE_CLOSED = r"closed|cerrad|\bfinal|terminad|\bdone\b"
STAGE_OPEN = (
    r"prospect|qualif|calific|needs|analys|an[aá]lisis|value|propos|propuesta|quote|cotiz|negotia|negocia|review|"
    r"revisi|discover|demo|inter[eé]s|contact|engag|percep|decision|evalua|nurtur|pipeline|\bopen\b|abiert|\bnew\b|"
    r"nuev|\blead\b|trial|pilot|present|verbal|commit|dise[nñ]o|seguimiento|follow"
)

# -- what people do (case-insensitive; title, department and role text) ------------------------
SUPPORT = (
    r"pricing|price desk|deal desk|sales engineer|solutions? (engineer|consultant|architect)|presales|pre-sales|"
    r"legal|counsel|contracts?|support|service desk|customer success|delivery|implementation|sales ops|operations"
)
MANAGER = r"manager|director|head of|vp|vice president|chief|gerente|jefe|lead"
SELLER = r"sales|account|seller|ventas|ejecutiv"
#: Users that are not people who sell, by name or title: administrators, integrations,
#: automated processes, marketplace / platform / Chatter users (Salesforce's own names).
NON_PERSON = (
    r"\b(system |salesforce |sfdc |crm )?admin(istrator|istrador(a)?)?\b|\bintegra(tion|ci[oó]n)\b|"
    r"\bautomated\b|\bautomation\b|\bmarketplace\b|\bplatform (integration|user)\b|\bchatter\b|"
    r"\bapi (user|only)\b|\bsecurity user\b|\bdata\.com\b|\bsite guest\b|\bguest user\b|\bno-?reply\b"
)
#: Profile names of the same (System Administrator, Chatter Free User, Salesforce Platform...).
NON_PERSON_PROFILE = NON_PERSON + r"|\bplatform\b|\bread only\b"
