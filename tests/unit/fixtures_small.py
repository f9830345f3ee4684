"""A small hand-made canonical data set, built column by column from domain/schema.py.

Every figure the tests assert is worked out by hand in the tests' comments from
these rows.  Calendar for March 2024: Mon 4, Fri 8, Sat 9, Sun 10, Mon 11, Tue 12.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa

from accountleader.domain.arrow_types import ARROW_TYPES, arrow_schema
from accountleader.domain.schema import table

AS_OF = datetime(2024, 6, 30)



def ts(text: str) -> datetime:
    """``"2024-03-04 09:00"`` -> datetime."""
    return datetime.fromisoformat(text)


def d(text: str) -> date:
    return date.fromisoformat(text)


def canonical(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """An Arrow table with every canonical column of ``name``; absent values are null."""
    t = table(name)
    for row in rows:
        unknown = set(row) - set(t.column_names)
        if unknown:
            raise KeyError(f"{name} has no column(s) {sorted(unknown)}")
    schema = arrow_schema(t)
    return pa.table(
        {c.name: pa.array([r.get(c.name) for r in rows], type=ARROW_TYPES[c.type]) for c in t.columns},
        schema=schema,
    )


#: The columns ``domain.artefacts.annotate`` adds, with their Arrow types (the contract the
#: metrics read; see domain/metrics/_clean.py).
ARTEFACT_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "opportunities": {"closed_at": pa.timestamp("us"), "entered_late": pa.bool_(), "placeholder_amount": pa.bool_()},
    "opportunity_history": {"artefact": pa.string()},
    "activities": {"artefact": pa.string()},
    "quotes": {"artefact": pa.string()},
    "contacts": {"bulk_loaded": pa.bool_()},
}


def _clean_default(name: str, column: str, row: dict[str, Any]) -> Any:
    """The value of an artefact column on a row with no artefact."""
    if column == "closed_at":
        close = row.get("close_date")
        return datetime(close.year, close.month, close.day) if row.get("is_closed") and close else None
    if column == "artefact":
        return None
    return False


def annotated(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """:func:`canonical` plus the artefact columns of ``name`` (as the analysis hands them to
    the metrics): taken from the rows where given, else clean defaults: ``closed_at`` the
    close date's midnight for closed deals, ``entered_late`` / ``placeholder_amount`` /
    ``bulk_loaded`` False, ``artefact`` null."""
    extra = ARTEFACT_COLUMNS.get(name, {})
    base = canonical(name, [{k: v for k, v in r.items() if k not in extra} for r in rows])
    for column, typ in extra.items():
        values = [r[column] if column in r else _clean_default(name, column, r) for r in rows]
        base = base.append_column(pa.field(column, typ), pa.array(values, type=typ))
    return base


def annotate_all(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Canonical Arrow tables with clean artefact columns added (nothing flagged)."""
    out = {}
    for name, tab in tables.items():
        out[name] = annotated(name, tab.to_pylist()) if name in ARTEFACT_COLUMNS else tab
    return out


def load(con: Any, tables: dict[str, pa.Table]) -> dict[str, Any]:
    """Create each table in an Ibis connection (test-only) and return the Ibis tables.

    Goes through an explicit schema and ``insert`` because ``create_table`` from an
    in-memory Arrow table trips over a DuckDB/Ibis view-drop bug in this version.
    """
    import ibis

    out = {}
    for name, tab in tables.items():
        con.create_table(name, schema=ibis.Schema.from_pyarrow(tab.schema))
        if tab.num_rows:
            con.insert(name, tab)
        out[name] = con.table(name)
    return out


# --- people -----------------------------------------------------------------------------

USERS = [
    dict(user_id="d1", name="Dana Director", team="Sales", manager_id=None, function="manager"),
    dict(user_id="m1", name="Mo Manager", team="East", manager_id="d1", function="manager"),
    dict(user_id="u1", name="Ana", team="East", manager_id="m1", function="seller"),
    dict(user_id="u2", name="Ben", team="East", manager_id="m1", function="seller"),
    dict(user_id="u3", name="Cy", team="West", manager_id="m1", function="seller"),
]

ACCOUNTS = [
    dict(account_id="a1", name="Acme", owner_id="u1"),
    dict(account_id="a2", name="Beta", owner_id="u1"),
    dict(account_id="a3", name="Gamma", owner_id="u2"),
]

CONTACTS = [
    dict(contact_id="c1", account_id="a1", name="C One", created_at=ts("2023-01-01 00:00")),
    dict(contact_id="c2", account_id="a1", name="C Two", created_at=ts("2023-01-01 00:00")),
    dict(contact_id="c3", account_id="a2", name="C Three", created_at=ts("2023-01-01 00:00")),
    dict(contact_id="c4", account_id="a1", name="C Four", created_at=ts("2023-01-01 00:00")),
]

