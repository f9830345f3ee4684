"""Fivetran-landed Salesforce tables, mapped in place onto the canonical tables.

Fivetran lands each Salesforce object as a table named in snake_case (``opportunity``,
``opportunity_history``, ``task``, ...; seed files use ``sf_opportunity_data``) with
snake_case columns (``StageName`` -> ``stage_name``).  This module builds, for one Ibis
connection, an Ibis expression per canonical table that reads those tables where they
are: nothing is copied, the warehouse (or Spark) runs the mapping as part of each query.

The column rules are the importer's (``importers/objects.py``) restated as Ibis
expressions, because the engine layer may not import the importers: the same candidate
fields, the same deal-type and activity-kind vocabulary, the same derivation of each
user's function and team, deleted and inactive history-mode rows left out, emails
linked to contacts by address, amounts converted to the corporate currency.

What the in-place mapping does not do, unlike an import: it does not validate rows or
reject a bad load (there is no file to point at), it does not convert 15-character ids
(Fivetran always lands 18-character ones), and where two contacts share an email
address an email is linked to the lower contact id rather than the first in file order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..domain.arrow_types import ARROW_TYPES
from ..domain.schema import SALESFORCE_NULL_ID, TABLES, Column, snake_case
from ..errors import ConfigError

Rule = str | tuple[str, ...] | Callable[[ir.Table], ir.Value]

_IBIS_TYPES = {
    "id": "string",
    "string": "string",
    "float": "float64",
    "int": "int64",
    "bool": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}

_SUPPORT = (
    r"pricing|price desk|deal desk|sales engineer|solutions? (engineer|consultant|architect)|presales|pre-sales|"
    r"legal|counsel|contracts?|support|service desk|customer success|delivery|implementation|sales ops|operations"
)
_MANAGER = r"manager|director|head of|vp|vice president|chief|gerente|jefe|lead"
_SELLER = r"sales|account|seller|ventas|ejecutiv"
# Not people who sell (the importer's normalize.NON_PERSON / NON_PERSON_PROFILE, lower-case text)
_NON_PERSON = (
    r"\b(system |salesforce |sfdc |crm )?admin(istrator|istrador(a)?)?\b|\bintegra(tion|ci[oó]n)\b|"
    r"\bautomated\b|\bautomation\b|\bmarketplace\b|\bplatform (integration|user)\b|\bchatter\b|"
    r"\bapi (user|only)\b|\bsecurity user\b|\bdata\.com\b|\bsite guest\b|\bguest user\b|\bno-?reply\b"
)
_NON_PERSON_PROFILE = _NON_PERSON + r"|\bplatform\b|\bread only\b"
_DONE_STATUS = ["completed", "completada", "completado", "done", "complete", "closed"]
# Stage names that say won / lost / closed / open (the importer's stages.py)
_LOST = (
    r"\blost\b|\bloss\b|perdid|\bdead\b|descartad|rechazad|cancel|disqualif|descalific|\bunqualified\b|"
    r"verloren|\bperdu|no ganad|\bdeclined\b|\bclosed[ -]?no\b"
)
_WON = r"\bwon\b|\bwin\b|ganad|\bsigned\b|firmad|gewonnen|\bgagn|vendid|\bsold\b|\bbooked\b"
_CLOSED = r"closed|cerrad|\bfinal|terminad|\bdone\b"
_OPEN = (
    r"prospect|qualif|calific|needs|analys|an[aá]lisis|value|propos|propuesta|quote|cotiz|negotia|negocia|review|"
    r"revisi|discover|demo|inter[eé]s|contact|engag|percep|decision|evalua|nurtur|pipeline|\bopen\b|abiert|\bnew\b|"
    r"nuev|\blead\b|trial|pilot|present|verbal|commit|dise[nñ]o|seguimiento|follow"
)
_RENEWAL = r"renew|downgrade|retention|maintenance|renovaci"
_EXPANSION = r"upgrade|upsell|up-sell|cross|add-on|addon|expan|replacement|existing|ampliaci"
_NEW = r"new|nuevo|nueva|logo|acquisition"


def _fivetran_case(name: str) -> str:
    """Fivetran's name for an API name: snake_case, a managed package's ``__`` as one ``_``."""
    return re.sub(r"_{2,}", "_", snake_case(name))


def table_stems(obj: str) -> tuple[str, ...]:
    """Names Fivetran (or its seed files) gives the table of Salesforce object ``obj``."""
    s = _fivetran_case(obj)
    return (s, f"sf_{s}_data", f"sf_{s}", f"{s}_data")


class _Source:
    """The Fivetran tables of one schema, by Salesforce object name."""

    def __init__(self, con: Any, database: str | None) -> None:
        self.con = con
        self.database = database
        kwargs = {"database": database} if database else {}
        try:
            self.names = {n.lower(): n for n in con.list_tables(**kwargs)}
        except Exception as exc:
            raise ConfigError(f"cannot list the tables of {database or 'the default schema'}: {exc}") from None

    def get(self, obj: str) -> ir.Table | None:
        for stem in table_stems(obj):
            if stem in self.names:
                kwargs = {"database": self.database} if self.database else {}
                t = self.con.table(self.names[stem], **kwargs)
                return t.rename({c.lower(): c for c in t.columns if c != c.lower()})
        return None


# -- small column helpers ----------------------------------------------------------------


def _col(t: ir.Table, field: str) -> ir.Value | None:
    name = field if field.startswith("_fivetran") else _fivetran_case(field)
    return t[name] if name in t.columns else None


def _clean(v: ir.Value) -> ir.Value:
    """Blank text is missing, as in a CSV export."""
    if v.type().is_string():
        return v.strip().nullif("")
    return v


def first_of(*fields: str) -> Callable[[ir.Table], ir.Value | None]:
    def pick(t: ir.Table) -> ir.Value | None:
        cols = [_clean(c) for c in (_col(t, f) for f in fields) if c is not None]
        if not cols:
            return None
        # candidates may be typed differently (a date and a timestamp): compare as the first's type
        return ibis.coalesce(*[c.cast(cols[0].type()) for c in cols]) if len(cols) > 1 else cols[0]

    return pick


def with_prefix(field: str, *prefixes: str) -> Callable[[ir.Table], ir.Value | None]:
    """The id in ``field`` when it points at an object with one of these key prefixes."""

    def pick(t: ir.Table) -> ir.Value | None:
        c = _col(t, field)
        if c is None:
            return None
        c = c.cast("string")
        keep = ibis.or_(*[c.startswith(p) for p in prefixes])
        return ibis.ifelse(keep.fill_null(False), c, ibis.null("string"))

    return pick


def constant(value: str) -> Callable[[ir.Table], ir.Value]:
    return lambda t: ibis.literal(value, "string")


def _as_bool(v: ir.Value) -> ir.Value:
    if v.type().is_boolean():
        return v
    if v.type().is_string():
        low = v.strip().lower()
        return ibis.cases((low.isin(["true", "1", "t", "yes"]), True), (low.isin(["false", "0", "f", "no"]), False), else_=ibis.null("boolean"))
    return v.cast("boolean")


def _typed(v: ir.Value | None, col: Column) -> ir.Value:
    target = _IBIS_TYPES[col.type]
    if v is None:
        return ibis.null(target)
    if col.type == "bool":
        return _as_bool(v)
    v = _clean(v)
    if col.type == "id":
        v = v.cast("string")
        return v.nullif(SALESFORCE_NULL_ID)
    if col.type in ("timestamp", "date") and v.type().is_timestamp() and v.type().timezone is not None:
        v = v.cast(ibis.dtype("timestamp"))  # naive UTC, as the canonical tables hold time
    if col.type == "date" and v.type().is_string():
        v = v.cast("timestamp")
    if col.type in ("timestamp", "date"):
        v = v.cast(target)
        # 9999-12-31 / 4000-12-31: Salesforce's "no end" date, read as none
        sentinel = v.year().isin([4000, 9999]) & (v.month() == 12) & (v.day() == 31)
        return ibis.ifelse(sentinel.fill_null(False), ibis.null(target), v)
    return v.cast(target)


def _live(t: ir.Table, *, keep_all_versions: bool = False) -> ir.Table:
    """Leave out deleted rows and, in history mode, versions that are no longer current."""
    for flag in ("is_deleted", "_fivetran_deleted"):
        if flag in t.columns:
            t = t.filter(~_as_bool(t[flag]).fill_null(False))
    if not keep_all_versions and "_fivetran_active" in t.columns:
        t = t.filter(_as_bool(t["_fivetran_active"]).fill_null(True))
    return t


def _build(t: ir.Table, table: str, rules: dict[str, Rule]) -> ir.Table:
    spec = TABLES[table]
    out: dict[str, ir.Value] = {}
    for col in spec.columns:
        rule: Rule | None = rules.get(col.name, col.sf)
        if rule is None:
            v = None
        elif isinstance(rule, str):
            v = _col(t, rule)
        elif isinstance(rule, tuple):
            v = first_of(*rule)(t)
        else:
            v = rule(t)
        out[col.name] = _typed(v, col)
    return t.select(**out)


def empty(table: str) -> ir.Table:
    spec = TABLES[table]
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in spec.columns])
    return ibis.memtable(schema.empty_table())


# -- per-object rules (the importer's, in Ibis) ------------------------------------------


def _regex(text: ir.StringValue, pattern: str) -> ir.BooleanValue:
    return text.re_search(pattern).fill_null(False)


def _opportunity_type(t: ir.Table) -> ir.Value | None:
    c = _col(t, "Type")
    if c is None:
        return None
    low = c.cast("string").strip().lower()
    return ibis.cases(
        (low.isin(["new_business", "expansion", "renewal"]).fill_null(False), low),
        (_regex(low, _RENEWAL), "renewal"),
        (_regex(low, _EXPANSION), "expansion"),
        (_regex(low, _NEW), "new_business"),
        else_=ibis.null("string"),
    )


def _task_kind(t: ir.Table) -> ir.Value:
    sub, typ = _col(t, "TaskSubtype"), _col(t, "Type")
    parts = [c.cast("string") for c in (sub, typ) if c is not None]
    if not parts:
        return ibis.literal("task")
    text = ibis.coalesce(*parts).lower() if len(parts) > 1 else parts[0].lower()
    if sub is not None and typ is not None:
        # TaskSubtype "Task" says nothing; Type may still say Call / Email / Meeting
        text = ibis.ifelse((sub.lower() == "task").fill_null(False), ibis.coalesce(typ, sub).lower(), text)
    return ibis.cases(
        (_regex(text, "call|llamada"), "call"),
        (_regex(text, "email|e-mail|correo"), "email"),
        (_regex(text, "meeting|reuni|demo"), "meeting"),
        else_="task",
    )


def _call_direction(t: ir.Table) -> ir.Value | None:
    c = _col(t, "CallType")
    if c is None:
        c = _col(t, "Direction__c")
    if c is None:
        return None
    low = c.cast("string").strip().lower()
    return ibis.cases(
        (low.startswith("in").fill_null(False), "inbound"),
        (low.startswith("out").fill_null(False), "outbound"),
        else_=ibis.null("string"),
    )


def _email_direction(t: ir.Table) -> ir.Value | None:
    c = _col(t, "Incoming")
    if c is None:
        return None
    b = _as_bool(c)
    return ibis.cases((b == True, "inbound"), (b == False, "outbound"), else_=ibis.null("string"))  # noqa: E712


def _email_address(t: ir.Table) -> ir.Value | None:
    """The buyer's address: the sender of an inbound email, the first recipient of an outbound one."""
    incoming = _email_direction(t)
    sender, to = _col(t, "FromAddress"), _col(t, "ToAddress")
    sender = ibis.null("string") if sender is None else sender.cast("string")
    first_to = ibis.null("string") if to is None else to.cast("string").re_replace(r"[;,].*$", "").strip()
    inbound = (incoming == "inbound").fill_null(False) if incoming is not None else ibis.literal(False)
    return ibis.ifelse(inbound, sender, first_to).lower()


