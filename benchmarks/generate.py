"""Large synthetic workspaces for the analyze benchmark, written fast and straight to Parquet.

    .venv/bin/python -m benchmarks.generate --scale M --out /tmp/accountleader-bench/M

Every canonical table is built with vectorised numpy/pyarrow (no Python loop over rows),
written to ``<out>/parquet/<table>.parquet`` and then loaded by DuckDB (``CREATE TABLE ...
AS SELECT * FROM read_parquet(...)``) into ``<out>/workspace/crm.duckdb``, a workspace
``accountleader analyze`` opens like any other.

Sizes (history, quotes, roles and cases in proportion to deals and accounts):

=====  =====  ========  ========  =============  ==========  =======  ======
scale  users  accounts  contacts  opportunities  activities  history  quotes
=====  =====  ========  ========  =============  ==========  =======  ======
M        300    10,000   100,000        100,000   1,000,000  500,000  60,000
L      3,000   100,000 1,000,000      1,000,000  10,000,000  5,000,000 600,000
=====  =====  ========  ========  =============  ==========  =======  ======

The shape is the demo company's, coarsely: sellers own accounts and their deals, deals
move through stages (history) and about 30% of closed deals are won, activities are
calls, emails, meetings and tasks by the deal owner to contacts at the deal's account,
some quotes carry a request date, others are measured from stage entry.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accountleader.domain.arrow_types import ARROW_TYPES
from accountleader.domain.schema import TABLES


@dataclass(frozen=True)
class Scale:
    users: int
    accounts: int
    contacts_per_account: int
    opportunities: int
    activities: int
    history_per_opportunity: int = 5
    quotes_per_opportunity: float = 0.6
    roles_per_opportunity: int = 2
    cases_per_account: int = 2


SCALES = {
    "S": Scale(users=60, accounts=1_000, contacts_per_account=10, opportunities=10_000, activities=100_000),
    "M": Scale(users=300, accounts=10_000, contacts_per_account=10, opportunities=100_000, activities=1_000_000),
    "L": Scale(users=3_000, accounts=100_000, contacts_per_account=10, opportunities=1_000_000, activities=10_000_000),
}

DAY = 86_400
END = np.datetime64("2026-09-30T18:00:00", "s").astype(np.int64)  # the data's last day
SPAN_DAYS = 730

STAGES = np.array(["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review"])
TITLES = np.array([
    "CEO", "Chief Financial Officer", "CTO", "VP Sales", "VP Engineering", "VP Finance", "Director of IT",
    "Director of Procurement", "Head of Operations", "IT Manager", "Procurement Manager", "Finance Manager",
    "Engineering Manager", "Senior Engineer", "Software Engineer", "Analyst", "Operations Analyst",
    "Purchasing Specialist", "Office Manager", "Project Manager", "Director Compras", "Gerente de TI",
], dtype=object)
OCR_ROLES = np.array(["Decision Maker", "Economic Buyer", "Technical Buyer", "Evaluator", "Influencer", "Business User", ""], dtype=object)
INDUSTRIES = np.array(["Manufacturing", "Retail", "Technology", "Healthcare", "Finance", "Energy", "Education", "Logistics"], dtype=object)
REGIONS = np.array(["NA East", "NA West", "EMEA", "LATAM", "APAC"], dtype=object)
COUNTRIES = np.array(["United States", "Canada", "Germany", "United Kingdom", "Mexico", "Brazil", "Japan", "Spain"], dtype=object)


def _ids(prefix: str, n: int) -> pa.Array:
    """18-character Salesforce-style ids, in order: prefix + 12 digits + AAA."""
    nums = pc.utf8_lpad(pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string()), width=12, padding="0")
    return pc.binary_join_element_wise(prefix, nums, "AAA", "")


def _ts(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(seconds.astype("datetime64[s]").astype("datetime64[us]"), pa.timestamp("us"))
    return arr if valid is None else pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.timestamp("us")))


def _date(seconds: np.ndarray) -> pa.Array:
    return pa.array((seconds // DAY).astype("datetime64[D]"), pa.date32())


def _choice(rng: np.random.Generator, values: np.ndarray, n: int, p: list[float] | None = None) -> pa.Array:
    return pa.array(values[rng.choice(len(values), n, p=p)], pa.string())


def _str_nulls(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _table(name: str, cols: dict[str, pa.Array]) -> pa.Table:
    """Exactly the canonical columns, in order, typed as the schema says (missing = null)."""
    spec = TABLES[name]
    n = len(next(iter(cols.values())))
    arrays = []
    for c in spec.columns:
        t = ARROW_TYPES[c.type]
        a = cols.get(c.name)
        arrays.append(pa.nulls(n, t) if a is None else (a if a.type == t else pc.cast(a, t)))
    extra = set(cols) - set(spec.column_names)
    assert not extra, f"{name}: not canonical columns {extra}"
    return pa.table(arrays, names=list(spec.column_names))


def build(scale: Scale, seed: int = 7) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    start = END - SPAN_DAYS * DAY
    nu, na = scale.users, scale.accounts
    nc = na * scale.contacts_per_account
    no, nact = scale.opportunities, scale.activities

    # users: one manager per 10, 5% support desk, the rest sellers
    uid = _ids("005Bn", nu)
    idx = np.arange(nu)
    n_mgr = max(1, nu // 10)
    n_sup = max(1, nu // 20)
    is_mgr = idx < n_mgr
    is_sup = (idx >= n_mgr) & (idx < n_mgr + n_sup)
    mgr_of = np.where(is_mgr, -1, idx % n_mgr)
    names = pc.binary_join_element_wise("User ", pc.cast(pa.array(idx), pa.string()), "")
    team = pc.take(names, pa.array(np.where(is_mgr, idx, mgr_of)))
    function = np.where(is_mgr, "manager", np.where(is_sup, "support", "seller")).astype(object)
    users = _table("users", {
        "user_id": uid, "name": names,
        "email": pc.binary_join_element_wise("user", pc.cast(pa.array(idx), pa.string()), "@example.com", ""),
        "title": pa.array(np.where(is_mgr, "Sales Manager", np.where(is_sup, "Pricing Analyst", "Account Executive")).astype(object)),
        "role_name": pa.array(np.where(is_mgr, "Sales Manager", np.where(is_sup, "Deal Desk", "Account Executive")).astype(object)),
        "manager_id": pc.take(uid, pa.array(np.where(mgr_of >= 0, mgr_of, 0))).filter(pa.array(np.ones(nu, bool))),
        "function": pa.array(function), "team": team, "is_active": pa.array(np.ones(nu, bool)),
    })
    users = users.set_column(6, "manager_id", pc.if_else(pa.array(is_mgr), pa.scalar(None, pa.string()), users.column("manager_id")))
    sellers = idx[~is_mgr & ~is_sup]
    support = idx[is_sup]

    # accounts, each owned by a seller
    aid = _ids("001Bn", na)
    acct_owner = sellers[rng.integers(0, len(sellers), na)]
    employees = np.exp(rng.normal(5.5, 1.6, na)).astype(np.int64) + 1
    accounts = _table("accounts", {
        "account_id": aid, "name": pc.binary_join_element_wise("Account ", pc.cast(pa.array(np.arange(na)), pa.string()), ""),
        "industry": _choice(rng, INDUSTRIES, na), "annual_revenue": pa.array(employees * rng.uniform(5e4, 3e5, na)),
        "employees": pa.array(employees), "country": _choice(rng, COUNTRIES, na), "region": _choice(rng, REGIONS, na),
        "account_type": _choice(rng, np.array(["Customer", "Prospect"], dtype=object), na, [0.4, 0.6]),
        "owner_id": pc.take(uid, pa.array(acct_owner)), "created_at": _ts(start - rng.integers(0, 3 * 365, na) * DAY),
    })

    # contacts: contact i works at account i % na (so an account's contacts are a, a+na, ...)
    cid = _ids("003Bn", nc)
    cidx = np.arange(nc)
    departed = rng.random(nc) < 0.05
    contacts = _table("contacts", {
        "contact_id": cid, "account_id": pc.take(aid, pa.array(cidx % na)),
        "first_name": pa.array(np.full(nc, "Pat", dtype=object)),
        "last_name": pc.binary_join_element_wise("Buyer", pc.cast(pa.array(cidx), pa.string()), ""),
        "name": pc.binary_join_element_wise("Pat Buyer", pc.cast(pa.array(cidx), pa.string()), ""),
        "title": _choice(rng, TITLES, nc),
        "email": pc.binary_join_element_wise("buyer", pc.cast(pa.array(cidx), pa.string()), "@customer.example", ""),
        "created_at": _ts(start - rng.integers(0, 365, nc) * DAY),
        "departed_at": _ts(start + rng.integers(0, SPAN_DAYS, nc) * DAY, departed),
    })

    def contact_at(acct: np.ndarray) -> np.ndarray:
        return acct + na * rng.integers(0, scale.contacts_per_account, len(acct))

    # opportunities
    oid = _ids("006Bn", no)
    o_acct = rng.integers(0, na, no)
    o_owner = np.where(rng.random(no) < 0.9, acct_owner[o_acct], sellers[rng.integers(0, len(sellers), no)])
    o_created = start + rng.integers(0, SPAN_DAYS * DAY, no)
    o_close = o_created + rng.integers(20, 200, no) * DAY
    is_closed = (o_close < END) & (rng.random(no) < 0.95)
    # fit signal: bigger accounts win more often
    win_p = np.clip(0.15 + 0.05 * np.log10(employees[o_acct]), 0.05, 0.6)
    is_won = is_closed & (rng.random(no) < win_p)
    open_stage = STAGES[rng.integers(0, len(STAGES), no)]
    stage = np.where(is_won, "Closed Won", np.where(is_closed, "Closed Lost", open_stage)).astype(object)
    amount = np.round(np.exp(rng.normal(9.8, 0.9, no)), -2)
    qreq = rng.random(no) < 0.2
    opportunities = _table("opportunities", {
        "opportunity_id": oid, "account_id": pc.take(aid, pa.array(o_acct)), "owner_id": pc.take(uid, pa.array(o_owner)),
        "name": pc.binary_join_element_wise("Deal ", pc.cast(pa.array(np.arange(no)), pa.string()), ""),
        "type": _choice(rng, np.array(["new_business", "expansion", "renewal"], dtype=object), no, [0.5, 0.3, 0.2]),
        "stage": pa.array(stage), "amount": pa.array(amount), "currency": pa.array(np.full(no, "USD", dtype=object)),
        "amount_corporate": pa.array(amount),
        "probability": pa.array(np.where(is_won, 100.0, np.where(is_closed, 0.0, rng.choice([10.0, 25.0, 50.0, 75.0], no)))),
        "forecast_category": pa.array(np.where(is_won, "Closed", np.where(is_closed, "Omitted", "Pipeline")).astype(object)),
        "created_at": _ts(o_created), "close_date": _date(o_close), "is_closed": pa.array(is_closed), "is_won": pa.array(is_won),
        "lead_source": _choice(rng, np.array(["Web", "Referral", "Outbound", "Partner"], dtype=object), no),
        "product": _choice(rng, np.array(["Core", "Analytics", "Platform"], dtype=object), no),
        "quote_requested_at": _ts(o_created + (o_close - o_created) // 2, qreq),
    })

    # history: k-th change at k/h of the deal's life; closed deals end in their final stage
    h = scale.history_per_opportunity
    ho = np.repeat(np.arange(no), h)
    k = np.tile(np.arange(h), no)
    life = (np.minimum(o_close, END) - o_created)[ho]
    changed = o_created[ho] + life * k // h + rng.integers(0, 3600, len(ho))
    last = k == h - 1
    h_stage = np.where(last & is_closed[ho], stage[ho], STAGES[np.minimum(k, len(STAGES) - 1)]).astype(object)
    push = rng.random(len(ho)) < 0.1
    history = _table("opportunity_history", {
        "history_id": _ids("008Bn", len(ho)), "opportunity_id": pc.take(oid, pa.array(ho)), "stage": pa.array(h_stage),
        "amount": pa.array(amount[ho] * np.where(rng.random(len(ho)) < 0.05, 0.8, 1.0)),
        "probability": pa.array(np.minimum(10.0 + 20.0 * k, 90.0)),
        "close_date": _date(o_close[ho] + np.where(push, 30 * DAY, 0) * (k + 1) // h),
        "forecast_category": pa.array(np.full(len(ho), "Pipeline", dtype=object)), "changed_at": _ts(changed),
        "changed_by_id": pc.take(uid, pa.array(o_owner[ho])),
    })

    # contact roles
    r = scale.roles_per_opportunity
    ro = np.repeat(np.arange(no), r)
    roles = _table("opportunity_contact_roles", {
        "contact_role_id": _ids("00KBn", len(ro)), "opportunity_id": pc.take(oid, pa.array(ro)),
        "contact_id": pc.take(cid, pa.array(contact_at(o_acct[ro]))), "role": _choice(rng, OCR_ROLES, len(ro)),
        "is_primary": pa.array(np.tile(np.arange(r) == 0, no)),
    })

    # activities: by the deal owner (or a support colleague), to a contact at the deal's account
    ao = rng.integers(0, no, nact)
    kind_i = rng.choice(4, nact, p=[0.35, 0.4, 0.15, 0.1])
    kinds = np.array(["call", "email", "meeting", "task"], dtype=object)[kind_i]
    inbound = (kind_i <= 1) & (rng.random(nact) < 0.1)
    direction = np.where(kind_i <= 1, np.where(inbound, "inbound", "outbound"), None).astype(object)
    on_deal = rng.random(nact) < 0.6
    a_owner = np.where(rng.random(nact) < 0.95, o_owner[ao], support[rng.integers(0, len(support), nact)])
    a_at = np.minimum(o_created[ao] - 5 * DAY + rng.integers(0, 200 * DAY, nact), END)
    source = np.where(kind_i == 2, "Event", np.where((kind_i == 1) & (rng.random(nact) < 0.7), "EmailMessage", "Task")).astype(object)
    activities = _table("activities", {
        "activity_id": _ids("00TBn", nact), "kind": pa.array(kinds), "direction": pa.array(direction, pa.string()),
        "subject": pa.array(np.full(nact, "Follow up", dtype=object)), "owner_id": pc.take(uid, pa.array(a_owner)),
        "contact_id": pc.take(cid, pa.array(contact_at(o_acct[ao]))),
        "what_id": pc.if_else(pa.array(on_deal), pc.take(oid, pa.array(ao)), pc.take(aid, pa.array(o_acct[ao]))),
        "opportunity_id": pc.if_else(pa.array(on_deal), pc.take(oid, pa.array(ao)), pa.scalar(None, pa.string())),
        "account_id": pc.take(aid, pa.array(o_acct[ao])), "occurred_at": _ts(a_at), "created_at": _ts(a_at + 600),
        "status": pa.array(np.full(nact, "Completed", dtype=object)), "source_object": pa.array(source),
    })

    # quotes on deals that reached a proposal
    nq = int(no * scale.quotes_per_opportunity)
    qo = rng.integers(0, no, nq)
    q_created = np.minimum(o_created[qo] + (o_close[qo] - o_created[qo]) * 3 // 5 + rng.integers(0, 5 * DAY, nq), END)
    has_req = rng.random(nq) < 0.5
    quotes = _table("quotes", {
        "quote_id": _ids("0Q0Bn", nq), "opportunity_id": pc.take(oid, pa.array(qo)), "account_id": pc.take(aid, pa.array(o_acct[qo])),
        "name": pa.array(np.full(nq, "Quote", dtype=object)),
        "status": _choice(rng, np.array(["Draft", "Presented", "Accepted", "Denied"], dtype=object), nq),
        "amount": pa.array(amount[qo]), "currency": pa.array(np.full(nq, "USD", dtype=object)),
        "requested_at": _ts(q_created - rng.integers(3600, 6 * DAY, nq), has_req), "created_at": _ts(q_created),
        "sent_at": _ts(np.minimum(q_created + rng.integers(0, 2 * DAY, nq), END), rng.random(nq) < 0.7),
        "expiration_date": _date(q_created + 30 * DAY),
    })

    # cases, worked by support
    ncase = na * scale.cases_per_account
    ca = rng.integers(0, na, ncase)
    c_created = start + rng.integers(0, SPAN_DAYS * DAY, ncase)
    c_closed = rng.random(ncase) < 0.8
    cases = _table("cases", {
        "case_id": _ids("500Bn", ncase), "account_id": pc.take(aid, pa.array(ca)), "contact_id": pc.take(cid, pa.array(contact_at(ca))),
        "owner_id": pc.take(uid, pa.array(support[rng.integers(0, len(support), ncase)])),
        "subject": pa.array(np.full(ncase, "Help", dtype=object)), "type": _choice(rng, np.array(["Question", "Problem"], dtype=object), ncase),
        "status": pa.array(np.where(c_closed, "Closed", "New").astype(object)), "priority": _choice(rng, np.array(["Low", "Medium", "High"], dtype=object), ncase),
        "origin": _choice(rng, np.array(["Email", "Phone", "Web"], dtype=object), ncase), "created_at": _ts(c_created),
        "closed_at": _ts(np.minimum(c_created + rng.integers(3600, 20 * DAY, ncase), END), c_closed), "is_closed": pa.array(c_closed),
    })
    rates = _table("currency_rates", {
        "iso_code": pa.array(["USD", "EUR", "GBP"]), "conversion_rate": pa.array([1.0, 0.92, 0.79]),
        "is_corporate": pa.array([True, False, False]),
    })
    return {
        "users": users, "accounts": accounts, "contacts": contacts, "opportunities": opportunities,
        "opportunity_history": history, "opportunity_contact_roles": roles, "activities": activities,
        "quotes": quotes, "cases": cases, "currency_rates": rates,
        # no OpportunityStage export: stage meanings come from the names and the history
        "stages": _table("stages", {"stage": pa.array([], pa.string())}),
    }


def write_parquet(tables: dict[str, pa.Table], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, t in tables.items():
        paths[name] = folder / f"{name}.parquet"
        pq.write_table(t, paths[name], compression="zstd", row_group_size=1_000_000)
    return paths


def load_workspace(parquet: Path, workspace: Path) -> float:
    """The benchmark's import: DuckDB loads the Parquet files into ``<workspace>/crm.duckdb``. Seconds."""
    started = time.perf_counter()
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    tmp = workspace / f".crm.duckdb.{os.getpid()}.tmp"
    con = duckdb.connect(str(tmp))
    con.execute("SET preserve_insertion_order = false")
    counts = {}
    for name in TABLES:
        con.execute(f"CREATE TABLE \"{name}\" AS SELECT * FROM read_parquet('{parquet / (name + '.parquet')}')")
        counts[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # type: ignore[index]
    meta = {
        "imported_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "import": {"kind": "benchmark", "source": str(parquet), "tables": counts, "warnings": [], "files_read": {}, "files_ignored": []},
    }
    con.execute("CREATE TABLE _meta (key VARCHAR, value VARCHAR)")
    con.executemany("INSERT INTO _meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    con.execute("CHECKPOINT")
    con.close()
    os.replace(tmp, workspace / "crm.duckdb")
    return time.perf_counter() - started


def generate(scale: str, out: Path, seed: int = 7) -> dict[str, float]:
    t0 = time.perf_counter()
    tables = build(SCALES[scale], seed)
    t1 = time.perf_counter()
    write_parquet(tables, out / "parquet")
    rows = sum(t.num_rows for t in tables.values())
    del tables
    t2 = time.perf_counter()
    load = load_workspace(out / "parquet", out / "workspace")
    return {"build_s": t1 - t0, "parquet_s": t2 - t1, "import_s": load, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=sorted(SCALES), default="M")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    out = args.out or Path("/tmp/accountleader-bench") / args.scale
    print(json.dumps({"scale": args.scale, "out": str(out), **generate(args.scale, out, args.seed)}))


if __name__ == "__main__":
    main()
