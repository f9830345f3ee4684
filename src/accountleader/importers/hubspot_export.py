"""HubSpot's own CRM export CSVs: deals, companies, contacts and owners.

Files are recognised by their headers (any file name, matched case-insensitively):

- deals: ``Record ID`` with ``Deal Name`` or ``Deal Stage``; also read: ``Pipeline``,
  ``Amount``, ``Close Date``, ``Create Date``, ``Deal owner``, ``Deal Type``,
  ``Associated Company IDs`` (the first of a ``;`` list is the account),
  ``Associated Contact IDs`` (each becomes a contact role), ``Is Deal Closed?``,
  ``Is Closed Won``, ``Deal probability``, ``Forecast category``, ``Currency``.
  Columns ``Date entered "<stage> (<pipeline>)"`` become ``opportunity_history``.
- companies: ``Record ID`` with ``Company name``; ``Industry``, ``Annual Revenue``,
  ``Number of Employees``, ``Country/Region``, ``Type``, ``Company owner``, ``Create Date``.
- contacts: ``Record ID`` with ``First Name`` / ``Last Name`` / ``Email``; ``Job Title``,
  ``Associated Company IDs``, ``Create Date``.
- owners (a users export, or any file named ``owners`` / ``users``): ``First Name``,
  ``Last Name``, ``Email``, an id (``User ID``, ``Owner ID``, ``Record ID`` or ``ID``)
  and ``Team``.

HubSpot writes owners into records by name ("Deal owner: Ana Ruiz"): they are matched to
the owners file by full name or email; without an owners file the names themselves
are the users.  Closed and won come from ``Is Deal Closed?`` / ``Is Closed Won`` where
exported, else from the stage label (won / lost), with a warning saying so.  HubSpot
exports times in the portal's time zone, read as they are.
"""

from __future__ import annotations

import csv
import io
import re

import pyarrow as pa
import pyarrow.compute as pc

from .batch import ImportBatch
from .coerce import ColumnSource
from .hubspot_common import (
    Array,
    add_table,
    blank_to_null,
    bool_text,
    derived,
    first,
    lookup,
    matches,
    nulls,
    numbers,
    or_nulls,
    percent,
    pick,
    read_source,
    stage_meaning,
    truthy,
)
from .normalize import opportunity_type
from .rawtable import RawTable
from .source import Source, SourceFile

_DATE_ENTERED = re.compile(r'^date entered "(?P<stage>.+)"$', re.I)


def _headers(raw: RawTable) -> dict[str, str]:
    return {h.strip().lower(): h for h in raw.headers}


def _resolve(raw: RawTable, *names: str) -> list[str]:
    h = _headers(raw)
    return [h[n.lower()] for n in names if n.lower() in h]


def _kind(headers: list[str], stem: str) -> str | None:
    h = {x.strip().lower() for x in headers}
    has = lambda *n: any(x.lower() in h for x in n)  # noqa: E731
    record = has("Record ID", "Deal ID", "Company ID", "Contact ID")
    if record and has("Deal Name", "Deal Stage"):
        return "deals"
    if record and has("Company name", "Company Domain Name") and not has("First Name", "Last Name"):
        return "companies"
    if record and has("First Name", "Last Name", "Email") and not ("owner" in stem or "user" in stem):
        return "contacts"
    people = ("first name" in h and "last name" in h) or ("email" in h and has("User ID", "Owner ID"))
    if ("owner" in stem or "user" in stem or has("User ID", "Owner ID")) and people:
        return "owners"
    return None


def _header(f: SourceFile) -> list[str]:
    """The header row only (detection must not read whole files)."""
    if f.path is not None:
        with f.path.open("rb") as fh:
            data = fh.read(65536)
    else:
        data = f.read_bytes()[:65536]
    text = data.decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(text, newline="")), [])


def _classify(source: Source) -> dict[str, SourceFile]:
    found: dict[str, SourceFile] = {}
    for f in source.files.values():
        if f.suffix != ".csv":
            continue
        kind = _kind(_header(f), f.stem)
        if kind and kind not in found:
            found[kind] = f
    return found


def is_hubspot_export(source: Source) -> bool:
    """HubSpot's record exports are there (an owners file alone is not an export)."""
    return bool(_classify(source).keys() & {"deals", "companies", "contacts"})


