"""Effectiveness: doing the right things -- right people per deal, effort on the right companies.

Inputs are canonical tables plus two derived ones:

* ``contact_roles`` (contact_id, buyer_role, seniority), built by
  :func:`accountleader.domain.scoring.titles.build_contact_roles`;
* ``account_fit`` (account_id, fit_score, fit_tier), from the fit model.

Every function takes an explicit ``as_of``; rows after it are ignored.  The window is the
``window_days`` (default 90) calendar days ending at ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import ibis
import ibis.expr.types as ir

from ..scoring.titles import DECISION_ROLES, SENIOR_LEVELS
from ._clean import (
    activity_end,
    closed_at,
    closed_by,
    placeholder_amount,
    selling_activities,
    won_by,
)
from ._time import as_of_literal, days_before

__all__ = [
    "METRICS",
    "deal_engagement",
    "deal_roles",
    "open_deals",
    "open_deal_pairs",
    "seller_effectiveness",
    "effort_gaps",
    "windowed_activities",
    "DEFAULT_AMOUNT_BANDS",
]

METRICS = (
    "contacts_engaged",
    "buyer_roles_engaged",
    "has_decision_maker",
    "multithreading_ratio",
    "high_fit_effort_share",
    "decision_maker_reach",
    "senior_contact_share",
    "multithreading",
    "effort_gap",
)

#: Lower edges of the deal-size bands used for the multithreading baseline (deal currency,
#: or corporate currency where converted).  The last band is open-ended.
DEFAULT_AMOUNT_BANDS: tuple[float, ...] = (0.0, 10_000.0, 50_000.0, 250_000.0, 1_000_000.0)
HIGH_FIT_TIERS = ("A", "B")
LOW_FIT_TIERS = ("C", "D")


def windowed_activities(
    activities: ir.Table,
    *,
    as_of: datetime,
    window_days: float | None = 90,
    contacts: ir.Table | None = None,
) -> ir.Table:
    """Selling activities in ``(as_of - window_days, as_of]`` (no lower bound when ``None``);
    ``account_id`` filled from the contact when the activity carries none (``contacts``).

    List/marketing email and open tasks are left out (:func:`._clean.selling_activities`):
    they are no touch, no reach, no engagement and no effort."""
    a = selling_activities(activities)
    a = a.filter(a.occurred_at <= as_of_literal(as_of))
    if window_days is not None:
        a = a.filter(a.occurred_at > days_before(as_of, window_days))
    if contacts is not None:
        home = contacts.select(_cid=contacts.contact_id, _home=contacts.account_id)
        a = a.left_join(home, a.contact_id == home._cid)
        a = a.mutate(account_id=ibis.coalesce(a.account_id, a._home)).drop("_cid", "_home")
    return a


def _with_roles(a: ir.Table, contact_roles: ir.Table) -> ir.Table:
    """Adds buyer_role / seniority (``unknown`` when the contact has no classification)."""
    r = contact_roles.select(
        _rid=contact_roles.contact_id, _role=contact_roles.buyer_role, _sen=contact_roles.seniority
    )
    j = a.left_join(r, a.contact_id == r._rid)
    return j.mutate(
        buyer_role=ibis.coalesce(j._role, ibis.literal("unknown")),
        seniority=ibis.coalesce(j._sen, ibis.literal("unknown")),
    ).drop("_rid", "_role", "_sen")


def _amount_band(amount: ir.NumericValue, edges: Sequence[float]) -> ir.StringValue:
    cases = []
    for i in range(len(edges) - 1, -1, -1):
        lo = edges[i]
        label = f"{lo:,.0f}+" if i == len(edges) - 1 else f"{lo:,.0f}-{edges[i + 1]:,.0f}"
        cases.append((amount >= lo, label))
    return ibis.cases(*cases, else_=ibis.null("string"))


def _deal_activity(opps: ir.Table, acts: ir.Table) -> ir.Table:
    """Pairs (opportunity, activity with a contact): linked to the deal, or to its account
    without naming another deal.  Two equi-joins and a union, so every engine plans it."""
    o = opps.select("opportunity_id", _acc=opps.account_id)
    a = acts.filter(acts.contact_id.notnull())
    a = a.select(
        _oid=a.opportunity_id, _aid=a.account_id, contact_id=a.contact_id,
        buyer_role=a.buyer_role, seniority=a.seniority, _at=a.occurred_at,
    )
    on_deal = o.join(a, o.opportunity_id == a._oid)
    on_account = o.join(a.filter(a._oid.isnull()), o._acc == a._aid)
    cols = ["opportunity_id", "contact_id", "buyer_role", "seniority", "_at"]
    return on_deal.select(*cols).union(on_account.select(*cols), distinct=False)


def open_deals(opportunities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Deals open at ``as_of``: created on or before it and not closed by then."""
    asof = as_of_literal(as_of)
    o = opportunities.filter(opportunities.created_at <= asof)
    return o.filter(~closed_by(o, asof))


