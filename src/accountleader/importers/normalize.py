"""Vocabulary shared by every importer: deal types, activity kinds, who does what."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from ..domain import vocabulary as words
from ..domain.schema import SALESFORCE_NULL_ID

Array = pa.ChunkedArray | pa.Array


def opportunity_type(text: Array) -> Array:
    """Map a CRM's free-form deal type onto new_business / expansion / renewal.

    Salesforce's default picklist is "New Business", "Existing Customer - Upgrade",
    "Existing Customer - Replacement", "Existing Customer - Downgrade"; many orgs add
    "Renewal", "Upsell", "Cross-sell", "Add-on".  Unknown values stay empty.
    """
    low = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    renewal = pc.match_substring_regex(low, words.DEAL_RENEWAL)
    expansion = pc.match_substring_regex(low, words.DEAL_EXPANSION)
    new = pc.match_substring_regex(low, words.DEAL_NEW)
    none = pa.scalar(None, pa.string())
    already = pc.is_in(low, value_set=pa.array(["new_business", "expansion", "renewal"]))
    return pc.if_else(
        pc.fill_null(already, False),
        low,
        pc.if_else(
            pc.fill_null(renewal, False),
            "renewal",
            pc.if_else(pc.fill_null(expansion, False), "expansion", pc.if_else(pc.fill_null(new, False), "new_business", none)),
        ),
    )


_SUPPORT = re.compile(words.SUPPORT, re.I)
_MANAGER = re.compile(words.MANAGER, re.I)
_SELLER = re.compile(words.SELLER, re.I)
NON_PERSON = words.NON_PERSON
NON_PERSON_PROFILE = words.NON_PERSON_PROFILE
_NON_PERSON = re.compile(NON_PERSON, re.I)
_NULL_IDS = {SALESFORCE_NULL_ID, SALESFORCE_NULL_ID[:15]}


def user_functions(
    users: pa.Table, opportunity_owners: set[str], given: list[str | None] | None = None
) -> tuple[list[str], list[str | None]]:
    """Derive each user's function (seller, manager, support, system, other) and team name.

    "system" is a user that is not a person who sells and never counts as a seller:
    Salesforce's null id, a name or title naming an administrator, integration,
    automated, marketplace, platform or Chatter user (``given`` "system" carries what the
    source said, e.g. a UserType other than Standard), and an inactive user who owns no
    deals and neither manages nor supports anyone.  Otherwise a manager has direct
    reports; support is named by department or title; a seller owns deals (or has a
    sales title).  Team = the manager's name for people with a manager who manages
    others, else the role name; system users have no team.
    """
    ids = users.column("user_id").to_pylist()
    names = dict(zip(ids, users.column("name").to_pylist(), strict=True))
    managers = users.column("manager_id").to_pylist()
    titles = users.column("title").to_pylist()
    depts = users.column("department").to_pylist()
    roles = users.column("role_name").to_pylist()
    active = users.column("is_active").to_pylist()
    given = given if given is not None else [None] * len(ids)
    has_reports = {m for m in managers if m}
    functions: list[str] = []
    teams: list[str | None] = []
    for uid, mgr, title, dept, role, is_active, was in zip(ids, managers, titles, depts, roles, active, given, strict=True):
        text = " ".join(x for x in (title, dept, role) if x)
        person = " ".join(x for x in (names.get(uid), title) if x)
        if was == "system" or not uid or uid in _NULL_IDS or _NON_PERSON.search(person):
            fn = "system"
        elif uid in has_reports and (uid not in opportunity_owners or _MANAGER.search(text or "")):
            fn = "manager"
        elif _SUPPORT.search(text) and uid not in opportunity_owners:
            fn = "support"
        elif is_active is False and uid not in opportunity_owners:
            fn = "system"  # a former user who owns nothing: not a seller
        elif uid in opportunity_owners or _SELLER.search(text):
            fn = "seller"
        else:
            fn = "other"
        functions.append(fn)
        if fn == "system":
            teams.append(None)
        elif fn == "manager":
            teams.append(names.get(uid) or role)
        elif mgr and mgr in names:
            teams.append(names[mgr])
        else:
            teams.append(role)
    return functions, teams


def add_user_functions(
    users: pa.Table, opportunities: pa.Table | None, *, warnings: list[str] | None = None
) -> pa.Table:
    """Fill `function` and `team` where the source left them empty; say which users are not sellers."""
    if users.num_rows == 0:
        return users
    owners: set[str] = set()
    if opportunities is not None and opportunities.num_rows:
        owners = {o for o in pc.unique(opportunities.column("owner_id")).to_pylist() if o}
    given = users.column("function").to_pylist()
    functions, teams = user_functions(users, owners, given)
    # the source's own function wins, except that "system" (not a person) always does
    derived = pa.array(functions, pa.string())
    fn = pc.if_else(pc.equal(derived, "system"), derived, pc.coalesce(users.column("function"), derived))
    team = pc.coalesce(users.column("team"), pa.array(teams, pa.string()))
    if warnings is not None:
        system = [n or u or "(no id)" for n, u, f in zip(users.column("name").to_pylist(), users.column("user_id").to_pylist(), fn.to_pylist(), strict=True) if f == "system"]
        if system:
            shown = ", ".join(system[:5]) + (", ..." if len(system) > 5 else "")
            warnings.append(
                f"users: {len(system)} are not sellers (administrator, integration, automated, platform or Chatter "
                f"users, a UserType other than Standard, the null id, or inactive with no deals): {shown}"
            )
    users = users.set_column(users.schema.get_field_index("function"), "function", fn)
    return users.set_column(users.schema.get_field_index("team"), "team", team)
