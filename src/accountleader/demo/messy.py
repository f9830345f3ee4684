"""``demo --messy``: the demo company written the way real orgs export.

It generates the normal demo (same seed and scale), then rewrites the export files
with every artefact that real Salesforce exports carry (see ``docs/real-exports``):
Spanish stages with an ``OpportunityStage.csv``, ``User.csv`` and ``Contact.csv`` without ``Name``,
``Opportunity.csv`` without ``IsClosed``/``IsWon``, one seller per country, non-selling
owners (an integration user, an admin, the null id), deals closed in history weeks
before their CloseDate, a bulk load, a logging stop, deals entered late or clicked
through, quotes made as closing documents, list email, open tasks and placeholder
amounts.  Files stay in Salesforce's format (quoted fields, CRLF, 18-character ids,
ISO datetimes).

What was planted is written beside the export as :data:`MESSY_TRUTH_FILE`: per
artefact kind the planted ``count`` and ``ids``, plus the facts tests need.  The
planting uses its own seeded random stream, so the same seed and scale always give
the same files; the normal demo is not changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .clock import DAY, HOUR, MINUTE, as_of_seconds
from .company import TRUTH_FILE, Progress, write_demo_export
from .messy_deals import (
    LOST,
    SPANISH,
    WON,
    DealFacts,
    Frames,
    plant_bulk_history,
    plant_click_through,
    plant_closed_by_history,
    plant_closing_quotes,
    plant_entered_late,
    plant_placeholder_amounts,
    stage_file,
    system_deals,
    translate_stages,
)
from .messy_frames import IdMaker, read, seconds, write
from .messy_people import (
    NULL_ID,
    activity_accounts,
    add_system_users,
    bulk_contacts,
    dark_only_by_stop,
    drop_names,
    mass_email,
    one_country_per_seller,
    open_tasks,
    reassign_accounts,
    starve_before_stop,
    stop_logging,
)
from .truth import PlantedTruth

MESSY_TRUTH_FILE = "messy_truth.json"
_FILES = (
    "User",
    "UserRole",
    "Account",
    "Contact",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityFieldHistory",
    "OpportunityContactRole",
    "Task",
    "Event",
    "EmailMessage",
    "Quote",
    "Case",
    "CurrencyType",
)


@dataclass(frozen=True)
class MessyExport:
    directory: Path
    files: dict[str, int]
    truth: PlantedTruth  # the normal demo's planted behaviours (ids are kept)
    messy: dict[str, Any]  # the contents of messy_truth.json


def _stop_day(end: int) -> int:
    """The logging stop: the Monday five weeks before the end of the data."""
    d = np.datetime64(end - 35 * DAY, "s").astype("datetime64[D]")
    return int(
        np.busday_offset(d, 0, roll="backward", weekmask="Mon")
        .astype("datetime64[s]")
        .astype(np.int64)
    )


def _n(base: int, share: float, size: int) -> int:
    return max(base, int(round(share * size)))


def write_messy_export(
    directory: Path, *, seed: int = 7, scale: float = 1.0, progress: Progress | None = None
) -> MessyExport:
    """Write the messy demo company (see the module docstring) to ``directory``."""
    report = progress or (lambda _step, _done: None)
    directory = Path(directory)
    normal = write_demo_export(
        directory, seed=seed, scale=scale, progress=lambda s, f: report(s, 0.7 * f)
    )
    report("planting real-export artefacts", 0.7)
    truth = normal.truth
    avoid_accounts = set(truth.starved_high_fit_accounts) | set(truth.heavy_change_accounts)
    frames = {name: read(directory / f"{name}.csv") for name in _FILES}
    o = frames["Opportunity"]
    avoid_deals = (
        set(truth.single_threaded_opportunities)
        | set(truth.out_of_sequence_opportunities)
        | set(truth.duplicate_history_opportunities)
        | set(o.Id[o.AccountId.isin(avoid_accounts)])
    )
    rng = np.random.default_rng(np.random.SeedSequence([seed, 9]))
    fr = Frames(frames, rng, IdMaker(), avoid_deals, avoid_accounts)
    end = as_of_seconds()
    stop = _stop_day(end)
    load_at = end - 75 * DAY + 3 * HOUR + 12 * MINUTE
    sellers = sorted(truth.seller_archetypes)
    slow = sorted(u for u, a in truth.seller_archetypes.items() if a == "slow")
    out: dict[str, Any] = {}

    translate_stages(fr)
    stage_file(fr)
    integration, admin = add_system_users(fr)
    territories = one_country_per_seller(fr, sellers)

    facts = DealFacts(fr)
    n_deals, n_closed = len(o), len(facts.closed_at)
    cbh = plant_closed_by_history(fr, facts, stop, end, _n(10, 0.015, n_closed))
    placeholder = plant_placeholder_amounts(fr, facts, _n(8, 0.02, len(facts.lost())))
    bulk_hist = plant_bulk_history(fr, facts, load_at, 30, integration)
    facts = DealFacts(fr)
    clicked, click_rows = plant_click_through(
        fr, facts, _n(10, 0.02, n_deals), slow[0] if slow else sellers[0]
    )
    facts = DealFacts(fr)
    quote_deals, quote_ids = plant_closing_quotes(fr, facts, _n(10, 0.02, len(facts.won())), end)
    facts = DealFacts(fr)
    late = plant_entered_late(fr, facts, _n(10, 0.03, len(facts.won())))

    # non-selling owners: a few accounts with no deals, and deals of their own
    acc = fr["Account"]
    dealless = sorted(set(acc.Id) - set(fr["Opportunity"].AccountId) - avoid_accounts)
    picked = [dealless[i] for i in rng.choice(len(dealless), min(9, len(dealless)), replace=False)]
    admin_accounts, null_accounts, deal_accounts = picked[:3], picked[3:5], picked[5:9]
    reassign_accounts(fr, admin_accounts, admin)
    reassign_accounts(fr, null_accounts, NULL_ID)
    sys_owners = [admin, NULL_ID, admin, NULL_ID][: len(deal_accounts)]
    sys_deals = system_deals(fr, sys_owners, deal_accounts, stop - 150 * DAY)

    # activity: the stop, then newsletters and open tasks logged before it
    before = activity_accounts(fr)
    dark_only = sorted(
        set(dark_only_by_stop(before, stop, end)) - set(truth.starved_high_fit_accounts)
    )
    dropped = stop_logging(fr, stop)
    dropped["starved_before_stop"] = starve_before_stop(
        fr, sorted(truth.starved_high_fit_accounts), stop
    )
    bulk_people = bulk_contacts(fr, load_at, _n(30, 0.02, len(fr["Contact"])))
    senders = [sellers[(3 * k + 1) % len(sellers)] for k in range(3)]
    sends = [stop - d * DAY + 14 * HOUR for d in (68, 40, 12)]
    sends = [s - ((s // DAY + 3) % 7 >= 5) * 2 * DAY for s in sends]  # on a weekday
    listed, list_only = mass_email(fr, senders, sends, _n(25, 0.01, len(fr["Contact"])))
    owner_of = dict(zip(acc.Id, acc.OwnerId, strict=True))
    starved = sorted(truth.starved_high_fit_accounts)
    others = sorted(set(acc.Id[acc.OwnerId.isin(sellers)]) - avoid_accounts)
    extra = [others[i] for i in rng.choice(len(others), _n(10, 0.01, len(acc)), replace=False)]
    task_accounts = starved + extra
    task_owners = [owner_of[a] for a in task_accounts]
    task_owners[-2:] = [integration, integration]
    overdue = set(range(len(starved)))
    open_ids = open_tasks(fr, task_owners, task_accounts, stop, end, overdue)

    drop_names(fr)
    written = {
        f"{name}.csv": write(directory / f"{name}.csv", frame) for name, frame in fr.f.items()
    }

    final = fr["Opportunity"]
    h = fr["OpportunityHistory"]
    last_move = int(max(seconds(h.CreatedDate).max(), seconds(final.CreatedDate).max()))
    out = {
        "closed_by_history": {
            "count": len(cbh),
            "ids": cbh,
            "close_date_after_stop": sorted(
                d for d in cbh if d in set(final.Id[seconds(final.CloseDate) >= stop])
            ),
        },
        "bulk_loaded": {
            "count": len(bulk_people) + len(bulk_hist),
            "ids": sorted(bulk_people + bulk_hist),
            "contacts": bulk_people,
            "history_rows": bulk_hist,
            "at": str(np.datetime64(load_at, "s")) + "Z",
        },
        "logging_stopped": {
            "count": (last_move - stop) // DAY,
            "ids": [str(np.datetime64(stop, "s").astype("datetime64[D]"))],
            "rows_dropped": dropped,
            "dark_only_by_stop_accounts": dark_only,
        },
        "entered_late": {
            "count": len(late) + len(click_rows),
            "ids": sorted(late + click_rows),
            "deals": late,
            "click_through_deals": clicked,
            "click_through_rows": click_rows,
            "click_through_seller": slow[0] if slow else sellers[0],
        },
        "quote_as_closing_document": {
            "count": len(quote_ids),
            "ids": quote_ids,
            "deals": quote_deals,
        },
        "mass_email": {
            "count": len(listed),
            "ids": listed,
            "senders": senders,
            "list_email_only_contacts": list_only,
        },
        "open_task": {
            "count": len(open_ids),
            "ids": open_ids,
            "starved_accounts_with_open_tasks": starved,
        },
        "placeholder_amount": {"count": len(placeholder), "ids": placeholder},
        "demo": {
            "seed": seed,
            "scale": scale,
            "stages": SPANISH,
            "won": int((final.StageName == WON).sum()),
            "lost": int((final.StageName == LOST).sum()),
            "open": int((~final.StageName.isin([WON, LOST])).sum()),
            "territories": territories,
            "system_users": {"integration": integration, "admin": admin, "null": NULL_ID},
            "system_owned": {
                "accounts": sorted(admin_accounts + null_accounts),
                "deals": sys_deals,
                "tasks": [
                    open_ids[i] for i in range(len(open_ids)) if task_owners[i] == integration
                ],
            },
            "normal_truth": TRUTH_FILE,
        },
    }
    (directory / MESSY_TRUTH_FILE).write_text(
        json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    report("done", 1.0)
    return MessyExport(directory, written, truth, out)
