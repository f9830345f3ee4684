"""The canonical CRM model: the one source of truth for tables and columns.

Importers produce these tables, the engine stores them, metrics read them, and
``docs/data-model.md`` is generated from them (a test keeps the two in step).
Which Salesforce field feeds each column is the mapping's business
(``salesforce_mapping.py``), not the schema's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["id", "string", "float", "int", "bool", "timestamp", "date"]

#: Salesforce's "no record" id, written where a lookup is empty.
SALESFORCE_NULL_ID = "000000000000000AAA"

OPPORTUNITY_TYPES = ("new_business", "expansion", "renewal")
ACTIVITY_KINDS = ("call", "email", "meeting", "task")
DIRECTIONS = ("inbound", "outbound")
USER_FUNCTIONS = ("seller", "manager", "support", "system", "other")
BUYER_ROLES = (
    "executive",
    "economic_buyer",
    "decision_maker",
    "champion",
    "technical_evaluator",
    "user",
    "procurement",
    "unknown",
)
SENIORITY_LEVELS = ("c_level", "vp", "director", "manager", "individual", "unknown")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" this id points at


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def snake_case(api_name: str) -> str:
    """``StageName`` -> ``stage_name``; ``Pricebook2Id`` -> ``pricebook_2_id`` (Fivetran's rule)."""
    out: list[str] = []
    prev = ""
    for ch in api_name.removesuffix("__c"):
        if ch.isupper() and prev and (prev.islower() or prev.isdigit()):
            out.append("_")
        elif ch.isdigit() and prev and not prev.isdigit():
            out.append("_")
        out.append(ch.lower())
        prev = ch
    name = "".join(out)
    return name + "_c" if api_name.endswith("__c") else name


def C(
    name: str,
    type: ColumnType,
    description: str,
    *,
    required: bool = False,
    enum: tuple[str, ...] | None = None,
    references: str | None = None,
) -> Column:
    return Column(name, type, description, required, enum, references)


USERS = Table(
    "users",
    "People in the selling organisation: sellers, managers and the support desk.",
    (
        C("user_id", "id", "CRM user id.", required=True),
        C("name", "string", "Full name.", required=True),
        C("email", "string", "Email address."),
        C("title", "string", "Job title."),
        C("department", "string", "Department."),
        C("role_name", "string", "Name of the user's role in the role hierarchy."),
        C("manager_id", "id", "The user's manager.", references="users.user_id"),
        C(
            "function",
            "string",
            "What the person does in selling: derived from role, title and reporting lines.",
            enum=USER_FUNCTIONS,
        ),
        C("team", "string", "Team name: the manager's team, or the role name."),
        C("is_active", "bool", "Still an active user."),
    ),
    primary_key="user_id",
)

ACCOUNTS = Table(
    "accounts",
    "Companies the team sells to, customers and prospects.",
    (
        C("account_id", "id", "CRM account id.", required=True),
        C("name", "string", "Company name.", required=True),
        C("industry", "string", "Industry."),
        C("annual_revenue", "float", "Annual revenue, in the account's currency."),
        C("employees", "int", "Number of employees."),
        C("country", "string", "Billing country."),
        C("region", "string", "Sales region or territory, where the CRM holds one."),
        C("account_type", "string", "Customer status, e.g. Customer, Prospect, Partner."),
        C("owner_id", "id", "Account owner.", references="users.user_id"),
        C("parent_id", "id", "Parent company.", references="accounts.account_id"),
        C("created_at", "timestamp", "When the account was created (UTC)."),
        C(
            "attributes",
            "string",
            "Extra source columns a mapping keeps, as a JSON object of text values (for models), e.g. "
            '`{"segment": "Mid-market"}`.',
        ),
    ),
    primary_key="account_id",
)

CONTACTS = Table(
    "contacts",
    "People at accounts: the buyers.",
    (
        C("contact_id", "id", "CRM contact id.", required=True),
        C("account_id", "id", "The contact's company.", references="accounts.account_id"),
        C("first_name", "string", "First name."),
        C("last_name", "string", "Last name."),
        C("name", "string", "Full name (built from first and last when absent)."),
        C("title", "string", "Job title, in any language."),
        C("department", "string", "Department."),
        C(
            "decision_level",
            "string",
            "The org's own decision-level picklist (e.g. High-Decision, Sponsor, Influencer), where it keeps one "
            "(`JobLevel__c`, `Level__c` or `Decision_Level__c`); used through the `decision_level_map` setting.",
        ),
        C("email", "string", "Email address."),
        C("reports_to_id", "id", "The contact's boss.", references="contacts.contact_id"),
        C("created_at", "timestamp", "When the contact was created (UTC)."),
        C(
            "departed_at",
            "timestamp",
            "When the contact left the company, where known (a custom field in Salesforce).",
        ),
    ),
    primary_key="contact_id",
)

OPPORTUNITIES = Table(
    "opportunities",
    "Deals: new business, expansion and renewal.",
    (
        C("opportunity_id", "id", "CRM opportunity id.", required=True),
        C("account_id", "id", "The buying company.", references="accounts.account_id"),
        C("owner_id", "id", "The seller who owns the deal.", references="users.user_id"),
        C("name", "string", "Deal name."),
        C("type", "string", "Kind of deal, normalised from the CRM's Type.", enum=OPPORTUNITY_TYPES),
        C("stage", "string", "Sales stage.", required=True),
        C("amount", "float", "Deal amount in `currency`."),
        C("currency", "string", "ISO currency code of `amount`."),
        C(
            "amount_corporate",
            "float",
            "Amount converted to the corporate currency; only when conversion rates were given.",
        ),
        C("probability", "float", "Win probability in percent, 0 to 100, as Salesforce stores it."),
        C("forecast_category", "string", "Forecast category."),
        C(
            "created_at",
            "timestamp",
            "When the deal was created or first engaged (UTC). Empty where the source has no date "
            "(metrics that need it leave such deals out and say how many).",
        ),
        C("close_date", "date", "Expected or actual close date."),
        C("is_closed", "bool", "Closed, won or lost.", required=True),
        C("is_won", "bool", "Closed and won.", required=True),
        C("lead_source", "string", "Where the deal came from."),
        C("product", "string", "Main product or product family sold."),
        C(
            "quote_requested_at",
            "timestamp",
            "When the buyer asked for a quote, where the CRM records it explicitly.",
        ),
        C(
            "quality_flag",
            "string",
            "Set by the importer when the row breaks sequence (e.g. closed_before_created); kept, not dropped.",
        ),
        C(
            "attributes",
            "string",
            "Extra source columns a mapping keeps, as a JSON object of text values, e.g. "
            '`{"competitor": "Acme", "rfp": "yes"}`.',
        ),
    ),
    primary_key="opportunity_id",
)

OPPORTUNITY_HISTORY = Table(
    "opportunity_history",
    "Every change of stage, amount, probability or close date on a deal.",
    (
        C("history_id", "id", "History row id.", required=True),
        C(
            "opportunity_id",
            "id",
            "The deal that changed.",
            required=True,
            references="opportunities.opportunity_id",
        ),
        C("stage", "string", "Stage after the change."),
        C("amount", "float", "Amount after the change."),
        C("probability", "float", "Probability (0-100) after the change."),
        C("close_date", "date", "Close date after the change."),
        C("forecast_category", "string", "Forecast category after the change."),
        C("changed_at", "timestamp", "When the change happened (UTC).", required=True),
        C("changed_by_id", "id", "Who made the change.", references="users.user_id"),
    ),
    primary_key="history_id",
    notes=(
        "Several rows for one deal with the same `changed_at` are a load artefact: the importer keeps the last.",
    ),
)

OPPORTUNITY_FIELD_HISTORY = Table(
    "opportunity_field_history",
    "Field edits on deals (Salesforce OpportunityFieldHistory: owner, stage, amount, close date, next step...). "
    "Absent from many exports: the table is then empty and the metrics that need it say so.",
    (
        C("history_id", "id", "Field history row id.", required=True),
        C(
            "opportunity_id",
            "id",
            "The deal that was edited.",
            required=True,
            references="opportunities.opportunity_id",
        ),
        C("field", "string", "The field's API name as the CRM writes it, e.g. `Owner`, `StageName`, `Amount`, `NextStep`."),
        C("old_value", "string", "The value before the edit, as text (a user id for `Owner`)."),
        C("new_value", "string", "The value after the edit, as text."),
        C("changed_at", "timestamp", "When the edit happened (UTC).", required=True),
        C("changed_by_id", "id", "Who made the edit.", references="users.user_id"),
    ),
    primary_key="history_id",
)

OPPORTUNITY_CONTACT_ROLES = Table(
    "opportunity_contact_roles",
    "Which buyer plays which part in a deal.",
    (
        C("contact_role_id", "id", "Row id.", required=True),
        C(
            "opportunity_id",
            "id",
            "The deal.",
            required=True,
            references="opportunities.opportunity_id",
        ),
        C("contact_id", "id", "The buyer.", required=True, references="contacts.contact_id"),
        C("role", "string", "Role as written in the CRM, e.g. Decision Maker, Economic Buyer."),
        C("is_primary", "bool", "The primary contact for the deal."),
    ),
    primary_key="contact_role_id",
)

ACTIVITIES = Table(
    "activities",
    "Calls, emails, meetings and tasks, from Task, Event and EmailMessage.",
    (
        C("activity_id", "id", "Activity id.", required=True),
        C("kind", "string", "call, email, meeting or task.", required=True, enum=ACTIVITY_KINDS),
        C("direction", "string", "inbound or outbound, where known.", enum=DIRECTIONS),
        C("subject", "string", "Subject line."),
        C("owner_id", "id", "The seller or support member who did it.", references="users.user_id"),
        C("contact_id", "id", "The buyer involved (WhoId when it is a contact).", references="contacts.contact_id"),
        C("what_id", "id", "The record it is about (WhatId): a deal, an account, a case."),
        C(
            "opportunity_id",
            "id",
            "The deal it is about, when WhatId is an opportunity.",
            references="opportunities.opportunity_id",
        ),
        C("account_id", "id", "The account it is about.", references="accounts.account_id"),
        C("occurred_at", "timestamp", "When it happened (UTC).", required=True),
        C("created_at", "timestamp", "When it was logged (UTC)."),
        C("status", "string", "Status, e.g. Completed."),
        C(
            "subtype",
            "string",
            "The CRM's own subtype as written, e.g. `ListEmail` (Salesforce TaskSubtype) or a HubSpot engagement type.",
        ),
        C(
            "is_done",
            "bool",
            "Completed (Task IsClosed, or Status Completed); empty where the CRM does not say. "
            "Tasks not done are plans, not activity.",
        ),
        C("source_object", "string", "Task, Event or EmailMessage.", enum=("Task", "Event", "EmailMessage", "other")),
        C(
            "created_by_id",
            "id",
            "Who created it (Task/Event CreatedById): someone other than the owner for a task assigned to the owner.",
            references="users.user_id",
        ),
        C("description", "string", "The body of a task or event (Description), where the export carries it."),
    ),
    primary_key="activity_id",
    notes=(
        "Tasks give calls, emails and tasks; Events give meetings; EmailMessage gives emails with direction "
        "from `Incoming`.",
    ),
)

QUOTES = Table(
    "quotes",
    "Quotes and proposals sent to buyers.",
    (
        C("quote_id", "id", "Quote id.", required=True),
        C(
            "opportunity_id",
            "id",
            "The deal it prices.",
            references="opportunities.opportunity_id",
        ),
        C("account_id", "id", "The buying company.", references="accounts.account_id"),
        C("name", "string", "Quote name."),
        C("status", "string", "Draft, Presented, Accepted, Denied..."),
        C("amount", "float", "Quote total."),
        C("currency", "string", "ISO currency code."),
        C("requested_at", "timestamp", "When the buyer asked for it, where recorded."),
        C("created_at", "timestamp", "When the quote was created (UTC).", required=True),
        C("sent_at", "timestamp", "When it went to the buyer, where recorded."),
        C("expiration_date", "date", "Valid until."),
    ),
    primary_key="quote_id",
)

CASES = Table(
    "cases",
    "Support cases: service work on existing business.",
    (
        C("case_id", "id", "Case id.", required=True),
        C("account_id", "id", "The customer.", references="accounts.account_id"),
        C("contact_id", "id", "Who raised it.", references="contacts.contact_id"),
        C("owner_id", "id", "Who works it.", references="users.user_id"),
        C("subject", "string", "Subject."),
        C("type", "string", "Case type."),
        C("status", "string", "Status."),
        C("priority", "string", "Priority."),
        C("origin", "string", "Channel it came in on."),
        C("created_at", "timestamp", "Opened (UTC).", required=True),
        C("closed_at", "timestamp", "Closed (UTC)."),
        C("is_closed", "bool", "Closed."),
    ),
    primary_key="case_id",
)

STAGES = Table(
    "stages",
    "The org's sales stages in order, with what each means (Salesforce OpportunityStage, HubSpot deal "
    "pipeline stages). Empty when the export has none; the analysis then infers stage order and meaning "
    "from deals, history and probabilities.",
    (
        C("stage", "string", "Stage name as it appears on deals (StageName).", required=True),
        C("sort_order", "int", "Position in the sales process, ascending."),
        C("probability", "float", "Default win probability in percent (0-100)."),
        C("is_closed", "bool", "A closed stage (won or lost)."),
        C("is_won", "bool", "A won stage."),
        C("is_active", "bool", "Still offered in the picklist."),
        C("forecast_category", "string", "Forecast category of the stage."),
        C("pipeline", "string", "The pipeline the stage belongs to, where the CRM has several (HubSpot)."),
    ),
    primary_key="stage",
)

CURRENCY_RATES = Table(
    "currency_rates",
    "Conversion rates to the corporate currency, when the export carries them (CurrencyType).",
    (
        C("iso_code", "string", "ISO currency code.", required=True),
        C("conversion_rate", "float", "Units of this currency per one unit of corporate currency.", required=True),
        C("is_corporate", "bool", "The corporate currency."),
    ),
    primary_key="iso_code",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        USERS,
        ACCOUNTS,
        CONTACTS,
        OPPORTUNITIES,
        OPPORTUNITY_HISTORY,
        OPPORTUNITY_FIELD_HISTORY,
        OPPORTUNITY_CONTACT_ROLES,
        ACTIVITIES,
        QUOTES,
        CASES,
        STAGES,
        CURRENCY_RATES,
    )
}


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no canonical table {name!r}; known: {', '.join(TABLES)}") from None
