"""The Salesforce mapping (``domain/salesforce_mapping.py``) executed with Arrow compute.

The mapping names, per object and canonical column, the Salesforce fields to read; this
module turns each rule into a column builder for the object reader. The export importer
reads fields by their API names, the Fivetran importer through a naming function
(Fivetran lands ``StageName`` as ``stage_name``). No Salesforce field is named here: the
derivations take their inputs by role, as the mapping hands them over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc

from ..domain import salesforce_mapping as sfm
from ..domain import vocabulary as words
from ..domain.schema import SALESFORCE_NULL_ID
from .normalize import opportunity_type

Array = pa.ChunkedArray | pa.Array
Getter = Callable[[str], Array | None]  # API name -> text column, or None when absent
Rule = str | Callable[[Getter, int], Array]
Inputs = dict[str, list[Array]]  # input role -> its present columns, in order of preference


def _null(n: int) -> Array:
    return pa.nulls(n, pa.string())


def _blank_null(col: Array) -> Array:
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""), pa.scalar(None, pa.string()), col)


def first_of(*fields: str) -> Callable[[Getter, int], Array]:
    """The first non-blank of ``fields``."""

    def pick(get: Getter, n: int) -> Array:
        out: Array | None = None
        for f in fields:
            col = get(f)
            if col is not None:
                col = _blank_null(col)
                out = col if out is None else pc.coalesce(out, col)
        return _null(n) if out is None else out

    pick.fields = fields  # type: ignore[attr-defined]
    return pick


def with_prefix(field_name: str, *prefixes: str) -> Callable[[Getter, int], Array]:
    """The id in ``field_name`` when it points at the object with one of these key prefixes."""

    def pick(get: Getter, n: int) -> Array:
        col = get(field_name)
        if col is None:
            return _null(n)
        keep = pc.fill_null(pc.or_(*[pc.starts_with(col, p) for p in prefixes]) if len(prefixes) > 1 else pc.starts_with(col, prefixes[0]), False)
        if pc.sum(keep).as_py() == len(col) - col.null_count:  # every id points there: share the column, no copy
            return col
        return pc.if_else(keep, col, pa.scalar(None, pa.string()))

    pick.fields = (field_name,)  # type: ignore[attr-defined]
    return pick


def constant(value: str) -> Callable[[Getter, int], Array]:
    def pick(get: Getter, n: int) -> Array:
        return pa.array([value] * n, pa.string())

    pick.fields = ()  # type: ignore[attr-defined]
    return pick


def _no_value(get: Getter, n: int) -> Array:
    return _null(n)


_no_value.fields = ()  # type: ignore[attr-defined]


# -- derivations, by input role (their names are the mapping's) ------------------------------------


def _one(cols: Inputs, role: str) -> Array | None:
    present = cols.get(role) or []
    return present[0] if present else None


def _opportunity_type(cols: Inputs, n: int) -> Array:
    col = _one(cols, "text")
    return _null(n) if col is None else opportunity_type(col)


def _task_kind(cols: Inputs, n: int) -> Array:
    sub, typ = _one(cols, "subtype"), _one(cols, "type")
    text = pc.utf8_lower(pc.coalesce(*(c for c in (sub, typ) if c is not None))) if (sub is not None or typ is not None) else _null(n)
    if sub is not None and typ is not None:
        # the subtype "Task" says nothing; the type may still say Call / Email / Meeting
        text = pc.if_else(pc.fill_null(pc.equal(pc.utf8_lower(sub), "task"), False), pc.utf8_lower(pc.coalesce(typ, sub)), text)
    return pc.if_else(
        pc.fill_null(pc.match_substring_regex(text, words.KIND_CALL), False),
        "call",
        pc.if_else(
            pc.fill_null(pc.match_substring_regex(text, words.KIND_EMAIL), False),
            "email",
            pc.if_else(pc.fill_null(pc.match_substring_regex(text, words.KIND_MEETING), False), "meeting", "task"),
        ),
    )


def _call_direction(cols: Inputs, n: int) -> Array:
    col = _one(cols, "text")
    if col is None:
        return _null(n)
    low = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    return pc.if_else(
        pc.fill_null(pc.starts_with(low, "in"), False),
        "inbound",
        pc.if_else(pc.fill_null(pc.starts_with(low, "out"), False), "outbound", pa.scalar(None, pa.string())),
    )


def _email_direction(cols: Inputs, n: int) -> Array:
    col = _one(cols, "incoming")
    if col is None:
        return _null(n)
    low = pc.utf8_lower(pc.utf8_trim_whitespace(col))
    return pc.if_else(
        pc.is_in(low, value_set=pa.array(["true", "1"])),
        "inbound",
        pc.if_else(pc.is_in(low, value_set=pa.array(["false", "0"])), "outbound", pa.scalar(None, pa.string())),
    )


def _email_address(cols: Inputs, n: int) -> Array:
    """The buyer's address: the sender of an inbound email, the first recipient of an outbound one."""
    incoming = _email_direction(cols, n)
    sender, to = _one(cols, "sender"), _one(cols, "recipients")
    sender = _null(n) if sender is None else sender
    first_to = _null(n) if to is None else pc.utf8_trim_whitespace(pc.replace_substring_regex(to, r"[;,].*$", ""))
    return pc.utf8_lower(pc.if_else(pc.fill_null(pc.equal(incoming, "inbound"), False), sender, first_to))


