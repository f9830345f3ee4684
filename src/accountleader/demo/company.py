"""``write_demo_export``: build the demo company and write it as a Salesforce data export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import files, leadership_plants
from .accounts import HIGH_FIT_INDUSTRIES, LOW_FIT_INDUSTRIES, build_accounts
from .activity import CALL, EMAIL, MEETING, build_activity
from .cases import build_cases
from .clock import AS_OF
from .contacts import build_contacts, contact_ids
from .delegation_plants import field_history_columns, plant_delegation
from .export import write_csv
from .history import build_history, everyday_changes
from .ids import make_ids
from .people import ARCHETYPES, build_sales_org
from .pipeline import CLOSED_WON, open_deals, stage_entries
from .planted import plant_changes, plant_deals, plant_departures
from .quotes import build_quotes
from .support_plants import plant_support
from .truth import DemoExport, PlantedTruth

Progress = Callable[[str, float], None]
TRUTH_FILE = ".planted.json"


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent random streams per part, so one part's changes leave the others alone."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(12)]


def write_demo_export(
    directory: Path,
    *,
    seed: int = 7,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> DemoExport:
    """Generate the demo company for ``seed`` and ``scale`` and write it to ``directory``.

    ``scale`` 1.0 gives about 40 sellers, 2,000 accounts, 15,000 contacts and 300,000
    activities over the three years before the fixed as-of date; other scales grow
    roughly linearly. The same seed and scale always give byte-identical files.
    ``progress`` is called with a step name and the fraction done (0 to 1).
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    report = progress or (lambda _step, _done: None)
    rng = _streams(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    report("people", 0.0)
    org = build_sales_org(rng[0], scale)
    accounts = build_accounts(rng[1], scale, org)
    contacts = build_contacts(rng[2], scale, accounts)
    report("pipeline", 0.1)
    deals = open_deals(rng[3], org, accounts, contacts)
    plan = plant_deals(rng[4], org, accounts, contacts, deals, scale)
    times = stage_entries(deals)
    changes = plant_changes(rng[4], plan, deals, times, everyday_changes(rng[5], deals, times))
    plant_departures(rng[4], plan, contacts, deals)
    cases = build_cases(rng[7], org, accounts, contacts)
    report("activity", 0.3)
    touches = build_activity(rng[8], org, accounts, contacts, deals, times, cases, plan)
    # issue 14's leadership plants (demo/leadership_plants.py) draw from a stream of their own and
    # choose among the accounts by their touches, so the history is built after the activity
    # (each part has its own stream: the order changes no draw)
    lead_rng = leadership_plants.leadership_rng(seed)
    lead = leadership_plants.choose(lead_rng, org, accounts, contacts, deals, times, plan, touches)
    changes = leadership_plants.add_changes(lead_rng, lead, deals, times, changes)
    history = build_history(rng[5], deals, times, changes)
    quotes = build_quotes(rng[6], deals, times, history)
    leadership_plants.move_people(lead_rng, lead, contacts, deals)
    leadership_plants.steady_touches(lead, contacts, touches)
    leadership_plants.flexible_touches(lead, contacts, deals, times, touches)

    report("writing", 0.5)
    ids = files.Ids(
        user=org.user_id,
        role=org.role_id,
        account=accounts.account_id,
        contact=contact_ids(rng[9], contacts.account.shape[0]),
        deal=make_ids(
            "Opportunity", deals.created.shape[0], 400_000 + int(rng[9].integers(0, 1_000_000))
        ),
        case=make_ids("Case", cases.created.shape[0], 700_000 + int(rng[9].integers(0, 1_000_000))),
    )
    out = np.random.default_rng(np.random.SeedSequence(seed).spawn(13)[12])
    is_customer = accounts.base_customer.copy()
    is_customer[deals.account[history.stage_now == CLOSED_WON]] = True

    def serial() -> int:
        return 1_000_000 + int(out.integers(0, 10_000_000))

    task_rows = np.flatnonzero(~np.isin(touches.channel, (EMAIL, MEETING)))
    tasks = touches.take(task_rows)
    task_ids = make_ids("Task", tasks.at.shape[0], serial())
    who = files.lookup(ids.contact, tasks.contact)
    planted_accounts = np.concatenate([plan.starved, plan.single_accounts, plan.heavy_accounts])
    seller_calls = np.flatnonzero(
        (tasks.channel == CALL) & (tasks.seller >= 0) & ~np.isin(tasks.account, planted_accounts)
    )
    dangling = (
        seller_calls[out.choice(seller_calls.shape[0], 3, replace=False)]
        if seller_calls.shape[0] >= 3
        else seller_calls
    )
    who[dangling] = make_ids("Contact", dangling.shape[0], 90_000_000 + serial())
    tasks.channel = leadership_plants.task_channels(lead, task_rows, tasks.channel, dangling)
    meetings = touches.take(np.flatnonzero(touches.channel == MEETING))
    emails = touches.take(np.flatnonzero(touches.channel == EMAIL))
    role_rows = files.contact_roles(out, deals, contacts, plan.single_deals)
    # issue 14's support-map plants (demo/support_plants.py): rows appended to the files below,
    # from a stream of their own, so nothing above changes
    support = plant_support(seed, scale, org, accounts, contacts, deals, times, history, quotes, touches, plan, ids,
                            avoid_accounts=lead.steady_accounts,
                            avoid_sellers=np.concatenate([lead.steady_sellers, lead.flexible_sellers]))

    # issue 15's delegation plants (demo/delegation_plants.py): Task and OpportunityFieldHistory rows
    # appended, from a stream of their own
    delegation = plant_delegation(seed, org, deals, history, ids)

    plan_files = {
        "User.csv": lambda: files.users(org, ids),
        "UserRole.csv": lambda: files.roles(org, ids),
        "Account.csv": lambda: files.account_file(accounts, is_customer, org, ids),
        "Contact.csv": lambda: files.contact_file(contacts, ids),
        "Opportunity.csv": lambda: files.opportunity_file(
            out, deals, history, quotes, accounts, org, ids
        ),
        "OpportunityHistory.csv": lambda: files.history_file(
            history,
            deals,
            accounts,
            org,
            ids,
            make_ids("OpportunityHistory", history.deal.shape[0], serial()),
        ),
        "OpportunityFieldHistory.csv": field_history_columns,
        "OpportunityContactRole.csv": lambda: files.role_file(
            role_rows,
            deals,
            ids,
            make_ids("OpportunityContactRole", role_rows[0].shape[0], serial()),
        ),
        "Task.csv": lambda: files.task_file(out, tasks, ids, task_ids, who),
        "Event.csv": lambda: files.event_file(
            out, meetings, ids, make_ids("Event", meetings.at.shape[0], serial())
        ),
        "EmailMessage.csv": lambda: files.email_file(
            out, emails, org, contacts, ids, make_ids("EmailMessage", emails.at.shape[0], serial())
        ),
        "Quote.csv": lambda: files.quote_file(
            quotes, deals, accounts, ids, make_ids("Quote", quotes.deal.shape[0], serial())
        ),
        "Case.csv": lambda: files.case_file(cases, ids),
        "CurrencyType.csv": files.currency_file,
    }
    written: dict[str, int] = {}
    for k, (name, build) in enumerate(plan_files.items()):
        report(f"writing {name}", 0.5 + 0.5 * k / len(plan_files))
        written[name] = write_csv(directory / name, delegation.extend(name, support.extend(name, build())))

    truth = PlantedTruth(
        as_of=AS_OF,
        seller_archetypes={
            str(org.user_id[u]): ARCHETYPES[a]
            for u, a in zip(org.sellers, org.seller_archetype, strict=True)
        },
        starved_high_fit_accounts=frozenset(map(str, accounts.account_id[plan.starved])),
        single_threaded_opportunities=frozenset(map(str, ids.deal[plan.single_deals])),
        heavy_change_accounts=frozenset(map(str, accounts.account_id[plan.heavy_accounts])),
        high_fit_industries=HIGH_FIT_INDUSTRIES,
        low_fit_industries=LOW_FIT_INDUSTRIES,
        out_of_sequence_opportunities=frozenset(map(str, ids.deal[plan.out_of_sequence])),
        duplicate_history_opportunities=frozenset(map(str, ids.deal[plan.duplicate_history])),
        dangling_task_ids=frozenset(map(str, task_ids[dangling])),
        champions=support.champions,
        blockers=support.blockers,
        champion_departures=support.champion_departures,
        uncommitted_backers=support.uncommitted_backers,
        cooling_opportunities=support.cooling_opportunities,
        steady_state_change_accounts=frozenset(map(str, accounts.account_id[lead.steady_accounts])),
        style_locked_sellers=frozenset(str(org.user_id[org.sellers[s]]) for s in lead.steady_sellers),
        flexible_sellers=frozenset(str(org.user_id[org.sellers[s]]) for s in lead.flexible_sellers),
        micromanaging_managers=delegation.micromanagers,
        delegating_managers=delegation.delegators,
        mass_created_tasks=delegation.mass_created_tasks,
    )
    (directory / TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8")
    report("done", 1.0)
    return DemoExport(directory=directory, files=written, truth=truth)