def read_hubspot_export(source: Source, batch: ImportBatch) -> set[str]:
    files = _classify(source)
    found = {kind: read_source(batch, f) for kind, f in files.items()}
    found = {kind: raw for kind, raw in found.items() if raw.table.num_columns}
    owners = _Owners(found.get("owners"))
    if "owners" in found:
        _users(batch, found["owners"])
    if "companies" in found:
        _companies(batch, found["companies"], owners)
    if "contacts" in found:
        _contacts(batch, found["contacts"])
    if "deals" in found:
        _deals(batch, found["deals"], owners)
    if "owners" not in found:
        owners.add_named_users(batch, found)
    return {f.name for f in files.values()}


class _Owners:
    """Owner names as HubSpot writes them in records -> owner ids from the owners file."""

    def __init__(self, raw: RawTable | None) -> None:
        self.raw = raw
        self.keys: Array | None = None
        self.ids: Array | None = None
        if raw is None:
            return
        ids = _user_id(raw)
        full = _full_name(raw)
        email = first(raw, *_resolve(raw, "Email"))
        keys = [pc.utf8_lower(full)]
        vals = [ids]
        if email is not None:
            keys.append(pc.utf8_lower(email))
            vals.append(ids)
        self.keys = pa.concat_arrays([_arr(k) for k in keys])
        self.ids = pa.concat_arrays([_arr(v) for v in vals])

    def resolve(self, names: Array) -> Array:
        if self.keys is None or self.ids is None:
            return names
        text = pc.utf8_lower(pc.utf8_trim_whitespace(names))
        found = lookup(text, self.keys, self.ids)
        # "Ana Ruiz (ana@example.com)": try the address in brackets too
        inner = pc.utf8_lower(pc.struct_field(pc.extract_regex(names, r"\((?P<e>[^)]+@[^)]+)\)"), [0])) if len(names) else text
        return pc.coalesce(found, lookup(inner, self.keys, self.ids), names)

    def add_named_users(self, batch: ImportBatch, found: dict[str, RawTable]) -> None:
        """No owners file: the owner names written in records are the users."""
        names: list[str] = []
        origin: RawTable | None = None
        for kind, col_names in (("deals", ("Deal owner", "Owner")), ("companies", ("Company owner", "Owner"))):
            raw = found.get(kind)
            if raw is None:
                continue
            col = first(raw, *_resolve(raw, *col_names))
            if col is not None:
                origin = origin or raw
                names += [n for n in pc.unique(pc.drop_null(col)).to_pylist() if n not in names]
        if not names or origin is None:
            return
        col_name = "Deal owner" if origin is found.get("deals") else "Company owner"
        raw = RawTable(origin.file, pa.table({col_name: pa.array(names, pa.string())}), "utf-8", False)
        add_table(batch, "users", raw, {"user_id": col_name, "name": col_name})
        batch.warnings.append(
            f"users: no owners file; the {len(names)} owner names written in the records are the users (ids are the names)"
        )


def _arr(a: Array) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def _user_id(raw: RawTable) -> Array:
    own = first(raw, *_resolve(raw, "User ID", "Owner ID", "Record ID", "ID"))
    return pc.coalesce(or_nulls(own, raw), or_nulls(first(raw, *_resolve(raw, "Email")), raw), _full_name(raw))


def _full_name(raw: RawTable) -> Array:
    parts = [pc.fill_null(c, "") for c in (first(raw, *_resolve(raw, "First Name")), first(raw, *_resolve(raw, "Last Name"))) if c is not None]
    full = blank_to_null(pc.binary_join_element_wise(*parts, " ")) if parts else nulls(raw)
    return pc.coalesce(full, or_nulls(first(raw, *_resolve(raw, "Name", "Email")), raw))


def _p(raw: RawTable, *names: str) -> ColumnSource | None:
    cols = _resolve(raw, *names)
    return pick(*cols) if cols else None


def _first_id(raw: RawTable, *names: str) -> ColumnSource | None:
    """The first id of a HubSpot ``;``-separated id list (``Associated Company IDs``)."""
    cols = _resolve(raw, *names)
    if not cols:
        return None
    return derived(" / ".join(cols), lambda v: pc.utf8_trim_whitespace(pc.replace_substring_regex(or_nulls(first(v, *cols), v), r"[;,].*$", "")))


