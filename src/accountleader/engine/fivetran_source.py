"""Fivetran-landed Salesforce tables, mapped in place onto the canonical tables.

Fivetran lands each Salesforce object as a table named in snake_case (``opportunity``,
``opportunity_history``, ``task``, ...; seed files use ``sf_opportunity_data``) with
snake_case columns (``StageName`` -> ``stage_name``).  This module executes the one
Salesforce mapping (``domain/salesforce_mapping.py``, which the importers execute with
Arrow) as Ibis expressions over those tables, where they are: nothing is copied out of
the warehouse.  It names no Salesforce field itself: every field comes from the mapping.

The canonical tables are built once per analysis, as temporary tables on the connection
(a cached DataFrame on Spark), so that the twenty-odd queries of an analysis read mapped
rows instead of re-running the mapping each time (``materialize``).

The same steps as an import follow the column rules: deleted and inactive history-mode
rows left out, the users' function and team derived, IsClosed / IsWon derived from the
stages where the source has none, emails linked to contacts by address, amounts converted
to the corporate currency.

What the in-place mapping does not do, unlike an import: it does not validate rows or
reject a bad load (there is no file to point at), it does not convert 15-character ids
(Fivetran always lands 18-character ones), and where two contacts share an email
address an email is linked to the lower contact id rather than the first in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..domain import salesforce_mapping as sfm
from ..domain import vocabulary as words
from ..domain.arrow_types import ARROW_TYPES
from ..domain.schema import SALESFORCE_NULL_ID, TABLES, Column
from ..errors import ConfigError

_IBIS_TYPES = {
    "id": "string",
    "string": "string",
    "float": "float64",
    "int": "int64",
    "bool": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}
_NULL_IDS = [SALESFORCE_NULL_ID, SALESFORCE_NULL_ID[:15]]


def table_stems(obj: str) -> tuple[str, ...]:
    """Names Fivetran (or its seed files) gives the table of Salesforce object ``obj``."""
    return sfm.fivetran_tables(obj)


class _Source:
    """The Fivetran tables of one schema, by Salesforce object name."""

    def __init__(self, con: Any, database: str | None) -> None:
        self.con = con
        self.database = database
        kwargs = {"database": database} if database else {}
        try:
            self.names = {n.lower(): n for n in con.list_tables(**kwargs)}
        except Exception as exc:
            raise ConfigError(f"cannot list the tables of {database or 'the default schema'}: {exc}") from None

    def get(self, obj: str) -> ir.Table | None:
        for stem in table_stems(obj):
            if stem in self.names:
                kwargs = {"database": self.database} if self.database else {}
                t = self.con.table(self.names[stem], **kwargs)
                return t.rename({c.lower(): c for c in t.columns if c != c.lower()})
        return None


# -- small column helpers ----------------------------------------------------------------


def _col(t: ir.Table, field: str) -> ir.Value | None:
    name = sfm.fivetran_name(field)
    return t[name] if name in t.columns else None


def _clean(v: ir.Value) -> ir.Value:
    """Blank text is missing, as in a CSV export."""
    if v.type().is_string():
        return v.strip().nullif("")
    return v


def _first_of(t: ir.Table, fields: tuple[str, ...]) -> ir.Value | None:
    cols = [_clean(c) for c in (_col(t, f) for f in fields) if c is not None]
    if not cols:
        return None
    # candidates may be typed differently (a date and a timestamp): compare as the first's type
    return ibis.coalesce(*[c.cast(cols[0].type()) for c in cols]) if len(cols) > 1 else cols[0]


def _with_prefix(t: ir.Table, field: str, prefixes: tuple[str, ...]) -> ir.Value | None:
    """The id in ``field`` when it points at an object with one of these key prefixes."""
    c = _col(t, field)
    if c is None:
        return None
    c = c.cast("string")
    keep = ibis.or_(*[c.startswith(p) for p in prefixes])
    return ibis.ifelse(keep.fill_null(False), c, ibis.null("string"))


def _as_bool(v: ir.Value) -> ir.Value:
    if v.type().is_boolean():
        return v
    if v.type().is_string():
        low = v.strip().lower()
        return ibis.cases((low.isin(["true", "1", "t", "yes"]), True), (low.isin(["false", "0", "f", "no"]), False), else_=ibis.null("boolean"))
    return v.cast("boolean")


def _typed(v: ir.Value | None, col: Column) -> ir.Value:
    target = _IBIS_TYPES[col.type]
    if v is None:
        return ibis.null(target)
    if col.type == "bool":
        return _as_bool(v)
    v = _clean(v)
    if col.type == "id":
        v = v.cast("string")
        return v.nullif(SALESFORCE_NULL_ID)
    if col.type in ("timestamp", "date") and v.type().is_timestamp() and v.type().timezone is not None:
        v = v.cast(ibis.dtype("timestamp"))  # naive UTC, as the canonical tables hold time
    if col.type == "date" and v.type().is_string():
        v = v.cast("timestamp")
    if col.type in ("timestamp", "date"):
        v = v.cast(target)
        # 9999-12-31 / 4000-12-31: Salesforce's "no end" date, read as none
        sentinel = v.year().isin([4000, 9999]) & (v.month() == 12) & (v.day() == 31)
        return ibis.ifelse(sentinel.fill_null(False), ibis.null(target), v)
    return v.cast(target)


def _live(t: ir.Table, *, keep_all_versions: bool = False) -> ir.Table:
    """Leave out deleted rows and, in history mode, versions that are no longer current."""
    for flag in sfm.DELETED_FLAGS:
        c = _col(t, flag)
        if c is not None:
            t = t.filter(~_as_bool(c).fill_null(False))
    active = _col(t, sfm.ACTIVE_FLAG)
    if not keep_all_versions and active is not None:
        t = t.filter(_as_bool(active).fill_null(True))
    return t


def _regex(text: ir.StringValue, pattern: str) -> ir.BooleanValue:
    return text.re_search(pattern).fill_null(False)


# -- derivations, by input role (the mapping's names; the importer's objects.py in Ibis) ---------

Inputs = dict[str, list[ir.Value]]


def _one(cols: Inputs, role: str) -> ir.Value | None:
    present = cols.get(role) or []
    return present[0] if present else None


def _opportunity_type(cols: Inputs) -> ir.Value | None:
    c = _one(cols, "text")
    if c is None:
        return None
    low = c.cast("string").strip().lower()
    return ibis.cases(
        (low.isin(["new_business", "expansion", "renewal"]).fill_null(False), low),
        (_regex(low, words.DEAL_RENEWAL), "renewal"),
        (_regex(low, words.DEAL_EXPANSION), "expansion"),
        (_regex(low, words.DEAL_NEW), "new_business"),
        else_=ibis.null("string"),
    )


def _task_kind(cols: Inputs) -> ir.Value:
    sub, typ = _one(cols, "subtype"), _one(cols, "type")
    parts = [c.cast("string") for c in (sub, typ) if c is not None]
    if not parts:
        return ibis.literal("task")
    text = ibis.coalesce(*parts).lower() if len(parts) > 1 else parts[0].lower()
    if sub is not None and typ is not None:
        # the subtype "Task" says nothing; the type may still say Call / Email / Meeting
        text = ibis.ifelse((sub.lower() == "task").fill_null(False), ibis.coalesce(typ, sub).lower(), text)
    return ibis.cases(
        (_regex(text, words.KIND_CALL), "call"),
        (_regex(text, words.KIND_EMAIL), "email"),
        (_regex(text, words.KIND_MEETING), "meeting"),
        else_="task",
    )


def _call_direction(cols: Inputs) -> ir.Value | None:
    c = _one(cols, "text")
    if c is None:
        return None
    low = c.cast("string").strip().lower()
    return ibis.cases(
        (low.startswith("in").fill_null(False), "inbound"),
        (low.startswith("out").fill_null(False), "outbound"),
        else_=ibis.null("string"),
    )


def _email_direction(cols: Inputs) -> ir.Value | None:
    c = _one(cols, "incoming")
    if c is None:
        return None
    b = _as_bool(c)
    return ibis.cases((b == True, "inbound"), (b == False, "outbound"), else_=ibis.null("string"))  # noqa: E712


def _email_address(cols: Inputs) -> ir.Value | None:
    """The buyer's address: the sender of an inbound email, the first recipient of an outbound one."""
    incoming = _email_direction(cols)
    sender, to = _one(cols, "sender"), _one(cols, "recipients")
    sender = ibis.null("string") if sender is None else sender.cast("string")
    first_to = ibis.null("string") if to is None else to.cast("string").re_replace(r"[;,].*$", "").strip()
    inbound = (incoming == "inbound").fill_null(False) if incoming is not None else ibis.literal(False)
    return ibis.ifelse(inbound, sender, first_to).lower()


