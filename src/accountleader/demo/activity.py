"""Activities: calls, emails, meetings and tasks, aimed and timed by each seller's archetype.

Touches come from five sources (deal work, account work, coverage of the best
accounts, case work, the support desk); then replies to inbound calls and emails and
follow-ups after meetings are added with archetype-specific latency; finally the
planted directives (starved, single-threaded, going dark) and reality (people who left,
people not yet there, the as-of date) filter what remains.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .accounts import Accounts
from .cases import Cases
from .clock import (
    DAY,
    add_business_days,
    as_of_seconds,
    business_instants,
    to_days,
    window_start_seconds,
)
from .contacts import Contacts
from .people import AT_RISK, LEADING, SLOW, TENDER, SalesOrg
from .pipeline import BAND_MIX, FIT_CLASS_WEIGHT, RENEWAL, Deals, StageTimes, fit_class, workload
from .planted import Plan
from .subjects import subjects_for

CALL, TASK_EMAIL, EMAIL, MEETING, TODO = range(5)
_CHANNEL_MIX = np.array([0.36, 0.12, 0.27, 0.15, 0.10])
_INBOUND_SHARE = 0.06
_DEAL_INTENSITY = np.array([0.52, 0.63, 0.40, 0.46, 0.35])  # touches per business day per open deal
_ACCOUNT_RATE = np.array([4.6, 6.3, 3.7, 4.8, 5.2])  # account touches per business day per seller
_COVERAGE_PER_QUARTER = 4.0


@dataclass
class Touches:
    """Activities as parallel arrays. ``seller`` is -1 for the support desk, ``deal``/``case`` -1 when none."""

    owner: np.ndarray  # user row
    seller: np.ndarray
    account: np.ndarray
    deal: np.ndarray
    case: np.ndarray
    contact: np.ndarray
    at: np.ndarray  # seconds
    channel: np.ndarray
    inbound: np.ndarray
    subject: np.ndarray

    def take(self, rows: np.ndarray) -> Touches:
        return Touches(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Touches]) -> Touches:
        return Touches(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Touches)}
        )


def _make(
    rng: np.random.Generator,
    org: SalesOrg,
    seller: np.ndarray,
    account: np.ndarray,
    contact: np.ndarray,
    at: np.ndarray,
    create: np.ndarray,
    deal: np.ndarray | None = None,
    case: np.ndarray | None = None,
    channel: np.ndarray | None = None,
) -> Touches:
    n = seller.shape[0]
    if channel is None:
        channel = rng.choice(5, n, p=_CHANNEL_MIX)
    inbound = (rng.random(n) < _INBOUND_SHARE) & np.isin(channel, (CALL, EMAIL))
    none = np.full(n, -1)
    return Touches(
        owner=org.sellers[seller],
        seller=seller,
        account=account,
        deal=none if deal is None else deal,
        case=none if case is None else case,
        contact=contact,
        at=at,
        channel=channel,
        inbound=inbound,
        subject=subjects_for(rng, channel, inbound, create),
    )


def _deal_work(rng: np.random.Generator, org: SalesOrg, deals: Deals, times: StageTimes) -> Touches:
    until = np.minimum(times.closed, as_of_seconds())
    bdays = np.maximum(np.busday_count(to_days(deals.created), to_days(until)), 0)
    count = rng.poisson(bdays * _DEAL_INTENSITY[deals.archetype])
    deal = np.repeat(np.arange(deals.created.shape[0]), count)
    at = business_instants(rng, deals.created[deal], until[deal])
    slot = np.floor(rng.random(deal.shape[0]) * deals.group_size[deal]).astype(np.int64)
    return _make(
        rng,
        org,
        deals.seller[deal],
        deals.account[deal],
        deals.group[deal, slot],
        at,
        deals.type[deal] != RENEWAL,
        deal=deal,
    )


def _account_work(
    rng: np.random.Generator, org: SalesOrg, accounts: Accounts, contacts: Contacts
) -> Touches:
    start, end = window_start_seconds(), as_of_seconds()
    bdays = int(np.busday_count(to_days(np.array([start]))[0], to_days(np.array([end]))[0]))
    cls = fit_class(accounts)
    load = workload(org, accounts)
    parts = []
    for s, arche in enumerate(org.seller_archetype):
        owned = np.flatnonzero(accounts.owner == s)
        if owned.shape[0] == 0:
            continue
        weight = FIT_CLASS_WEIGHT[arche, cls[owned]] * rng.gamma(2.0, 0.5, owned.shape[0])
        if arche == TENDER:
            weight = np.where(accounts.base_customer[owned], weight, weight * 0.02)
        n = int(rng.poisson(_ACCOUNT_RATE[arche] * bdays * load))
        account = owned[rng.choice(owned.shape[0], n, p=weight / weight.sum())]
        at = business_instants(
            rng, np.maximum(start, accounts.created[account] + 7 * DAY), np.full(n, end)
        )
        contact = contacts.pick(rng, account, rng.choice(3, n, p=BAND_MIX[arche]))
        prospect = ~accounts.base_customer[account]
        create = (arche != TENDER) & (prospect | (rng.random(n) < 0.4))
        parts.append(_make(rng, org, np.full(n, s), account, contact, at, create))
    return Touches.concat(parts)


def _coverage(
    rng: np.random.Generator, org: SalesOrg, accounts: Accounts, contacts: Contacts, plan: Plan
) -> Touches:
    """A floor of attention on the truly best accounts, whoever owns them."""
    start, end = window_start_seconds(), as_of_seconds()
    best = np.flatnonzero(plan.true_high_fit)
    quarters = (end - start) / (91 * DAY)
    account = np.repeat(best, rng.poisson(_COVERAGE_PER_QUARTER * quarters, best.shape[0]))
    n = account.shape[0]
    seller = accounts.owner[account]
    at = business_instants(
        rng, np.maximum(start, accounts.created[account] + 7 * DAY), np.full(n, end)
    )
    band = (rng.random(n)[:, None] > np.cumsum(BAND_MIX[org.seller_archetype[seller]], axis=1)).sum(
        axis=1
    )
    contact = contacts.pick(rng, account, np.minimum(band, 2))
    return _make(rng, org, seller, account, contact, at, ~accounts.base_customer[account])


def _case_work(
    rng: np.random.Generator, org: SalesOrg, accounts: Accounts, cases: Cases
) -> Touches:
    """Tending sellers chase their customers' cases; others rarely do."""
    seller = accounts.owner[cases.account]
    tender = org.seller_archetype[seller] == TENDER
    count = np.where(
        tender, rng.integers(1, 4, seller.shape[0]), rng.random(seller.shape[0]) < 0.12
    )
    case = np.repeat(np.arange(seller.shape[0]), count)
    until = np.where(cases.closed[case] >= 0, cases.closed[case], as_of_seconds())
    at = business_instants(rng, cases.created[case], until)
    channel = np.where(rng.random(case.shape[0]) < 0.5, CALL, TODO)
    t = _make(
        rng,
        org,
        seller[case],
        cases.account[case],
        cases.contact[case],
        at,
        np.zeros(case.shape[0], bool),
        case=case,
        channel=channel,
    )
    t.inbound[:] = False
    t.subject = ("Case follow-up: " + cases.subject[case]).astype(object)
    return t