def _person_name(cols: Inputs, n: int) -> Array:
    name = _one(cols, "name")
    parts = [c for c in (_one(cols, "first"), _one(cols, "last")) if c is not None]
    built = None
    if parts:
        built = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*[pc.fill_null(p, "") for p in parts], " "))
        built = pc.if_else(pc.equal(built, ""), pa.scalar(None, pa.string()), built)
    if name is None:
        return _null(n) if built is None else built
    return name if built is None else pc.coalesce(name, built)


def _role_id(cols: Inputs, n: int) -> Array:
    """The role id, with Salesforce's null id read as no role (it must never become a team name)."""
    col = _one(cols, "role")
    if col is None:
        return _null(n)
    col = _blank_null(col)
    return pc.if_else(
        pc.fill_null(pc.is_in(col, value_set=pa.array([SALESFORCE_NULL_ID, SALESFORCE_NULL_ID[:15]])), False),
        pa.scalar(None, pa.string()),
        col,
    )


def _user_function(cols: Inputs, n: int) -> Array:
    """The given function; "system" for users that are not people who sell.

    Salesforce's ``UserType`` is ``Standard`` for licensed people; anything else
    (AutomatedProcess, CloudIntegrationUser, CsnOnly for Chatter, Guest, partner and
    portal users) is not a seller.  A profile name naming an administrator, integration,
    Chatter or platform profile says the same.
    """
    given = _one(cols, "given")
    given = _null(n) if given is None else _blank_null(given)
    system = pa.array([False] * n, pa.bool_())
    kind = _one(cols, "license")
    if kind is not None:
        k = pc.utf8_lower(pc.utf8_trim_whitespace(kind))
        # a word other than Standard (hashed or anonymised values say nothing)
        typed = pc.and_(pc.match_substring_regex(k, r"^[a-z]+$"), pc.not_equal(k, "standard"))
        system = pc.or_(system, pc.fill_null(typed, False))
    for prof in cols.get("profile") or []:
        system = pc.or_(system, pc.fill_null(pc.match_substring_regex(prof, words.NON_PERSON_PROFILE, ignore_case=True), False))
    return pc.if_else(system, "system", given)


def _task_done(cols: Inputs, n: int) -> Array:
    """Closed as given; where absent (or blank), done by status (Completed / Completada / Done)."""
    closed, status = _one(cols, "closed"), _one(cols, "status")
    from_status = _null(n)
    if status is not None:
        low = pc.utf8_lower(pc.utf8_trim_whitespace(status))
        done = pc.is_in(low, value_set=pa.array(list(words.DONE_STATUSES)))
        from_status = pc.if_else(pc.equal(low, ""), pa.scalar(None, pa.string()), pc.if_else(done, "true", "false"))
    if closed is None:
        return from_status
    return pc.coalesce(_blank_null(closed), from_status)


def _snapshot_id(cols: Inputs, n: int) -> Array:
    ids, start = _one(cols, "id"), _one(cols, "start")
    if ids is None or start is None:
        return _null(n)
    return pc.binary_join_element_wise(ids, start, "@")


DERIVATIONS: dict[str, Callable[[Inputs, int], Array]] = {
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


def derived(rule: sfm.Derive) -> Callable[[Getter, int], Array]:
    impl = DERIVATIONS[rule.kind]

    def pick(get: Getter, n: int) -> Array:
        cols = {role: [c for c in (get(f) for f in fields) if c is not None] for role, fields in rule.inputs}
        return impl(cols, n)

    pick.fields = rule.fields  # type: ignore[attr-defined]
    return pick


def compile_rule(rule: sfm.Rule) -> Rule:
    """A mapping rule as the object reader takes it: a field name, or a builder with ``.fields``."""
    if isinstance(rule, sfm.Field):
        return rule.name
    if isinstance(rule, sfm.FirstOf):
        return first_of(*rule.names)
    if isinstance(rule, sfm.WithPrefix):
        return with_prefix(rule.name, *rule.prefixes)
    if isinstance(rule, sfm.Constant):
        return constant(rule.value)
    if isinstance(rule, sfm.Nothing):
        return _no_value
    return derived(rule)


@dataclass(frozen=True)
class ObjectSpec:
    """One Salesforce object of the mapping, as the object reader reads it."""

    mapping: sfm.ObjectMap

    @property
    def object(self) -> str:
        return self.mapping.object

    @property
    def table(self) -> str:
        return self.mapping.table

    @property
    def derivable(self) -> frozenset[str]:
        return self.mapping.derivable

    @cached_property
    def _rules(self) -> dict[str, Rule | None]:
        if self.mapping.table.startswith("_"):
            return {}
        return {c: (None if r is None else compile_rule(r)) for c, r in self.mapping.column_rules().items()}

    def rule(self, column: str) -> Rule | None:
        return self._rules.get(column)


OBJECTS: tuple[ObjectSpec, ...] = tuple(ObjectSpec(m) for m in sfm.OBJECTS)
