"""Planted for issue 15's CRM-derived delegation signals: micromanaging and delegating managers.

* **Micromanagers** (``MICROMANAGERS``): on about half of each of their sellers' deals of the
  last year they create two to four step-by-step tasks for the seller ("1. Call procurement
  2. Send the deck 3. Update the stage", "Paso 1: ..."), usually follow them with check-ins
  ("status?", "¿novedades?") one to three days later, edit the seller's deal fields themselves
  (amount, close date, next step, forecast category: rows in ``OpportunityFieldHistory`` created
  by the manager) and now and then move a deal from one seller to another (an ``Owner`` row).
* **Delegators** (``DELEGATORS``): on about one deal in eight they create one task, phrased as
  an outcome ("Get the pricing approved by Friday", "Conseguir la firma del contrato antes del
  30"); no check-ins, no edits. Once a quarter each sends one step list to the whole team at
  the same minute (pipeline hygiene): a *mass-created* task, a data artefact the metric must
  not count as an instruction.

One micromanager and one delegator write in English, the others in Spanish.

Nothing here decides an outcome: the deals the plants touch keep the outcomes the generator
gave them, so what the index is set against is measured, not scripted.

Everything is *added*: Task rows (open tasks: instructions, not touches of a buyer, so no
selling metric counts them) and OpportunityFieldHistory rows, with ids in serial ranges nothing
else uses, from a stream of its own (``random.Random(f"{seed}-delegation-plants")``). The rest of
the company is the same with or without it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .clock import DAY, HOUR, MINUTE, as_of_seconds
from .export import ExportRows, _as_text, dates, timestamps
from .files import Ids
from .history import History
from .ids import make_ids
from .people import SalesOrg
from .pipeline import Deals

MICROMANAGERS = 2
DELEGATORS = 2
WINDOW_DAYS = 365
#: share of a team's deals (created in the window) that the manager instructs on
MICRO_DEAL_SHARE = 0.5
DELEGATOR_DEAL_SHARE = 0.125
MASS_TASKS_PER_DELEGATOR = 4
#: the quarterly team-wide task only where the team is big enough to be "many owners"
MASS_MIN_TEAM = 5

_STEPS_EN = (
    ("Next steps", "1. Call procurement 2. Send the deck 3. Update the stage"),
    ("To do on this deal", "- Call the CFO\n- Send the pricing sheet\n- Update next step in the CRM"),
    ("Steps for this week", "Step 1: book the demo. Step 2: send the proposal. Step 3: log the call"),
    ("Do this today", "First call the champion, then send the case study, then update the close date"),
    ("Follow these steps", "1) Email legal 2) Call the buyer 3) Change the amount to the approved figure"),
)
_STEPS_ES = (
    ("Próximos pasos", "Paso 1: llamar a compras. Paso 2: enviar la presentación. Paso 3: actualizar la etapa"),
    ("Tareas de esta oportunidad", "1. Llamar al director financiero 2. Enviar la propuesta 3. Actualizar la fecha de cierre"),
    ("Haz esto hoy", "Primero llama al cliente, luego envía el caso de éxito y después actualiza el siguiente paso"),
    ("Pasos para esta semana", "- Agendar la demo\n- Enviar precios\n- Registrar la llamada"),
    ("Sigue estos pasos", "1) Escribir a legal 2) Llamar al comprador 3) Cambiar el importe"),
)
_CHECKINS_EN = ("follow up?", "status?", "any news?", "Did you call them?", "Update?")
_CHECKINS_ES = ("¿novedades?", "¿cómo va?", "¿estado?", "¿Llamaste?", "¿Alguna noticia?")
_OUTCOMES_EN = (
    ("Get the pricing approved by Friday", "You decide how; tell me if you see a better way."),
    ("Have the security review signed off before month end", "Whatever works with their team."),
    ("Close the renewal before the 30th on current terms", ""),
    ("Secure a meeting with the economic buyer this month", "Your call on how to get there."),
)
_OUTCOMES_ES = (
    ("Conseguir la firma del contrato antes del 30", "Tú decides cómo; avísame si ves otra manera."),
    ("Lograr la aprobación de precios esta semana", ""),
    ("Que el cliente valide la propuesta antes de fin de mes", "Lo que funcione con su equipo."),
    ("Conseguir una reunión con el decisor este mes", ""),
)
_MASS = (
    ("Pipeline hygiene", "1. Update every close date 2. Log last week's calls 3. Set next step on open deals"),
    ("Limpieza del pipeline", "1. Actualizar fechas de cierre 2. Registrar las llamadas 3. Poner siguiente paso"),
)


@dataclass
class DelegationPlants:
    """The planted managers by Salesforce id, and the rows to append to the export files."""

    micromanagers: frozenset[str]
    delegators: frozenset[str]
    mass_created_tasks: frozenset[str]
    rows: dict[str, ExportRows]

    def extend(self, name: str, columns: Mapping[str, object]) -> dict[str, object]:
        """``columns`` (a file's columns as written) with this file's planted rows after them; a
        column only the planted rows have (``Description``) is blank on the others."""
        extra = self.rows.get(name)
        if extra is None or not len(extra):
            return dict(columns)
        n = next(len(v) for v in columns.values() if not isinstance(v, str))  # type: ignore[arg-type]
        m = len(extra)
        out: dict[str, object] = {}
        for k in list(columns) + [k for k in extra.columns if k not in columns]:
            mine = extra.columns.get(k, [""] * m)
            base = columns.get(k, "")
            out[k] = pa.concat_arrays([_as_text(base, n), pa.array(mine, pa.string())])  # type: ignore[arg-type]
        return out


def _ts(seconds: int) -> str:
    return str(timestamps(np.array([seconds]))[0])


def _day(seconds: int) -> str:
    return str(dates(np.array([seconds // DAY]))[0])


def field_history_columns() -> dict[str, object]:
    """The header of an OpportunityFieldHistory file with no rows of its own."""
    return {k: np.array([], dtype=object) for k in
            ("Id", "OpportunityId", "Field", "DataType", "OldValue", "NewValue", "CreatedDate", "CreatedById", "IsDeleted")}


class _Writer:
    def __init__(self, rng: random.Random, ids: Ids, who: np.ndarray) -> None:
        self.rng, self.ids, self.who = rng, ids, who
        self.rows = {"Task.csv": ExportRows(), "OpportunityFieldHistory.csv": ExportRows()}
        self.serial = 600_000_000 + rng.randrange(1_000_000)

    def _id(self, obj: str) -> str:
        self.serial += 1
        return str(make_ids(obj, 1, self.serial)[0])

    def task(self, creator: int, owner: int, deal: int, account: int, at: int, subject: str, description: str) -> str:
        tid = self._id("Task")
        self.rows["Task.csv"].add(
            Id=tid, Subject=subject, TaskSubtype="Task", Type="Other", OwnerId=str(self.ids.user[owner]),
            WhoId=self.who[deal], WhatId=str(self.ids.deal[deal]), AccountId=str(self.ids.account[account]),
            ActivityDate=_day(at + 2 * DAY), CreatedDate=_ts(at), Status="Not Started", Priority="Normal",
            IsClosed="false", CreatedById=str(self.ids.user[creator]), Description=description)
        return tid

    def edit(self, by: int, deal: int, at: int, name: str, old: str, new: str, data_type: str) -> None:
        self.rows["OpportunityFieldHistory.csv"].add(
            Id=self._id("OpportunityFieldHistory"), OpportunityId=str(self.ids.deal[deal]), Field=name,
            DataType=data_type, OldValue=old, NewValue=new, CreatedDate=_ts(at), CreatedById=str(self.ids.user[by]),
            IsDeleted="false")


def _deal_ends(deals: Deals, history: History, as_of: int) -> np.ndarray:
    """Per deal, when it closed (its last history row) or ``as_of`` while open."""
    last = np.zeros(deals.created.shape[0], dtype=np.int64)
    np.maximum.at(last, history.deal, history.at.astype(np.int64))
    return np.where(history.is_closed, np.maximum(last, deals.created), as_of)


def plant_delegation(seed: int, org: SalesOrg, deals: Deals, history: History, ids: Ids) -> DelegationPlants:
    """Plant micromanaging and delegating managers; nothing already generated changes."""
    rng = random.Random(f"{seed}-delegation-plants")
    # the task names the deal's first buyer (WhoId), as a task on a deal usually does
    w = _Writer(rng, ids, ids.contact[deals.group[:, 0]])
    as_of = as_of_seconds()
    start = as_of - WINDOW_DAYS * DAY
    seller_user = org.sellers
    boss = org.manager_index[seller_user]
    managers = sorted({int(m) for m in boss if m >= 0 and (boss == m).sum() >= 2})
    rng.shuffle(managers)
    micro = managers[:MICROMANAGERS]
    deleg = managers[MICROMANAGERS:MICROMANAGERS + DELEGATORS]
    ends = _deal_ends(deals, history, as_of)
    in_window = (deals.created >= start) & (deals.created < as_of - 3 * DAY)
    mass_ids: set[str] = set()

    def team(manager: int) -> list[int]:
        return [int(s) for s in np.flatnonzero(boss == manager)]

    def when(d: int, lo_days: float, hi_days: float) -> int:
        span_days = max(int(ends[d] - deals.created[d]), DAY) / DAY
        hi = min(hi_days, 0.9 * span_days)
        at = int(deals.created[d]) + int(rng.uniform(min(lo_days, hi / 2), hi) * DAY)
        at = min(at, as_of - 2 * DAY)
        return at - at % MINUTE

    for k, m in enumerate(micro):
        spanish = k % 2 == 1
        steps, checkins = (_STEPS_ES, _CHECKINS_ES) if spanish else (_STEPS_EN, _CHECKINS_EN)
        members = team(m)
        for s in members:
            for d in (int(x) for x in np.flatnonzero(in_window & (deals.seller == s))):
                if rng.random() >= MICRO_DEAL_SHARE:
                    continue
                owner, account = int(seller_user[s]), int(deals.account[d])
                for _ in range(rng.randint(2, 4)):
                    at = when(d, 0.5, 40)
                    subject, body = rng.choice(steps)
                    w.task(m, owner, d, account, at, subject, body)
                    if rng.random() < 0.7:
                        for _ in range(rng.randint(1, 2)):
                            later = min(at + int(rng.uniform(1, 3) * DAY), as_of - HOUR)
                            w.task(m, owner, d, account, later, rng.choice(checkins), "")
                if rng.random() < 0.5:
                    amount = float(history.amount_now[d]) if np.isfinite(history.amount_now[d]) else 50_000.0
                    close_day = int(history.close_day_now[d])
                    choices = [
                        ("Amount", f"{round(amount * 1.15, -2):.0f}", f"{round(amount, -2):.0f}", "Currency"),
                        ("CloseDate", _day((close_day - 21) * DAY), _day(close_day * DAY), "Date"),
                        ("NextStep", "Waiting on the buyer", "Call the CFO Monday" if not spanish else "Llamar al CFO el lunes",
                         "Text"),
                        ("ForecastCategoryName", "Pipeline", "Best Case", "Text"),
                    ]
                    for name, old, new, data_type in rng.sample(choices, rng.randint(1, 2)):
                        w.edit(m, d, when(d, 2, 60), name, old, new, data_type)
                if rng.random() < 0.15 and len(members) > 1:
                    other = rng.choice([x for x in members if x != s])
                    w.edit(m, d, when(d, 0.2, 5), "Owner", str(ids.user[seller_user[other]]), str(ids.user[owner]), "EntityId")

    for k, m in enumerate(deleg):
        spanish = k % 2 == 1
        outcomes = _OUTCOMES_ES if spanish else _OUTCOMES_EN
        members = team(m)
        for s in members:
            for d in (int(x) for x in np.flatnonzero(in_window & (deals.seller == s))):
                if rng.random() >= DELEGATOR_DEAL_SHARE:
                    continue
                subject, body = rng.choice(outcomes)
                w.task(m, int(seller_user[s]), d, int(deals.account[d]), when(d, 1, 30), subject, body)
        # a quarterly step list to everyone at once: mass-created, not an instruction on a deal
        subject, body = _MASS[1 if spanish else 0]
        for q in range(MASS_TASKS_PER_DELEGATOR if len(members) >= MASS_MIN_TEAM else 0):
            at = as_of - (30 + 90 * q) * DAY + 9 * HOUR
            at -= at % MINUTE
            for j, s in enumerate(members):
                open_deals = np.flatnonzero((deals.seller == s) & (deals.created < at) & (ends > at))
                if open_deals.shape[0] == 0:
                    continue
                d = int(open_deals[0])
                mass_ids.add(w.task(m, int(seller_user[s]), d, int(deals.account[d]), at + (j % 3) * MINUTE, subject, body))

    return DelegationPlants(
        micromanagers=frozenset(str(ids.user[m]) for m in micro),
        delegators=frozenset(str(ids.user[m]) for m in deleg),
        mass_created_tasks=frozenset(mass_ids),
        rows=w.rows,
    )