def _person_name(cols: Inputs) -> ir.Value | None:
    name = _one(cols, "name")
    parts = [c.cast("string").fill_null("") for c in (_one(cols, "first"), _one(cols, "last")) if c is not None]
    built = None
    if parts:
        joined = parts[0] if len(parts) == 1 else parts[0].concat(" ", parts[1])
        built = joined.strip().nullif("")
    if name is None:
        return built
    name = _clean(name.cast("string"))
    return name if built is None else ibis.coalesce(name, built)


def _role_id(cols: Inputs) -> ir.Value | None:
    c = _one(cols, "role")
    if c is None:
        return None
    c = _clean(c.cast("string"))
    return ibis.ifelse(c.isin(_NULL_IDS).fill_null(False), ibis.null("string"), c)


def _user_function(cols: Inputs) -> ir.Value | None:
    """The given function, or "system" for a non-Standard user type or an admin / integration profile."""
    given = _one(cols, "given")
    given = None if given is None else _clean(given)
    system: ir.BooleanValue | None = None
    kind = _one(cols, "license")
    if kind is not None:
        k = kind.cast("string").strip().lower()
        system = (k.re_search(r"^[a-z]+$") & (k != "standard")).fill_null(False)  # hashed values say nothing
    for prof in cols.get("profile") or []:
        by_profile = _regex(prof.cast("string").lower(), words.NON_PERSON_PROFILE)
        system = by_profile if system is None else (system | by_profile)
    if system is None:
        return given
    return ibis.ifelse(system, ibis.literal("system"), given if given is not None else ibis.null("string"))