def _contact_name(t: ir.Table) -> ir.Value | None:
    name = _col(t, "Name")
    first, last = _col(t, "FirstName"), _col(t, "LastName")
    parts = [c.cast("string").fill_null("") for c in (first, last) if c is not None]
    built = None
    if parts:
        joined = parts[0] if len(parts) == 1 else parts[0].concat(" ", parts[1])
        built = joined.strip().nullif("")
    if name is None:
        return built
    name = _clean(name.cast("string"))
    return name if built is None else ibis.coalesce(name, built)


def _role_id(t: ir.Table) -> ir.Value | None:
    c = _col(t, "UserRoleId")
    return None if c is None else _clean(c.cast("string")).nullif(SALESFORCE_NULL_ID)


def _user_function(t: ir.Table) -> ir.Value | None:
    """Function__c, or "system" for a UserType other than Standard or an admin / integration profile."""
    given = first_of("Function__c")(t)
    system: ir.BooleanValue | None = None
    kind = _col(t, "UserType")
    if kind is not None:
        k = kind.cast("string").strip().lower()
        system = (k.re_search(r"^[a-z]+$") & (k != "standard")).fill_null(False)  # hashed values say nothing
    prof = _col(t, "ProfileName")
    if prof is None:
        prof = _col(t, "Profile_Name__c")
    if prof is not None:
        by_profile = _regex(prof.cast("string").lower(), _NON_PERSON_PROFILE)
        system = by_profile if system is None else (system | by_profile)
    if system is None:
        return given
    return ibis.ifelse(system, ibis.literal("system"), given if given is not None else ibis.null("string"))


