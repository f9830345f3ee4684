"""How each Salesforce object becomes a canonical table.

Written once in Salesforce API names; the Fivetran importer reuses it through a
naming function (Fivetran lands ``StageName`` as ``stage_name``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ..domain.schema import SALESFORCE_NULL_ID, TABLES
from .normalize import NON_PERSON_PROFILE, opportunity_type

Array = pa.ChunkedArray | pa.Array
Getter = Callable[[str], Array | None]  # API name -> text column, or None when absent
Rule = str | tuple[str, ...] | Callable[[Getter, int], Array]


def _null(n: int) -> Array:
    return pa.nulls(n, pa.string())


def first_of(*fields: str) -> Callable[[Getter, int], Array]:
    def pick(get: Getter, n: int) -> Array:
        out: Array | None = None
        for f in fields:
            col = get(f)
            if col is not None:
                col = pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""), pa.scalar(None, pa.string()), col)
                out = col if out is None else pc.coalesce(out, col)
        return _null(n) if out is None else out

    pick.fields = fields  # type: ignore[attr-defined]
    return pick


def with_prefix(field_name: str, *prefixes: str) -> Callable[[Getter, int], Array]:
    """The id in ``field_name`` when it points at the object with one of these key prefixes."""

    def pick(get: Getter, n: int) -> Array:
        col = get(field_name)
        if col is None:
            return _null(n)
        keep = pc.fill_null(pc.or_(*[pc.starts_with(col, p) for p in prefixes]) if len(prefixes) > 1 else pc.starts_with(col, prefixes[0]), False)
        return pc.if_else(keep, col, pa.scalar(None, pa.string()))

    pick.fields = (field_name,)  # type: ignore[attr-defined]
    return pick


def constant(value: str) -> Callable[[Getter, int], Array]:
    def pick(get: Getter, n: int) -> Array:
        return pa.array([value] * n, pa.string())

    pick.fields = ()  # type: ignore[attr-defined]
    return pick


def _task_kind(get: Getter, n: int) -> Array:
    sub = get("TaskSubtype")
    typ = get("Type")
    text = pc.utf8_lower(pc.coalesce(*(c for c in (sub, typ) if c is not None))) if (sub is not None or typ is not None) else _null(n)
    if sub is not None and typ is not None:
        # TaskSubtype "Task" says nothing; Type may still say Call / Email / Meeting
        text = pc.if_else(pc.fill_null(pc.equal(pc.utf8_lower(sub), "task"), False), pc.utf8_lower(pc.coalesce(typ, sub)), text)
    kind = pc.if_else(
        pc.fill_null(pc.match_substring_regex(text, "call|llamada"), False),
        "call",
        pc.if_else(
            pc.fill_null(pc.match_substring_regex(text, "email|e-mail|correo"), False),
            "email",
            pc.if_else(pc.fill_null(pc.match_substring_regex(text, "meeting|reuni|demo"), False), "meeting", "task"),
        ),
    )
    return kind


_task_kind.fields = ("TaskSubtype", "Type")  # type: ignore[attr-defined]


def _call_direction(get: Getter, n: int) -> Array:
    col = get("CallType")
    if col is None:
        col = get("Direction__c")
    if col is None:
        return _null(n)
    low = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    return pc.if_else(
        pc.fill_null(pc.starts_with(low, "in"), False),
        "inbound",
        pc.if_else(pc.fill_null(pc.starts_with(low, "out"), False), "outbound", pa.scalar(None, pa.string())),
    )


_call_direction.fields = ("CallType",)  # type: ignore[attr-defined]


def _email_direction(get: Getter, n: int) -> Array:
    col = get("Incoming")
    if col is None:
        return _null(n)
    low = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    return pc.if_else(
        pc.is_in(low, value_set=pa.array(["true", "1"])),
        "inbound",
        pc.if_else(pc.is_in(low, value_set=pa.array(["false", "0"])), "outbound", pa.scalar(None, pa.string())),
    )


_email_direction.fields = ("Incoming",)  # type: ignore[attr-defined]


def _email_address(get: Getter, n: int) -> Array:
    """The buyer's address: the sender of an inbound email, the first recipient of an outbound one."""
    incoming = _email_direction(get, n)
    sender = get("FromAddress")
    to = get("ToAddress")
    sender = _null(n) if sender is None else sender
    first_to = _null(n) if to is None else pc.utf8_trim_whitespace(pc.replace_substring_regex(to, r"[;,].*$", ""))
    return pc.utf8_lower(pc.if_else(pc.fill_null(pc.equal(incoming, "inbound"), False), sender, first_to))


