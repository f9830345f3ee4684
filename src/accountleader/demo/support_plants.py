"""Planted support-map cases (issue 14): champions, blockers, champion departures, uncommitted
backers on late-stage deals and cooling deals on open deals; and, on closed deals' history, the
support a proposal had as it entered the proposal stage (more often on deals that were won).

Everything here is *added*: new contacts, contact-role rows and activities appended to the
export files after the rest of the company is written, drawn from an RNG stream of its own
(``random.Random(f"{seed}-support-plants")``), with ids in serial ranges nothing else uses. So
the rest of the company (its entities, ids, amounts and random draws) is the same with or
without it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .accounts import Accounts
from .activity import MEETING, Touches
from .clock import DAY, HOUR, MINUTE, as_of_seconds
from .contacts import Contacts
from .export import ExportRows, _as_text, booleans, dates, timestamps
from .files import Ids
from .history import History
from .ids import make_ids
from .people import SalesOrg
from .pipeline import CLOSED_WON, NEGOTIATION, PROPOSAL, Deals, StageTimes
from .planted import Plan
from .quotes import Quotes

#: Planted cases per type at scale 1 (at least 3 at any scale).
COUNTS = {"champion": 30, "blocker_role": 10, "blocker_silent": 10, "departure": 12, "backer": 15, "cooling": 15}
#: On closed deals that entered the proposal stage: the chance of a champion's replies and a
#: meeting in the 30 days before, if won / if lost; and of a decision maker ignoring us, if lost / if won.
HISTORY_CHAMPION = (0.6, 0.2)
HISTORY_SILENT = (0.3, 0.05)
_FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Robin", "Jamie", "Avery", "Quinn", "Lucía", "Mateo")
_LAST = ("Reyes", "Novak", "Lindqvist", "Okafor", "Brennan", "Castillo", "Hartmann", "Moreau", "Sato", "Varga")


@dataclass
class SupportPlants:
    """The planted cases by Salesforce id, and the rows to append to the export files."""

    champions: frozenset[str]  # "opportunity_id:contact_id"
    blockers: frozenset[str]
    champion_departures: frozenset[str]
    uncommitted_backers: frozenset[str]  # "opportunity_id:user_id"
    cooling_opportunities: frozenset[str]
    rows: dict[str, ExportRows]

    def extend(self, name: str, columns: Mapping[str, object]) -> dict[str, object]:
        """``columns`` (a file's columns as written) with this file's planted rows after them."""
        extra = self.rows.get(name)
        if extra is None or not extra.columns:
            return dict(columns)
        n = next(len(v) for v in columns.values() if not isinstance(v, str))  # type: ignore[arg-type]
        m = len(next(iter(extra.columns.values())))
        out: dict[str, object] = {}
        for k, v in columns.items():
            mine = extra.columns.get(k, [""] * m)
            out[k] = pa.concat_arrays([_as_text(v, n), pa.array(mine, pa.string())])  # type: ignore[arg-type]
        return out


def _ts(seconds: int) -> str:
    return str(timestamps(np.array([seconds]))[0])


def _day(seconds: int) -> str:
    return str(dates(np.array([seconds // DAY]))[0])


class _Writer:
    """Appends contacts, roles and activities with fresh ids."""

    def __init__(self, rng: random.Random, org: SalesOrg, accounts: Accounts, ids: Ids) -> None:
        self.rng, self.org, self.accounts, self.ids = rng, org, accounts, ids
        self.rows = {k: ExportRows() for k in ("Contact.csv", "OpportunityContactRole.csv", "Task.csv", "Event.csv",
                                          "EmailMessage.csv")}
        self.serial = 500_000_000 + rng.randrange(1_000_000)
        self.contact_email: dict[str, str] = {}

    def _id(self, obj: str) -> str:
        self.serial += 1
        return str(make_ids(obj, 1, self.serial)[0])

    def contact(self, account: int, title: str, department: str, *, created: int, departed: int | None = None,
                email: str | None = None) -> str:
        cid = self._id("Contact")
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        address = email or f"{first.lower()}.{last.lower()}.{self.serial}@plant-{account}.example"
        self.contact_email[cid] = address
        self.rows["Contact.csv"].add(
            Id=cid, AccountId=str(self.ids.account[account]), FirstName=first, LastName=last, Name=f"{first} {last}",
            Title=title, Department=department, Email=address, CreatedDate=_ts(created),
            Departure_Date__c=_day(departed) if departed is not None else "")
        return cid

    def role(self, deal_id: str, contact_id: str, role: str, created: int) -> None:
        self.rows["OpportunityContactRole.csv"].add(
            Id=self._id("OpportunityContactRole"), OpportunityId=deal_id, ContactId=contact_id, Role=role,
            IsPrimary="false", CreatedDate=_ts(created))

    def email(self, owner: int, contact_id: str, deal_id: str, at: int, *, inbound: bool, subject: str) -> None:
        seller = self.org.email[owner]
        name = f"{self.org.first_name[owner]} {self.org.last_name[owner]}"
        buyer = self.contact_email[contact_id]
        self.rows["EmailMessage.csv"].add(
            Id=self._id("EmailMessage"), Subject=subject, FromAddress=buyer if inbound else seller,
            FromName="" if inbound else name, ToAddress=seller if inbound else buyer,
            Incoming=str(booleans(np.array([inbound]))[0]), MessageDate=_ts(at), RelatedToId=deal_id,
            CreatedById=str(self.ids.user[owner]), CreatedDate=_ts(at), Status="2" if inbound else "3",
            HasAttachment="false")

    def meeting(self, owner: int, contact_id: str, deal_id: str, account: int, at: int, subject: str) -> None:
        self.rows["Event.csv"].add(
            Id=self._id("Event"), Subject=subject, Type="Meeting", OwnerId=str(self.ids.user[owner]), WhoId=contact_id,
            WhatId=deal_id, AccountId=str(self.ids.account[account]), ActivityDate=_day(at), ActivityDateTime=_ts(at),
            StartDateTime=_ts(at), EndDateTime=_ts(at + 45 * MINUTE), DurationInMinutes="45", ShowAs="Busy",
            CreatedDate=_ts(at - 3 * DAY))

    def task(self, owner: int, contact_id: str, deal_id: str, account: int, at: int, subject: str) -> None:
        self.rows["Task.csv"].add(
            Id=self._id("Task"), Subject=subject, TaskSubtype="Task", Type="Other", OwnerId=str(self.ids.user[owner]),
            WhoId=contact_id, WhatId=deal_id, AccountId=str(self.ids.account[account]), ActivityDate=_day(at),
            CreatedDate=_ts(at), CompletedDateTime=_ts(at), Status="Completed", Priority="Normal", IsClosed="true")


def _business(at: int) -> int:
    """The instant moved to 15:00 UTC of its day, and off weekends (to the Friday before)."""
    day = at // DAY
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    day -= max(0, weekday - 4)
    return day * DAY + 15 * HOUR


def plant_support(seed: int, scale: float, org: SalesOrg, accounts: Accounts, contacts: Contacts, deals: Deals,
                  times: StageTimes, history: History, quotes: Quotes, touches: Touches, plan: Plan,
                  ids: Ids, *, avoid_accounts: np.ndarray | None = None,
                  avoid_sellers: np.ndarray | None = None) -> SupportPlants:
    """Plant the support-map cases; nothing already generated changes. ``avoid_accounts`` (account
    rows) and ``avoid_sellers`` (seller rows, as ``deals.seller``): other plants' cases, left alone."""
    rng = random.Random(f"{seed}-support-plants")
    w = _Writer(rng, org, accounts, ids)
    as_of = as_of_seconds()
    owner = org.sellers[deals.seller]
    planted_accounts = set(np.concatenate([plan.starved, plan.single_accounts, plan.heavy_accounts,
                                           np.asarray(avoid_accounts if avoid_accounts is not None else [], np.int64)
                                           ]).tolist())
    excluded = set(np.concatenate([plan.single_deals, plan.heavy_deals]).tolist())
    if avoid_sellers is not None and len(avoid_sellers):
        excluded |= set(np.flatnonzero(np.isin(deals.seller, avoid_sellers)).tolist())
    is_open = (~history.is_closed) & (deals.created < as_of)
    stage = history.stage_now
    candidates = [int(d) for d in np.flatnonzero(is_open & (stage < CLOSED_WON))
                  if int(d) not in excluded and int(deals.account[d]) not in planted_accounts]
    rng.shuffle(candidates)
    used_accounts: set[int] = set()

    def take(n: int, ok: object = None) -> list[int]:
        picked: list[int] = []
        for d in candidates:
            if len(picked) >= n:
                break
            a = int(deals.account[d])
            if a in used_accounts or (ok is not None and not ok(d)):  # type: ignore[operator]
                continue
            used_accounts.add(a)
            picked.append(d)
        return picked

    def n_of(kind: str) -> int:
        return max(3, round(COUNTS[kind] * scale))

    def reply(o: int, cid: str, did: str, at: int, subject: str) -> None:
        w.email(o, cid, did, min(at + 3 * HOUR, as_of - HOUR), inbound=False, subject=f"Re: {subject}")

    champions, blockers, departures, backers, cooling = set(), set(), set(), set(), set()
    # champions: a contact the CRM calls champion, who replies and meets us in the last 30 days
    for d in take(n_of("champion"), lambda d: stage[d] >= 2):
        did, a, o = str(ids.deal[d]), int(deals.account[d]), int(owner[d])
        cid = w.contact(a, "Director of Operations", "Operations", created=as_of - rng.randrange(150, 300) * DAY)
        w.role(did, cid, "Champion", as_of - 60 * DAY)
        for k in range(2):
            at = _business(as_of - rng.randrange(2 + 10 * k, 10 + 10 * k) * DAY)
            w.email(o, cid, did, at, inbound=True, subject="Internal alignment on the proposal")
            reply(o, cid, did, at, "Internal alignment on the proposal")
        w.meeting(o, cid, did, a, _business(as_of - rng.randrange(3, 25) * DAY), "Champion sync")
        champions.add(f"{did}:{cid}")
    # blockers: the CRM says opponent; or a VP who has not answered 5 emails in 4 weeks
    for k, d in enumerate(take(n_of("blocker_role") + n_of("blocker_silent"))):
        did, a, o = str(ids.deal[d]), int(deals.account[d]), int(owner[d])
        if k < n_of("blocker_role"):
            cid = w.contact(a, "Head of IT Security", "IT", created=as_of - rng.randrange(150, 300) * DAY)
            w.role(did, cid, "Opponent", as_of - 50 * DAY)
            w.meeting(o, cid, did, a, _business(as_of - rng.randrange(35, 50) * DAY), "Security review")
        else:
            cid = w.contact(a, "Vice President of Finance", "Finance", created=as_of - rng.randrange(150, 300) * DAY)
            for j in range(5):
                w.email(o, cid, did, _business(as_of - (2 + 5 * j + rng.randrange(0, 3)) * DAY), inbound=False,
                        subject="Following up on the business case")
        blockers.add(f"{did}:{cid}")
    # champion departures: the CRM's champion, engaged 5-7 weeks ago, has left the company
    for d in take(n_of("departure"), lambda d: stage[d] >= 2):
        did, a, o = str(ids.deal[d]), int(deals.account[d]), int(owner[d])
        left = as_of - rng.randrange(8, 20) * DAY
        cid = w.contact(a, "Director of Procurement", "Procurement", created=as_of - rng.randrange(200, 400) * DAY,
                        departed=left)
        w.role(did, cid, "Champion", as_of - 90 * DAY)
        at = _business(as_of - rng.randrange(36, 50) * DAY)
        w.email(o, cid, did, at, inbound=True, subject="Next steps")
        reply(o, cid, did, at, "Next steps")
        w.meeting(o, cid, did, a, _business(as_of - rng.randrange(30, 35) * DAY), "Proposal walkthrough")
        departures.add(f"{did}:{cid}")
    # uncommitted backers: the pricing desk asked on a late-stage deal, no quote since
    last_quote = np.full(deals.created.shape[0], -1, dtype=np.int64)
    np.maximum.at(last_quote, quotes.deal, quotes.created)
    asked_at = _business(as_of - 12 * DAY)
    desk = org.pricing if org.pricing.shape[0] else org.legal
    for d in take(n_of("backer"), lambda d: stage[d] in (PROPOSAL, NEGOTIATION) and last_quote[d] < asked_at - DAY):
        did, a = str(ids.deal[d]), int(deals.account[d])
        u = int(desk[rng.randrange(desk.shape[0])])
        w.task(u, str(ids.contact[deals.group[d, 0]]), did, a, asked_at, "Pricing approval request: discount")
        backers.add(f"{did}:{ids.user[u]}")
    # cooling deals: busy 30-60 days ago (meetings, replies), quiet since
    recent = touches.at >= as_of - 31 * DAY
    live = recent & (touches.inbound | (touches.channel == MEETING))
    busy_deals = set(touches.deal[live & (touches.deal >= 0)].tolist())
    busy_accounts = set(touches.account[live & (touches.deal < 0)].tolist())
    for d in take(n_of("cooling"), lambda d: d not in busy_deals and int(deals.account[d]) not in busy_accounts
                  and deals.group_size[d] >= 2):
        did, a, o = str(ids.deal[d]), int(deals.account[d]), int(owner[d])
        people = [int(c) for c in deals.group[d, : deals.group_size[d]]]
        for j in range(6):
            c = people[j % len(people)]
            cid = str(ids.contact[c])
            at = _business(as_of - (34 + 4 * j) * DAY)
            if contacts.departed[c] <= at or contacts.created[c] >= at:
                continue
            if j % 3 == 2:
                w.contact_email[cid] = str(contacts.email[c])
                w.email(o, cid, did, at, inbound=True, subject="Questions on the rollout")
                reply(o, cid, did, at, "Questions on the rollout")
            else:
                w.meeting(o, cid, did, a, at, "Working session")
        cooling.add(did)
    _plant_history(rng, w, deals, times, contacts, owner, ids, excluded, planted_accounts)
    return SupportPlants(frozenset(champions), frozenset(blockers), frozenset(departures), frozenset(backers),
                         frozenset(cooling), w.rows)


def _plant_history(rng: random.Random, w: _Writer, deals: Deals, times: StageTimes, contacts: Contacts,
                   owner: np.ndarray, ids: Ids, excluded: set[int], planted_accounts: set[int]) -> None:
    """Closed deals as they entered the proposal stage: a champion (replies and a meeting in the 30
    days before) more often on deals that were won; a decision maker ignoring us more often on
    deals that were lost. Logged against the account, as activity-capture tools log email and
    meetings, not the deal: support counts them (a deal's engagement includes its account's
    activity naming no other deal), the win model (activity naming the deal) does not, so its
    calibration on the demo is the same with or without them."""
    as_of = as_of_seconds()
    entered = times.entry[:, PROPOSAL]
    closed = (times.closed < as_of) & (entered >= 0) & (entered < times.closed)
    for d in np.flatnonzero(closed).tolist():
        if d in excluded or int(deals.account[d]) in planted_accounts:
            continue
        won = bool(deals.won[d])
        did, a, o = str(ids.account[deals.account[d]]), int(deals.account[d]), int(owner[d])  # the account's id
        group = [int(c) for c in deals.group[d, : deals.group_size[d]]]
        at0 = int(entered[d])
        alive = [c for c in group if contacts.created[c] < at0 - 30 * DAY and contacts.departed[c] > at0]
        if not alive:
            continue
        if rng.random() < HISTORY_CHAMPION[0 if won else 1]:
            c = alive[0]
            cid = str(ids.contact[c])
            w.contact_email[cid] = str(contacts.email[c])
            at = _business(at0 - rng.randrange(3, 12) * DAY)
            if at < at0:
                w.email(o, cid, did, at, inbound=True, subject="Support for the proposal")
                w.email(o, cid, did, min(at + 3 * HOUR, at0 - 1), inbound=False, subject="Re: Support for the proposal")
                w.meeting(o, cid, did, a, _business(at0 - rng.randrange(13, 25) * DAY), "Proposal preparation")
        if rng.random() < HISTORY_SILENT[1 if won else 0]:
            senior = [c for c in alive if contacts.band[c] == 0] or alive
            c = senior[-1]
            cid = str(ids.contact[c])
            w.contact_email[cid] = str(contacts.email[c])
            for j in range(5):
                at = _business(at0 - (2 + 5 * j) * DAY)
                if at < at0:
                    w.email(o, cid, did, at, inbound=False, subject="Following up on the business case")
