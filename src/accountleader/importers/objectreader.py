"""Read Salesforce-shaped objects (export CSVs or Fivetran tables) into an ImportBatch."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ..domain.schema import SALESFORCE_NULL_ID, TABLES
from ..errors import Problem
from .batch import PROBLEM_CAP, ImportBatch
from .coerce import ColumnSource, Derived, build_table, parse_ids
from .normalize import add_user_functions
from .objects import OBJECTS, ObjectSpec
from .rawtable import RawTable, lean_memory_pool, read_raw
from .source import Source, SourceFile
from .stages import settle_stages, stage_aliases

Progress = Callable[[str, float], None]
Naming = Callable[[str], str]
FindFile = Callable[[Source, ObjectSpec], SourceFile | None]


#: Bytes of files read at once: a bigger file waits until it is alone (a file's text columns and
#: the temporaries of its conversion take about twice its size, so reading the big activity
#: files side by side set the import's peak memory).
IN_FLIGHT_BYTES = 64 << 20


class _Pacer:
    """Start files in the order given, each when the files in flight leave room for it (or none is in flight)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.turn = 0  # the ticket of the next file to start
        self._cv = threading.Condition()

    def run(self, ticket: int, size: int, fn: Callable[..., _FileRead], *args: object) -> _FileRead:
        with self._cv:
            self._cv.wait_for(lambda: self.turn == ticket and (self.used == 0 or self.used + size <= self.budget))
            self.turn += 1
            self.used += size
            self._cv.notify_all()
        try:
            return fn(*args)
        finally:
            with self._cv:
                self.used -= size
                self._cv.notify_all()


@dataclass
class _FileRead:
    """One object file read and converted, before it joins the batch (built in a worker thread)."""

    raw: RawTable
    rows_kept: int
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    table: pa.Table | None = None
    role_names: dict[str, str] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)  # derivable columns missing from the header
    aliases: dict[str, str] = field(default_factory=dict)  # stage MasterLabel -> ApiName


def _read_file(
    src: SourceFile, spec: ObjectSpec, naming: Naming, drops: list[tuple[str, tuple[str, ...]]]
) -> _FileRead:
    raw = read_raw(src)
    warnings: list[str] = []
    view = _drop_deleted(raw, warnings, drops)
    out = _FileRead(raw, view.table.num_rows, warnings, list(raw.problems))
    if spec.table == "_user_roles":
        out.role_names = _role_names(view, naming)
        raw.release()
        return out
    if spec.table == "users":
        view = _drop_null_id_users(view, naming, warnings)
    if spec.table == "stages" and view.has(naming("MasterLabel")) and view.has(naming("ApiName")):
        t = view.table
        out.aliases = stage_aliases(t.column(naming("MasterLabel")).to_pylist(), t.column(naming("ApiName")).to_pylist())
    mapping, missing = _mapping(view, spec, naming)
    out.absent = {canon for canon, _ in missing if canon in spec.derivable}
    missing = [(canon, fields) for canon, fields in missing if canon not in spec.derivable]
    for canon in out.absent:
        mapping.pop(canon, None)  # left empty here, derived once every file is read (stages.py)
    for canon, fields in missing:
        out.problems.append(
            Problem(raw.file, 1, " / ".join(fields), None, f"required column missing from the header (for {spec.table}.{canon})")
        )
    if not missing:
        out.table = build_table(
            view, TABLES[spec.table], mapping, salesforce_ids=True, problems=out.problems, cap=PROBLEM_CAP, warnings=out.warnings
        )
    raw.release()  # the text is done with: only line numbers are kept, for problems found later
    return out


def _drop_null_id_users(raw: RawTable, naming: Naming, warnings: list[str]) -> RawTable:
    """A User row keyed by Salesforce's null id is no person: leave it out, and say so."""
    if not raw.has(naming("Id")):
        return raw
    ids = pc.utf8_trim_whitespace(raw.table.column(naming("Id")))
    null_id = pc.fill_null(pc.is_in(ids, value_set=pa.array([SALESFORCE_NULL_ID, SALESFORCE_NULL_ID[:15]])), False)
    n = pc.sum(null_id).as_py() or 0
    if n:
        warnings.append(f"{raw.file}: skipped {n} rows with the null id {SALESFORCE_NULL_ID} (not a user)")
        raw = raw.view(pc.invert(null_id))
    return raw


