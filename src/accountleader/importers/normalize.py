"""Vocabulary shared by every importer: deal types, activity kinds, who does what."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

Array = pa.ChunkedArray | pa.Array


def opportunity_type(text: Array) -> Array:
    """Map a CRM's free-form deal type onto new_business / expansion / renewal.

    Salesforce's default picklist is "New Business", "Existing Customer - Upgrade",
    "Existing Customer - Replacement", "Existing Customer - Downgrade"; many orgs add
    "Renewal", "Upsell", "Cross-sell", "Add-on".  Unknown values stay empty.
    """
    low = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    renewal = pc.match_substring_regex(low, r"renew|downgrade|retention|maintenance|renovaci")
    expansion = pc.match_substring_regex(low, r"upgrade|upsell|up-sell|cross|add-on|addon|expan|replacement|existing|ampliaci")
    new = pc.match_substring_regex(low, r"new|nuevo|nueva|logo|acquisition")
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


_SUPPORT = re.compile(
    r"pricing|price desk|deal desk|sales engineer|solutions? (engineer|consultant|architect)|presales|pre-sales|"
    r"legal|counsel|contracts?|support|service desk|customer success|delivery|implementation|sales ops|operations",
    re.I,
)
_MANAGER = re.compile(r"manager|director|head of|vp|vice president|chief|gerente|jefe|lead", re.I)


def user_functions(users: pa.Table, opportunity_owners: set[str]) -> tuple[list[str], list[str | None]]:
    """Derive each user's function (seller, manager, support, other) and team name.

    A manager has direct reports; support is named by department or title; a seller
    owns deals (or has a sales title).  Team = the manager's name for people with a
    manager who manages others, else the role name.
    """
    ids = users.column("user_id").to_pylist()
    names = dict(zip(ids, users.column("name").to_pylist(), strict=True))
    managers = users.column("manager_id").to_pylist()
    titles = users.column("title").to_pylist()
    depts = users.column("department").to_pylist()
    roles = users.column("role_name").to_pylist()
    has_reports = {m for m in managers if m}
    functions: list[str] = []
    teams: list[str | None] = []
    for uid, mgr, title, dept, role in zip(ids, managers, titles, depts, roles, strict=True):
        text = " ".join(x for x in (title, dept, role) if x)
        if uid in has_reports and (uid not in opportunity_owners or _MANAGER.search(text or "")):
            fn = "manager"
        elif _SUPPORT.search(text) and uid not in opportunity_owners:
            fn = "support"
        elif uid in opportunity_owners or re.search(r"sales|account|seller|ventas|ejecutiv", text, re.I):
            fn = "seller"
        else:
            fn = "other"
        functions.append(fn)
        if fn == "manager":
            teams.append(names.get(uid) or role)
        elif mgr and mgr in names:
            teams.append(names[mgr])
        else:
            teams.append(role)
    return functions, teams


def add_user_functions(users: pa.Table, opportunities: pa.Table | None) -> pa.Table:
    """Fill `function` and `team` where the source left them empty."""
    if users.num_rows == 0:
        return users
    owners: set[str] = set()
    if opportunities is not None and opportunities.num_rows:
        owners = {o for o in pc.unique(opportunities.column("owner_id")).to_pylist() if o}
    functions, teams = user_functions(users, owners)
    fn = pc.coalesce(users.column("function"), pa.array(functions, pa.string()))
    team = pc.coalesce(users.column("team"), pa.array(teams, pa.string()))
    users = users.set_column(users.schema.get_field_index("function"), "function", fn)
    return users.set_column(users.schema.get_field_index("team"), "team", team)
