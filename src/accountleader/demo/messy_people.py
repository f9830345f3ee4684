"""Messy-demo artefacts on users, accounts, contacts and activity."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from .clock import DAY, HOUR, MINUTE
from .messy_deals import Frames
from .messy_frames import append, day, seconds, stamp

NULL_ID = "000000000000000AAA"

#: Countries a territory can be, by the demo's sales region (Region__c).
COUNTRIES = {
    "NA East": [
        "United States",
        "Canada",
        "Puerto Rico",
        "Bahamas",
        "Jamaica",
        "Bermuda",
        "Barbados",
        "Trinidad and Tobago",
        "Haiti",
        "Cuba",
    ],
    "NA West": [
        "Mexico",
        "Guatemala",
        "Costa Rica",
        "Panama",
        "Honduras",
        "El Salvador",
        "Nicaragua",
        "Belize",
        "Dominican Republic",
        "Greenland",
    ],
    "EMEA": [
        "United Kingdom",
        "Germany",
        "France",
        "Italy",
        "Netherlands",
        "Belgium",
        "Switzerland",
        "Sweden",
        "Poland",
        "Ireland",
        "Austria",
        "Denmark",
        "Norway",
        "Finland",
        "South Africa",
        "United Arab Emirates",
        "Israel",
        "Czech Republic",
        "Greece",
        "Hungary",
    ],
    "LATAM": [
        "Colombia",
        "Peru",
        "Chile",
        "Argentina",
        "Ecuador",
        "Uruguay",
        "Paraguay",
        "Bolivia",
        "Venezuela",
        "Brazil",
    ],
    "Iberia": ["Spain", "Portugal", "Andorra", "Gibraltar", "Morocco"],
}
_MONTHS = (
    "Enero",
    "Febrero",
    "Marzo",
    "Abril",
    "Mayo",
    "Junio",
    "Julio",
    "Agosto",
    "Septiembre",
    "Octubre",
    "Noviembre",
    "Diciembre",
)


def drop_names(fr: Frames) -> None:
    """A weekly Data Export's ``User.csv`` and ``Contact.csv`` (FirstName/LastName, no Name);
    Opportunity without ``IsClosed``/``IsWon`` (a Data Loader export with chosen columns)."""
    fr["User"] = fr["User"].drop(columns=["Name"])
    fr["Contact"] = fr["Contact"].drop(columns=["Name"])
    fr["Opportunity"] = fr["Opportunity"].drop(columns=["IsClosed", "IsWon"])


def one_country_per_seller(fr: Frames, sellers: list[str]) -> dict[str, str]:
    """Each seller's accounts move to one country of their main region; no two sellers share one."""
    acc = fr["Account"]
    taken: set[str] = set()
    spare = [c for pool in COUNTRIES.values() for c in pool]
    territory: dict[str, str] = {}
    for s in sellers:
        mine = acc[acc.OwnerId == s]
        if mine.empty:
            continue
        region = Counter(mine.Region__c).most_common(1)[0][0]
        pool = [c for c in COUNTRIES.get(region, []) + spare if c not in taken]
        territory[s] = pool[0]
        taken.add(pool[0])
    own = acc.OwnerId.isin(list(territory))
    acc.loc[own, "BillingCountry"] = acc.loc[own, "OwnerId"].map(territory)
    return territory


def add_system_users(fr: Frames) -> tuple[str, str]:
    """An integration user (AutomatedProcess, title Integration) and an admin. Returns their ids."""
    u = fr["User"]
    integration, admin = fr.ids.make("User", 2)
    domain = u.Email.iat[0].split("@")[1] if len(u) else "example.com"
    rows = [
        {
            "Id": integration,
            "FirstName": "Integration",
            "LastName": "User",
            "Email": f"integration@{domain}",
            "Username": f"integration@{domain}.00dhs",
            "Title": "Integration",
            "Department": "",
            "IsActive": "true",
            "UserType": "AutomatedProcess",
            "TimeZoneSidKey": "GMT",
        },
        {
            "Id": admin,
            "FirstName": "Admin",
            "LastName": "Salesforce",
            "Email": f"sfadmin@{domain}",
            "Username": f"sfadmin@{domain}",
            "Title": "System Administrator",
            "Department": "IT",
            "IsActive": "true",
            "UserType": "Standard",
            "TimeZoneSidKey": "America/New_York",
        },
    ]
    fr["User"] = append(u, rows)
    return str(integration), str(admin)