# --- performance: deals of Ana (u1), Ben (u2, only wins) and Cy (u3) under Mo (m1) ------

PERFORMANCE_OPPORTUNITIES = [
    # Ana: two wins of 30 days each, one loss, one open deal at 25 %.
    dict(opportunity_id="P1", owner_id="u1", account_id="a1", stage="Closed Won", amount=100.0,
         probability=100.0, created_at=ts("2024-01-01 09:00"), close_date=d("2024-01-31"),
         is_closed=True, is_won=True),
    dict(opportunity_id="P2", owner_id="u1", account_id="a1", stage="Closed Won", amount=200.0,
         probability=100.0, created_at=ts("2024-02-01 00:00"), close_date=d("2024-03-02"),
         is_closed=True, is_won=True),
    dict(opportunity_id="P3", owner_id="u1", account_id="a2", stage="Closed Lost", amount=300.0,
         probability=0.0, created_at=ts("2024-01-10 00:00"), close_date=d("2024-02-09"),
         is_closed=True, is_won=False),
    dict(opportunity_id="P4", owner_id="u1", account_id="a2", stage="Proposal", amount=1000.0,
         probability=25.0, created_at=ts("2024-05-01 00:00"), close_date=d("2024-08-01"),
         is_closed=False, is_won=False),
    # Ben: only wins; P6 was closed (in the CRM) before it was created.
    dict(opportunity_id="P5", owner_id="u2", account_id="a3", stage="Closed Won", amount=500.0,
         probability=100.0, created_at=ts("2024-03-01 00:00"), close_date=d("2024-03-11"),
         is_closed=True, is_won=True),
    dict(opportunity_id="P6", owner_id="u2", account_id="a3", stage="Closed Won", amount=50.0,
         probability=100.0, created_at=ts("2024-04-10 00:00"), close_date=d("2024-04-01"),
         is_closed=True, is_won=True, quality_flag="closed_before_created"),
    # Cy: one loss and one open deal at 50 %.
    dict(opportunity_id="P7", owner_id="u3", account_id="a3", stage="Closed Lost", amount=400.0,
         probability=0.0, created_at=ts("2024-02-01 00:00"), close_date=d("2024-02-21"),
         is_closed=True, is_won=False),
    dict(opportunity_id="P8", owner_id="u3", account_id="a3", stage="Qualification", amount=800.0,
         probability=50.0, created_at=ts("2024-06-20 00:00"), close_date=d("2024-09-01"),
         is_closed=False, is_won=False),
    # Created after the as-of date: invisible.
    dict(opportunity_id="P9", owner_id="u3", account_id="a3", stage="Qualification", amount=9999.0,
         probability=10.0, created_at=ts("2024-07-05 00:00"), close_date=d("2024-09-01"),
         is_closed=False, is_won=False),
]


def performance_tables() -> dict[str, pa.Table]:
    return {
        "users": canonical("users", USERS),
        "opportunities": canonical("opportunities", PERFORMANCE_OPPORTUNITIES),
    }


# --- efficiency ------------------------------------------------------------------------

EFFICIENCY_OPPORTUNITIES = [
    dict(opportunity_id="E1", owner_id="u1", account_id="a1", stage="Proposal",
         created_at=ts("2024-03-04 08:00"), is_closed=False, is_won=False),
    dict(opportunity_id="E2", owner_id="u2", account_id="a3", stage="Proposal",
         created_at=ts("2024-03-04 08:00"), is_closed=False, is_won=False),
    dict(opportunity_id="E3", owner_id="u2", account_id="a3", stage="Prospecting",
         created_at=ts("2024-06-29 00:00"), is_closed=False, is_won=False),
    dict(opportunity_id="E4", owner_id="u1", account_id="a1", stage="Proposal",
         created_at=ts("2024-01-01 00:00"), is_closed=False, is_won=False),
    dict(opportunity_id="E5", owner_id="u1", account_id="a2", stage="Negotiation/Review",
         created_at=ts("2024-01-01 00:00"), is_closed=False, is_won=False),
    dict(opportunity_id="E6", owner_id="u1", account_id="a2", stage="Proposal",
         created_at=ts("2024-01-01 00:00"), is_closed=False, is_won=False),
    dict(opportunity_id="E7", owner_id="u1", account_id="a2", stage="Prospecting",
         created_at=ts("2024-01-01 00:00"), is_closed=False, is_won=False),
]