def _task_done(cols: Inputs) -> ir.Value | None:
    """Closed as given; where absent (or empty), done by status (Completed / Completada / Done)."""
    closed, status = _one(cols, "closed"), _one(cols, "status")
    from_status = None
    if status is not None:
        low = status.cast("string").strip().lower()
        from_status = ibis.cases((low == "", ibis.null("boolean")), (low.isin(list(words.DONE_STATUSES)), True), else_=False)
    if closed is None:
        return from_status
    closed = _as_bool(closed if closed.type().is_boolean() else _clean(closed.cast("string")))
    return closed if from_status is None else ibis.coalesce(closed, from_status)


def _snapshot_id(cols: Inputs) -> ir.Value | None:
    ids, start = _one(cols, "id"), _one(cols, "start")
    if ids is None or start is None:
        return None
    return ids.cast("string").concat("@", start.cast("string"))


DERIVATIONS: dict[str, Callable[[Inputs], ir.Value | None]] = {
    "opportunity_type": _opportunity_type,
    "task_kind": _task_kind,
    "call_direction": _call_direction,
    "email_direction": _email_direction,
    "email_address": _email_address,
    "person_name": _person_name,
    "role_id": _role_id,
    "user_function": _user_function,
    "task_done": _task_done,
    "snapshot_id": _snapshot_id,
}


def _value(t: ir.Table, rule: sfm.Rule | None) -> ir.Value | None:
    """One mapping rule over a landed table (None: the column is left empty)."""
    if rule is None or isinstance(rule, sfm.Nothing):
        return None
    if isinstance(rule, sfm.Field):
        return _col(t, rule.name)
    if isinstance(rule, sfm.FirstOf):
        return _first_of(t, rule.names)
    if isinstance(rule, sfm.WithPrefix):
        return _with_prefix(t, rule.name, rule.prefixes)
    if isinstance(rule, sfm.Constant):
        return ibis.literal(rule.value, "string")
    cols = {role: [c for c in (_col(t, f) for f in fields) if c is not None] for role, fields in rule.inputs}
    return DERIVATIONS[rule.kind](cols)


def _build(t: ir.Table, mapping: sfm.ObjectMap) -> ir.Table:
    spec = TABLES[mapping.table]
    return t.select(**{col.name: _typed(_value(t, mapping.rule(col.name)), col) for col in spec.columns})


def empty(table: str) -> ir.Table:
    spec = TABLES[table]
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in spec.columns])
    return ibis.memtable(schema.empty_table())


#: The objects read in place, in the mapping's order (UserRole names the users' roles).
_MAPPED = tuple(m for m in sfm.OBJECTS if not m.table.startswith("_"))