_email_address.fields = ("FromAddress", "ToAddress")  # type: ignore[attr-defined]


def _opportunity_type(get: Getter, n: int) -> Array:
    col = get("Type")
    return _null(n) if col is None else opportunity_type(col)


_opportunity_type.fields = ("Type",)  # type: ignore[attr-defined]


def _contact_name(get: Getter, n: int) -> Array:
    name = get("Name")
    first, last = get("FirstName"), get("LastName")
    parts = [c for c in (first, last) if c is not None]
    built = None
    if parts:
        built = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*[pc.fill_null(p, "") for p in parts], " "))
        built = pc.if_else(pc.equal(built, ""), pa.scalar(None, pa.string()), built)
    if name is None:
        return _null(n) if built is None else built
    return name if built is None else pc.coalesce(name, built)


_contact_name.fields = ("Name", "FirstName", "LastName")  # type: ignore[attr-defined]


def _role_id(get: Getter, n: int) -> Array:
    """UserRoleId, with Salesforce's null id read as no role (it must never become a team name)."""
    col = first_of("UserRoleId")(get, n)
    return pc.if_else(
        pc.fill_null(pc.is_in(col, value_set=pa.array([SALESFORCE_NULL_ID, SALESFORCE_NULL_ID[:15]])), False),
        pa.scalar(None, pa.string()),
        col,
    )


_role_id.fields = ("UserRoleId",)  # type: ignore[attr-defined]


def _user_function(get: Getter, n: int) -> Array:
    """Function__c when the org keeps one; "system" for users that are not people who sell.

    Salesforce's ``UserType`` is ``Standard`` for licensed people; anything else
    (AutomatedProcess, CloudIntegrationUser, CsnOnly for Chatter, Guest, partner and
    portal users) is not a seller.  A profile name (``Profile.Name`` in a Data Loader
    export) naming an administrator, integration, Chatter or platform profile says the same.
    """
    given = first_of("Function__c")(get, n)
    system = pa.array([False] * n, pa.bool_())
    kind = get("UserType")
    if kind is not None:
        k = pc.utf8_lower(pc.utf8_trim_whitespace(kind))
        # a word other than Standard (hashed or anonymised values say nothing)
        typed = pc.and_(pc.match_substring_regex(k, r"^[a-z]+$"), pc.not_equal(k, "standard"))
        system = pc.or_(system, pc.fill_null(typed, False))
    for f in ("Profile.Name", "ProfileName", "Profile_Name__c"):
        prof = get(f)
        if prof is not None:
            system = pc.or_(system, pc.fill_null(pc.match_substring_regex(prof, NON_PERSON_PROFILE, ignore_case=True), False))
    return pc.if_else(system, "system", given)


_user_function.fields = ("Function__c", "UserType", "Profile.Name")  # type: ignore[attr-defined]


def _task_done(get: Getter, n: int) -> Array:
    """Task ``IsClosed``; where absent (or blank), Status Completed / Completada / Done."""
    closed = get("IsClosed")
    status = get("Status")
    from_status = _null(n)
    if status is not None:
        low = pc.utf8_lower(pc.utf8_trim_whitespace(status))
        done = pc.is_in(low, value_set=pa.array(["completed", "completada", "completado", "done", "complete", "closed"]))
        from_status = pc.if_else(pc.equal(low, ""), pa.scalar(None, pa.string()), pc.if_else(done, "true", "false"))
    if closed is None:
        return from_status
    closed = pc.if_else(pc.equal(pc.utf8_trim_whitespace(closed), ""), pa.scalar(None, pa.string()), closed)
    return pc.coalesce(closed, from_status)


_task_done.fields = ("IsClosed", "Status")  # type: ignore[attr-defined]


def _no_value(get: Getter, n: int) -> Array:
    return _null(n)


_no_value.fields = ()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ObjectSpec:
    """One Salesforce object: its file, its canonical table, and column rules.

    ``derivable`` names required columns that may be missing from the header because
    they are derived after reading (Opportunity IsClosed / IsWon, see ``stages.py``).
    """

    object: str
    table: str
    rules: dict[str, Rule] = field(default_factory=dict)
    derivable: frozenset[str] = frozenset()

    def rule(self, column: str) -> Rule | None:
        if column in self.rules:
            return self.rules[column]
        return TABLES[self.table].column(column).sf