def open_deal_pairs(
    opportunities: ir.Table,
    activities: ir.Table,
    contact_roles: ir.Table,
    *,
    as_of: datetime,
    window_days: float = 90,
    contacts: ir.Table | None = None,
) -> ir.Table:
    """(open deal, contact touch in the window) pairs with buyer role and seniority: what
    :func:`deal_engagement` counts and :func:`deal_roles` lists.  Pass it to both as ``pairs``
    to build it once.  Columns: opportunity_id, contact_id, buyer_role, seniority, _at."""
    return _open_deal_pairs(open_deals(opportunities, as_of=as_of), activities, contact_roles, as_of=as_of,
                            window_days=window_days, contacts=contacts)


def _open_deal_pairs(
    open_opps: ir.Table,
    activities: ir.Table,
    contact_roles: ir.Table,
    *,
    as_of: datetime,
    window_days: float,
    contacts: ir.Table | None,
) -> ir.Table:
    """(deal, contact touch) pairs in the window for open deals, with buyer role and seniority:
    the one definition behind both :func:`deal_engagement` and :func:`deal_roles`."""
    acts = _with_roles(
        windowed_activities(activities, as_of=as_of, window_days=window_days, contacts=contacts),
        contact_roles,
    )
    return _deal_activity(open_opps, acts)


def _engagement_counts(pairs: ir.Table) -> ir.Table:
    is_dm = pairs.buyer_role.isin(DECISION_ROLES)
    return pairs.group_by("opportunity_id").aggregate(
        contacts_engaged=pairs.contact_id.nunique(),
        buyer_roles_engaged=pairs.buyer_role.nunique(where=pairs.buyer_role != "unknown"),
        has_decision_maker=is_dm.any(),
        senior_contacts_engaged=pairs.contact_id.nunique(
            where=pairs.seniority.isin(SENIOR_LEVELS)
        ),
    )