EFFICIENCY_HISTORY = [
    dict(history_id="H1", opportunity_id="E5", stage="Prospecting", changed_at=ts("2024-03-01 10:00")),
    # Upper case on purpose: stage names match case-insensitively.
    dict(history_id="H2", opportunity_id="E5", stage="PROPOSAL/PRICE QUOTE", changed_at=ts("2024-03-06 10:00")),
    dict(history_id="H3", opportunity_id="E5", stage="Negotiation/Review", changed_at=ts("2024-03-08 10:00")),
    dict(history_id="H4", opportunity_id="E7", stage="Prospecting", changed_at=ts("2024-03-01 10:00")),
]

QUOTES = [
    # Ana: 12 h, same day.
    dict(quote_id="Q1", opportunity_id="E1", requested_at=ts("2024-03-04 09:00"),
         created_at=ts("2024-03-04 09:30"), sent_at=ts("2024-03-04 21:00")),
    # Ana: Fri 12:00 -> Tue 12:00: 96 calendar hours, 2.0 business days (not over a 2-day SLA).
    dict(quote_id="Q2", opportunity_id="E4", requested_at=ts("2024-03-08 12:00"),
         created_at=ts("2024-03-12 12:00")),
    # Ana: no request field; deal entered the quote stage Wed 10:00; quote created Mon 10:00:
    # 120 calendar hours, 3.0 business days.
    dict(quote_id="Q3", opportunity_id="E5", created_at=ts("2024-03-11 10:00")),
    # Ana: quote sent a day before the request: a data-quality note.
    dict(quote_id="Q4", opportunity_id="E6", requested_at=ts("2024-03-05 10:00"),
         created_at=ts("2024-03-04 10:00"), sent_at=ts("2024-03-04 10:00")),
    # Ana: no request time at all.
    dict(quote_id="Q5", opportunity_id="E7", created_at=ts("2024-03-04 10:00")),
    # Ana: after the as-of date.
    dict(quote_id="Q6", opportunity_id="E1", requested_at=ts("2024-07-01 09:00"),
         created_at=ts("2024-07-01 10:00")),
    # Ben: 1 hour.
    dict(quote_id="Q7", opportunity_id="E2", requested_at=ts("2024-03-04 09:00"),
         created_at=ts("2024-03-04 10:00")),
]