def _task_done(t: ir.Table) -> ir.Value | None:
    """Task IsClosed; where absent (or empty), Status Completed / Completada / Done."""
    closed, status = _col(t, "IsClosed"), _col(t, "Status")
    from_status = None
    if status is not None:
        low = status.cast("string").strip().lower()
        from_status = ibis.cases((low == "", ibis.null("boolean")), (low.isin(_DONE_STATUS), True), else_=False)
    if closed is None:
        return from_status
    closed = _as_bool(closed if closed.type().is_boolean() else _clean(closed.cast("string")))
    return closed if from_status is None else ibis.coalesce(closed, from_status)


_NOTHING: Callable[[ir.Table], ir.Value | None] = lambda t: None  # noqa: E731

_OWNER_OR_CREATOR = first_of("OwnerId", "CreatedById")

RULES: dict[str, dict[str, Rule]] = {
    "User": {"name": _contact_name, "role_name": _role_id, "function": _user_function, "team": ("Team__c",)},
    "Account": {"region": ("Region__c", "Sales_Region__c", "Territory__c")},
    "Contact": {"name": _contact_name, "departed_at": ("Departure_Date__c", "Departed_Date__c", "Left_Company_Date__c")},
    "Opportunity": {
        "type": _opportunity_type,
        "forecast_category": ("ForecastCategoryName", "ForecastCategory"),
        "product": ("Product__c", "Product_Family__c", "Primary_Product__c"),
        "quote_requested_at": ("Quote_Requested_Date__c", "Quote_Requested__c"),
        "quality_flag": ("Quality_Flag__c",),
    },
    "OpportunityHistory": {},
    "OpportunityContactRole": {},
    "Task": {
        "kind": _task_kind,
        "direction": _call_direction,
        "contact_id": with_prefix("WhoId", "003"),
        "opportunity_id": with_prefix("WhatId", "006"),
        "occurred_at": ("CompletedDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate"),
        "subtype": ("TaskSubtype",),
        "is_done": _task_done,
        "source_object": constant("Task"),
    },
    "Event": {
        "kind": constant("meeting"),
        "contact_id": with_prefix("WhoId", "003"),
        "opportunity_id": with_prefix("WhatId", "006"),
        "occurred_at": ("ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate"),
        "subtype": ("EventSubtype",),
        "is_done": _NOTHING,
        "source_object": constant("Event"),
    },
    "EmailMessage": {
        "kind": constant("email"),
        "direction": _email_direction,
        "owner_id": _OWNER_OR_CREATOR,
        "contact_id": _email_address,  # an address; resolved to a contact id below
        "what_id": ("RelatedToId", "ParentId"),
        "opportunity_id": with_prefix("RelatedToId", "006"),
        "account_id": with_prefix("RelatedToId", "001"),
        "occurred_at": ("MessageDate", "CreatedDate"),
        "subtype": _NOTHING,
        "is_done": _NOTHING,
        "source_object": constant("EmailMessage"),
    },
    "Quote": {
        "amount": ("GrandTotal", "TotalPrice"),
        "requested_at": ("Requested_Date__c", "Quote_Requested_Date__c", "Request_Date__c"),
        "sent_at": ("Sent_Date__c", "Date_Sent__c", "Sent_Date_Time__c"),
    },
    "SBQQ__Quote__c": {
        "opportunity_id": "SBQQ__Opportunity2__c",
        "account_id": "SBQQ__Account__c",
        "status": "SBQQ__Status__c",
        "amount": ("SBQQ__NetAmount__c", "SBQQ__CustomerAmount__c"),
        "expiration_date": "SBQQ__ExpirationDate__c",
    },
    "Case": {},
    "OpportunityStage": {
        "stage": ("MasterLabel", "ApiName"),
        "forecast_category": ("ForecastCategoryName", "ForecastCategory"),
    },
    "CurrencyType": {},
}

