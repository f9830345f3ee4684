"""Salesforce (export or Fivetran) -> canonical tables: the one mapping.

This module is the only place where a Salesforce API name (``AccountId``, ``StageName``,
``SBQQ__Quote__c``) or a Fivetran column (``_fivetran_synced``) meets a canonical column.
It is data, not code: per Salesforce object, the canonical table it feeds and, per
canonical column, a rule naming the fields it is read from.  Two interpreters execute it:

- ``importers/objects.py`` with Arrow compute, for export CSVs and Fivetran files
  (``import salesforce``, ``import fivetran``);
- ``engine/fivetran_source.py`` with Ibis, for Fivetran tables read in place in a
  warehouse, a DuckDB file or Spark.

Rules:

``Field(name)``
    the field as it is;
``FirstOf(names)``
    the first non-blank of several fields (orgs name custom fields differently);
``WithPrefix(name, prefixes)``
    the id in a polymorphic lookup (``WhoId``, ``WhatId``) when it points at an object with
    one of these key prefixes (``003`` contact, ``006`` opportunity, ``001`` account);
``Constant(value)`` / ``NOTHING``
    a fixed value / always empty;
``Derive(kind, inputs)``
    a named derivation (see ``DERIVATIONS``) over named inputs, each read from the first
    present of its candidate fields.  Both interpreters implement every kind, in terms of
    the inputs only: they never name a Salesforce field.

The vocabulary the derivations use (deal types, stage outcomes, who is not a seller)
lives in :mod:`.vocabulary`.

Fivetran lands each object as a table named the snake_case of the object and each field
as the snake_case of its API name (``StageName`` -> ``stage_name``; a managed package's
``__`` as one ``_``: ``SBQQ__Quote__c`` -> ``sbqq_quote_c``); see :func:`fivetran_name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .schema import TABLES, snake_case

# -- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True)
class FirstOf:
    names: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return self.names


@dataclass(frozen=True)
class WithPrefix:
    name: str
    prefixes: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True)
class Constant:
    value: str

    @property
    def fields(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Nothing:
    @property
    def fields(self) -> tuple[str, ...]:
        return ()


NOTHING = Nothing()


@dataclass(frozen=True)
class Derive:
    """``kind`` computed from ``inputs``: (input name, candidate fields in order of preference).

    ``shown`` are the fields an import report names for the column (default: every candidate)."""

    kind: str
    inputs: tuple[tuple[str, tuple[str, ...]], ...]
    shown: tuple[str, ...] | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        if self.shown is not None:
            return self.shown
        return tuple(f for _, names in self.inputs for f in names)


Rule = Field | FirstOf | WithPrefix | Constant | Nothing | Derive

#: Derivation kinds, with their inputs (each interpreter implements every one):
DERIVATIONS: dict[str, str] = {
    "opportunity_type": "text -> new_business / expansion / renewal (vocabulary.deal_type patterns)",
    "task_kind": "subtype, type -> call / email / meeting / task",
    "call_direction": "text -> inbound / outbound by its first letters",
    "email_direction": "incoming (boolean text) -> inbound / outbound",
    "email_address": "incoming, sender, recipients -> the buyer's address (lower case)",
    "person_name": "name, first, last -> name, else first and last joined",
    "role_id": "role -> the role id, Salesforce's null id read as none",
    "user_function": "given, license (UserType), profile (all present) -> 'system' for non-people, else given",
    "task_done": "closed, status -> closed, else done by status",
    "snapshot_id": "id, start -> 'id@start' (a history-mode snapshot's row id)",
}


def _derive(kind: str, shown: tuple[str, ...] | None = None, **inputs: str | tuple[str, ...]) -> Derive:
    assert kind in DERIVATIONS, kind
    return Derive(kind, tuple((k, (v,) if isinstance(v, str) else v) for k, v in inputs.items()), shown)


def _first(*names: str) -> FirstOf:
    return FirstOf(names)


# -- the default field of each canonical column (the data model's "Salesforce" column) -------------

COLUMN_FIELDS: dict[str, dict[str, str]] = {
    "users": {
        "user_id": "Id", "name": "Name", "email": "Email", "title": "Title", "department": "Department",
        "role_name": "UserRoleId", "manager_id": "ManagerId", "is_active": "IsActive",
    },
    "accounts": {
        "account_id": "Id", "name": "Name", "industry": "Industry", "annual_revenue": "AnnualRevenue",
        "employees": "NumberOfEmployees", "country": "BillingCountry", "region": "Region__c", "account_type": "Type",
        "owner_id": "OwnerId", "parent_id": "ParentId", "created_at": "CreatedDate",
    },
    "contacts": {
        "contact_id": "Id", "account_id": "AccountId", "first_name": "FirstName", "last_name": "LastName",
        "name": "Name", "title": "Title", "department": "Department", "decision_level": "JobLevel__c",
        "email": "Email", "reports_to_id": "ReportsToId", "created_at": "CreatedDate",
        "departed_at": "Departure_Date__c",
    },
    "opportunities": {
        "opportunity_id": "Id", "account_id": "AccountId", "owner_id": "OwnerId", "name": "Name", "type": "Type",
        "stage": "StageName", "amount": "Amount", "currency": "CurrencyIsoCode", "probability": "Probability",
        "forecast_category": "ForecastCategoryName", "created_at": "CreatedDate", "close_date": "CloseDate",
        "is_closed": "IsClosed", "is_won": "IsWon", "lead_source": "LeadSource", "product": "Product__c",
        "quote_requested_at": "Quote_Requested_Date__c",
    },
    "opportunity_history": {
        "history_id": "Id", "opportunity_id": "OpportunityId", "stage": "StageName", "amount": "Amount",
        "probability": "Probability", "close_date": "CloseDate", "forecast_category": "ForecastCategory",
        "changed_at": "CreatedDate", "changed_by_id": "CreatedById",
    },
    "opportunity_contact_roles": {
        "contact_role_id": "Id", "opportunity_id": "OpportunityId", "contact_id": "ContactId", "role": "Role",
        "is_primary": "IsPrimary",
    },
    "activities": {
        "activity_id": "Id", "kind": "TaskSubtype", "subject": "Subject", "owner_id": "OwnerId", "contact_id": "WhoId",
        "what_id": "WhatId", "account_id": "AccountId", "occurred_at": "ActivityDateTime", "created_at": "CreatedDate",
        "status": "Status", "subtype": "TaskSubtype", "is_done": "IsClosed", "created_by_id": "CreatedById",
        "description": "Description",
    },
    "opportunity_field_history": {
        "history_id": "Id", "opportunity_id": "OpportunityId", "field": "Field", "old_value": "OldValue",
        "new_value": "NewValue", "changed_at": "CreatedDate", "changed_by_id": "CreatedById",
    },
    "quotes": {
        "quote_id": "Id", "opportunity_id": "OpportunityId", "account_id": "AccountId", "name": "Name",
        "status": "Status", "amount": "GrandTotal", "currency": "CurrencyIsoCode", "requested_at": "Requested_Date__c",
        "created_at": "CreatedDate", "sent_at": "Sent_Date__c", "expiration_date": "ExpirationDate",
    },
    "cases": {
        "case_id": "Id", "account_id": "AccountId", "contact_id": "ContactId", "owner_id": "OwnerId",
        "subject": "Subject", "type": "Type", "status": "Status", "priority": "Priority", "origin": "Origin",
        "created_at": "CreatedDate", "closed_at": "ClosedDate", "is_closed": "IsClosed",
    },
    "stages": {
        "stage": "MasterLabel", "sort_order": "SortOrder", "probability": "DefaultProbability", "is_closed": "IsClosed",
        "is_won": "IsWon", "is_active": "IsActive", "forecast_category": "ForecastCategoryName",
    },
    "currency_rates": {"iso_code": "IsoCode", "conversion_rate": "ConversionRate", "is_corporate": "IsCorporate"},
}

#: The Salesforce object each canonical table is named after in the data model.
TABLE_OBJECTS: dict[str, str] = {
    "users": "User", "accounts": "Account", "contacts": "Contact", "opportunities": "Opportunity",
    "opportunity_history": "OpportunityHistory", "opportunity_field_history": "OpportunityFieldHistory",
    "opportunity_contact_roles": "OpportunityContactRole",
    "activities": "Task", "quotes": "Quote", "cases": "Case", "stages": "OpportunityStage",
    "currency_rates": "CurrencyType",
}


def column_field(table: str, column: str) -> str | None:
    """The Salesforce field a canonical column comes from by default (None: derived)."""
    return COLUMN_FIELDS.get(table, {}).get(column)


# -- objects --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectMap:
    """One Salesforce object: the canonical table it feeds, and a rule per column.

    Columns without an explicit rule read their default field (``COLUMN_FIELDS``).
    ``derivable`` names required columns that may be missing from the source because they are
    derived from the stages afterwards (Opportunity IsClosed / IsWon)."""

    object: str
    table: str
    rules: dict[str, Rule] = field(default_factory=dict)
    derivable: frozenset[str] = frozenset()

    def rule(self, column: str) -> Rule | None:
        if column in self.rules:
            return self.rules[column]
        name = column_field(self.table, column)
        return None if name is None else Field(name)

    def column_rules(self) -> dict[str, Rule | None]:
        """Every canonical column of the table, with its rule (None: left empty)."""
        return {c.name: self.rule(c.name) for c in TABLES[self.table].columns}


_OWNER_OR_CREATOR = _first("OwnerId", "CreatedById")
_NAME = _derive("person_name", name="Name", first="FirstName", last="LastName")

#: Salesforce object -> the user-role lookup (``User.UserRoleId`` names a ``UserRole``).
USER_ROLE = ObjectMap("UserRole", "_user_roles", {"role_id": Field("Id"), "name": Field("Name")})

OBJECTS: tuple[ObjectMap, ...] = (
    USER_ROLE,
    ObjectMap(
        "User",
        "users",
        {
            "name": _NAME,
            "role_name": _derive("role_id", role="UserRoleId"),
            "function": _derive(
                "user_function",
                ("Function__c", "UserType", "Profile.Name"),
                given="Function__c",
                license="UserType",
                profile=("Profile.Name", "ProfileName", "Profile_Name__c"),
            ),
            "team": _first("Team__c"),
        },
    ),
    ObjectMap("Account", "accounts", {"region": _first("Region__c", "Sales_Region__c", "Territory__c")}),
    ObjectMap(
        "Contact",
        "contacts",
        {
            "name": _NAME,
            "departed_at": _first("Departure_Date__c", "Departed_Date__c", "Left_Company_Date__c"),
            "decision_level": _first("JobLevel__c", "Level__c", "Decision_Level__c"),
        },
    ),
    ObjectMap(
        "Opportunity",
        "opportunities",
        {
            "type": _derive("opportunity_type", text="Type"),
            "forecast_category": _first("ForecastCategoryName", "ForecastCategory"),
            "product": _first("Product__c", "Product_Family__c", "Primary_Product__c"),
            "quote_requested_at": _first("Quote_Requested_Date__c", "Quote_Requested__c"),
            "quality_flag": _first("Quality_Flag__c"),
        },
        derivable=frozenset({"is_closed", "is_won"}),
    ),
    ObjectMap("OpportunityHistory", "opportunity_history"),
    ObjectMap("OpportunityFieldHistory", "opportunity_field_history"),
    ObjectMap("OpportunityContactRole", "opportunity_contact_roles"),
    ObjectMap(
        "Task",
        "activities",
        {
            "kind": _derive("task_kind", subtype="TaskSubtype", type="Type"),
            "direction": _derive("call_direction", ("CallType",), text=("CallType", "Direction__c")),
            "contact_id": WithPrefix("WhoId", ("003",)),
            "opportunity_id": WithPrefix("WhatId", ("006",)),
            "occurred_at": _first("CompletedDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate"),
            "subtype": _first("TaskSubtype"),
            "is_done": _derive("task_done", closed="IsClosed", status="Status"),
            "source_object": Constant("Task"),
        },
    ),
    ObjectMap(
        "Event",
        "activities",
        {
            "kind": Constant("meeting"),
            "contact_id": WithPrefix("WhoId", ("003",)),
            "opportunity_id": WithPrefix("WhatId", ("006",)),
            "occurred_at": _first("ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate"),
            "subtype": _first("EventSubtype"),
            "is_done": NOTHING,
            "source_object": Constant("Event"),
        },
    ),
    ObjectMap(
        "EmailMessage",
        "activities",
        {
            "kind": Constant("email"),
            "direction": _derive("email_direction", incoming="Incoming"),
            "owner_id": _OWNER_OR_CREATOR,
            # an address here; resolved to a contact id once contacts are read
            "contact_id": _derive(
                "email_address", ("FromAddress", "ToAddress"), incoming="Incoming", sender="FromAddress", recipients="ToAddress"
            ),
            "what_id": _first("RelatedToId", "ParentId"),
            "opportunity_id": WithPrefix("RelatedToId", ("006",)),
            "account_id": WithPrefix("RelatedToId", ("001",)),
            "occurred_at": _first("MessageDate", "CreatedDate"),
            "subtype": NOTHING,
            "is_done": NOTHING,
            "source_object": Constant("EmailMessage"),
        },
    ),
    ObjectMap(
        "Quote",
        "quotes",
        {
            "amount": _first("GrandTotal", "TotalPrice"),
            "requested_at": _first("Requested_Date__c", "Quote_Requested_Date__c", "Request_Date__c"),
            "sent_at": _first("Sent_Date__c", "Date_Sent__c", "Sent_Date_Time__c"),
        },
    ),
    # Salesforce CPQ (Steelbrick) quotes, beside or instead of standard Quotes; ids differ, both are kept.
    ObjectMap(
        "SBQQ__Quote__c",
        "quotes",
        {
            "opportunity_id": Field("SBQQ__Opportunity2__c"),
            "account_id": _first("SBQQ__Account__c"),
            "status": _first("SBQQ__Status__c"),
            "amount": _first("SBQQ__NetAmount__c", "SBQQ__CustomerAmount__c"),
            "expiration_date": _first("SBQQ__ExpirationDate__c"),
        },
    ),
    ObjectMap("Case", "cases"),
    ObjectMap(
        "OpportunityStage",
        "stages",
        {
            "stage": _first("MasterLabel", "ApiName"),
            "forecast_category": _first("ForecastCategoryName", "ForecastCategory"),
        },
    ),
    ObjectMap("CurrencyType", "currency_rates"),
)

OBJECT_MAPS: dict[str, ObjectMap] = {o.object: o for o in OBJECTS}

#: The stage picklist's two names for a stage: deals may carry either (translated picklists).
STAGE_LABEL, STAGE_API_NAME = "MasterLabel", "ApiName"

# -- Fivetran ------------------------------------------------------------------------------------

#: Soft-delete flags: rows with one of these true are left out.
DELETED_FLAGS = ("IsDeleted", "_fivetran_deleted")
#: History mode: the current version of a row (older versions are left out, except in history).
ACTIVE_FLAG = "_fivetran_active"
#: History mode: when a version became current.
START_FIELD = "_fivetran_start"
#: What moves when a sync changes a table (the first present is read).
SYNC_FIELDS = ("_fivetran_synced", "SystemModstamp")
#: Objects whose every history-mode version is kept (each version is a change).
ALL_VERSIONS = frozenset({"OpportunityHistory"})

#: History-mode snapshots of Opportunity (``Id`` plus ``_fivetran_start``) read as opportunity history.
SNAPSHOT_HISTORY = ObjectMap(
    "OpportunityHistory",
    "opportunity_history",
    {
        "history_id": _derive("snapshot_id", id="Id", start=START_FIELD),
        "opportunity_id": Field("Id"),
        "stage": Field("StageName"),
        "forecast_category": _first("ForecastCategoryName", "ForecastCategory"),
        "changed_at": _first(START_FIELD, "LastModifiedDate", "SystemModstamp"),
        "changed_by_id": _first("LastModifiedById"),
    },
)


def fivetran_case(name: str) -> str:
    """Fivetran's name for a Salesforce API name: snake_case, a managed package's ``__`` as one ``_``
    (``SBQQ__Quote__c`` -> ``sbqq_quote_c``, ``SBQQ__Opportunity2__c`` -> ``sbqq_opportunity_2_c``)."""
    return re.sub(r"_{2,}", "_", snake_case(name))


def fivetran_name(field_name: str) -> str:
    """The column Fivetran lands a field as (its own ``_fivetran_*`` columns keep their names)."""
    return field_name if field_name.startswith("_fivetran") else fivetran_case(field_name)


def fivetran_tables(obj: str) -> tuple[str, ...]:
    """Names Fivetran (or its seed files: ``sf_opportunity_data``) gives the table of object ``obj``."""
    s = fivetran_case(obj)
    return tuple(dict.fromkeys((s, f"sf_{s}_data", f"sf_{s}", f"{s}_data", "product_2" if s == "product2" else s)))


def is_snapshot_history(columns: set[str] | list[str] | tuple[str, ...]) -> bool:
    """A landed ``opportunity_history`` that holds dated Opportunity snapshots, not OpportunityHistory rows."""
    cols = {c.lower() for c in columns}
    return fivetran_name("OpportunityId") not in cols and START_FIELD in cols