def fivetran_tables(con: Any, *, database: str | None = None, materialize: bool = True) -> dict[str, ibis.Table]:
    """The canonical tables over the Fivetran tables on ``con``.

    With ``materialize`` (the default) each canonical table is computed once into a
    temporary table on the connection (``.cache()``: a cached DataFrame on Spark), so the
    queries of an analysis read mapped rows; the tables live as long as the connection.
    Without it they are plain expressions that re-run the mapping wherever they are read."""
    src = _Source(con, database)
    found = {m.object: src.get(m.object) for m in sfm.OBJECTS}
    if found["Opportunity"] is None and found["Account"] is None:
        where = f"schema {database}" if database else "the default schema"
        raise ConfigError(
            f"no Fivetran Salesforce tables in {where} (expected e.g. opportunity, account, task); "
            "set engine.source_schema to the schema Fivetran lands Salesforce in"
        )
    parts: dict[str, list[ir.Table]] = {}
    for mapping in _MAPPED:
        t = found[mapping.object]
        if t is None:
            continue
        if mapping.object == sfm.SNAPSHOT_HISTORY.object and sfm.is_snapshot_history(t.columns):
            mapping = sfm.SNAPSHOT_HISTORY
        built = _build(_live(t, keep_all_versions=mapping.object in sfm.ALL_VERSIONS), mapping)
        parts.setdefault(mapping.table, []).append(built)
    out: dict[str, ir.Table] = {}
    empties = {name: empty(name) for name in TABLES if not parts.get(name)}

    def keep(t: ir.Table) -> ir.Table:
        # an object Fivetran does not land is an empty table of no backend: nothing to compute
        return t.cache() if materialize and not any(t is e for e in empties.values()) else t

    for name in TABLES:
        tables = parts.get(name)
        if not tables:
            out[name] = empties[name]
            continue
        t = tables[0]
        for more in tables[1:]:
            t = t.union(more, distinct=False)
        out[name] = t

    # deals first: users, stages and the analysis all read them
    opps_map = sfm.OBJECT_MAPS["Opportunity"]
    opp_src = found["Opportunity"]
    missing = {
        c for c in sorted(opps_map.derivable)
        if opp_src is not None and _value(opp_src, opps_map.rule(c)) is None
    }
    stage_src = found["OpportunityStage"]
    if missing:
        out["opportunities"] = _derive_outcomes(out["opportunities"], _stage_keys(stage_src), missing)
    out["currency_rates"] = keep(out["currency_rates"])
    out["opportunities"] = keep(_opportunity_fixes(out["opportunities"], out["currency_rates"]))

    roles = found[sfm.USER_ROLE.object]
    users = out["users"]
    if roles is not None:
        rid, rname = _value(roles, sfm.USER_ROLE.rule("role_id")), _value(roles, sfm.USER_ROLE.rule("name"))
        if rid is not None and rname is not None:
            live = _live(roles)
            r = live.select(_rid=_value(live, sfm.USER_ROLE.rule("role_id")).cast("string"),
                            _rname=_value(live, sfm.USER_ROLE.rule("name")).cast("string"))
            u = users.left_join(r, users.role_name == r._rid)
            users = u.mutate(role_name=ibis.coalesce(u._rname, u.role_name)).select(*TABLES["users"].column_names)
    out["users"] = keep(_with_functions(users, out["opportunities"]))
    if stage_src is not None:
        out["stages"] = _stages_as_on_deals(out["stages"], stage_src, out["opportunities"])
    out["stages"] = keep(out["stages"])
    out["contacts"] = keep(out["contacts"])
    out["activities"] = keep(_resolve_email_contacts(out["activities"], out["contacts"]))
    out["opportunity_history"] = keep(_last_per_instant(out["opportunity_history"]))
    for name in ("accounts", "opportunity_contact_roles", "quotes", "cases", "opportunity_field_history"):
        out[name] = keep(out[name])
    return out