def deal_engagement(
    opportunities: ir.Table,
    activities: ir.Table,
    contact_roles: ir.Table,
    *,
    as_of: datetime,
    window_days: float = 90,
    contacts: ir.Table | None = None,
    amount_bands: Sequence[float] = DEFAULT_AMOUNT_BANDS,
    min_baseline_n: int = 5,
    pairs: ir.Table | None = None,
) -> ir.Table:
    """Right people per open deal, with multithreading against won deals of similar size.

    Open at ``as_of``: created on or before it and not closed by then (``closed_at``: a deal
    whose stage history shows it closed is closed from then, whatever its later close date).
    A placeholder amount gives no size band (note ``"placeholder amount: ..."``).
    Engagement counts activities with a contact in the window, linked to the deal or to its
    account (without naming another deal).  The baseline for an amount band is the median
    distinct contacts engaged on won deals of that band (closed on or before ``as_of``),
    counted over the ``window_days`` before each deal's close date.

    Columns: opportunity_id, account_id, owner_id, amount, amount_band, contacts_engaged,
    buyer_roles_engaged, has_decision_maker, senior_contacts_engaged,
    multithreading_baseline, multithreading_baseline_n, multithreading_ratio (null when the
    band has fewer than ``min_baseline_n`` won deals, the deal has no amount, or the
    baseline is 0), multithreading_note (why the ratio is null, else null).

    ``pairs`` may pass :func:`open_deal_pairs` computed once (for :func:`deal_roles` too).
    """
    asof = as_of_literal(as_of)
    o = opportunities.filter(opportunities.created_at <= asof)
    o = o.mutate(
        _amount=ibis.coalesce(o.amount_corporate, o.amount),
        _placeholder=placeholder_amount(o),
        _closed_by_asof=closed_by(o, asof),
        _won_by_asof=won_by(o, asof),
        _closed_at=closed_at(o),
    )
    # a placeholder amount says nothing about deal size: no band, no baseline
    o = o.mutate(amount_band=ibis.ifelse(o._placeholder, ibis.null("string"), _amount_band(o._amount, amount_bands)))
    open_opps = o.filter(~o._closed_by_asof)
    if pairs is None:
        pairs = _open_deal_pairs(open_opps, activities, contact_roles, as_of=as_of, window_days=window_days,
                                 contacts=contacts)
    counts = _engagement_counts(pairs)

    # Won-deal baseline: activities in the window_days before each won deal's close date.
    won = o.filter(o._won_by_asof)
    all_acts = _with_roles(
        windowed_activities(activities, as_of=as_of, window_days=None, contacts=contacts),
        contact_roles,
    )
    wp = _deal_activity(won, all_acts)
    wclose = won.select(_wid=won.opportunity_id, _close=won._closed_at)
    wp = wp.join(wclose, wp.opportunity_id == wclose._wid)
    wp = wp.filter(
        (wp._at <= wp._close + ibis.interval(days=1))
        & (wp._at > wp._close - ibis.interval(days=int(window_days)))
    )
    won_counts = won.select("opportunity_id", "amount_band").left_join(
        wp.group_by("opportunity_id").aggregate(_n=wp.contact_id.nunique()), "opportunity_id"
    )
    won_counts = won_counts.mutate(_n=ibis.coalesce(won_counts._n, 0))
    won_counts = won_counts.filter(won_counts.amount_band.notnull())
    baseline = won_counts.group_by("amount_band").aggregate(
        _base=won_counts._n.median(), multithreading_baseline_n=won_counts.count()
    )

    out = open_opps.select("opportunity_id", "account_id", "owner_id", "amount_band", "_placeholder",
                           amount=open_opps._amount)
    out = out.left_join(counts, "opportunity_id").left_join(baseline, "amount_band")
    out = out.mutate(
        contacts_engaged=ibis.coalesce(out.contacts_engaged, 0),
        buyer_roles_engaged=ibis.coalesce(out.buyer_roles_engaged, 0),
        has_decision_maker=ibis.coalesce(out.has_decision_maker, False),
        senior_contacts_engaged=ibis.coalesce(out.senior_contacts_engaged, 0),
        multithreading_baseline_n=ibis.coalesce(out.multithreading_baseline_n, 0),
        multithreading_baseline=out._base.cast("float64"),
    )
    note = ibis.cases(
        (out._placeholder, "placeholder amount: no size band to compare with"),
        (out.amount_band.isnull(), "no amount: no size band to compare with"),
        (
            out.multithreading_baseline_n < min_baseline_n,
            "fewer than " + ibis.literal(str(min_baseline_n)) + " won deals in band "
            + out.amount_band + " (n=" + out.multithreading_baseline_n.cast("string") + ")",
        ),
        (out.multithreading_baseline <= 0, "won deals in this band show no engaged contacts"),
        else_=ibis.null("string"),
    )
    out = out.mutate(multithreading_note=note)
    out = out.mutate(
        multithreading_ratio=ibis.ifelse(
            out.multithreading_note.isnull(),
            out.contacts_engaged.cast("float64") / out.multithreading_baseline,
            ibis.null("float64"),
        )
    )
    return out.select(
        "opportunity_id", "account_id", "owner_id", "amount", "amount_band", "contacts_engaged",
        "buyer_roles_engaged", "has_decision_maker", "senior_contacts_engaged",
        "multithreading_baseline", "multithreading_baseline_n", "multithreading_ratio",
        "multithreading_note",
    )


def deal_roles(
    opportunities: ir.Table,
    activities: ir.Table,
    contact_roles: ir.Table,
    *,
    as_of: datetime,
    window_days: float = 90,
    contacts: ir.Table | None = None,
    pairs: ir.Table | None = None,
) -> ir.Table:
    """The distinct buyer roles engaged per open deal in the window, one row each.

    The same deals and activities as :func:`deal_engagement` (whose
    ``buyer_roles_engaged`` counts these rows). Columns: opportunity_id, buyer_role;
    ``unknown`` is left out.  ``pairs``: see :func:`deal_engagement`.
    """
    if pairs is None:
        pairs = open_deal_pairs(opportunities, activities, contact_roles, as_of=as_of, window_days=window_days,
                                contacts=contacts)
    pairs = pairs.filter(pairs.buyer_role != "unknown")
    return pairs.select("opportunity_id", "buyer_role").distinct()