# Salesforce object -> canonical table (activities come from three objects)
OBJECT_TABLES = {
    "User": "users",
    "Account": "accounts",
    "Contact": "contacts",
    "Opportunity": "opportunities",
    "OpportunityHistory": "opportunity_history",
    "OpportunityContactRole": "opportunity_contact_roles",
    "Task": "activities",
    "Event": "activities",
    "EmailMessage": "activities",
    "Quote": "quotes",
    "SBQQ__Quote__c": "quotes",
    "Case": "cases",
    "OpportunityStage": "stages",
    "CurrencyType": "currency_rates",
}


def _snapshot_history(t: ir.Table) -> ir.Table:
    """History-mode snapshots of Opportunity (``id`` + ``_fivetran_start``) read as history rows."""
    rules: dict[str, Rule] = {
        "history_id": lambda x: x.id.cast("string").concat("@", x._fivetran_start.cast("string")),
        "opportunity_id": "Id",
        "stage": "StageName",
        "forecast_category": ("ForecastCategoryName", "ForecastCategory"),
        "changed_at": ("_fivetran_start", "LastModifiedDate", "SystemModstamp"),
        "changed_by_id": ("LastModifiedById",),
    }
    return _build(t, "opportunity_history", rules)


def _with_functions(users: ir.Table, opportunities: ir.Table) -> ir.Table:
    """Fill ``function`` and ``team`` where the source has none (the importer's derivation).

    "system" (not a person who sells: no id, an admin / integration / automated /
    marketplace / platform / Chatter name or title, a non-Standard UserType, or inactive
    owning no deals and neither managing nor supporting) always wins and has no team.
    """
    owners = opportunities.filter(opportunities.owner_id.notnull()).select(_owner=opportunities.owner_id).distinct()
    bosses = users.filter(users.manager_id.notnull()).select(_boss=users.manager_id).distinct()
    names = users.select(_mid=users.user_id, _mname=users.name)
    u = users.left_join(owners, users.user_id == owners._owner)
    u = u.left_join(bosses, u.user_id == bosses._boss)
    u = u.left_join(names, u.manager_id == names._mid)
    text = ibis.coalesce(u.title, ibis.literal("")).concat(
        " ", ibis.coalesce(u.department, ibis.literal("")), " ", ibis.coalesce(u.role_name, ibis.literal(""))
    ).lower()
    person = ibis.coalesce(u.name, ibis.literal("")).concat(" ", ibis.coalesce(u.title, ibis.literal(""))).lower()
    owner = u._owner.notnull()
    boss = u._boss.notnull()
    system = (u.function == "system").fill_null(False) | u.user_id.isnull() | _regex(person, _NON_PERSON)
    fn = ibis.cases(
        (system, "system"),
        (boss & (~owner | _regex(text, _MANAGER)), "manager"),
        (_regex(text, _SUPPORT) & ~owner, "support"),
        ((u.is_active == False).fill_null(False) & ~owner, "system"),  # noqa: E712
        (owner | _regex(text, _SELLER), "seller"),
        else_="other",
    )
    team = ibis.cases(
        (fn == "system", ibis.null("string")),
        (fn == "manager", ibis.coalesce(u.name, u.role_name)),
        (u._mid.notnull(), u._mname),
        else_=u.role_name,
    )
    u = u.mutate(
        function=ibis.ifelse(fn == "system", fn, ibis.coalesce(u.function, fn)), team=ibis.coalesce(u.team, team)
    )
    return u.select(*users.columns)


