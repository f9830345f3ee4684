"""The canonical CRM model: the one source of truth for tables and columns.

Importers produce these tables, the engine stores them, metrics read them, and
``docs/data-model.md`` is generated from them (a test keeps the two in step).
Salesforce API names are the reference vocabulary: every column names the
Salesforce field it comes from.  Fivetran's names are the snake_case of those.
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
    sf: str | None = None  # Salesforce API field name this column comes from
    enum: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" this id points at

    @property
    def fivetran(self) -> str | None:
        """Fivetran's snake_case name for the Salesforce field."""
        return snake_case(self.sf) if self.sf else None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: str
    sf_object: str | None = None
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
    sf: str | None = None,
    enum: tuple[str, ...] | None = None,
    references: str | None = None,
) -> Column:
    return Column(name, type, description, required, sf, enum, references)


USERS = Table(
    "users",
    "People in the selling organisation: sellers, managers and the support desk.",
    (
        C("user_id", "id", "CRM user id.", required=True, sf="Id"),
        C("name", "string", "Full name.", required=True, sf="Name"),
        C("email", "string", "Email address.", sf="Email"),
        C("title", "string", "Job title.", sf="Title"),
        C("department", "string", "Department.", sf="Department"),
        C("role_name", "string", "Name of the user's role in the role hierarchy.", sf="UserRoleId"),
        C("manager_id", "id", "The user's manager.", sf="ManagerId", references="users.user_id"),
        C(
            "function",
            "string",
            "What the person does in selling: derived from role, title and reporting lines.",
            enum=USER_FUNCTIONS,
        ),
        C("team", "string", "Team name: the manager's team, or the role name."),
        C("is_active", "bool", "Still an active user.", sf="IsActive"),
    ),
    primary_key="user_id",
    sf_object="User",
)

ACCOUNTS = Table(
    "accounts",
    "Companies the team sells to, customers and prospects.",
    (
        C("account_id", "id", "CRM account id.", required=True, sf="Id"),
        C("name", "string", "Company name.", required=True, sf="Name"),
        C("industry", "string", "Industry.", sf="Industry"),
        C("annual_revenue", "float", "Annual revenue, in the account's currency.", sf="AnnualRevenue"),
        C("employees", "int", "Number of employees.", sf="NumberOfEmployees"),
        C("country", "string", "Billing country.", sf="BillingCountry"),
        C("region", "string", "Sales region or territory, where the CRM holds one.", sf="Region__c"),
        C("account_type", "string", "Customer status, e.g. Customer, Prospect, Partner.", sf="Type"),
        C("owner_id", "id", "Account owner.", sf="OwnerId", references="users.user_id"),
        C("parent_id", "id", "Parent company.", sf="ParentId", references="accounts.account_id"),
        C("created_at", "timestamp", "When the account was created (UTC).", sf="CreatedDate"),
        C(
            "attributes",
            "string",
            "Extra source columns a mapping keeps, as a JSON object of text values (for models), e.g. "
            '`{"segment": "Mid-market"}`.',
        ),
    ),
    primary_key="account_id",
    sf_object="Account",
)

CONTACTS = Table(
    "contacts",
    "People at accounts: the buyers.",
    (
        C("contact_id", "id", "CRM contact id.", required=True, sf="Id"),
        C("account_id", "id", "The contact's company.", sf="AccountId", references="accounts.account_id"),
        C("first_name", "string", "First name.", sf="FirstName"),
        C("last_name", "string", "Last name.", sf="LastName"),
        C("name", "string", "Full name (built from first and last when absent).", sf="Name"),
        C("title", "string", "Job title, in any language.", sf="Title"),
        C("department", "string", "Department.", sf="Department"),
        C(
            "decision_level",
            "string",
            "The org's own decision-level picklist (e.g. High-Decision, Sponsor, Influencer), where it keeps one "
            "(`JobLevel__c`, `Level__c` or `Decision_Level__c`); used through the `decision_level_map` setting.",
            sf="JobLevel__c",
        ),
        C("email", "string", "Email address.", sf="Email"),
        C("reports_to_id", "id", "The contact's boss.", sf="ReportsToId", references="contacts.contact_id"),
        C("created_at", "timestamp", "When the contact was created (UTC).", sf="CreatedDate"),
        C(
            "departed_at",
            "timestamp",
            "When the contact left the company, where known (a custom field in Salesforce).",
            sf="Departure_Date__c",
        ),
    ),
    primary_key="contact_id",
    sf_object="Contact",
)