ACTIVITIES = [
    # Inbound email from c1 (Mon 09:00) answered by Ana at 11:00: 2 h.
    dict(activity_id="A1", kind="email", direction="inbound", owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-03-04 09:00")),
    dict(activity_id="A1r", kind="email", direction="outbound", owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-03-04 11:00")),
    # An outbound email to someone else in between does not answer c1.
    dict(activity_id="A1x", kind="email", direction="outbound", owner_id="u1", contact_id="c2",
         account_id="a1", occurred_at=ts("2024-03-04 10:00")),
    # Inbound call Fri 16:00 answered by a task (no direction) Mon 10:00: 66 h, 0.75 business days.
    dict(activity_id="A2", kind="call", direction="inbound", owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-03-08 16:00")),
    dict(activity_id="A2r", kind="task", direction=None, owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-03-11 10:00")),
    # Inbound from c2 (Tue 09:00) never answered.
    dict(activity_id="A3", kind="email", direction="inbound", owner_id="u1", contact_id="c2",
         account_id="a1", occurred_at=ts("2024-03-12 09:00")),
    # Inbound from c3 answered in 3 h.
    dict(activity_id="A4", kind="email", direction="inbound", owner_id="u1", contact_id="c3",
         account_id="a2", occurred_at=ts("2024-03-13 09:00")),
    dict(activity_id="A4r", kind="call", direction="outbound", owner_id="u1", contact_id="c3",
         account_id="a2", occurred_at=ts("2024-03-13 12:00")),
    # Meeting with c1 Tue 10:00; Ben's email to c1 at 12:00 is not Ana's follow-up;
    # Ana's email to c4 (same account, account_id blank: taken from the contact) at 15:00 is: 5 h.
    dict(activity_id="M1", kind="meeting", direction=None, owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-03-19 10:00")),
    dict(activity_id="M1b", kind="email", direction="outbound", owner_id="u2", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-03-19 12:00")),
    dict(activity_id="M1r", kind="email", direction="outbound", owner_id="u1", contact_id="c4",
         account_id=None, occurred_at=ts("2024-03-19 15:00")),
    # Meeting with c3 and no follow-up.
    dict(activity_id="M2", kind="meeting", direction=None, owner_id="u1", contact_id="c3",
         account_id="a2", occurred_at=ts("2024-03-20 10:00")),
    # Inbound the day before as-of; the answer comes after as-of: unanswered as of then.
    dict(activity_id="A5", kind="email", direction="inbound", owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-06-29 12:00")),
    dict(activity_id="A5r", kind="email", direction="outbound", owner_id="u1", contact_id="c1",
         account_id="a1", occurred_at=ts("2024-07-01 09:00")),
    # Cy logs a call on Ben's deal E2 Wed 08:00: E2's first activity, 48 h after creation.
    dict(activity_id="T1", kind="call", direction="outbound", owner_id="u3", contact_id=None,
         account_id="a3", opportunity_id="E2", occurred_at=ts("2024-03-06 08:00")),
]


def efficiency_tables() -> dict[str, pa.Table]:
    return {
        "users": canonical("users", USERS),
        "contacts": canonical("contacts", CONTACTS),
        "opportunities": canonical("opportunities", EFFICIENCY_OPPORTUNITIES),
        "opportunity_history": canonical("opportunity_history", EFFICIENCY_HISTORY),
        "quotes": canonical("quotes", QUOTES),
        "activities": canonical("activities", ACTIVITIES),
    }


# --- change -----------------------------------------------------------------------------

CHANGE_ACCOUNTS = [
    dict(account_id="a1", name="Acme", created_at=ts("2023-01-01 00:00")),
    dict(account_id="a2", name="Beta", created_at=ts("2023-01-01 00:00")),
    dict(account_id="a3", name="Gamma", created_at=ts("2023-01-01 00:00")),
    dict(account_id="a4", name="Later", created_at=ts("2024-07-01 00:00")),  # after as-of
]

CHANGE_OPPORTUNITIES = [
    dict(opportunity_id="K1", account_id="a1", owner_id="u1", stage="Closed Lost",
         created_at=ts("2024-01-05 00:00"), is_closed=True, is_won=False),
    dict(opportunity_id="K2", account_id="a2", owner_id="u1", stage="Proposal",
         created_at=ts("2024-01-05 00:00"), is_closed=False, is_won=False),
]


def _h(hid: str, when: str, stage: str, prob: float, amount: float, close: str) -> dict[str, Any]:
    return dict(history_id=hid, opportunity_id="K1", changed_at=ts(when), stage=stage,
                probability=prob, amount=amount, close_date=d(close))


CHANGE_HISTORY = [
    _h("H1", "2024-01-10 00:00", "Prospecting", 10, 1000, "2024-03-31"),
    _h("H2", "2024-02-01 00:00", "Proposal", 50, 800, "2024-04-30"),  # push 30 d, cut 200
    _h("H3", "2024-02-15 00:00", "Prospecting", 10, 900, "2024-04-15"),  # regression; pulled in
    _h("H4", "2024-03-01 00:00", "Proposal", 50, 600, "2024-05-15"),  # push 30 d, cut 300
    _h("H5", "2024-05-01 00:00", "Closed Lost", 0, 600, "2024-05-01"),  # an outcome, not a regression
    _h("H6", "2024-07-10 00:00", "Closed Lost", 0, 600, "2024-09-30"),  # after as-of
]

CHANGE_CONTACTS = [
    dict(contact_id="ca1", account_id="a1", created_at=ts("2023-01-01 00:00"),
         departed_at=ts("2024-05-01 00:00")),  # left within 180 days
    dict(contact_id="ca2", account_id="a1", created_at=ts("2023-01-01 00:00"),
         departed_at=ts("2023-06-01 00:00")),  # left long ago
    dict(contact_id="cb1", account_id="a2", created_at=ts("2024-05-01 00:00")),  # arrived
    dict(contact_id="cb2", account_id="a2", created_at=ts("2023-01-01 00:00")),
]


def _act(aid: str, account: str | None, when: str, contact: str | None = None) -> dict[str, Any]:
    return dict(activity_id=aid, kind="call", direction="outbound", owner_id="u1",
                account_id=account, contact_id=contact, occurred_at=ts(when))


CHANGE_ACTIVITIES = [
    # a1: six in the prior 90 days (2024-02-16 .. 05-16), one in the last 45 (account from contact).
    _act("X0", "a1", "2024-01-10 00:00"),
    *[_act(f"X{i}", "a1", w) for i, w in enumerate(
        ["2024-03-01 00:00", "2024-03-15 00:00", "2024-04-01 00:00", "2024-04-15 00:00",
         "2024-05-01 00:00", "2024-05-10 00:00"], start=1)],
    _act("X7", None, "2024-06-20 00:00", contact="ca1"),
    # a2: one prior activity, then silence for 90 days.
    _act("Y1", "a2", "2024-04-01 00:00"),
    _act("Y2", "a2", "2024-07-02 00:00"),  # after as-of
]


def change_tables() -> dict[str, pa.Table]:
    return {
        "accounts": canonical("accounts", CHANGE_ACCOUNTS),
        "opportunities": canonical("opportunities", CHANGE_OPPORTUNITIES),
        "opportunity_history": canonical("opportunity_history", CHANGE_HISTORY),
        "contacts": canonical("contacts", CHANGE_CONTACTS),
        "activities": canonical("activities", CHANGE_ACTIVITIES),
    }
