"""Messy-demo artefacts on deals, stage history and quotes.

Each function changes the export frames in place (``Frames``) and returns the ids it
planted.  Deals are drawn from a shared pool so no deal carries two artefacts, and the
normal demo's planted deals and accounts are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .clock import DAY, HOUR, MINUTE
from .messy_frames import IdMaker, append, day, seconds, stamp

#: The org's stages, in Spanish: English demo stage -> (label, probability, forecast category).
SPANISH = {
    "Prospecting": "Prospección",
    "Qualification": "Calificación",
    "Needs Analysis": "Descubrimiento",
    "Value Proposition": "Interés",
    "Proposal/Price Quote": "Diseño Propuesta",
    "Negotiation/Review": "Negociación",
    "Closed Won": "Cerrada Ganada",
    "Closed Lost": "Cerrada Perdida",
}
SIGNATURE = "Firmas"
WON, LOST = SPANISH["Closed Won"], SPANISH["Closed Lost"]
#: (label, sort order, probability, forecast category, is closed, is won)
STAGE_LIST = (
    ("Prospección", 1, 10, "Pipeline", False, False),
    ("Calificación", 2, 20, "Pipeline", False, False),
    ("Descubrimiento", 3, 25, "Pipeline", False, False),
    ("Interés", 4, 50, "Pipeline", False, False),
    ("Diseño Propuesta", 5, 75, "Best Case", False, False),
    ("Negociación", 6, 90, "Commit", False, False),
    ("Firmas", 7, 95, "Commit", False, False),
    ("Cerrada Ganada", 8, 100, "Closed", True, True),
    ("Cerrada Perdida", 9, 0, "Omitted", True, False),
)
ORDER = [s[0] for s in STAGE_LIST]
PROBABILITY = {s[0]: s[2] for s in STAGE_LIST}
FORECAST = {s[0]: s[3] for s in STAGE_LIST}
CLOSED = {s[0] for s in STAGE_LIST if s[4]}


@dataclass
class Frames:
    """The export's files as text frames, plus what planting needs to know."""

    f: dict[str, pd.DataFrame]
    rng: np.random.Generator
    ids: IdMaker
    avoid_deals: set[str]
    avoid_accounts: set[str]
    used_deals: set[str] = field(default_factory=set)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.f[name]

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        self.f[name] = frame

    def pick(self, candidates: pd.Series | list[str], n: int) -> list[str]:
        """Up to ``n`` deal ids from ``candidates`` not used or avoided; marks them used."""
        pool = [
            c
            for c in dict.fromkeys(candidates)
            if c not in self.used_deals and c not in self.avoid_deals
        ]
        if not pool:
            return []
        chosen = self.rng.choice(len(pool), min(n, len(pool)), replace=False)
        out = sorted(pool[i] for i in chosen)
        self.used_deals.update(out)
        return out


def translate_stages(fr: Frames) -> None:
    """Spanish stage names on deals and history (probabilities and categories unchanged)."""
    for name in ("Opportunity", "OpportunityHistory"):
        fr[name]["StageName"] = fr[name]["StageName"].map(SPANISH)


def stage_file(fr: Frames) -> None:
    """``OpportunityStage.csv`` as a Data Export writes it, with the Spanish stages."""
    n = len(STAGE_LIST)
    fr["OpportunityStage"] = pd.DataFrame(
        {
            "Id": IdMaker.with_prefix("01J", n, 4_000),
            "MasterLabel": ORDER,
            "ApiName": ORDER,
            "IsActive": ["true"] * n,
            "SortOrder": [str(s[1]) for s in STAGE_LIST],
            "IsClosed": ["true" if s[4] else "false" for s in STAGE_LIST],
            "IsWon": ["true" if s[5] else "false" for s in STAGE_LIST],
            "ForecastCategoryName": [s[3] for s in STAGE_LIST],
            "DefaultProbability": [str(s[2]) for s in STAGE_LIST],
        }
    )


