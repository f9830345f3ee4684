"""One function per Salesforce object: the columns of its export file, API names as headers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..domain.salesforce_ids import to_18
from .accounts import INDUSTRIES, Accounts
from .activity import CALL, TASK_EMAIL, Touches
from .cases import Cases
from .clock import DAY, MINUTE, as_of_seconds
from .contacts import NO_DATE, Contacts
from .export import booleans, dates, lookup, numbers, timestamps
from .history import History
from .people import REGIONS, SalesOrg
from .pipeline import CLOSED_WON, STAGE_FORECAST, STAGE_PROBABILITY, STAGES, TYPES, Deals
from .quotes import Quotes

RATES = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}
PRODUCTS = np.array(
    ["Analytics Suite", "Data Platform", "Integration Hub", "Support Plus", "Edge Connect"],
    dtype=object,
)
_LEAD_SOURCES = np.array(
    ["Web", "Partner Referral", "Outbound Prospecting", "Trade Show", "Customer Referral"],
    dtype=object,
)
_ROLE_BY_SENIORITY = np.array(
    [
        ["Economic Buyer", "Executive Sponsor", "Decision Maker", "Economic Decision Maker"],
        ["Decision Maker", "Economic Decision Maker", "Executive Sponsor", "Economic Buyer"],
        ["Decision Maker", "Technical Buyer", "Influencer", "Evaluator"],
        ["Evaluator", "Influencer", "Technical Buyer", "Other"],
        ["Business User", "Influencer", "Evaluator", "Other"],
    ],
    dtype=object,
)


@dataclass(frozen=True)
class Ids:
    """The 18-character id of every row, per object."""

    user: np.ndarray
    role: np.ndarray
    account: np.ndarray
    contact: np.ndarray
    deal: np.ndarray
    case: np.ndarray


def users(org: SalesOrg, ids: Ids) -> dict:
    n = ids.user.shape[0]
    return {
        "Id": ids.user,
        "Name": (org.first_name + " " + org.last_name).astype(object),
        "FirstName": org.first_name,
        "LastName": org.last_name,
        "Email": org.email,
        "Username": org.email,
        "Title": org.title,
        "Department": org.department,
        "UserRoleId": ids.role[org.role_index],
        "ManagerId": lookup(ids.user, org.manager_index),
        "IsActive": booleans(np.ones(n, bool)),
        "UserType": "Standard",
        "TimeZoneSidKey": "America/New_York",
    }


def roles(org: SalesOrg, ids: Ids) -> dict:
    return {
        "Id": ids.role,
        "Name": org.role_name,
        "ParentRoleId": lookup(ids.role, org.role_parent),
        "DeveloperName": np.array(
            [n.replace(" ", "_").replace("&", "and") for n in org.role_name], dtype=object
        ),
    }


def account_file(accounts: Accounts, is_customer: np.ndarray, org: SalesOrg, ids: Ids) -> dict:
    rate = np.array([RATES[c] for c in accounts.currency])
    return {
        "Id": ids.account,
        "Name": accounts.name,
        "Type": np.where(is_customer, "Customer", "Prospect"),
        "ParentId": lookup(ids.account, accounts.parent),
        "BillingCountry": accounts.country,
        "Website": ("www." + accounts.domain).astype(object),
        "Industry": np.array(INDUSTRIES, dtype=object)[accounts.industry],
        "AnnualRevenue": numbers(np.round(accounts.revenue * rate, -3)),
        "NumberOfEmployees": numbers(accounts.employees),
        "CurrencyIsoCode": accounts.currency,
        "Region__c": np.array(REGIONS, dtype=object)[accounts.region],
        "OwnerId": ids.user[org.sellers[accounts.owner]],
        "CreatedDate": timestamps(accounts.created),
    }


def contact_file(contacts: Contacts, ids: Ids) -> dict:
    left = contacts.departed != NO_DATE
    return {
        "Id": ids.contact,
        "AccountId": ids.account[contacts.account],
        "FirstName": contacts.first_name,
        "LastName": contacts.last_name,
        "Name": (contacts.first_name + " " + contacts.last_name).astype(object),
        "Title": contacts.title,
        "Department": contacts.department,
        "Email": contacts.email,
        "ReportsToId": lookup(ids.contact, contacts.reports_to),
        "CreatedDate": timestamps(contacts.created),
        "Departure_Date__c": dates(np.where(left, contacts.departed, 0) // DAY, ~left),
    }


def _local(amount_usd: np.ndarray, currency: np.ndarray) -> np.ndarray:
    rate = np.array([RATES[c] for c in currency]) if currency.shape[0] else np.zeros(0)
    return np.round(amount_usd * rate, 0)


def opportunity_file(
    rng: np.random.Generator,
    deals: Deals,
    history: History,
    quotes: Quotes,
    accounts: Accounts,
    org: SalesOrg,
    ids: Ids,
) -> dict:
    n = deals.created.shape[0]
    product = PRODUCTS[rng.integers(0, PRODUCTS.shape[0], n)]
    suffix = np.array(["", " Upgrade", " Renewal"], dtype=object)[deals.type]
    currency = accounts.currency[deals.account]
    requested = np.full(n, -1, dtype=np.int64)
    requested[quotes.deal] = quotes.requested
    return {
        "Id": ids.deal,
        "AccountId": ids.account[deals.account],
        "OwnerId": ids.user[org.sellers[deals.seller]],
        "Name": (accounts.name[deals.account] + " - " + product + suffix).astype(object),
        "Type": np.array(TYPES, dtype=object)[deals.type],
        "StageName": np.array(STAGES, dtype=object)[history.stage_now],
        "Amount": numbers(_local(history.amount_now, currency)),
        "CurrencyIsoCode": currency,
        "Probability": numbers(STAGE_PROBABILITY[history.stage_now]),
        "ForecastCategoryName": STAGE_FORECAST[history.stage_now],
        "CreatedDate": timestamps(deals.created),
        "CloseDate": dates(history.close_day_now),
        "IsClosed": booleans(history.is_closed),
        "IsWon": booleans(history.stage_now == CLOSED_WON),
        "LeadSource": np.where(
            deals.type == 0, _LEAD_SOURCES[rng.integers(0, 5, n)], "Existing Customer"
        ),
        "Product__c": product,
        "Quote_Requested_Date__c": timestamps(requested),
    }


def history_file(
    history: History, deals: Deals, accounts: Accounts, org: SalesOrg, ids: Ids, row_ids: np.ndarray
) -> dict:
    currency = accounts.currency[deals.account[history.deal]]
    return {
        "Id": row_ids,
        "OpportunityId": ids.deal[history.deal],
        "StageName": np.array(STAGES, dtype=object)[history.stage],
        "Amount": numbers(_local(history.amount, currency)),
        "Probability": numbers(STAGE_PROBABILITY[history.stage]),
        "CloseDate": dates(history.close_day),
        "ForecastCategory": STAGE_FORECAST[history.stage],
        "CreatedDate": timestamps(history.at),
        "CreatedById": ids.user[org.sellers[deals.seller[history.deal]]],
        "IsDeleted": "false",
    }


def contact_roles(
    rng: np.random.Generator, deals: Deals, contacts: Contacts, single_deals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(deal, contact, role, is_primary) rows: for about 40% of deals, the buying group by title."""
    n = deals.created.shape[0]
    chosen = rng.random(n) < 0.4
    deal, slot = np.nonzero(chosen[:, None] & (np.arange(5)[None, :] < deals.group_size[:, None]))
    contact = deals.group[deal, slot]
    _, first = np.unique(deal * (contacts.account.shape[0] + 1) + contact, return_index=True)
    first.sort()
    deal, slot, contact = deal[first], slot[first], contact[first]
    role = _ROLE_BY_SENIORITY[contacts.seniority[contact], rng.integers(0, 4, contact.shape[0])]
    return deal, contact, role, slot == 0