_OWNER_OR_CREATOR = first_of("OwnerId", "CreatedById")

OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec("UserRole", "_user_roles"),
    ObjectSpec(
        "User",
        "users",
        {"name": _contact_name, "role_name": _role_id, "function": _user_function, "team": first_of("Team__c")},
    ),
    ObjectSpec("Account", "accounts", {"region": first_of("Region__c", "Sales_Region__c", "Territory__c")}),
    ObjectSpec(
        "Contact",
        "contacts",
        {
            "name": _contact_name,
            "departed_at": first_of("Departure_Date__c", "Departed_Date__c", "Left_Company_Date__c"),
            "decision_level": first_of("JobLevel__c", "Level__c", "Decision_Level__c"),
        },
    ),
    ObjectSpec(
        "Opportunity",
        "opportunities",
        {
            "type": _opportunity_type,
            "forecast_category": first_of("ForecastCategoryName", "ForecastCategory"),
            "product": first_of("Product__c", "Product_Family__c", "Primary_Product__c"),
            "quote_requested_at": first_of("Quote_Requested_Date__c", "Quote_Requested__c"),
            "quality_flag": first_of("Quality_Flag__c"),
        },
        derivable=frozenset({"is_closed", "is_won"}),
    ),
    ObjectSpec("OpportunityHistory", "opportunity_history"),
    ObjectSpec("OpportunityContactRole", "opportunity_contact_roles"),
    ObjectSpec(
        "Task",
        "activities",
        {
            "kind": _task_kind,
            "direction": _call_direction,
            "contact_id": with_prefix("WhoId", "003"),
            "opportunity_id": with_prefix("WhatId", "006"),
            "occurred_at": first_of("CompletedDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate"),
            "subtype": first_of("TaskSubtype"),
            "is_done": _task_done,
            "source_object": constant("Task"),
        },
    ),
    ObjectSpec(
        "Event",
        "activities",
        {
            "kind": constant("meeting"),
            "contact_id": with_prefix("WhoId", "003"),
            "opportunity_id": with_prefix("WhatId", "006"),
            "occurred_at": first_of("ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate"),
            "subtype": first_of("EventSubtype"),
            "is_done": _no_value,
            "source_object": constant("Event"),
        },
    ),
    ObjectSpec(
        "EmailMessage",
        "activities",
        {
            "kind": constant("email"),
            "direction": _email_direction,
            "owner_id": _OWNER_OR_CREATOR,
            "contact_id": _email_address,  # an address here; resolved to a contact id after contacts load
            "what_id": first_of("RelatedToId", "ParentId"),
            "opportunity_id": with_prefix("RelatedToId", "006"),
            "account_id": with_prefix("RelatedToId", "001"),
            "occurred_at": first_of("MessageDate", "CreatedDate"),
            "subtype": _no_value,
            "is_done": _no_value,
            "source_object": constant("EmailMessage"),
        },
    ),
    ObjectSpec(
        "Quote",
        "quotes",
        {
            "amount": first_of("GrandTotal", "TotalPrice"),
            "requested_at": first_of("Requested_Date__c", "Quote_Requested_Date__c", "Request_Date__c"),
            "sent_at": first_of("Sent_Date__c", "Date_Sent__c", "Sent_Date_Time__c"),
        },
    ),
    # Salesforce CPQ (Steelbrick) quotes, beside or instead of standard Quotes; ids differ, both are kept.
    ObjectSpec(
        "SBQQ__Quote__c",
        "quotes",
        {
            "opportunity_id": "SBQQ__Opportunity2__c",
            "account_id": first_of("SBQQ__Account__c"),
            "status": first_of("SBQQ__Status__c"),
            "amount": first_of("SBQQ__NetAmount__c", "SBQQ__CustomerAmount__c"),
            "expiration_date": first_of("SBQQ__ExpirationDate__c"),
        },
    ),
    ObjectSpec("Case", "cases"),
    ObjectSpec(
        "OpportunityStage",
        "stages",
        {
            "stage": first_of("MasterLabel", "ApiName"),
            "forecast_category": first_of("ForecastCategoryName", "ForecastCategory"),
        },
    ),
    ObjectSpec("CurrencyType", "currency_rates"),
)