def _stage_keys(stage_table: ir.Table | None) -> ir.Table | None:
    """(key, closed, won) per stage name as deals may carry it: MasterLabel and ApiName, lower-cased."""
    if stage_table is None:
        return None
    live = _live(stage_table)
    closed = _typed(_col(live, "IsClosed"), TABLES["stages"].column("is_closed"))
    won = _typed(_col(live, "IsWon"), TABLES["stages"].column("is_won"))
    parts = []
    for field in ("MasterLabel", "ApiName"):
        c = _col(live, field)
        if c is not None:
            parts.append(live.select(_sk=_clean(c.cast("string")).lower(), _sclosed=closed, _swon=won))
    if not parts:
        return None
    keys = parts[0]
    for more in parts[1:]:
        keys = keys.union(more, distinct=False)
    keys = keys.filter(keys._sk.notnull() & keys._sclosed.notnull())
    return keys.group_by("_sk").aggregate(_sclosed=keys._sclosed.max(), _swon=keys._swon.max())


def _derive_outcomes(o: ir.Table, keys: ir.Table | None, missing: set[str]) -> ir.Table:
    """IsClosed / IsWon where the opportunity table has none: the importer's stages.py rules, per stage."""
    k = o.stage.strip().lower()
    o = o.mutate(_k=k)
    per = o.group_by("_k").aggregate(
        _n=o.probability.notnull().cast("int64").sum(),
        _p100=(o.probability >= 100).fill_null(False).cast("int64").sum(),
        _p0=(o.probability == 0).fill_null(False).cast("int64").sum(),
    )
    if keys is not None:
        per = per.left_join(keys, per._k == keys._sk)
        in_file = per._sclosed.notnull()
        f_closed, f_won = per._sclosed, per._sclosed & per._swon.fill_null(False)
    else:
        in_file, f_closed, f_won = ibis.literal(False), ibis.literal(False), ibis.literal(False)
    key = per._k.fill_null("")
    lost_name, won_name = _regex(key, _LOST), _regex(key, _WON)
    by_100 = per._p100 * 2 > per._n
    by_0 = (per._p0 * 2 > per._n) & ~_regex(key, _OPEN)
    closed = ibis.cases(
        (in_file, f_closed),
        (lost_name | won_name | by_100 | by_0 | _regex(key, _CLOSED), True),
        else_=False,
    )
    won = ibis.cases((in_file, f_won), (lost_name, False), (won_name | by_100, True), else_=False)
    verdict = per.select(_vk=per._k, _vclosed=closed, _vwon=won)
    j = o.left_join(verdict, o._k == verdict._vk)
    d_closed, d_won = j._vclosed.fill_null(False), j._vwon.fill_null(False)
    if "is_closed" in missing and "is_won" in missing:
        j = j.mutate(is_closed=d_closed, is_won=d_won)
    elif "is_won" in missing:
        j = j.mutate(is_won=d_won & j.is_closed.fill_null(True))
    else:
        j = j.mutate(is_closed=d_closed | j.is_won.fill_null(False))
    return j.select(*TABLES["opportunities"].column_names)