def _users(batch: ImportBatch, raw: RawTable) -> None:
    add_table(
        batch,
        "users",
        raw,
        {
            "user_id": derived(" / ".join(_resolve(raw, "User ID", "Owner ID", "Record ID", "ID", "Email")), _user_id),
            "name": derived(" / ".join(_resolve(raw, "First Name", "Last Name")), _full_name),
            "email": _p(raw, "Email"),
            "title": _p(raw, "Job Title", "Job title"),
            "team": _p(raw, "Team", "Primary team", "Primary Team"),
            "role_name": _p(raw, "Role", "Permission set"),
        },
    )


def _owner(raw: RawTable, owners: _Owners, *names: str) -> ColumnSource | None:
    cols = _resolve(raw, *names)
    if not cols:
        return None
    return derived(" / ".join(cols), lambda v: owners.resolve(or_nulls(first(v, *cols), v)))


def _companies(batch: ImportBatch, raw: RawTable, owners: _Owners) -> None:
    add_table(
        batch,
        "accounts",
        raw,
        {
            "account_id": _p(raw, "Record ID", "Company ID"),
            "name": _p(raw, "Company name", "Name", "Company Domain Name"),
            "industry": _p(raw, "Industry"),
            "annual_revenue": _p(raw, "Annual Revenue"),
            "employees": _p(raw, "Number of Employees"),
            "country": _p(raw, "Country/Region", "Country"),
            "region": _p(raw, "State/Region", "Territory"),
            "account_type": _p(raw, "Type", "Lifecycle Stage"),
            "owner_id": _owner(raw, owners, "Company owner", "Owner"),
            "parent_id": _first_id(raw, "Parent Company ID", "Associated Parent Company IDs"),
            "created_at": _p(raw, "Create Date", "Created Date"),
        },
    )


def _contacts(batch: ImportBatch, raw: RawTable) -> None:
    add_table(
        batch,
        "contacts",
        raw,
        {
            "contact_id": _p(raw, "Record ID", "Contact ID"),
            "account_id": _first_id(raw, "Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company ID", "Primary Associated Company ID"),
            "first_name": _p(raw, "First Name"),
            "last_name": _p(raw, "Last Name"),
            "name": derived(" / ".join(_resolve(raw, "First Name", "Last Name", "Email")), _full_name),
            "title": _p(raw, "Job Title"),
            "department": _p(raw, "Department"),
            "email": _p(raw, "Email"),
            "created_at": _p(raw, "Create Date", "Created Date"),
        },
    )