def seller_effectiveness(
    activities: ir.Table,
    contact_roles: ir.Table,
    account_fit: ir.Table,
    *,
    as_of: datetime,
    deals: ir.Table | None = None,
    window_days: float = 90,
    contacts: ir.Table | None = None,
    min_activities: int = 5,
    min_deals: int = 2,
) -> ir.Table:
    """Per seller (``owner_id`` of activities in the window):

    * ``high_fit_effort_share``: activities on A/B accounts / activities on tiered accounts
      (``high_fit_effort_n`` = that denominator; null below ``min_activities``);
    * ``decision_maker_reach``: contact-linked activities with an executive, economic buyer
      or decision maker / contact-linked activities (``contact_activities_n``);
    * ``senior_contact_share``: contact-linked activities with c-level, VP or director
      contacts / contact-linked activities (unknown seniority counts as not senior);
    * ``multithreading``: median ``multithreading_ratio`` of the seller's open deals from
      :func:`deal_engagement` (pass it as ``deals``), ``multithreading_n`` deals with a ratio,
      null below ``min_deals`` or when ``deals`` is not given;
    * ``effectiveness_note``: why figures are null, else null;
    * ``mass_email_n`` / ``open_task_n``: the seller's list emails and open tasks in the
      window, left out of every figure above.
    """
    a = _with_roles(
        windowed_activities(activities, as_of=as_of, window_days=window_days, contacts=contacts),
        contact_roles,
    )
    a = a.filter(a.owner_id.notnull())
    fit = account_fit.select(_fid=account_fit.account_id, _tier=account_fit.fit_tier)
    a = a.left_join(fit, a.account_id == fit._fid).drop("_fid")
    has_contact = a.contact_id.notnull()
    tiered = a._tier.notnull()
    agg = a.group_by("owner_id").aggregate(
        activities_n=a.count(),
        high_fit_effort_n=a.count(where=tiered),
        _high=a.count(where=a._tier.isin(HIGH_FIT_TIERS)),
        contact_activities_n=a.count(where=has_contact),
        _dm=a.count(where=has_contact & a.buyer_role.isin(DECISION_ROLES)),
        _senior=a.count(where=has_contact & a.seniority.isin(SENIOR_LEVELS)),
    )
    enough_tiered = agg.high_fit_effort_n >= min_activities
    enough_contacts = agg.contact_activities_n >= min_activities
    out = agg.mutate(
        high_fit_effort_share=ibis.ifelse(
            enough_tiered, agg._high / agg.high_fit_effort_n, ibis.null("float64")
        ),
        decision_maker_reach=ibis.ifelse(
            enough_contacts, agg._dm / agg.contact_activities_n, ibis.null("float64")
        ),
        senior_contact_share=ibis.ifelse(
            enough_contacts, agg._senior / agg.contact_activities_n, ibis.null("float64")
        ),
    ).drop("_high", "_dm", "_senior")
    if deals is not None:
        d = deals.filter(deals.multithreading_ratio.notnull())
        mt = d.group_by("owner_id").aggregate(
            _mt=d.multithreading_ratio.median(), multithreading_n=d.count()
        )
        out = out.left_join(mt, "owner_id").drop("owner_id_right")
        out = out.mutate(multithreading_n=ibis.coalesce(out.multithreading_n, 0))
    else:
        out = out.mutate(_mt=ibis.null("float64"), multithreading_n=ibis.literal(0))
    out = out.mutate(
        multithreading=ibis.ifelse(out.multithreading_n >= min_deals, out._mt.cast("float64"),
                                   ibis.null("float64"))
    ).drop("_mt")
    m = str(min_activities)
    parts = [
        ibis.ifelse(out.high_fit_effort_n < min_activities,
                    "high_fit_effort_share: " + out.high_fit_effort_n.cast("string")
                    + " activities on tiered accounts (need " + m + ")", ibis.null("string")),
        ibis.ifelse(out.contact_activities_n < min_activities,
                    "contact shares: " + out.contact_activities_n.cast("string")
                    + " contact-linked activities (need " + m + ")", ibis.null("string")),
        ibis.ifelse(out.multithreading_n < min_deals,
                    "multithreading: " + out.multithreading_n.cast("string")
                    + " open deals with a baseline (need " + str(min_deals) + ")",
                    ibis.null("string")),
    ]
    note = parts[0]
    for p in parts[1:]:
        note = ibis.cases(
            (note.isnull(), p), (p.isnull(), note), else_=note + "; " + p
        )
    out = out.mutate(effectiveness_note=note)
    out = left_join_on_owner(out, excluded_activities(activities, as_of=as_of, window_days=window_days))
    out = out.mutate(mass_email_n=out.mass_email_n.fill_null(0), open_task_n=out.open_task_n.fill_null(0))
    return out.select(
        "owner_id", "activities_n", "high_fit_effort_share", "high_fit_effort_n",
        "decision_maker_reach", "senior_contact_share", "contact_activities_n",
        "multithreading", "multithreading_n", "effectiveness_note", "mass_email_n", "open_task_n",
    )