def _with_functions(users: ir.Table, opportunities: ir.Table) -> ir.Table:
    """Fill ``function`` and ``team`` where the source has none (the importer's derivation).

    "system" (not a person who sells: no id, an admin / integration / automated /
    marketplace / platform / Chatter name or title, a non-Standard UserType, or inactive
    owning no deals and neither managing nor supporting) always wins and has no team.
    """
    owners = opportunities.filter(opportunities.owner_id.notnull()).select(_owner=opportunities.owner_id).distinct()
    bosses = users.filter(users.manager_id.notnull()).select(_boss=users.manager_id).distinct()
    names = users.select(_mid=users.user_id, _mname=users.name)
    u = users.left_join(owners, users.user_id == owners._owner)
    u = u.left_join(bosses, u.user_id == bosses._boss)
    u = u.left_join(names, u.manager_id == names._mid)
    text = ibis.coalesce(u.title, ibis.literal("")).concat(
        " ", ibis.coalesce(u.department, ibis.literal("")), " ", ibis.coalesce(u.role_name, ibis.literal(""))
    ).lower()
    person = ibis.coalesce(u.name, ibis.literal("")).concat(" ", ibis.coalesce(u.title, ibis.literal(""))).lower()
    owner = u._owner.notnull()
    boss = u._boss.notnull()
    system = (u.function == "system").fill_null(False) | u.user_id.isnull() | _regex(person, words.NON_PERSON)
    fn = ibis.cases(
        (system, "system"),
        (boss & (~owner | _regex(text, words.MANAGER)), "manager"),
        (_regex(text, words.SUPPORT) & ~owner, "support"),
        ((u.is_active == False).fill_null(False) & ~owner, "system"),  # noqa: E712
        (owner | _regex(text, words.SELLER), "seller"),
        else_="other",
    )
    team = ibis.cases(
        (fn == "system", ibis.null("string")),
        (fn == "manager", ibis.coalesce(u.name, u.role_name)),
        (u._mid.notnull(), u._mname),
        else_=u.role_name,
    )
    u = u.mutate(
        function=ibis.ifelse(fn == "system", fn, ibis.coalesce(u.function, fn)), team=ibis.coalesce(u.team, team)
    )
    return u.select(*users.columns)


_STAGES = sfm.OBJECT_MAPS["OpportunityStage"]


def _stage_keys(stage_table: ir.Table | None) -> ir.Table | None:
    """(key, closed, won) per stage name as deals may carry it: label and API name, lower-cased."""
    if stage_table is None:
        return None
    live = _live(stage_table)
    closed = _typed(_value(live, _STAGES.rule("is_closed")), TABLES["stages"].column("is_closed"))
    won = _typed(_value(live, _STAGES.rule("is_won")), TABLES["stages"].column("is_won"))
    parts = []
    for field in (sfm.STAGE_LABEL, sfm.STAGE_API_NAME):
        c = _col(live, field)
        if c is not None:
            parts.append(live.select(_sk=_clean(c.cast("string")).lower(), _sclosed=closed, _swon=won))
    if not parts:
        return None
    keys = parts[0]
    for more in parts[1:]:
        keys = keys.union(more, distinct=False)
    keys = keys.filter(keys._sk.notnull() & keys._sclosed.notnull())
    return keys.group_by("_sk").aggregate(_sclosed=keys._sclosed.max(), _swon=keys._swon.max())


def _derive_outcomes(o: ir.Table, keys: ir.Table | None, missing: set[str]) -> ir.Table:
    """IsClosed / IsWon where the opportunity table has none: the importer's stages.py rules, per stage."""
    k = o.stage.strip().lower()
    o = o.mutate(_k=k)
    per = o.group_by("_k").aggregate(
        _n=o.probability.notnull().cast("int64").sum(),
        _p100=(o.probability >= 100).fill_null(False).cast("int64").sum(),
        _p0=(o.probability == 0).fill_null(False).cast("int64").sum(),
    )
    if keys is not None:
        per = per.left_join(keys, per._k == keys._sk)
        in_file = per._sclosed.notnull()
        f_closed, f_won = per._sclosed, per._sclosed & per._swon.fill_null(False)
    else:
        in_file, f_closed, f_won = ibis.literal(False), ibis.literal(False), ibis.literal(False)
    key = per._k.fill_null("")
    lost_name, won_name = _regex(key, words.STAGE_LOST), _regex(key, words.STAGE_WON)
    by_100 = per._p100 * 2 > per._n
    by_0 = (per._p0 * 2 > per._n) & ~_regex(key, words.STAGE_OPEN)
    closed = ibis.cases(
        (in_file, f_closed),
        (lost_name | won_name | by_100 | by_0 | _regex(key, words.STAGE_CLOSED), True),
        else_=False,
    )
    won = ibis.cases((in_file, f_won), (lost_name, False), (won_name | by_100, True), else_=False)
    verdict = per.select(_vk=per._k, _vclosed=closed, _vwon=won)
    j = o.left_join(verdict, o._k == verdict._vk)
    d_closed, d_won = j._vclosed.fill_null(False), j._vwon.fill_null(False)
    if "is_closed" in missing and "is_won" in missing:
        j = j.mutate(is_closed=d_closed, is_won=d_won)
    elif "is_won" in missing:
        j = j.mutate(is_won=d_won & j.is_closed.fill_null(True))
    else:
        j = j.mutate(is_closed=d_closed | j.is_won.fill_null(False))
    return j.select(*TABLES["opportunities"].column_names)


