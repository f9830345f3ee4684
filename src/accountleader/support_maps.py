"""Support maps as the front ends use them: the CRM draft from the results with people's edits
laid over it, who may read and write each deal's map, edits, CSV import, history, readiness.

The workspace hands one out (``Workspace.support_maps(store)``), like playbooks. Who may see
a deal's map is decided here, where it is read:

* a rep, a manager and an admin: the deals their Scope sees (the results reader's filter);
  they edit every field of those maps;
* a support member: the deals they back (a backer on the stored map or on the CRM draft),
  where they change only their own backer row's commitment, and read-only the deals their
  Scope sees through assigned accounts;
* anyone else: the deal does not exist (NotFoundError, as for an unknown id).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .domain import support_map_edits as edits
from .domain.access import EVERYONE, Scope
from .domain.readiness import draft_map
from .domain.support_map import Backer, Readiness, Stakeholder, SupportMap, merge
from .errors import InputError, NotFoundError, PermissionDenied
from .playbooks import CLI, Actor
from .results_reader import ResultsReader
from .store import Store
from .store import support_maps as records

__all__ = ["CLI", "Actor", "Deal", "SupportMaps"]

#: What each kind of access allows: "edit" every field; "backer" only one's own commitment;
#: "read" nothing.
EDIT, BACKER, READ = "edit", "backer", "read"
STAKEHOLDER_COLUMNS = ("opportunity_id", "contact_id", *edits.STAKEHOLDER_FIELDS)
BACKER_COLUMNS = ("opportunity_id", "user_id", *edits.BACKER_FIELDS)
MAX_IMPORT_ROWS = 50_000


@dataclass(frozen=True)
class Deal:
    """A deal the caller may see, and what they may change on its map."""

    row: dict[str, Any]  # its opportunity_results row
    access: str  # EDIT, BACKER or READ

    @property
    def opportunity_id(self) -> str:
        return str(self.row["opportunity_id"])

    @property
    def name(self) -> str:
        return str(self.row.get("name") or self.opportunity_id)


class SupportMaps:
    """Support maps of one workspace: ``store`` holds people's edits; ``reader()`` the results."""

    def __init__(self, store: Store, reader: Callable[..., ResultsReader],
                 readiness_settings: Callable[[], Any] = lambda: None) -> None:
        self.store = store
        self._reader = reader
        self._readiness_settings = readiness_settings
        # what this object read of the results (one request's worth: the results do not change
        # under it): the reader, each deal's draft rows and signals, people's names
        self._read: ResultsReader | None = None
        self._draft_rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._names: dict[str, dict[str, Any]] = {}

    def _results(self) -> ResultsReader:
        if self._read is None:
            self._read = self._reader()
        return self._read

    def _drafts(self, ids: Iterable[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Each deal's draft rows (``stakeholders``, ``backers``) and readiness ``signals``."""
        wanted = sorted(set(ids))
        missing = [i for i in wanted if i not in self._draft_rows]
        if missing:
            for oid in missing:
                self._draft_rows[oid] = {"stakeholders": [], "backers": [], "signals": []}
            for key, rows in self._results().support_map_drafts(missing).items():
                for row in rows:
                    self._draft_rows[row["opportunity_id"]][key].append(row)
        return {i: self._draft_rows[i] for i in wanted}

    def _named(self, contact_ids: Iterable[str] = (), user_ids: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
        """Contacts and CRM users by id (unknown ids are left out)."""
        contacts = sorted({i for i in contact_ids if i and i not in self._names})
        users = sorted({i for i in user_ids if i and i not in self._names})
        if contacts or users:
            self._names.update(self._results().people_named(contact_ids=contacts, user_ids=users))
        return self._names

    # -- who sees which deal --------------------------------------------------------------------

    def deals(self, scope: Scope, opportunity_ids: Sequence[str]) -> dict[str, Deal]:
        """The deals of ``opportunity_ids`` the caller may see, with what they may change."""
        r = self._results()
        ids = sorted(set(opportunity_ids))
        seen = {row["opportunity_id"]: Deal(row, READ if scope.role == "support" else EDIT)
                for row in r.deals(ids, scope)}
        if scope.role == "support" and scope.crm_user_id:
            backed = self._backed(scope.crm_user_id, ids)
            rows = {row["opportunity_id"]: row for row in r.deals(sorted(backed - set(seen)), EVERYONE)}
            for oid in backed:
                row = seen[oid].row if oid in seen else rows.get(oid)
                if row is not None:
                    seen[oid] = Deal(row, BACKER)
        return seen

    def _backed(self, crm_user_id: str, ids: Sequence[str]) -> set[str]:
        stored = set(records.backed_by(self.store, user_id=crm_user_id))
        drafted = {oid for oid, d in self._drafts(ids).items() if any(b["user_id"] == crm_user_id for b in d["backers"])}
        return (stored & set(ids)) | drafted

    def backed_deals(self, scope: Scope) -> list[dict[str, Any]]:
        """The deals a support member backs (on a stored map or the CRM draft), as
        ``opportunity_results`` rows: what their lists add to their Scope's; [] for other roles."""
        if scope.role != "support" or not scope.crm_user_id:
            return []
        ids = set(records.backed_by(self.store, user_id=scope.crm_user_id))
        ids |= set(self._results().drafted_backings(scope.crm_user_id))
        found = self.deals(scope, sorted(ids))
        return [d.row for _, d in sorted(found.items()) if d.access == BACKER]

    def deal(self, scope: Scope, opportunity_id: str) -> Deal:
        found = self.deals(scope, [opportunity_id]).get(opportunity_id)
        if found is None:
            raise NotFoundError(f"no opportunity {opportunity_id!r}")
        return found

    # -- reading --------------------------------------------------------------------------------

    def _merged(self, deals: Sequence[str]) -> dict[str, SupportMap]:
        self._drafts(deals)  # one read for them all
        stored = records.read_maps(self.store, opportunity_ids=deals)
        maps = {}
        for oid in deals:
            s = stored.get(oid, records.StoredMap(oid))
            maps[oid] = merge(self._draft(oid), s.stakeholders, s.backers, version=s.version, updated_by=s.updated_by,
                              updated_at=s.updated_at)
        return self._with_names(maps)

    def _draft(self, oid: str) -> SupportMap:
        rows = self._drafts([oid])[oid]
        return draft_map(oid, rows["stakeholders"], rows["backers"])

    def _with_names(self, maps: dict[str, SupportMap]) -> dict[str, SupportMap]:
        """Names (and titles) of the people the draft does not name: rows entered by hand."""
        contacts = {s.contact_id for m in maps.values() for s in m.stakeholders if s.name is None}
        users = {b.user_id for m in maps.values() for b in m.backers if b.name is None}
        if not contacts and not users:
            return maps
        named = self._named(contacts, users)
        return {oid: replace(m, stakeholders=tuple(
            s if s.name is not None else replace(s, name=named.get(s.contact_id, {}).get("name"),
                                                 title=s.title or named.get(s.contact_id, {}).get("title"))
            for s in m.stakeholders), backers=tuple(
            b if b.name is not None else replace(b, name=named.get(b.user_id, {}).get("name")) for b in m.backers))
            for oid, m in maps.items()}

    def maps(self, scope: Scope, opportunity_ids: Sequence[str]) -> dict[str, SupportMap]:
        """The maps of the deals of ``opportunity_ids`` the scope sees (others are left out), in
        one read of the drafts and one of the store."""
        return self._merged(sorted(self.deals(scope, opportunity_ids)))

    def get(self, scope: Scope, opportunity_id: str) -> SupportMap:
        """One deal's map (NotFoundError when the caller may not see the deal)."""
        self.deal(scope, opportunity_id)
        return self._merged([opportunity_id])[opportunity_id]

    def history(self, scope: Scope, opportunity_id: str) -> list[dict[str, Any]]:
        """Who changed what, when: newest first."""
        self.deal(scope, opportunity_id)
        return [e.as_dict() for e in records.history(self.store, opportunity_id=opportunity_id)]

    def readiness(self, scope: Scope, opportunity_id: str, support_map: SupportMap | None = None) -> Readiness:
        """Proposal readiness of one deal: the rules of :mod:`accountleader.domain.readiness`
        over the deal's results row and its map as people see it."""
        deal = self.deal(scope, opportunity_id)
        m = support_map or self._merged([opportunity_id])[opportunity_id]
        return self._assess(deal.row, m)

    def _assess(self, deal: Mapping[str, Any], m: SupportMap) -> Readiness:
        """Readiness by the documented rules (:mod:`accountleader.domain.readiness`) over the
        deal's signals (``opportunity_readiness``), whether an open playbook covers it, and the map."""
        from .domain import readiness as rules
        from .store import playbooks as playbook_records

        settings = self._readiness_settings()
        r = self._results()
        signals = self._drafts([m.opportunity_id])[m.opportunity_id]["signals"]
        if settings is None or not signals:
            return Readiness(m.opportunity_id, None, note="no readiness signals in these results: run analyze")
        if deal.get("is_closed"):
            return Readiness(m.opportunity_id, None, note="the deal is closed: readiness is for open deals")
        covered = playbook_records.list_playbooks(self.store, status="open", subject_ids=[m.opportunity_id])
        when = datetime.fromisoformat(r.as_of)
        return rules.assess({**signals[0], "has_playbook": bool(covered)}, m, as_of=when, settings=settings)

    def view(self, scope: Scope, opportunity_id: str) -> dict[str, Any]:
        """The map, readiness, history and what the caller may change: the deal page's section."""
        deal = self.deal(scope, opportunity_id)
        m = self._merged([opportunity_id])[opportunity_id]
        return {"opportunity_id": opportunity_id, "deal_name": deal.name, "access": deal.access,
                "support_map": map_dict(m), "readiness": readiness_dict(self._assess(deal.row, m)),
                "momentum": self._momentum(opportunity_id),
                "history": [e.as_dict() for e in records.history(self.store, opportunity_id=opportunity_id)]}

    def _momentum(self, opportunity_id: str) -> dict[str, Any] | None:
        """The deal's momentum and its parts, last 30 days against the 30 before, with the sample
        size (``opportunity_readiness``); None when the results hold no signals for it."""
        signals = self._drafts([opportunity_id])[opportunity_id]["signals"]
        if not signals:
            return None
        s = signals[0]
        parts = [(label, s.get(f"{key}_30d"), s.get(f"{key}_prev_30d")) for key, label in (
            ("inbound", "inbound replies"), ("meetings", "meetings"), ("new_stakeholders", "new stakeholders"))]
        return {"momentum": s.get("momentum"), "momentum_n": s.get("momentum_n"), "cooling": s.get("cooling"),
                "parts": [{"part": label, "last_30_days": now, "previous_30_days": before}
                          for label, now, before in parts]}

    # -- writing --------------------------------------------------------------------------------

    def save(self, actor: Actor, opportunity_id: str, version: int, *, stakeholders: Sequence[Mapping[str, Any]] = (),
             backers: Sequence[Mapping[str, Any]] = ()) -> SupportMap:
        """The whole stored map: these stakeholders and backers replace what was stored (rows
        left out go back to the CRM draft, or off the map without one). Fields an item leaves
        out keep the row's current value."""
        deal = self.deal(actor.scope, opportunity_id)
        before = self._merged([opportunity_id])[opportunity_id]
        people = [self._stakeholder(v, before, f"stakeholders[{i}]") for i, v in enumerate(stakeholders)]
        ours = [self._backer(v, before, f"backers[{i}]") for i, v in enumerate(backers)]
        return self._apply(actor, deal, before, version, people, ours)

    def set_stakeholder(self, actor: Actor, opportunity_id: str, version: int, contact_id: str,
                        **fields: Any) -> SupportMap:
        """Change some fields of one stakeholder (confirming a drafted row), the rest as stored."""
        deal = self.deal(actor.scope, opportunity_id)
        before = self._merged([opportunity_id])[opportunity_id]
        row = self._stakeholder({**fields, "contact_id": contact_id}, before, "stakeholder")
        people = [s for s in before.stakeholders if not s.inferred and s.contact_id != contact_id] + [row]
        return self._apply(actor, deal, before, version, people, [b for b in before.backers if not b.inferred])

    def set_backer(self, actor: Actor, opportunity_id: str, version: int, user_id: str, **fields: Any) -> SupportMap:
        """Change some fields of one backer (a support member: only their own commitment)."""
        deal = self.deal(actor.scope, opportunity_id)
        before = self._merged([opportunity_id])[opportunity_id]
        row = self._backer({**fields, "user_id": user_id}, before, "backer")
        ours = [b for b in before.backers if not b.inferred and b.user_id != user_id] + [row]
        return self._apply(actor, deal, before, version, [s for s in before.stakeholders if not s.inferred], ours)

    def _stakeholder(self, values: Mapping[str, Any], before: SupportMap, where: str) -> Stakeholder:
        try:
            return edits.stakeholder_from(values, before.stakeholder(str(values.get("contact_id") or "").strip()))
        except edits.FieldError as exc:
            raise InputError(f"{where}: {exc.field} {exc.reason}", column=exc.field,
                             value=None if exc.value is None else str(exc.value)) from None

    def _backer(self, values: Mapping[str, Any], before: SupportMap, where: str) -> Backer:
        uid = str(values.get("user_id") or "").strip()
        try:
            return edits.backer_from(values, next((b for b in before.backers if b.user_id == uid), None))
        except edits.FieldError as exc:
            raise InputError(f"{where}: {exc.field} {exc.reason}", column=exc.field,
                             value=None if exc.value is None else str(exc.value)) from None

    def _after(self, before: SupportMap, people: Sequence[Stakeholder], ours: Sequence[Backer]) -> list[edits.Change]:
        """What an edit changes: the map as people would see it after, against ``before``."""
        oid = before.opportunity_id
        after = self._with_names({oid: merge(self._draft(oid), people, ours)})[oid]
        return edits.diff(before, after)

    def _check_known(self, people: Sequence[Stakeholder], ours: Sequence[Backer], where: str = "") -> None:
        for kind, key, ids in (("contact", "contact_id", [p.contact_id for p in people]),
                               ("contact", "via_contact_id", [p.via_contact_id for p in people if p.via_contact_id]),
                               ("CRM user", "user_id", [b.user_id for b in ours])):
            dupes = sorted({i for i in ids if ids.count(i) > 1}) if key != "via_contact_id" else []
            if dupes:
                raise InputError(f"{where}{key} {dupes[0]!r} is listed twice", column=key, value=dupes[0])
            named = self._named(**{"user_ids" if kind == "CRM user" else "contact_ids": ids})
            unknown = [i for i in ids if i not in named]
            if unknown:
                raise InputError(f"{where}{key}: no {kind} with id {unknown[0]!r}", column=key, value=unknown[0])

    def _apply(self, actor: Actor, deal: Deal, before: SupportMap, version: int, people: Sequence[Stakeholder],
               ours: Sequence[Backer]) -> SupportMap:
        self._check_known(people, ours)
        changes = self._after(before, people, ours) if version == before.version else []
        _allowed(actor, deal, changes)
        records.write_maps(self.store, by=actor.name, writes=[records.MapWrite(
            deal.opportunity_id, version, people, ours, changes, deal_name=deal.name,
            owner_id=deal.row.get("owner_id"), account_id=deal.row.get("account_id"))])
        return self._merged([deal.opportunity_id])[deal.opportunity_id]

    # -- CSV import -----------------------------------------------------------------------------

    def import_csv(self, actor: Actor, path: Path | str) -> dict[str, Any]:
        """Stakeholder or backer rows from a CSV file (see docs/web.md, "Support maps"), all or
        nothing: every row is checked first; the first bad one fails the import with one line
        naming the file, line, column and value, and nothing changes. A row sets the fields it
        fills (an empty cell keeps the value) and leaves the map's other rows as they are."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{file.name}: cannot read it as UTF-8 text ({exc})", file=str(file)) from None
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in reader.fieldnames or []]
        kind = "backers" if "user_id" in header else "stakeholders"
        allowed = BACKER_COLUMNS if kind == "backers" else STAKEHOLDER_COLUMNS
        for column in header:
            if column not in allowed:
                raise InputError(f"{file.name} line 1, column {column}: not a column of a {kind} file; "
                                 f"columns: {', '.join(allowed)}", file=file.name, line=1, column=column, value=column)
        if header[:2] != list(allowed[:2]):
            raise InputError(f"{file.name} line 1: the first columns must be {allowed[0]}, {allowed[1]}",
                             file=file.name, line=1)
        rows = []
        for i, raw in enumerate(reader):
            if i >= MAX_IMPORT_ROWS:
                raise InputError(f"{file.name}: more than {MAX_IMPORT_ROWS} rows; split it", file=file.name)
            rows.append((reader.line_num, {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}))
        return self._import(actor, file.name, kind, rows)

    def _import(self, actor: Actor, name: str, kind: str, rows: Sequence[tuple[int, dict[str, str]]]) -> dict[str, Any]:
        def bad(line: int, column: str, value: object, reason: str) -> InputError:
            return InputError(f"{name} line {line}, column {column}: {reason}", file=name, line=line, column=column,
                              value=None if value is None else str(value))

        wanted = [r["opportunity_id"] for _, r in rows if r.get("opportunity_id")]
        deals = self.deals(actor.scope, wanted)
        key = "user_id" if kind == "backers" else "contact_id"
        named = self._named(**({"user_ids": [x.get(key, "") for _, x in rows]} if kind == "backers" else
                                  {"contact_ids": [v for _, x in rows for v in (x.get(key), x.get("via_contact_id"))
                                                   if v]}))
        before = self._merged(sorted(deals))
        people: dict[str, dict[str, Stakeholder]] = {
            oid: {s.contact_id: s for s in m.stakeholders if not s.inferred} for oid, m in before.items()}
        ours: dict[str, dict[str, Backer]] = {
            oid: {b.user_id: b for b in m.backers if not b.inferred} for oid, m in before.items()}
        seen: dict[tuple[str, str], int] = {}
        for line, row in rows:
            oid = row.get("opportunity_id", "")
            if oid not in deals:
                raise bad(line, "opportunity_id", oid, f"no opportunity {oid!r}" if oid else "is empty")
            if deals[oid].access != EDIT:
                raise bad(line, "opportunity_id", oid, "you may not change this deal's support map")
            for column in (key, "via_contact_id"):
                ident = row.get(column)
                if ident and ident not in named:
                    what = "CRM user" if column == "user_id" else "contact"
                    raise bad(line, column, ident, f"no {what} with id {ident!r}")
            ident = row.get(key, "")
            if (oid, ident) in seen:
                raise bad(line, key, ident, f"{ident!r} is on this deal already at line {seen[oid, ident]}")
            seen[oid, ident] = line
            given = {k: v for k, v in row.items() if v and k != "opportunity_id"}
            try:
                if kind == "backers":
                    base = next((b for b in before[oid].backers if b.user_id == ident), None)
                    ours[oid][ident] = edits.backer_from(given, base)
                else:
                    people[oid][ident] = edits.stakeholder_from(given, before[oid].stakeholder(ident))
            except edits.FieldError as exc:
                raise bad(line, exc.field, exc.value, exc.reason) from None
        touched = sorted({row["opportunity_id"] for _, row in rows})
        writes = []
        for oid in touched:
            deal, m = deals[oid], before[oid]
            changes = self._after(m, list(people[oid].values()), list(ours[oid].values()))
            writes.append(records.MapWrite(oid, m.version, list(people[oid].values()), list(ours[oid].values()),
                                           changes, deal_name=deal.name, owner_id=deal.row.get("owner_id"),
                                           account_id=deal.row.get("account_id")))
        versions = records.write_maps(self.store, writes=writes, by=actor.name)
        return {"file": name, "kind": kind, "rows": len(rows), "deals": len(touched),
                "changes": sum(len(w.changes) for w in writes), "versions": versions}


def _allowed(actor: Actor, deal: Deal, changes: Sequence[edits.Change]) -> None:
    """PermissionDenied unless the caller may make every one of ``changes``."""
    if deal.access == EDIT:
        return
    own = actor.scope.crm_user_id
    if deal.access == BACKER and all(c.kind == "backer" and c.subject_id == own and c.field in ("commitment", "confirmed")
                                     for c in changes):
        return
    raise PermissionDenied("a support member changes only their own commitment on the deals they back; "
                           "ask the deal's seller to change the rest")


def map_dict(m: SupportMap) -> dict[str, Any]:
    """A map for JSON and templates: ISO dates, names beside ids."""
    names = {s.contact_id: s.name for s in m.stakeholders}

    def iso(v: Any) -> Any:
        return v.isoformat() if v is not None else None

    return {
        "opportunity_id": m.opportunity_id, "version": m.version, "updated_by": m.updated_by,
        "updated_at": iso(m.updated_at), "confirmed": m.confirmed,
        "stakeholders": [{"contact_id": s.contact_id, "name": s.name, "title": s.title, "buyer_role": s.buyer_role,
                          "stance": s.stance, "influence": s.influence, "access": s.access,
                          "via_contact_id": s.via_contact_id, "via_name": names.get(s.via_contact_id or ""),
                          "last_touch_at": iso(s.last_touch_at), "note": s.note, "inferred": s.inferred,
                          "evidence": s.evidence} for s in m.stakeholders],
        "backers": [{"user_id": b.user_id, "name": b.name, "function": b.function, "ask": b.ask,
                     "commitment": b.commitment, "due_date": iso(b.due_date), "inferred": b.inferred}
                    for b in m.backers],
    }


def readiness_dict(r: Readiness) -> dict[str, Any]:
    return {"score": r.score, "note": r.note,
            "gaps": [{"code": g.code, "text": g.text, "points": g.points} for g in r.gaps]}