def role_file(
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    deals: Deals,
    ids: Ids,
    row_ids: np.ndarray,
) -> dict:
    deal, contact, role, primary = rows
    return {
        "Id": row_ids,
        "OpportunityId": ids.deal[deal],
        "ContactId": ids.contact[contact],
        "Role": role,
        "IsPrimary": booleans(primary),
        "CreatedDate": timestamps(deals.created[deal] + DAY),
    }


def _what(t: Touches, ids: Ids) -> np.ndarray:
    return np.where(
        t.deal >= 0,
        lookup(ids.deal, t.deal),
        np.where(t.case >= 0, lookup(ids.case, t.case), ids.account[t.account]),
    )


def task_file(
    rng: np.random.Generator, t: Touches, ids: Ids, row_ids: np.ndarray, who: np.ndarray
) -> dict:
    n = t.at.shape[0]
    subtype = np.where(
        t.channel == CALL, "Call", np.where(t.channel == TASK_EMAIL, "Email", "Task")
    )
    logged = np.minimum(t.at + rng.integers(0, 30, n) * MINUTE, as_of_seconds() - 1)
    is_call = t.channel == CALL
    return {
        "Id": row_ids,
        "Subject": t.subject,
        "TaskSubtype": subtype,
        "Type": np.where(is_call, "Call", np.where(t.channel == TASK_EMAIL, "Email", "Other")),
        "CallType": np.where(is_call, np.where(t.inbound, "Inbound", "Outbound"), ""),
        "CallDurationInSeconds": np.where(is_call, rng.integers(30, 1800, n).astype(str), ""),
        "OwnerId": ids.user[t.owner],
        "WhoId": who,
        "WhatId": _what(t, ids),
        "AccountId": ids.account[t.account],
        "ActivityDate": dates(t.at // DAY),
        "CreatedDate": timestamps(logged),
        "CompletedDateTime": timestamps(t.at),
        "Status": "Completed",
        "Priority": "Normal",
        "IsClosed": "true",
        "CreatedById": ids.user[t.owner],  # the seller logged it (no draw: the file's other columns are as before)
    }


def event_file(rng: np.random.Generator, t: Touches, ids: Ids, row_ids: np.ndarray) -> dict:
    n = t.at.shape[0]
    minutes = rng.choice(np.array([30, 45, 60, 90]), n, p=[0.35, 0.2, 0.35, 0.1])
    return {
        "Id": row_ids,
        "Subject": t.subject,
        "Type": "Meeting",
        "OwnerId": ids.user[t.owner],
        "WhoId": ids.contact[t.contact],
        "WhatId": _what(t, ids),
        "AccountId": ids.account[t.account],
        "ActivityDate": dates(t.at // DAY),
        "ActivityDateTime": timestamps(t.at),
        "StartDateTime": timestamps(t.at),
        "EndDateTime": timestamps(t.at + minutes * MINUTE),
        "DurationInMinutes": minutes.astype(str),
        "ShowAs": "Busy",
        "CreatedDate": timestamps(t.at - rng.integers(1, 10 * 24 * 60, n) * MINUTE),
    }


def email_file(
    rng: np.random.Generator,
    t: Touches,
    org: SalesOrg,
    contacts: Contacts,
    ids: Ids,
    row_ids: np.ndarray,
) -> dict:
    seller_address = org.email[t.owner]
    buyer_address = contacts.email[t.contact]
    n = t.at.shape[0]
    return {
        "Id": row_ids,
        "Subject": t.subject,
        "FromAddress": np.where(t.inbound, buyer_address, seller_address),
        "FromName": np.where(
            t.inbound,
            contacts.first_name[t.contact] + " " + contacts.last_name[t.contact],
            org.first_name[t.owner] + " " + org.last_name[t.owner],
        ),
        "ToAddress": np.where(t.inbound, seller_address, buyer_address),
        "Incoming": booleans(t.inbound),
        "MessageDate": timestamps(t.at),
        "RelatedToId": _what(t, ids),
        "CreatedById": ids.user[t.owner],
        "CreatedDate": timestamps(t.at),
        "Status": np.where(t.inbound, np.where(rng.random(n) < 0.7, "2", "1"), "3"),
        "HasAttachment": "false",
    }


def quote_file(
    quotes: Quotes, deals: Deals, accounts: Accounts, ids: Ids, row_ids: np.ndarray
) -> dict:
    n = quotes.deal.shape[0]
    currency = accounts.currency[deals.account[quotes.deal]]
    number = np.char.zfill(np.arange(1, n + 1).astype(str), 8)
    base = np.where(quotes.sent >= 0, quotes.sent, quotes.created)
    return {
        "Id": row_ids,
        "Name": ("Q-" + number.astype(object)).astype(object),
        "QuoteNumber": number,
        "OpportunityId": ids.deal[quotes.deal],
        "AccountId": ids.account[deals.account[quotes.deal]],
        "Status": quotes.status,
        "GrandTotal": numbers(_local(quotes.amount, currency)),
        "CurrencyIsoCode": currency,
        "CreatedDate": timestamps(quotes.created),
        "Requested_Date__c": timestamps(quotes.requested),
        "Sent_Date__c": timestamps(quotes.sent),
        "ExpirationDate": dates(base // DAY + 30),
    }


def case_file(cases: Cases, ids: Ids) -> dict:
    n = cases.created.shape[0]
    return {
        "Id": ids.case,
        "CaseNumber": np.char.zfill(np.arange(1, n + 1).astype(str), 8),
        "AccountId": ids.account[cases.account],
        "ContactId": ids.contact[cases.contact],
        "OwnerId": ids.user[cases.owner],
        "Subject": cases.subject,
        "Type": cases.type,
        "Status": cases.status,
        "Priority": cases.priority,
        "Origin": cases.origin,
        "CreatedDate": timestamps(cases.created),
        "ClosedDate": timestamps(cases.closed),
        "IsClosed": booleans(cases.closed >= 0),
    }


def currency_file() -> dict:
    codes = np.array(list(RATES), dtype=object)
    return {
        "IsoCode": codes,
        "ConversionRate": numbers(np.array(list(RATES.values()))),
        "DecimalPlaces": "2",
        "IsActive": "true",
        "IsCorporate": booleans(codes == "USD"),
    }


#: Salesforce's ForecastCategory API values for the ForecastCategoryName labels.
_FORECAST_API = {"Pipeline": "Pipeline", "Best Case": "BestCase", "Commit": "Forecast", "Closed": "Closed", "Omitted": "Omitted"}


def stage_file() -> dict:
    """OpportunityStage.csv: the org's stage picklist, as the Data Export writes it."""
    n = len(STAGES)
    won = np.arange(n) == CLOSED_WON
    closed = np.arange(n) >= CLOSED_WON
    return {
        "Id": np.array([to_18(f"01JHs{i + 1:010d}") for i in range(n)], dtype=object),
        "MasterLabel": np.array(STAGES, dtype=object),
        "ApiName": np.array(STAGES, dtype=object),
        "IsActive": "true",
        "SortOrder": np.array([str(i + 1) for i in range(n)], dtype=object),
        "IsClosed": booleans(closed),
        "IsWon": booleans(won),
        "ForecastCategory": np.array([_FORECAST_API[f] for f in STAGE_FORECAST], dtype=object),
        "ForecastCategoryName": STAGE_FORECAST,
        "DefaultProbability": numbers(STAGE_PROBABILITY),
        "Description": "",
    }