OPPORTUNITIES = Table(
    "opportunities",
    "Deals: new business, expansion and renewal.",
    (
        C("opportunity_id", "id", "CRM opportunity id.", required=True, sf="Id"),
        C("account_id", "id", "The buying company.", sf="AccountId", references="accounts.account_id"),
        C("owner_id", "id", "The seller who owns the deal.", sf="OwnerId", references="users.user_id"),
        C("name", "string", "Deal name.", sf="Name"),
        C("type", "string", "Kind of deal, normalised from the CRM's Type.", sf="Type", enum=OPPORTUNITY_TYPES),
        C("stage", "string", "Sales stage.", required=True, sf="StageName"),
        C("amount", "float", "Deal amount in `currency`.", sf="Amount"),
        C("currency", "string", "ISO currency code of `amount`.", sf="CurrencyIsoCode"),
        C(
            "amount_corporate",
            "float",
            "Amount converted to the corporate currency; only when conversion rates were given.",
        ),
        C("probability", "float", "Win probability in percent, 0 to 100, as Salesforce stores it.", sf="Probability"),
        C("forecast_category", "string", "Forecast category.", sf="ForecastCategoryName"),
        C(
            "created_at",
            "timestamp",
            "When the deal was created or first engaged (UTC). Empty where the source has no date "
            "(metrics that need it leave such deals out and say how many).",
            sf="CreatedDate",
        ),
        C("close_date", "date", "Expected or actual close date.", sf="CloseDate"),
        C("is_closed", "bool", "Closed, won or lost.", required=True, sf="IsClosed"),
        C("is_won", "bool", "Closed and won.", required=True, sf="IsWon"),
        C("lead_source", "string", "Where the deal came from.", sf="LeadSource"),
        C("product", "string", "Main product or product family sold.", sf="Product__c"),
        C(
            "quote_requested_at",
            "timestamp",
            "When the buyer asked for a quote, where the CRM records it explicitly.",
            sf="Quote_Requested_Date__c",
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
    sf_object="Opportunity",
)

OPPORTUNITY_HISTORY = Table(
    "opportunity_history",
    "Every change of stage, amount, probability or close date on a deal.",
    (
        C("history_id", "id", "History row id.", required=True, sf="Id"),
        C(
            "opportunity_id",
            "id",
            "The deal that changed.",
            required=True,
            sf="OpportunityId",
            references="opportunities.opportunity_id",
        ),
        C("stage", "string", "Stage after the change.", sf="StageName"),
        C("amount", "float", "Amount after the change.", sf="Amount"),
        C("probability", "float", "Probability (0-100) after the change.", sf="Probability"),
        C("close_date", "date", "Close date after the change.", sf="CloseDate"),
        C("forecast_category", "string", "Forecast category after the change.", sf="ForecastCategory"),
        C("changed_at", "timestamp", "When the change happened (UTC).", required=True, sf="CreatedDate"),
        C("changed_by_id", "id", "Who made the change.", sf="CreatedById", references="users.user_id"),
    ),
    primary_key="history_id",
    sf_object="OpportunityHistory",
    notes=(
        "Several rows for one deal with the same `changed_at` are a load artefact: the importer keeps the last.",
    ),
)

OPPORTUNITY_CONTACT_ROLES = Table(
    "opportunity_contact_roles",
    "Which buyer plays which part in a deal.",
    (
        C("contact_role_id", "id", "Row id.", required=True, sf="Id"),
        C(
            "opportunity_id",
            "id",
            "The deal.",
            required=True,
            sf="OpportunityId",
            references="opportunities.opportunity_id",
        ),
        C("contact_id", "id", "The buyer.", required=True, sf="ContactId", references="contacts.contact_id"),
        C("role", "string", "Role as written in the CRM, e.g. Decision Maker, Economic Buyer.", sf="Role"),
        C("is_primary", "bool", "The primary contact for the deal.", sf="IsPrimary"),
    ),
    primary_key="contact_role_id",
    sf_object="OpportunityContactRole",
)

ACTIVITIES = Table(
    "activities",
    "Calls, emails, meetings and tasks, from Task, Event and EmailMessage.",
    (
        C("activity_id", "id", "Activity id.", required=True, sf="Id"),
        C("kind", "string", "call, email, meeting or task.", required=True, sf="TaskSubtype", enum=ACTIVITY_KINDS),
        C("direction", "string", "inbound or outbound, where known.", enum=DIRECTIONS),
        C("subject", "string", "Subject line.", sf="Subject"),
        C("owner_id", "id", "The seller or support member who did it.", sf="OwnerId", references="users.user_id"),
        C("contact_id", "id", "The buyer involved (WhoId when it is a contact).", sf="WhoId", references="contacts.contact_id"),
        C("what_id", "id", "The record it is about (WhatId): a deal, an account, a case.", sf="WhatId"),
        C(
            "opportunity_id",
            "id",
            "The deal it is about, when WhatId is an opportunity.",
            references="opportunities.opportunity_id",
        ),
        C("account_id", "id", "The account it is about.", sf="AccountId", references="accounts.account_id"),
        C("occurred_at", "timestamp", "When it happened (UTC).", required=True, sf="ActivityDateTime"),
        C("created_at", "timestamp", "When it was logged (UTC).", sf="CreatedDate"),
        C("status", "string", "Status, e.g. Completed.", sf="Status"),
        C(
            "subtype",
            "string",
            "The CRM's own subtype as written, e.g. `ListEmail` (Salesforce TaskSubtype) or a HubSpot engagement type.",
            sf="TaskSubtype",
        ),
        C(
            "is_done",
            "bool",
            "Completed (Task IsClosed, or Status Completed); empty where the CRM does not say. "
            "Tasks not done are plans, not activity.",
            sf="IsClosed",
        ),
        C("source_object", "string", "Task, Event or EmailMessage.", enum=("Task", "Event", "EmailMessage", "other")),
    ),
    primary_key="activity_id",
    sf_object="Task",
    notes=(
        "Tasks give calls, emails and tasks; Events give meetings; EmailMessage gives emails with direction "
        "from `Incoming`.",
    ),
)

QUOTES = Table(
    "quotes",
    "Quotes and proposals sent to buyers.",
    (
        C("quote_id", "id", "Quote id.", required=True, sf="Id"),
        C(
            "opportunity_id",
            "id",
            "The deal it prices.",
            sf="OpportunityId",
            references="opportunities.opportunity_id",
        ),
        C("account_id", "id", "The buying company.", sf="AccountId", references="accounts.account_id"),
        C("name", "string", "Quote name.", sf="Name"),
        C("status", "string", "Draft, Presented, Accepted, Denied...", sf="Status"),
        C("amount", "float", "Quote total.", sf="GrandTotal"),
        C("currency", "string", "ISO currency code.", sf="CurrencyIsoCode"),
        C("requested_at", "timestamp", "When the buyer asked for it, where recorded.", sf="Requested_Date__c"),
        C("created_at", "timestamp", "When the quote was created (UTC).", required=True, sf="CreatedDate"),
        C("sent_at", "timestamp", "When it went to the buyer, where recorded.", sf="Sent_Date__c"),
        C("expiration_date", "date", "Valid until.", sf="ExpirationDate"),
    ),
    primary_key="quote_id",
    sf_object="Quote",
)

CASES = Table(
    "cases",
    "Support cases: service work on existing business.",
    (
        C("case_id", "id", "Case id.", required=True, sf="Id"),
        C("account_id", "id", "The customer.", sf="AccountId", references="accounts.account_id"),
        C("contact_id", "id", "Who raised it.", sf="ContactId", references="contacts.contact_id"),
        C("owner_id", "id", "Who works it.", sf="OwnerId", references="users.user_id"),
        C("subject", "string", "Subject.", sf="Subject"),
        C("type", "string", "Case type.", sf="Type"),
        C("status", "string", "Status.", sf="Status"),
        C("priority", "string", "Priority.", sf="Priority"),
        C("origin", "string", "Channel it came in on.", sf="Origin"),
        C("created_at", "timestamp", "Opened (UTC).", required=True, sf="CreatedDate"),
        C("closed_at", "timestamp", "Closed (UTC).", sf="ClosedDate"),
        C("is_closed", "bool", "Closed.", sf="IsClosed"),
    ),
    primary_key="case_id",
    sf_object="Case",
)

STAGES = Table(
    "stages",
    "The org's sales stages in order, with what each means (Salesforce OpportunityStage, HubSpot deal "
    "pipeline stages). Empty when the export has none; the analysis then infers stage order and meaning "
    "from deals, history and probabilities.",
    (
        C("stage", "string", "Stage name as it appears on deals (StageName).", required=True, sf="MasterLabel"),
        C("sort_order", "int", "Position in the sales process, ascending.", sf="SortOrder"),
        C("probability", "float", "Default win probability in percent (0-100).", sf="DefaultProbability"),
        C("is_closed", "bool", "A closed stage (won or lost).", sf="IsClosed"),
        C("is_won", "bool", "A won stage.", sf="IsWon"),
        C("is_active", "bool", "Still offered in the picklist.", sf="IsActive"),
        C("forecast_category", "string", "Forecast category of the stage.", sf="ForecastCategoryName"),
        C("pipeline", "string", "The pipeline the stage belongs to, where the CRM has several (HubSpot)."),
    ),
    primary_key="stage",
    sf_object="OpportunityStage",
)

CURRENCY_RATES = Table(
    "currency_rates",
    "Conversion rates to the corporate currency, when the export carries them (CurrencyType).",
    (
        C("iso_code", "string", "ISO currency code.", required=True, sf="IsoCode"),
        C("conversion_rate", "float", "Units of this currency per one unit of corporate currency.", required=True, sf="ConversionRate"),
        C("is_corporate", "bool", "The corporate currency.", sf="IsCorporate"),
    ),
    primary_key="iso_code",
    sf_object="CurrencyType",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        USERS,
        ACCOUNTS,
        CONTACTS,
        OPPORTUNITIES,
        OPPORTUNITY_HISTORY,
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