def read_objects(
    source: Source,
    batch: ImportBatch,
    *,
    naming: Naming,
    find: FindFile,
    objects: tuple[ObjectSpec, ...] = OBJECTS,
    deleted_flags: tuple[str, ...] = ("IsDeleted",),
    inactive_flags: tuple[str, ...] = (),
    keep_all_versions: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> None:
    """Read every object file into ``batch``.

    Files are read and converted in parallel (Arrow's kernels release the GIL), then
    merged in the fixed order of ``objects`` so that rows, warnings and problems come
    out the same on every run.
    """
    lean_memory_pool()  # before the first array, so every file's temporaries are given back
    used: set[str] = set()
    role_names: dict[str, str] = {}
    absent: set[str] = set()
    aliases: dict[str, str] = {}
    stage_file: str | None = None
    jobs: list[tuple[ObjectSpec, SourceFile]] = []
    for spec in objects:
        src = find(source, spec)
        if src is not None:
            used.add(src.name)
            jobs.append((spec, src))
    pacer = _Pacer(IN_FLIGHT_BYTES)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        submitted = {}
        # Biggest first: the last big file's text then sits beside the rows of all the others,
        # so the smaller it is the lower the peak. Merged below in the order of ``objects``.
        for ticket, i in enumerate(sorted(range(len(jobs)), key=lambda i: -jobs[i][1].size)):
            spec, src = jobs[i]
            drops = [(naming(f), ("true", "1")) for f in deleted_flags] + [("_fivetran_deleted", ("true", "1"))]
            if spec.object not in keep_all_versions:
                drops += [(f, ("false", "0")) for f in inactive_flags]
            submitted[i] = pool.submit(pacer.run, ticket, src.size, _read_file, src, spec, naming, drops)
        futures = [submitted[i] for i in range(len(jobs))]
        for i, ((spec, src), future) in enumerate(zip(jobs, futures, strict=True)):
            if progress:
                progress(f"reading {src.name}", i / max(1, len(jobs)))
            done = future.result()
            batch.raws[done.raw.file] = done.raw
            batch.problems.extend(done.problems)
            batch.warnings.extend(done.warnings)
            batch.files_read[done.raw.file] = done.rows_kept
            if spec.table == "_user_roles":
                role_names = done.role_names
            if spec.table == "opportunities":
                absent |= done.absent
            if spec.table == "stages":
                aliases, stage_file = done.aliases, done.raw.file
            if spec.table != "_user_roles" and done.table is not None:
                batch.add(spec.table, done.table)
    batch.files_ignored = sorted(f.name for f in source.files.values() if f.name not in used)
    if "users" in batch.tables and role_names:
        users = batch.tables["users"]
        named = pa.array([role_names.get(r, r) if r else None for r in users.column("role_name").to_pylist()], pa.string())
        batch.tables["users"] = users.set_column(users.schema.get_field_index("role_name"), "role_name", named)
    settle_stages(batch, absent=absent, aliases=aliases, stage_file=stage_file)
    if "users" in batch.tables:
        batch.tables["users"] = add_user_functions(
            batch.tables["users"], batch.tables.get("opportunities"), warnings=batch.warnings
        )
    _resolve_email_contacts(batch)


def _drop_deleted(raw: RawTable, warnings: list[str], flags: list[tuple[str, tuple[str, ...]]]) -> RawTable:
    """Drop rows marked deleted (or, for history-mode tables, no longer current)."""
    t = raw.table
    for flag, values in flags:
        if flag in t.column_names:
            deleted = pc.fill_null(pc.is_in(pc.utf8_lower(t.column(flag)), value_set=pa.array(list(values))), False)
            n = pc.sum(deleted).as_py() or 0
            if n:
                warnings.append(f"{raw.file}: skipped {n} rows with {flag}={values[0]}")
                raw = raw.view(pc.invert(deleted))  # keeps line numbers of the rows left
                t = raw.table
    return raw


def _role_names(raw: RawTable, naming: Naming) -> dict[str, str]:
    if not (raw.has(naming("Id")) and raw.has(naming("Name"))):
        return {}
    ids, _ = parse_ids(raw.table.column(naming("Id")), salesforce=True)
    return {i: n for i, n in zip(ids.to_pylist(), raw.table.column(naming("Name")).to_pylist(), strict=True) if i}


def _mapping(raw: RawTable, spec: ObjectSpec, naming: Naming) -> tuple[dict[str, ColumnSource], list[tuple[str, tuple[str, ...]]]]:
    def get(field: str) -> pa.ChunkedArray | None:
        name = naming(field)
        return raw.table.column(name) if raw.has(name) else None

    n = raw.table.num_rows
    mapping: dict[str, ColumnSource] = {}
    missing: list[tuple[str, tuple[str, ...]]] = []
    table = TABLES[spec.table]
    for col in table.columns:
        rule = spec.rule(col.name)
        if rule is None:
            continue
        if isinstance(rule, str):
            mapping[col.name] = naming(rule)
            if col.required and not raw.has(naming(rule)):
                missing.append((col.name, (naming(rule),)))
            continue
        fields = tuple(naming(f) for f in getattr(rule, "fields", ()))
        if col.required and fields and not any(raw.has(f) for f in fields):
            missing.append((col.name, fields))
        shown = " / ".join(f for f in fields if raw.has(f)) or " / ".join(fields) or col.name
        mapping[col.name] = Derived(shown, lambda _raw, _r=rule: _r(get, n))
    return mapping, missing


def _resolve_email_contacts(batch: ImportBatch) -> None:
    """EmailMessage names people by address: link each email to the contact with that address."""
    acts = batch.tables.get("activities")
    contacts = batch.tables.get("contacts")
    if acts is None or acts.num_rows == 0:
        return
    is_email_msg = pc.fill_null(pc.equal(acts.column("source_object"), "EmailMessage"), False)
    if not pc.any(is_email_msg).as_py():
        return
    if contacts is not None and contacts.num_rows:
        emails = pc.utf8_lower(contacts.column("email"))
        idx = pc.index_in(acts.column("contact_id"), value_set=emails)
        found = pc.take(contacts.column("contact_id"), idx)
    else:
        found = pa.nulls(acts.num_rows, pa.string())
    resolved = pc.if_else(is_email_msg, found, acts.column("contact_id"))
    unmatched = pc.sum(pc.and_(is_email_msg, pc.and_(pc.is_valid(acts.column("contact_id")), pc.is_null(found)))).as_py() or 0
    if unmatched:
        batch.warnings.append(f"activities: {unmatched} emails from or to addresses that match no contact")
    pos = acts.schema.get_field_index("contact_id")
    batch.tables["activities"] = acts.set_column(pos, "contact_id", resolved)