def _stages_as_on_deals(stages: ir.Table, stage_table: ir.Table, opportunities: ir.Table) -> ir.Table:
    """``stages.stage`` as deals carry it: the ApiName where deals use it and not the MasterLabel."""
    label, api = _col(stage_table, "MasterLabel"), _col(stage_table, "ApiName")
    if label is None or api is None:
        return stages
    pairs = _live(stage_table).select(_lab=_clean(label.cast("string")), _api=_clean(api.cast("string")))
    on_deals = opportunities.select(_ds=opportunities.stage).distinct()
    on_deals2 = opportunities.select(_ds2=opportunities.stage).distinct()
    j = stages.left_join(pairs, stages.stage == pairs._lab)
    j = j.left_join(on_deals, j.stage == on_deals._ds)
    j = j.left_join(on_deals2, j._api == on_deals2._ds2)
    use_api = j._ds.isnull() & j._ds2.notnull()
    return j.mutate(stage=ibis.ifelse(use_api, j._api, j.stage)).select(*TABLES["stages"].column_names)


def fivetran_tables(con: Any, *, database: str | None = None) -> dict[str, ibis.Table]:
    """The canonical tables as Ibis expressions over the Fivetran tables on ``con``."""
    src = _Source(con, database)
    found = {obj: src.get(obj) for obj in (*OBJECT_TABLES, "UserRole")}
    if found["Opportunity"] is None and found["Account"] is None:
        where = f"schema {database}" if database else "the default schema"
        raise ConfigError(
            f"no Fivetran Salesforce tables in {where} (expected e.g. opportunity, account, task); "
            "set engine.source_schema to the schema Fivetran lands Salesforce in"
        )
    parts: dict[str, list[ir.Table]] = {}
    for obj, name in OBJECT_TABLES.items():
        t = found[obj]
        if t is None:
            continue
        if obj == "OpportunityHistory" and "opportunity_id" not in t.columns and "_fivetran_start" in t.columns:
            built = _snapshot_history(_live(t, keep_all_versions=True))
        else:
            built = _build(_live(t, keep_all_versions=obj == "OpportunityHistory"), name, RULES[obj])
        parts.setdefault(name, []).append(built)
    out: dict[str, ir.Table] = {}
    for name in TABLES:
        tables = parts.get(name)
        if not tables:
            out[name] = empty(name)
            continue
        t = tables[0]
        for more in tables[1:]:
            t = t.union(more, distinct=False)
        out[name] = t

    roles = found["UserRole"]
    if roles is not None and "id" in roles.columns and "name" in roles.columns:
        r = _live(roles).select(_rid=roles.id.cast("string"), _rname=roles.name.cast("string"))
        u = out["users"].left_join(r, out["users"].role_name == r._rid)
        out["users"] = u.mutate(role_name=ibis.coalesce(u._rname, u.role_name)).select(*TABLES["users"].column_names)
    opp_src = found["Opportunity"]
    missing = {c for c, f in (("is_closed", "IsClosed"), ("is_won", "IsWon")) if opp_src is not None and _col(opp_src, f) is None}
    if missing:
        out["opportunities"] = _derive_outcomes(out["opportunities"], _stage_keys(found["OpportunityStage"]), missing)
    if found["OpportunityStage"] is not None:
        out["stages"] = _stages_as_on_deals(out["stages"], found["OpportunityStage"], out["opportunities"])
    out["users"] = _with_functions(out["users"], out["opportunities"])

    out["opportunity_history"] = _last_per_instant(out["opportunity_history"])
    out["opportunities"] = _opportunity_fixes(out["opportunities"], out["currency_rates"])
    out["activities"] = _resolve_email_contacts(out["activities"], out["contacts"])
    return out