def reassign_accounts(fr: Frames, accounts: list[str], owner: str) -> None:
    acc = fr["Account"]
    acc.loc[acc.Id.isin(accounts), "OwnerId"] = owner


def activity_accounts(fr: Frames) -> pd.DataFrame:
    """Every Task/Event/EmailMessage as (account, t: seconds), linked the way an importer links them."""
    opp_account = dict(zip(fr["Opportunity"].Id, fr["Opportunity"].AccountId, strict=True))
    t, e, m = fr["Task"], fr["Event"], fr["EmailMessage"]
    task_at = seconds(t.CompletedDateTime)
    task_at = np.where(task_at < 0, seconds(t.ActivityDate), task_at)
    return pd.concat(
        [
            pd.DataFrame({"account": t.AccountId, "t": task_at}),
            pd.DataFrame({"account": e.AccountId, "t": seconds(e.StartDateTime)}),
            pd.DataFrame(
                {
                    "account": m.RelatedToId.map(lambda x: opp_account.get(x, x)),
                    "t": seconds(m.MessageDate),
                }
            ),
        ],
        ignore_index=True,
    )


def stop_logging(fr: Frames, stop: int) -> dict[str, int]:
    """Drop every Task, Event and EmailMessage at or after ``stop``; returns rows dropped per file."""
    when = {
        "Task": lambda t: np.where(
            seconds(t.CompletedDateTime) < 0, seconds(t.ActivityDate), seconds(t.CompletedDateTime)
        ),
        "Event": lambda t: seconds(t.StartDateTime),
        "EmailMessage": lambda t: seconds(t.MessageDate),
    }
    dropped = {}
    for name, at in when.items():
        frame = fr[name]
        keep = at(frame) < stop
        dropped[name] = int((~keep).sum())
        fr[name] = frame[keep].reset_index(drop=True)
    return dropped


def dark_only_by_stop(
    activity: pd.DataFrame, stop: int, end: int, window_days: int = 90, below: int = 3
) -> list[str]:
    """Accounts that look quiet only because logging stopped.

    Each had ``below`` or more activities in the ``window_days`` before ``end`` and in the
    ``window_days`` before ``stop``, but fewer than ``below`` in the part of the window
    before ``end`` that precedes the stop: an analysis whose window ignores the stop calls
    them starved or dark, one whose window ends at the stop does not.
    """
    a = activity[activity.account != ""]

    def n(lo: int, hi: int) -> pd.Series:
        return a[(a.t >= lo) & (a.t < hi)].groupby("account").size()

    span = window_days * DAY
    full, logged, cut = n(end - span, end), n(stop - span, stop), n(end - span, stop)
    frame = pd.DataFrame({"full": full, "logged": logged, "cut": cut}).fillna(0)
    quiet = frame[(frame.full >= below) & (frame.logged >= below) & (frame.cut < below)]
    return sorted(quiet.index)


def starve_before_stop(fr: Frames, accounts: list[str], stop: int, window_days: int = 90) -> int:
    """Keep the planted starved accounts starved in the window that ends at the stop: drop
    their Task/Event/EmailMessage in the ``window_days`` before it. Returns rows dropped."""
    if not accounts:
        return 0
    lo = stop - window_days * DAY
    opp_account = dict(zip(fr["Opportunity"].Id, fr["Opportunity"].AccountId, strict=True))
    dropped = 0
    for name, column in (
        ("Task", "CompletedDateTime"),
        ("Event", "StartDateTime"),
        ("EmailMessage", "MessageDate"),
    ):
        frame = fr[name]
        account = (
            frame.RelatedToId.map(lambda x: opp_account.get(x, x))
            if name == "EmailMessage"
            else frame.AccountId
        )
        at = seconds(frame[column])
        hit = account.isin(accounts).to_numpy() & (at >= lo) & (at < stop)
        dropped += int(hit.sum())
        fr[name] = frame[~hit].reset_index(drop=True)
    return dropped


def bulk_contacts(fr: Frames, at: int, n: int) -> list[str]:
    """Contacts created before ``at`` re-stamped with the one load instant ``at``."""
    c = fr["Contact"]
    old = c[(seconds(c.CreatedDate) < at) & ~c.AccountId.isin(fr.avoid_accounts)]
    chosen = sorted(old.Id.iloc[fr.rng.choice(len(old), min(n, len(old)), replace=False)])
    c.loc[c.Id.isin(chosen), "CreatedDate"] = stamp([at])[0]
    return chosen