class DealFacts:
    """Per-deal facts read once from the (Spanish) deal and history frames."""

    def __init__(self, fr: Frames) -> None:
        o, h = fr["Opportunity"], fr["OpportunityHistory"]
        self.created = dict(zip(o.Id, seconds(o.CreatedDate), strict=True))
        self.stage = dict(zip(o.Id, o.StageName, strict=True))
        self.owner = dict(zip(o.Id, o.OwnerId, strict=True))
        self.currency = dict(zip(o.Id, o.CurrencyIsoCode, strict=True))
        at = seconds(h.CreatedDate)
        hh = pd.DataFrame(
            {"deal": h.OpportunityId, "t": at, "stage": h.StageName, "row": np.arange(len(h))}
        )
        hh = hh.sort_values(["deal", "t", "row"], kind="stable")
        self.rows = {d: g.row.to_numpy() for d, g in hh.groupby("deal", sort=False)}
        closing = hh[hh.stage.isin(CLOSED)].groupby("deal").first()
        self.closed_at = dict(zip(closing.index, closing.t.astype(int), strict=True))
        first = hh.groupby("deal").first()
        self.first_stage = dict(zip(first.index, first.stage, strict=True))

    def won(self) -> list[str]:
        return [d for d, s in self.stage.items() if s == WON and d in self.closed_at]

    def lost(self) -> list[str]:
        return [d for d, s in self.stage.items() if s == LOST and d in self.closed_at]


def _history_row(fr: Frames, base: pd.Series, **values: str) -> dict[str, str]:
    row = {c: str(base[c]) for c in fr["OpportunityHistory"].columns}
    row.update(values)
    return row


