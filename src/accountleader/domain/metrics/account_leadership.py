"""The leadership an account's change calls for: lead or manage, how often to review it, and
the accounts in change that are being managed, not led.

Per account, from the change index (:mod:`.change`) and the support churn the CRM shows:

* ``champion_departures``: key people who left in the change window: a contact who was the
  primary contact on one of the account's deals (``opportunity_contact_roles.is_primary``), or
  the account's most engaged contact (most selling touches by as_of);
* ``buyer_role_churn``: decision-side buyer roles (executive, economic buyer, decision maker,
  champion) in which someone left or arrived in the change window.

Rules (thresholds are settings, ``leadership.*``):

* ``leadership_mode`` is ``lead`` when the change index reaches ``lead_change_index``, or
  reaches ``lead_change_index_with_churn`` with a champion gone or ``lead_role_churn`` buyer
  roles churned; else ``manage``;
* ``review_cadence_days`` is ``cadence_heavy_days`` at ``heavy_change_index`` or more,
  ``cadence_lead_days`` in lead mode, else ``cadence_steady_days``;
* ``managed_not_led``: lead mode, a create share (with its sample floor) at most
  ``max_create_share``, and no senior contact (c-level, VP, director) touched in the last
  ``senior_touch_days``.

Stance flips entered by people (support maps in the app database) are not in these figures
yet; docs/metrics.md says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from ._clean import bulk_loaded_contact, selling_activities
from ._time import as_of_literal, days_before, days_between
from .efficiency import left_join_on

METRICS = (
    "champion_departures",
    "buyer_role_churn",
    "leadership_mode",
    "review_cadence_days",
    "managed_not_led",
)

SENIOR = ("c_level", "vp", "director")
DECISION_SIDE = ("executive", "economic_buyer", "decision_maker", "champion")


@dataclass(frozen=True)
class LeadershipRules:
    """The thresholds of the rules above (config.LeadershipSettings holds the user's values)."""

    lead_change_index: float = 40.0
    lead_change_index_with_churn: float = 20.0
    lead_role_churn: int = 2
    heavy_change_index: float = 60.0
    cadence_heavy_days: int = 7
    cadence_lead_days: int = 14
    cadence_steady_days: int = 30
    max_create_share: float = 0.2
    senior_touch_days: int = 30


def json_list(parts: Sequence[ir.StringValue]) -> ir.StringValue:
    """A JSON list of the non-null ``parts``, in order (``[]`` when all are null)."""
    # each part once (", " and the quoted part, or nothing), the first separator cut off: the
    # expression grows linearly with the parts, not exponentially
    body: ir.StringValue = ibis.literal("")
    for p in parts:
        quoted = ibis.literal(', "') + p.replace("\\", "\\\\").replace('"', '\\"') + ibis.literal('"')
        body = body + ibis.ifelse(p.isnull(), ibis.literal(""), quoted)
    return ibis.literal("[") + body.substr(2) + ibis.literal("]")


def _int_text(x: ir.NumericValue) -> ir.StringValue:
    return x.round(0).cast("int64").cast("string")


def key_people(contacts: ir.Table, contact_roles_ocr: ir.Table, activities: ir.Table, *, as_of: datetime) -> ir.Table:
    """Contacts who carry an account: primary on a deal's contact roles, or the account's most
    engaged contact (most selling touches by ``as_of``; ties to the lowest id).

    ``contact_roles_ocr`` is ``opportunity_contact_roles``; ``activities`` have their account
    filled (``with_activity_account``).  Columns: ``contact_id``, ``key_reason``
    (``primary`` or ``most_engaged``).
    """
    primary = contact_roles_ocr.filter(contact_roles_ocr.is_primary.fill_null(False))
    primary = primary.select("contact_id").distinct().mutate(key_reason=ibis.literal("primary"))
    a = selling_activities(activities)
    a = a.filter((a.occurred_at <= as_of_literal(as_of)) & a.contact_id.notnull() & a.account_id.notnull())
    touched = a.group_by(["account_id", "contact_id"]).aggregate(_n=a.count())
    # the contact must belong to the account it is most engaged at
    own = contacts.select(_cid=contacts.contact_id, _acc=contacts.account_id)
    touched = touched.join(own, (touched.contact_id == own._cid) & (touched.account_id == own._acc)).drop("_cid", "_acc")
    w = ibis.window(group_by="account_id", order_by=[ibis.desc("_n"), "contact_id"])
    top = touched.mutate(_rank=ibis.row_number().over(w)).filter(lambda t: t._rank == 0)
    top = top.select("contact_id", key_reason=ibis.literal("most_engaged"))
    both = ibis.union(primary, top, distinct=False)
    # one row per contact: "primary" wins (sorts after "most_engaged")
    return both.group_by("contact_id").aggregate(key_reason=both.key_reason.max())


def support_churn(
    contacts: ir.Table,
    contact_roles: ir.Table,
    key: ir.Table,
    *,
    as_of: datetime,
    window_days: float,
) -> ir.Table:
    """Per account with a contact: ``champion_departures`` (key people, see :func:`key_people`,
    whose ``departed_at`` is in the last ``window_days``) and ``buyer_role_churn`` (distinct
    decision-side buyer roles in which a contact left, or arrived, in the window; a bulk-loaded
    contact is a load, not an arrival)."""
    asof = as_of_literal(as_of)
    since = days_before(as_of, window_days)
    c = contacts.filter(contacts.account_id.notnull())
    c = left_join_on(c, key, "contact_id")
    roles = contact_roles.select("contact_id", "buyer_role")
    c = left_join_on(c, roles, "contact_id")
    left = ((c.departed_at > since) & (c.departed_at <= asof)).fill_null(False)
    came = ((c.created_at > since) & (c.created_at <= asof) & ~bulk_loaded_contact(c)).fill_null(False)
    moved = (left | came) & c.buyer_role.isin(DECISION_SIDE).fill_null(False)
    return c.group_by("account_id").aggregate(
        champion_departures=c.count(where=left & c.key_reason.notnull()),
        buyer_role_churn=c.buyer_role.nunique(where=moved),
    )


def senior_touches(
    activities: ir.Table, contact_roles: ir.Table, *, as_of: datetime, days: float
) -> ir.Table:
    """Per account: ``senior_touches_n`` (selling touches of c-level, VP or director contacts in
    the last ``days``, by anyone) and ``last_senior_touch_days`` (days from the latest senior
    touch by ``as_of`` to ``as_of``; empty when there never was one)."""
    asof = as_of_literal(as_of)
    a = selling_activities(activities)
    a = a.filter((a.occurred_at <= asof) & a.account_id.notnull() & a.contact_id.notnull())
    r = contact_roles.filter(contact_roles.seniority.isin(SENIOR)).select(_cid=contact_roles.contact_id)
    s = a.join(r, a.contact_id == r._cid)
    agg = s.group_by("account_id").aggregate(
        senior_touches_n=s.count(where=s.occurred_at > days_before(as_of, days)),
        _last=s.occurred_at.max(),
    )
    return agg.mutate(last_senior_touch_days=days_between(agg._last, asof)).drop("_last")


def account_leadership(
    change_index: ir.Table,
    account_shares: ir.Table,
    churn: ir.Table,
    touches: ir.Table,
    *,
    rules: LeadershipRules = LeadershipRules(),  # noqa: B008 - frozen, never mutated
    window_days: float = 180,
    create_window_days: float = 90,
) -> ir.Table:
    """Per account of ``change_index`` (:func:`.change.change_index`): the mode, cadence and
    managed-not-led flag, with ``leadership_reasons`` (a JSON list of plain sentences with the
    numbers).

    ``account_shares`` is the per-account :func:`.leadership.create_share` (``create_share``
    is empty below its sample floor: such an account is never managed-not-led, the reasons say
    why), ``churn`` :func:`support_churn`, ``touches`` :func:`senior_touches`.

    Columns: ``account_id``, ``champion_departures``, ``buyer_role_churn``,
    ``senior_touches_n``, ``last_senior_touch_days``, ``leadership_mode``,
    ``review_cadence_days``, ``managed_not_led``, ``leadership_reasons``.
    """
    t = change_index.select("account_id", "change_index")
    t = left_join_on(t, account_shares.select("account_id", "create_share", "activities_n"), "account_id")
    t = left_join_on(t, churn, "account_id")
    t = left_join_on(t, touches, "account_id")
    t = t.mutate(
        champion_departures=t.champion_departures.fill_null(0),
        buyer_role_churn=t.buyer_role_churn.fill_null(0),
        senior_touches_n=t.senior_touches_n.fill_null(0),
        activities_n=t.activities_n.fill_null(0),
        change_index=t.change_index.fill_null(0.0),
    )
    r = rules
    churned = (t.champion_departures >= 1) | (t.buyer_role_churn >= r.lead_role_churn)
    lead = (t.change_index >= r.lead_change_index) | ((t.change_index >= r.lead_change_index_with_churn) & churned)
    heavy = t.change_index >= r.heavy_change_index
    cadence = ibis.cases((heavy, r.cadence_heavy_days), (lead, r.cadence_lead_days), else_=r.cadence_steady_days)
    low_create = t.create_share.notnull() & (t.create_share <= r.max_create_share)
    no_senior = t.senior_touches_n == 0
    flagged = lead & low_create.fill_null(False) & no_senior

    ci = _int_text(t.change_index)
    mode_reason = ibis.cases(
        (t.change_index >= r.lead_change_index,
         "change index " + ci + f" (lead at {r.lead_change_index:g} or more)"),
        (lead, "change index " + ci + f" with support churn (lead at {r.lead_change_index_with_churn:g} or more "
         "when a champion left or buyer roles churned)"),
        else_="change index " + ci + f" (below {r.lead_change_index:g}: manage)",
    )
    none = ibis.null("string")
    champions = ibis.ifelse(
        t.champion_departures > 0,
        t.champion_departures.cast("string") + f" key contact(s) left in {window_days:g} days "
        "(primary on a deal or the most engaged)",
        none,
    )
    roles = ibis.ifelse(
        t.buyer_role_churn > 0,
        t.buyer_role_churn.cast("string") + f" decision-side buyer role(s) with people leaving or arriving in {window_days:g} days",
        none,
    )
    cadence_reason = ibis.cases(
        (heavy, f"review every {r.cadence_heavy_days} days (change index {r.heavy_change_index:g} or more)"),
        (lead, f"review every {r.cadence_lead_days} days (lead mode)"),
        else_=f"review every {r.cadence_steady_days} days (steady state)",
    )
    pct = _int_text(t.create_share * 100)
    create_reason = ibis.cases(
        (~lead, none),
        (t.create_share.isnull(),
         "create share not measured: " + t.activities_n.cast("string") + f" classified activities in {create_window_days:g} days"),
        (low_create, "create share " + pct + "% over " + t.activities_n.cast("string")
         + f" activities in {create_window_days:g} days (at most {r.max_create_share:.0%}: tending, not creating)"),
        else_="create share " + pct + "% over " + t.activities_n.cast("string") + f" activities in {create_window_days:g} days",
    )
    senior_reason = ibis.cases(
        (~lead, none),
        (no_senior & t.last_senior_touch_days.isnull(), ibis.literal("no senior contact (c-level, VP, director) ever touched")),
        (no_senior, f"no senior contact touched in {r.senior_touch_days} days (last " + _int_text(t.last_senior_touch_days)
         + " days ago)"),
        else_=t.senior_touches_n.cast("string") + f" senior-contact touches in {r.senior_touch_days} days",
    )
    reasons = json_list([mode_reason, champions, roles, cadence_reason, create_reason, senior_reason])
    return t.select(
        "account_id", "champion_departures", "buyer_role_churn", "senior_touches_n", "last_senior_touch_days",
        leadership_mode=ibis.ifelse(lead, "lead", "manage"),
        review_cadence_days=cadence.cast("int64"),
        managed_not_led=flagged,
        leadership_reasons=reasons,
    )