def left_join_on_owner(left: ir.Table, right: ir.Table) -> ir.Table:
    return left.left_join(right, "owner_id").drop("owner_id_right")


def excluded_activities(activities: ir.Table, *, as_of: datetime, window_days: float | None = 90) -> ir.Table:
    """Per activity owner: ``mass_email_n`` and ``open_task_n``, the activities in the window
    that the activity metrics leave out (none on a table without the ``artefact`` column)."""
    a = activities.filter(activities.occurred_at <= as_of_literal(as_of))
    if window_days is not None:
        a = a.filter(a.occurred_at > days_before(as_of, window_days))
    kind = a.artefact if "artefact" in a.columns else ibis.null("string")
    a = a.mutate(_kind=kind)
    a = a.filter(a.owner_id.notnull() & a._kind.notnull())
    return a.group_by("owner_id").aggregate(
        mass_email_n=a.count(where=a._kind == "mass_email"),
        open_task_n=a.count(where=a._kind == "open_task"),
    )


def effort_gaps(
    accounts: ir.Table,
    activities: ir.Table,
    account_fit: ir.Table,
    *,
    as_of: datetime,
    window_days: float = 90,
    contacts: ir.Table | None = None,
    starved_below: int = 3,
    soaking_top_share: float = 0.2,
    soaking_min: int = 5,
    logging_stopped_at: datetime | date | None = None,
) -> ir.Table:
    """Effort against potential: the accounts where the two disagree.

    * ``starved``: A/B account with fewer than ``starved_below`` activities in the window;
    * ``soaking``: C/D account in the top ``soaking_top_share`` of accounts by activities in
      the window (rank among accounts with any activity, ``percent_rank >= 1 - share``)
      and with at least ``soaking_min`` activities.

    Columns: account_id, owner_id (account owner), fit_score, fit_tier, activities_n, gap
    (``starved`` | ``soaking``), reason.  Accounts created after ``as_of`` are left out.

    When activity logging stopped org-wide (``logging_stopped_at`` before ``as_of``) the
    window ends at the stop, not at ``as_of``: the silence after it is the org's, not an
    account's, and the reason says "no activity logged since <date>".
    """
    asof = as_of_literal(as_of)
    acc = accounts.filter(accounts.created_at.isnull() | (accounts.created_at <= asof))
    end = activity_end(as_of, logging_stopped_at)
    a = windowed_activities(activities, as_of=end, window_days=window_days, contacts=contacts)
    a = a.filter(a.account_id.notnull())
    effort = a.group_by("account_id").aggregate(activities_n=a.count())
    t = acc.select("account_id", "owner_id").join(
        account_fit.select("account_id", "fit_score", "fit_tier"), "account_id"
    )
    t = t.left_join(effort, "account_id").drop("account_id_right")
    t = t.mutate(activities_n=ibis.coalesce(t.activities_n, 0))
    active = t.activities_n > 0
    rank = ibis.percent_rank().over(ibis.window(order_by=t.activities_n))
    ranked = t.filter(active).mutate(_rank=rank).select(_rid=t.account_id, _rank="_rank")
    t = t.left_join(ranked, t.account_id == ranked._rid).drop("_rid")
    days = f"{window_days:g}"
    stopped = (
        f"; no activity logged since {end:%Y-%m-%d} (org-wide), so the window ends there" if end < as_of else ""
    )
    score = ibis.coalesce(t.fit_score.round(0).cast("int64").cast("string"), ibis.literal("?"))
    starved = t.fit_tier.isin(HIGH_FIT_TIERS) & (t.activities_n < starved_below)
    soaking = (
        t.fit_tier.isin(LOW_FIT_TIERS)
        & (t._rank >= 1 - soaking_top_share)
        & (t.activities_n >= soaking_min)
    )
    t = t.mutate(
        gap=ibis.cases((starved, "starved"), (soaking, "soaking"), else_=ibis.null("string"))
    )
    t = t.filter(t.gap.notnull())
    reason = ibis.cases(
        (
            t.gap == "starved",
            "Tier " + t.fit_tier + " account (fit " + score + ") with "
            + t.activities_n.cast("string") + " activities in " + days
            + " days (starved below " + str(starved_below) + ")" + stopped,
        ),
        else_="Tier " + t.fit_tier + " account (fit " + score + ") took "
        + t.activities_n.cast("string") + " activities in " + days
        + " days, top " + f"{soaking_top_share:.0%}" + " of accounts by effort" + stopped,
    )
    return t.mutate(reason=reason).select(
        "account_id", "owner_id", "fit_score", "fit_tier", "activities_n", "gap", "reason"
    )