def _stages_as_on_deals(stages: ir.Table, stage_table: ir.Table, opportunities: ir.Table) -> ir.Table:
    """``stages.stage`` as deals carry it: the API name where deals use it and not the label."""
    label, api = _col(stage_table, sfm.STAGE_LABEL), _col(stage_table, sfm.STAGE_API_NAME)
    if label is None or api is None:
        return stages
    live = _live(stage_table)
    pairs = live.select(_lab=_clean(_col(live, sfm.STAGE_LABEL).cast("string")),
                        _api=_clean(_col(live, sfm.STAGE_API_NAME).cast("string")))
    on_deals = opportunities.select(_ds=opportunities.stage).distinct()
    on_deals2 = opportunities.select(_ds2=opportunities.stage).distinct()
    j = stages.left_join(pairs, stages.stage == pairs._lab)
    j = j.left_join(on_deals, j.stage == on_deals._ds)
    j = j.left_join(on_deals2, j._api == on_deals2._ds2)
    use_api = j._ds.isnull() & j._ds2.notnull()
    return j.mutate(stage=ibis.ifelse(use_api, j._api, j.stage)).select(*TABLES["stages"].column_names)


def _last_per_instant(h: ir.Table) -> ir.Table:
    """Several history rows for one deal at one instant are a load artefact: keep the last (highest id)."""
    w = ibis.window(group_by=["opportunity_id", "changed_at"], order_by=ibis.desc("history_id"))
    h = h.mutate(_rn=ibis.row_number().over(w))
    return h.filter(h._rn == 0).drop("_rn")


def _opportunity_fixes(o: ir.Table, rates: ir.Table) -> ir.Table:
    """Flag deals that close before they were created; convert amounts to the corporate currency."""
    r = rates.select(_iso=rates.iso_code, _rate=rates.conversion_rate)
    j = o.left_join(r, o.currency == r._iso)
    bad = (j.close_date < j.created_at.date()).fill_null(False)
    j = j.mutate(
        quality_flag=ibis.ifelse(bad, ibis.literal("closed_before_created"), j.quality_flag),
        amount_corporate=(j.amount / j._rate),
    )
    return j.select(*TABLES["opportunities"].column_names)


def _resolve_email_contacts(a: ir.Table, contacts: ir.Table) -> ir.Table:
    """EmailMessage names people by address: link each email to the contact with that address."""
    c = contacts.filter(contacts.email.notnull())
    c = c.group_by(_addr=c.email.lower()).aggregate(_cid=c.contact_id.min())
    j = a.left_join(c, a.contact_id == c._addr)
    is_msg = (j.source_object == "EmailMessage").fill_null(False)
    return j.mutate(contact_id=ibis.ifelse(is_msg, j._cid, j.contact_id)).select(*TABLES["activities"].column_names)


# -- what a new sync changes ------------------------------------------------------------------

#: The sync-time columns, as Fivetran names them or (a table loaded by hand) the API name lower-cased.
SYNC_COLUMNS = tuple(dict.fromkeys(n for f in sfm.SYNC_FIELDS for n in (sfm.fivetran_name(f), f.lower())))


def source_stamp(con: Any, *, database: str | None = None) -> list[dict[str, Any]]:
    """Per landed table: its row count and the latest sync time (the mapping's ``SYNC_FIELDS``),
    in one query. A new sync changes one of them, so results computed in place are never
    reused over new data; deletions change the count."""
    src = _Source(con, database)
    parts = []
    for mapping in sfm.OBJECTS:
        t = src.get(mapping.object)
        if t is None:
            continue
        synced = next((t[c] for c in SYNC_COLUMNS if c in t.columns), None)
        last = synced.max().cast("string") if synced is not None else ibis.literal(None, type="string")
        parts.append(t.aggregate(table=ibis.literal(mapping.object), rows=t.count(), last_synced=last))
    if not parts:
        return []
    rows = ibis.union(*parts, distinct=False).to_pyarrow().to_pylist()
    return sorted(rows, key=lambda r: r["table"])