def _desk_work(rng: np.random.Generator, org: SalesOrg, deals: Deals, times: StageTimes) -> Touches:
    """Sales engineers demo to buyers; legal reviews contracts in negotiation."""
    as_of = as_of_seconds()
    reached = (times.entry[:, 2] >= 0) & (times.entry[:, 2] < as_of)
    share = np.where(deals.archetype == LEADING, 0.45, 0.15)
    demo = np.flatnonzero(reached & (rng.random(reached.shape[0]) < share))
    legal = np.flatnonzero(
        (times.entry[:, 5] >= 0)
        & (times.entry[:, 5] < as_of)
        & (rng.random(reached.shape[0]) < 0.5)
    )
    deal = np.concatenate([demo, legal])
    stage_from = np.concatenate([times.entry[demo, 2], times.entry[legal, 5]])
    at = business_instants(rng, stage_from, np.minimum(stage_from + 10 * DAY, as_of))
    t = _make(
        rng,
        org,
        deals.seller[deal],
        deals.account[deal],
        deals.group[deal, 0],
        at,
        np.ones(deal.shape[0], bool),
        deal=deal,
        channel=np.where(np.arange(deal.shape[0]) < demo.shape[0], MEETING, TODO),
    )
    desk_se = org.sales_engineers if org.sales_engineers.shape[0] else org.sellers
    desk_legal = org.legal if org.legal.shape[0] else desk_se
    t.owner = np.where(
        t.channel == MEETING,
        desk_se[rng.integers(0, desk_se.shape[0], deal.shape[0])],
        desk_legal[rng.integers(0, desk_legal.shape[0], deal.shape[0])],
    )
    t.seller[:] = -1
    t.inbound[:] = False
    t.subject = np.where(
        t.channel == MEETING, "Technical deep-dive and demo", "Contract redlines review"
    ).astype(object)
    return t