def _task(**values: str) -> dict[str, str]:
    row = {"CallType": "", "CallDurationInSeconds": "", "Priority": "Normal"}
    row.update(values)
    return row


def mass_email(
    fr: Frames, senders: list[str], sends: list[int], per_send: int
) -> tuple[list[str], list[str]]:
    """Newsletters logged as tasks: per send, one subject to ``per_send`` of the sender's
    contacts within five minutes (``TaskSubtype = ListEmail``).  Returns (task ids, contacts
    whose only logged activity is a newsletter)."""
    acc, c = fr["Account"], fr["Contact"]
    rows: list[dict[str, str]] = []
    for sender, base in zip(senders, sends, strict=True):
        accounts = set(acc.Id[acc.OwnerId == sender]) - fr.avoid_accounts
        pool = c[c.AccountId.isin(accounts)]
        pick = pool.iloc[np.sort(fr.rng.choice(len(pool), min(per_send, len(pool)), replace=False))]
        offsets = np.sort(fr.rng.integers(0, 300, len(pick)))
        month = np.datetime64(base, "s").astype(object)
        subject = f"Email de lista: Boletín {_MONTHS[month.month - 1]} {month.year}"
        for (_, contact), off in zip(pick.iterrows(), offsets, strict=True):
            t = stamp([base + int(off)])[0]
            rows.append(
                _task(
                    Subject=subject,
                    TaskSubtype="ListEmail",
                    Type="Email",
                    OwnerId=sender,
                    WhoId=contact.Id,
                    WhatId="",
                    AccountId=contact.AccountId,
                    ActivityDate=day([base])[0],
                    CreatedDate=t,
                    CompletedDateTime=t,
                    Status="Completed",
                    IsClosed="true",
                )
            )
    ids = fr.ids.make("Task", len(rows))
    for row, i in zip(rows, ids, strict=True):
        row["Id"] = i
    t = fr["Task"]
    touched = set(t.WhoId) | set(fr["Event"].WhoId)
    emailed = set(fr["EmailMessage"].FromAddress) | set(fr["EmailMessage"].ToAddress)
    by_id = c.set_index("Id").Email
    only = sorted(
        {
            r["WhoId"]
            for r in rows
            if r["WhoId"] not in touched and by_id.get(r["WhoId"]) not in emailed
        }
    )
    fr["Task"] = append(t, rows)
    return sorted(map(str, ids)), only


def open_tasks(
    fr: Frames, owners: list[str], accounts: list[str], stop: int, end: int, overdue: set[int]
) -> list[str]:
    """Not-started tasks (``IsClosed`` false), one per (owner, account): due after ``end``, or,
    for positions in ``overdue``, due in the weeks before ``stop``. All created before ``stop``."""
    c = fr["Contact"]
    first_contact = c.groupby("AccountId").Id.first()
    subjects = np.array(
        [
            "Llamada de seguimiento",
            "Enviar propuesta",
            "Follow up call",
            "Renovación: revisar contrato",
        ]
    )
    rows: list[dict[str, str]] = []
    for k, (owner, account) in enumerate(zip(owners, accounts, strict=True)):
        created = (
            stop
            - int(fr.rng.integers(1, 10)) * DAY
            - int(fr.rng.integers(0, 8 * 60)) * MINUTE
            - 4 * HOUR
        )
        due = (
            (stop - int(fr.rng.integers(2, 30)) * DAY)
            if k in overdue
            else end + int(fr.rng.integers(3, 90)) * DAY
        )
        rows.append(
            _task(
                Subject=str(subjects[k % len(subjects)]),
                TaskSubtype="Task",
                Type="Call" if k % 2 else "Other",
                OwnerId=owner,
                WhoId=first_contact.get(account, ""),
                WhatId=account,
                AccountId=account,
                ActivityDate=day([due])[0],
                CreatedDate=stamp([created])[0],
                CompletedDateTime="",
                Status="Not Started",
                IsClosed="false",
            )
        )
    ids = fr.ids.make("Task", len(rows))
    for row, i in zip(rows, ids, strict=True):
        row["Id"] = i
    fr["Task"] = append(fr["Task"], rows)
    return sorted(map(str, ids))
