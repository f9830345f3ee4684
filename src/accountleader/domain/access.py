"""Who may see what: a scope applied as a filter where data is read.

Roles:
* ``admin`` sees everything.
* ``manager`` sees their team, recursively down the manager tree.
* ``rep`` sees their own accounts and opportunities, plus team aggregates.
* ``support`` sees what is assigned to them (cases they own, accounts of those cases).

Front ends never decide visibility; they pass a Scope to the workspace, which
filters its queries with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..errors import NotFoundError

if TYPE_CHECKING:
    import ibis.expr.types as ir

Role = Literal["admin", "manager", "rep", "support"]
ROLES: tuple[Role, ...] = ("admin", "manager", "rep", "support")


@dataclass(frozen=True)
class Scope:
    role: Role
    crm_user_id: str | None = None
    # Sellers whose records are visible; None means everyone (admin).
    user_ids: frozenset[str] | None = None
    # Accounts visible through assignment (support); None means "by owner only".
    account_ids: frozenset[str] | None = None
    # Team names whose aggregates are visible; None means all.
    teams: frozenset[str] | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role == "admin"

    def can_see_user(self, user_id: str | None) -> bool:
        return self.user_ids is None or (user_id is not None and user_id in self.user_ids)

    def can_see_team(self, team: str | None) -> bool:
        return self.teams is None or (team is not None and team in self.teams)

    def owns(self, table: ir.Table, owner_column: str = "owner_id", account_column: str | None = "account_id") -> ir.BooleanValue | None:
        """The condition "owned by a visible seller, or (support) on an assigned account";
        None when every row is visible."""
        if self.user_ids is None:
            return None
        import ibis  # the CLI loads this module for role names; Ibis only when a table is filtered

        cond = table[owner_column].isin(sorted(self.user_ids)) if self.user_ids else ibis.literal(False)
        if self.account_ids and account_column is not None:
            cond = cond | table[account_column].isin(sorted(self.account_ids))
        return cond

    def filter_owned(self, table: ir.Table, owner_column: str = "owner_id", account_column: str | None = "account_id") -> ir.Table:
        """Rows owned by a visible seller, or (support) on an assigned account."""
        cond = self.owns(table, owner_column, account_column)
        return table if cond is None else table.filter(cond)


EVERYONE = Scope("admin")


def reports_under(manager_id: str, edges: Iterable[tuple[str, str | None]]) -> frozenset[str]:
    """Everyone below ``manager_id`` in the manager tree, and the manager themself."""
    children: dict[str, list[str]] = {}
    for user, boss in edges:
        if boss:
            children.setdefault(boss, []).append(user)
    seen = {manager_id}
    stack = [manager_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return frozenset(seen)


def scope_of(
    role: str,
    crm_user_id: str | None,
    users: Iterable[tuple[str, str | None, str | None]],
    case_accounts: Iterable[str | None] = (),
) -> Scope:
    """The scope of a person with ``role`` linked to CRM user ``crm_user_id``.

    ``users`` are (user_id, manager_id, team) rows of the CRM users; ``case_accounts`` the
    accounts of the cases a support person owns (only read for ``support``).  Raises
    NotFoundError for an unknown role.
    """
    if role == "admin":
        return EVERYONE
    rows = list(users)
    if role == "manager":
        if not crm_user_id:
            return Scope("manager", None, frozenset(), None, frozenset())
        ids = reports_under(crm_user_id, ((u, m) for u, m, _ in rows))
        return Scope("manager", crm_user_id, ids, None, frozenset(t for u, _, t in rows if u in ids and t is not None))
    if role == "rep":
        own = frozenset(t for u, _, t in rows if u == crm_user_id and t is not None)
        return Scope("rep", crm_user_id, frozenset({crm_user_id}) if crm_user_id else frozenset(), None, own)
    if role == "support":
        return Scope("support", crm_user_id, frozenset(), frozenset(a for a in case_accounts if a is not None), frozenset())
    raise NotFoundError(f"unknown role {role!r}")