def _latency_days(rng: np.random.Generator, archetype: np.ndarray, follow_up: bool) -> np.ndarray:
    """Business days until a seller answers an inbound touch (or follows up a meeting)."""
    n = archetype.shape[0]
    fast_median = 0.28 if follow_up else 0.17
    fast = np.clip(np.exp(rng.normal(np.log(fast_median), 0.6, n)), 0.02, 0.9)
    slow = (
        rng.uniform(3.0, 6.0, n)
        if follow_up
        else np.clip(np.exp(rng.normal(np.log(2.5), 0.35, n)), 1.2, 6.0)
    )
    tender = np.clip(np.exp(rng.normal(np.log(1.0 if follow_up else 0.4), 0.5, n)), 0.05, 3.0)
    return np.where(
        np.isin(archetype, (SLOW, AT_RISK)), slow, np.where(archetype == TENDER, tender, fast)
    )


def _answers(rng: np.random.Generator, org: SalesOrg, t: Touches) -> Touches:
    """Replies to inbound calls and emails, and follow-up emails after meetings."""
    by_seller = t.seller >= 0
    inbound = np.flatnonzero(t.inbound & by_seller)
    meetings = np.flatnonzero(
        (t.channel == MEETING) & by_seller & (rng.random(t.at.shape[0]) < 0.85)
    )
    rows = np.concatenate([inbound, meetings])
    arche = org.seller_archetype[t.seller[rows]]
    follow = np.arange(rows.shape[0]) >= inbound.shape[0]
    wait = np.where(follow, _latency_days(rng, arche, True), _latency_days(rng, arche, False))
    start = t.at[rows] + np.where(follow, 45 * 60, 0)
    a = t.take(rows)
    a.at = add_business_days(start, wait) // 60 * 60
    a.inbound = np.zeros(rows.shape[0], bool)
    a.channel = np.where(follow | (t.channel[rows] == EMAIL), EMAIL, CALL)
    prefix = np.where(follow, "Follow-up: ", np.where(a.channel == EMAIL, "Re: ", "Call back: "))
    a.subject = (prefix.astype(object) + t.subject[rows]).astype(object)
    return a


def _single_thread(t: Touches, accounts: Accounts, deals: Deals, plan: Plan) -> None:
    """Single-threaded deals: everything on the deal, and everything at its account in the
    last 90 days, goes through the one junior contact (in place)."""
    junior_of_account = np.full(accounts.account_id.shape[0], -1)
    junior_of_account[plan.single_accounts] = plan.single_contact
    junior_of_deal = np.full(deals.created.shape[0], -1)
    junior_of_deal[plan.single_deals] = plan.single_contact
    recent = t.at >= as_of_seconds() - 90 * DAY
    one = np.where(t.deal >= 0, junior_of_deal[np.maximum(t.deal, 0)], -1)
    one = np.where((one < 0) & recent, junior_of_account[t.account], one)
    t.contact = np.where(one >= 0, one, t.contact)


def build_activity(
    rng: np.random.Generator,
    org: SalesOrg,
    accounts: Accounts,
    contacts: Contacts,
    deals: Deals,
    times: StageTimes,
    cases: Cases,
    plan: Plan,
) -> Touches:
    """Every activity up to the as-of date, sorted by instant."""
    as_of = as_of_seconds()
    t = Touches.concat(
        [
            _deal_work(rng, org, deals, times),
            _account_work(rng, org, accounts, contacts),
            _coverage(rng, org, accounts, contacts, plan),
            _case_work(rng, org, accounts, cases),
            _desk_work(rng, org, deals, times),
        ]
    )
    _single_thread(t, accounts, deals, plan)
    t = Touches.concat([t, _answers(rng, org, t)])
    _single_thread(t, accounts, deals, plan)
    keep = (
        (t.at < as_of)
        & (t.at >= contacts.created[t.contact])
        & (t.at < contacts.departed[t.contact])
    )
    starved = np.zeros(accounts.account_id.shape[0], bool)
    starved[plan.starved] = True
    keep &= ~(starved[t.account] & (t.at >= as_of - 90 * DAY))
    dark = np.full(accounts.account_id.shape[0], np.iinfo(np.int64).max)
    dark[plan.heavy_accounts] = plan.dark_from
    keep &= t.at < dark[t.account]
    t = t.take(np.flatnonzero(keep))
    return t.take(np.argsort(t.at, kind="stable"))
