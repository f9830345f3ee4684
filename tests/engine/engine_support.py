"""Helpers for the engine parity suite: comparing result tables, landing Fivetran tables."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accountleader.domain.results import RESULT_KEYS
from accountleader.domain.salesforce_mapping import column_field, fivetran_name
from accountleader.domain.schema import TABLES

REL_TOL = 1e-9
ABS_TOL = 1e-6


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def table_differences(name: str, expected: pa.Table, actual: pa.Table, limit: int = 20) -> list[str]:
    """Every difference between two result tables, row by row and column by column (by key)."""
    out: list[str] = []
    if expected.schema != actual.schema:
        return [f"{name}: schema differs:\n  expected {expected.schema}\n  actual   {actual.schema}"]
    keys = RESULT_KEYS[name]
    exp_rows = {tuple(r[k] for k in keys): r for r in expected.to_pylist()}
    act_rows = {tuple(r[k] for k in keys): r for r in actual.to_pylist()}
    if len(exp_rows) != expected.num_rows or len(act_rows) != actual.num_rows:
        out.append(f"{name}: key {keys} is not unique ({expected.num_rows} / {actual.num_rows} rows)")
    only_exp = sorted(set(exp_rows) - set(act_rows), key=str)
    only_act = sorted(set(act_rows) - set(exp_rows), key=str)
    if only_exp:
        out.append(f"{name}: {len(only_exp)} rows only on the reference engine, e.g. {only_exp[:3]}")
    if only_act:
        out.append(f"{name}: {len(only_act)} rows only on the engine under test, e.g. {only_act[:3]}")
    for key in sorted(set(exp_rows) & set(act_rows), key=str):
        e, a = exp_rows[key], act_rows[key]
        for col in expected.column_names:
            if not _same(e[col], a[col]):
                out.append(f"{name}[{key}].{col}: expected {e[col]!r}, got {a[col]!r}")
                if len(out) >= limit:
                    return out
    return out


# -- Fivetran-landed tables built from a workspace's canonical tables ---------------------------------


def _ft(canonical: str, column: str) -> str:
    sf = column_field(canonical, column)
    assert sf is not None, f"{canonical}.{column} has no Salesforce field"
    return fivetran_name(sf)


def _rename(t: pa.Table, canonical: str, *, skip: tuple[str, ...] = ()) -> dict[str, pa.Array]:
    out: dict[str, pa.Array] = {}
    for col in TABLES[canonical].columns:
        if column_field(canonical, col.name) is None or col.name in skip:
            continue
        out[_ft(canonical, col.name)] = t.column(col.name)
    return out


def _with_deleted(cols: dict[str, pa.Array], n: int, deleted_row: dict[str, Any] | None) -> pa.Table:
    """Land the rows, plus one soft-deleted row that the mapping must leave out."""
    t = pa.table({**cols, "is_deleted": pa.array([False] * n), "_fivetran_synced": pa.array(["2026-10-01"] * n)})
    if deleted_row is None:
        return t
    extra = {c: [deleted_row.get(c)] for c in t.column_names}
    extra["is_deleted"] = [True]
    return pa.concat_tables([t, pa.table(extra, schema=t.schema)])


def land_fivetran(crm_path: Path, out: Path) -> dict[str, Path]:
    """Write the workspace's data as Fivetran lands Salesforce: one Parquet file per object,
    snake_case tables and columns, typed values, soft-deleted rows, roles by id, emails by address,
    and no derived columns (function, team, amount_corporate, quality_flag are left to the mapping)."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(crm_path), read_only=True)
    t = {name: con.execute(f'SELECT * FROM "{name}"').to_arrow_table() for name in TABLES}
    con.close()
    files: dict[str, pa.Table] = {}

    users = t["users"]
    roles = sorted({r for r in users.column("role_name").to_pylist() if r})
    role_ids = {r: f"00E{i:012d}AAA" for i, r in enumerate(roles)}
    files["user_role"] = pa.table({"id": list(role_ids.values()), "name": list(role_ids.keys())})
    u = _rename(users, "users", skip=("role_name",))
    u["user_role_id"] = pa.array([role_ids.get(r) for r in users.column("role_name").to_pylist()], pa.string())
    files["user"] = _with_deleted(u, users.num_rows, {"id": "005DELETED0000000A", "name": "Gone"})

    files["account"] = _with_deleted(_rename(t["accounts"], "accounts"), t["accounts"].num_rows, {"id": "001DELETED0000000A"})
    files["contact"] = _with_deleted(_rename(t["contacts"], "contacts"), t["contacts"].num_rows, None)
    o = _rename(t["opportunities"], "opportunities", skip=("type",))
    # Salesforce's picklist labels: the mapping must normalise them again
    labels = {"new_business": "New Business", "expansion": "Existing Customer - Upgrade", "renewal": "Renewal"}
    o["type"] = pa.array([labels.get(v, v) for v in t["opportunities"].column("type").to_pylist()], pa.string())
    o["quality_flag_c"] = pa.nulls(t["opportunities"].num_rows, pa.string())
    files["opportunity"] = _with_deleted(o, t["opportunities"].num_rows, {"id": "006DELETED0000000A", "stage_name": "Closed Won"})
    h = t["opportunity_history"]
    files["opportunity_history"] = _with_deleted(_rename(h, "opportunity_history"), h.num_rows, None)
    fh = t["opportunity_field_history"]
    files["opportunity_field_history"] = _with_deleted(_rename(fh, "opportunity_field_history"), fh.num_rows, None)
    r = t["opportunity_contact_roles"]
    files["opportunity_contact_role"] = _with_deleted(_rename(r, "opportunity_contact_roles"), r.num_rows, None)
    files["quote"] = _with_deleted(_rename(t["quotes"], "quotes"), t["quotes"].num_rows, None)
    files["case"] = _with_deleted(_rename(t["cases"], "cases"), t["cases"].num_rows, None)
    files["currency_type"] = pa.table(_rename(t["currency_rates"], "currency_rates"))

    a = t["activities"]
    src = a.column("source_object")
    contacts = t["contacts"]
    email_of = dict(zip(contacts.column("contact_id").to_pylist(), contacts.column("email").to_pylist(), strict=True))
    for obj, table in (("Task", "task"), ("Event", "event"), ("EmailMessage", "email_message")):
        part = a.filter(pc.equal(src, obj))
        n = part.num_rows
        base = {
            "id": part.column("activity_id"),
            "subject": part.column("subject"),
            "owner_id": part.column("owner_id"),
            "account_id": part.column("account_id"),
            "created_date": part.column("created_at"),
            "created_by_id": part.column("created_by_id"),
        }
        if obj == "Task":
            kinds = {"call": "Call", "email": "Email", "task": "Task", "meeting": "Meeting"}
            dirs = {"inbound": "Inbound", "outbound": "Outbound"}
            base.update(
                task_subtype=pa.array([kinds[k] for k in part.column("kind").to_pylist()], pa.string()),
                call_type=pa.array([dirs.get(d) for d in part.column("direction").to_pylist()], pa.string()),
                who_id=part.column("contact_id"),
                what_id=part.column("what_id"),
                completed_date_time=part.column("occurred_at"),
                status=part.column("status"),
                description=part.column("description"),
            )
        elif obj == "Event":
            base.update(
                who_id=part.column("contact_id"),
                what_id=part.column("what_id"),
                activity_date_time=part.column("occurred_at"),
                status=part.column("status"),
                description=part.column("description"),
            )
        else:
            inbound = [d == "inbound" for d in part.column("direction").to_pylist()]
            addr = [email_of.get(c) for c in part.column("contact_id").to_pylist()]
            base.update(
                incoming=pa.array(inbound),
                from_address=pa.array([x if i else "seller@example.com" for x, i in zip(addr, inbound, strict=True)], pa.string()),
                to_address=pa.array([None if i else x for x, i in zip(addr, inbound, strict=True)], pa.string()),
                related_to_id=part.column("what_id"),
                message_date=part.column("occurred_at"),
                status=part.column("status"),
            )
            del base["account_id"]  # EmailMessage has no AccountId: it comes from RelatedToId
        files[table] = _with_deleted(base, n, {"id": f"00TDELETED{table[:4].upper()}00A"})

    paths = {}
    for name, table in files.items():
        path = out / f"{name}.parquet"
        pq.write_table(table, path)
        paths[name] = path
    return paths