def _deals(batch: ImportBatch, raw: RawTable, owners: _Owners) -> None:
    stage_cols = _resolve(raw, "Deal Stage")
    stage = or_nulls(first(raw, *stage_cols), raw)
    closed_cols = _resolve(raw, "Is Deal Closed?", "Is Closed")
    won_cols = _resolve(raw, "Is Closed Won", "Is closed won")
    lost_cols = _resolve(raw, "Is closed lost", "Is Closed Lost")
    given_closed = truthy(first(raw, *closed_cols)) if closed_cols else None
    given_won = truthy(first(raw, *won_cols)) if won_cols else None
    if given_closed is None and lost_cols and given_won is not None:
        given_closed = pc.or_(pc.fill_null(given_won, False), pc.fill_null(truthy(first(raw, *lost_cols)), False))
    closed, won = stage_meaning(pc.fill_null(stage, ""), None, given_closed, given_won)
    if given_closed is None or given_won is None:
        stages = sorted({s for s, c in zip(stage.to_pylist(), closed.to_pylist(), strict=True) if s and c})
        batch.warnings.append(
            f"opportunities: {raw.file} has no 'Is Deal Closed?' / 'Is Closed Won' columns; closed and won read from the "
            f"stage label (won / lost): closed stages taken: {', '.join(stages) or 'none'}"
        )
    prob_cols = _resolve(raw, "Deal probability", "Deal Stage Probability")

    def probability(v: RawTable) -> Array:
        text = pc.replace_substring(or_nulls(first(v, *prob_cols), v), "%", "")
        values = numbers(batch, v, prob_cols[0], text)
        fraction = pc.fill_null(pc.less_equal(pc.max(values), 1.0), False)  # 0.9 is HubSpot's 90 %
        return percent(values) if fraction.as_py() else pc.cast(values, pa.string())

    mapping: dict[str, ColumnSource | None] = {
        "opportunity_id": _p(raw, "Record ID", "Deal ID"),
        "account_id": _first_id(raw, "Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company ID"),
        "owner_id": _owner(raw, owners, "Deal owner", "Owner"),
        "name": _p(raw, "Deal Name"),
        "type": derived(" / ".join(_resolve(raw, "Deal Type")), lambda v: opportunity_type(or_nulls(first(v, *_resolve(v, "Deal Type")), v))),
        "stage": derived(" / ".join(stage_cols), lambda _v: stage),
        "amount": _p(raw, "Amount", "Amount in company currency"),
        "currency": _p(raw, "Currency", "Deal currency code"),
        "probability": derived(" / ".join(prob_cols), probability) if prob_cols else None,
        "forecast_category": _p(raw, "Forecast category", "Forecast Category"),
        "created_at": _p(raw, "Create Date", "Created Date"),
        "close_date": _p(raw, "Close Date"),
        "is_closed": derived(" / ".join(closed_cols + stage_cols), lambda _v: bool_text(closed)),
        "is_won": derived(" / ".join(won_cols + stage_cols), lambda _v: bool_text(won)),
        "lead_source": _p(raw, "Original Source", "Original Traffic Source", "Lead Source"),
    }
    add_table(batch, "opportunities", raw, mapping)
    _deal_contacts(batch, raw)
    _stage_history(batch, raw)


def _deal_contacts(batch: ImportBatch, raw: RawTable) -> None:
    cols = _resolve(raw, "Associated Contact IDs", "Associated Contact ID")
    ids = _resolve(raw, "Record ID", "Deal ID")
    if not cols or not ids:
        return
    lists = pc.split_pattern_regex(pc.fill_null(raw.table.column(cols[0]), ""), r"\s*[;,]\s*")
    parents = pc.list_parent_indices(lists)
    contacts = blank_to_null(pc.list_flatten(lists))
    keep = pc.is_valid(contacts)
    view = raw.view(pc.filter(parents, keep))
    contact_ids = pc.filter(contacts, keep)
    deal = ids[0]
    add_table(
        batch,
        "opportunity_contact_roles",
        view,
        {
            "contact_role_id": derived(f"{deal} + {cols[0]}", lambda v: pc.binary_join_element_wise(v.table.column(deal), contact_ids, ":")),
            "opportunity_id": deal,
            "contact_id": derived(cols[0], lambda _v: contact_ids),
        },
    )


def _stage_history(batch: ImportBatch, raw: RawTable) -> None:
    """``Date entered "Stage (Pipeline)"`` columns: one history row per stage a deal entered."""
    ids = _resolve(raw, "Record ID", "Deal ID")
    if not ids:
        return
    pipelines = set()
    if _resolve(raw, "Pipeline"):
        pipelines = {p for p in pc.unique(raw.table.column(_resolve(raw, "Pipeline")[0])).to_pylist() if p}
    deal = ids[0]
    for header in raw.headers:
        m = _DATE_ENTERED.match(header.strip())
        if not m:
            continue
        label = m.group("stage")
        for p in pipelines:
            if label.endswith(f" ({p})"):
                label = label[: -len(p) - 3]
                break
        entered = blank_to_null(raw.table.column(header))
        view = raw.view(pc.is_valid(entered))
        if not view.table.num_rows:
            continue
        add_table(
            batch,
            "opportunity_history",
            view,
            {
                "history_id": derived(f"{deal} + {header}", lambda v, h=header: pc.binary_join_element_wise(v.table.column(deal), pa.array([h] * v.table.num_rows), "|")),
                "opportunity_id": deal,
                "stage": derived(header, lambda v, lab=label: pa.array([lab] * v.table.num_rows, pa.string())),
                "changed_at": header,
            },
        )


__all__ = ["is_hubspot_export", "matches", "read_hubspot_export"]