def _last_per_instant(h: ir.Table) -> ir.Table:
    """Several history rows for one deal at one instant are a load artefact: keep the last (highest id)."""
    w = ibis.window(group_by=["opportunity_id", "changed_at"], order_by=ibis.desc("history_id"))
    h = h.mutate(_rn=ibis.row_number().over(w))
    return h.filter(h._rn == 0).drop("_rn")


def _opportunity_fixes(o: ir.Table, rates: ir.Table) -> ir.Table:
    """Flag deals that close before they were created; convert amounts to the corporate currency."""
    r = rates.select(_iso=rates.iso_code, _rate=rates.conversion_rate)
    j = o.left_join(r, o.currency == r._iso)
    bad = (j.close_date < j.created_at.date()).fill_null(False)
    j = j.mutate(
        quality_flag=ibis.ifelse(bad, ibis.literal("closed_before_created"), j.quality_flag),
        amount_corporate=(j.amount / j._rate),
    )
    return j.select(*TABLES["opportunities"].column_names)


def _resolve_email_contacts(a: ir.Table, contacts: ir.Table) -> ir.Table:
    """EmailMessage names people by address: link each email to the contact with that address."""
    c = contacts.filter(contacts.email.notnull())
    c = c.group_by(_addr=c.email.lower()).aggregate(_cid=c.contact_id.min())
    j = a.left_join(c, a.contact_id == c._addr)
    is_msg = (j.source_object == "EmailMessage").fill_null(False)
    return j.mutate(contact_id=ibis.ifelse(is_msg, j._cid, j.contact_id)).select(*TABLES["activities"].column_names)


# -- what a new sync changes ------------------------------------------------------------------

SYNC_COLUMNS = ("_fivetran_synced", "system_modstamp", "systemmodstamp")


def source_stamp(con: Any, *, database: str | None = None) -> list[dict[str, Any]]:
    """Per landed table: its row count and the latest ``_fivetran_synced`` (or
    ``SystemModstamp``), in one query. A new sync changes one of them, so results computed
    in place are never reused over new data; deletions change the count."""
    src = _Source(con, database)
    parts = []
    for obj in (*OBJECT_TABLES, "UserRole"):
        t = src.get(obj)
        if t is None:
            continue
        cols = {c.lower(): c for c in t.columns}
        synced = next((t[cols[c]] for c in SYNC_COLUMNS if c in cols), None)
        last = synced.max().cast("string") if synced is not None else ibis.literal(None, type="string")
        parts.append(t.aggregate(table=ibis.literal(obj), rows=t.count(), last_synced=last))
    if not parts:
        return []
    rows = ibis.union(*parts, distinct=False).to_pyarrow().to_pylist()
    return sorted(rows, key=lambda r: r["table"])