def plant_closed_by_history(
    fr: Frames, facts: DealFacts, stop: int, end: int, scale_n: int
) -> list[str]:
    """Closed deals whose CloseDate is 3-8 weeks after the history shows them closed.

    Half are closed in the last weeks of the data, so their CloseDate falls after the
    logging stop (some after the end of the data): naive logic calls them open.
    """
    closed = [d for d in facts.closed_at if facts.stage[d] in CLOSED]
    recent = [d for d in closed if stop - 28 * DAY <= facts.closed_at[d] < end]
    older = [d for d in closed if facts.closed_at[d] < stop - 28 * DAY]
    chosen = fr.pick(recent, scale_n // 2) + fr.pick(older, scale_n - scale_n // 2)
    o = fr["Opportunity"]
    idx = o.index[o.Id.isin(chosen)]
    later = (
        np.array([facts.closed_at[d] for d in o.Id[idx]]) + fr.rng.integers(21, 57, len(idx)) * DAY
    )
    o.loc[idx, "CloseDate"] = day(later)
    return sorted(chosen)


def plant_placeholder_amounts(fr: Frames, facts: DealFacts, n: int) -> list[str]:
    """Lost USD deals whose amount is a placeholder: 0, 1 or 100 (on the deal and its history)."""
    chosen = fr.pick([d for d in facts.lost() if facts.currency[d] == "USD"], n)
    value = dict(zip(chosen, fr.rng.choice(np.array(["0", "1", "100"]), len(chosen)), strict=True))
    for name, key in (("Opportunity", "Id"), ("OpportunityHistory", "OpportunityId")):
        frame = fr[name]
        hit = frame[key].isin(chosen)
        frame.loc[hit, "Amount"] = frame.loc[hit, key].map(value)
    return sorted(chosen)


def plant_entered_late(fr: Frames, facts: DealFacts, n: int) -> list[str]:
    """Won deals first recorded at the signature stage (Firmas) or already won.

    Their stage history is replaced: two thirds get one Firmas row at creation and the
    closing row; the rest only the closing (Cerrada Ganada) row.
    """
    chosen = fr.pick(facts.won(), n)
    h = fr["OpportunityHistory"]
    drop: list[int] = []
    new: list[dict[str, str]] = []
    for k, d in enumerate(chosen):
        rows = facts.rows[d]
        closing = next(r for r in rows if h.StageName.iat[r] in CLOSED)
        drop.extend(int(r) for r in rows if r != closing)
        if k % 3 != 2:
            base = h.iloc[closing]
            new.append(
                _history_row(
                    fr,
                    base,
                    StageName=SIGNATURE,
                    Probability=str(PROBABILITY[SIGNATURE]),
                    ForecastCategory=FORECAST[SIGNATURE],
                    CreatedDate=stamp([facts.created[d]])[0],
                )
            )
    ids = fr.ids.make("OpportunityHistory", len(new))
    for row, i in zip(new, ids, strict=True):
        row["Id"] = i
    fr["OpportunityHistory"] = append(h.drop(index=h.index[drop]), new)
    return sorted(chosen)


def plant_click_through(
    fr: Frames, facts: DealFacts, n: int, favourite: str
) -> tuple[list[str], list[str]]:
    """Deals created and clicked through the early stages within a minute.

    For deals first recorded at Interés, rows for Prospección, Calificación and
    Descubrimiento are added seconds apart at creation, and the first real row moves a
    few seconds later.  About 60% of them belong to ``favourite`` (one seller who enters
    deals this way).  Returns (deals, click-through history row ids).
    """
    start = [d for d, s in facts.first_stage.items() if s == "Interés" and d in facts.created]
    mine = [d for d in start if facts.owner[d] == favourite]
    chosen = fr.pick(mine, int(round(n * 0.6)))
    chosen = sorted(chosen + fr.pick(start, n - len(chosen)))
    h = fr["OpportunityHistory"]
    new: list[dict[str, str]] = []
    for d in chosen:
        first = int(facts.rows[d][0])
        base = h.iloc[first]
        t = int(seconds(pd.Series([base.CreatedDate]))[0])
        for stage in ORDER[: ORDER.index("Interés")]:
            new.append(
                _history_row(
                    fr,
                    base,
                    StageName=stage,
                    Probability=str(PROBABILITY[stage]),
                    ForecastCategory=FORECAST[stage],
                    CreatedDate=stamp([t])[0],
                )
            )
            t += int(fr.rng.integers(4, 13))
        h.iat[first, h.columns.get_loc("CreatedDate")] = stamp([t])[0]
    ids = fr.ids.make("OpportunityHistory", len(new))
    for row, i in zip(new, ids, strict=True):
        row["Id"] = i
    fr["OpportunityHistory"] = append(h, new)
    return chosen, sorted(map(str, ids))


def plant_closing_quotes(
    fr: Frames, facts: DealFacts, n: int, end: int
) -> tuple[list[str], list[str]]:
    """Quotes made as closing documents: at a Firmas row added before the win, or after it.

    Returns (deals, quote ids).
    """
    chosen = fr.pick(facts.won(), n)
    h, q = fr["OpportunityHistory"], fr["Quote"]
    o = fr["Opportunity"].set_index("Id")
    hist_rows: list[dict[str, str]] = []
    quotes: list[dict[str, str]] = []
    number = q.QuoteNumber.astype(int).max() if len(q) else 0
    for k, d in enumerate(chosen):
        rows = facts.rows[d]
        closing = next(int(r) for r in rows if h.StageName.iat[r] in CLOSED)
        c = facts.closed_at[d]
        before = [
            int(r)
            for r in rows
            if int(r) != closing and seconds(pd.Series([h.CreatedDate.iat[r]]))[0] < c
        ]
        p = (
            int(seconds(pd.Series([h.CreatedDate.iat[before[-1]]]))[0])
            if before
            else facts.created[d]
        )
        if k % 3 != 2 and c - p > 6 * HOUR:
            at = p + int((c - p) * 0.6) // MINUTE * MINUTE
            hist_rows.append(
                _history_row(
                    fr,
                    h.iloc[closing],
                    StageName=SIGNATURE,
                    Probability=str(PROBABILITY[SIGNATURE]),
                    ForecastCategory=FORECAST[SIGNATURE],
                    CreatedDate=stamp([at])[0],
                )
            )
            made = at + int(fr.rng.integers(1, 4)) * HOUR + int(fr.rng.integers(0, 60)) * MINUTE
            made = min(made, c - MINUTE)
        else:
            made = c + int(fr.rng.integers(1, 8)) * DAY + int(fr.rng.integers(0, 480)) * MINUTE
            made = max(c + MINUTE, min(made, end - 2 * HOUR))
        number += 1
        sent = made + int(fr.rng.integers(10, 90)) * MINUTE
        deal = o.loc[d]
        quotes.append(
            {
                "Name": f"Q-{number:08d}",
                "QuoteNumber": f"{number:08d}",
                "OpportunityId": d,
                "AccountId": deal.AccountId,
                "Status": "Accepted",
                "GrandTotal": deal.Amount,
                "CurrencyIsoCode": deal.CurrencyIsoCode,
                "CreatedDate": stamp([made])[0],
                "Requested_Date__c": "",
                "Sent_Date__c": stamp([sent])[0],
                "ExpirationDate": day([sent + 30 * DAY])[0],
            }
        )
    for row, i in zip(hist_rows, fr.ids.make("OpportunityHistory", len(hist_rows)), strict=True):
        row["Id"] = i
    quote_ids = fr.ids.make("Quote", len(quotes))
    for row, i in zip(quotes, quote_ids, strict=True):
        row["Id"] = i
    fr["OpportunityHistory"] = append(h, hist_rows)
    fr["Quote"] = append(q, quotes)
    return sorted(chosen), sorted(map(str, quote_ids))


def plant_bulk_history(fr: Frames, facts: DealFacts, at: int, n: int, loader: str) -> list[str]:
    """One load instant: a history row per open deal at ``at`` (by ``loader``), half of them
    with a fake earlier close date.  Returns the history row ids."""
    open_then = [
        d
        for d, c0 in facts.created.items()
        if c0 < at - DAY and facts.closed_at.get(d, 2**62) > at + DAY and d in facts.rows
    ]
    chosen = fr.pick(open_then, n)
    h = fr["OpportunityHistory"]
    at_rows = seconds(h.CreatedDate)
    new: list[dict[str, str]] = []
    for k, d in enumerate(chosen):
        rows = [int(r) for r in facts.rows[d] if at_rows[r] < at]
        base = h.iloc[rows[-1]]
        close = base.CloseDate
        if k % 2 == 0 and close:
            close = day(
                [int(seconds(pd.Series([close]))[0]) - int(fr.rng.integers(30, 120)) * DAY]
            )[0]
        new.append(
            _history_row(fr, base, CloseDate=close, CreatedDate=stamp([at])[0], CreatedById=loader)
        )
    ids = fr.ids.make("OpportunityHistory", len(new))
    for row, i in zip(new, ids, strict=True):
        row["Id"] = i
    fr["OpportunityHistory"] = append(h, new)
    return sorted(map(str, ids))


def system_deals(fr: Frames, owners: list[str], accounts: list[str], start: int) -> list[str]:
    """Closed deals owned by non-selling users (an admin, the null id): one per owner/account."""
    acc = fr["Account"].set_index("Id")
    deals: list[dict[str, str]] = []
    hist: list[dict[str, str]] = []
    deal_ids = fr.ids.make("Opportunity", len(owners))
    for k, (owner, account, did) in enumerate(zip(owners, accounts, deal_ids, strict=True)):
        created = start + k * 9 * DAY + 15 * HOUR
        closed = created + int(fr.rng.integers(20, 45)) * DAY
        stage = WON if k % 2 == 0 else LOST
        amount = str(int(fr.rng.integers(8, 40)) * 1000)
        a = acc.loc[account]
        deals.append(
            {
                "Id": did,
                "AccountId": account,
                "OwnerId": owner,
                "Name": f"{a.Name} - Data Platform",
                "Type": "New Business",
                "StageName": stage,
                "Amount": amount,
                "CurrencyIsoCode": a.CurrencyIsoCode,
                "Probability": str(PROBABILITY[stage]),
                "ForecastCategoryName": FORECAST[stage],
                "CreatedDate": stamp([created])[0],
                "CloseDate": day([closed])[0],
                "LeadSource": "Web",
                "Product__c": "Data Platform",
                "Quote_Requested_Date__c": "",
            }
        )
        for s, t in (("Prospección", created), (stage, closed)):
            hist.append(
                {
                    "OpportunityId": did,
                    "StageName": s,
                    "Amount": amount,
                    "Probability": str(PROBABILITY[s]),
                    "CloseDate": day([closed])[0],
                    "ForecastCategory": FORECAST[s],
                    "CreatedDate": stamp([t])[0],
                    "CreatedById": owner,
                    "IsDeleted": "false",
                }
            )
    for row, i in zip(hist, fr.ids.make("OpportunityHistory", len(hist)), strict=True):
        row["Id"] = i
    fr["Opportunity"] = append(fr["Opportunity"], deals)
    fr["OpportunityHistory"] = append(fr["OpportunityHistory"], hist)
    return sorted(map(str, deal_ids))
