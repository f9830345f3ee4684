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

    def filter_owned(self, table: ir.Table, owner_column: str = "owner_id", account_column: str | None = "account_id") -> ir.Table:
        """Rows owned by a visible seller, or (support) on an assigned account."""
        if self.user_ids is None:
            return table
        import ibis  # the CLI loads this module for role names; Ibis only when a table is filtered

        cond = table[owner_column].isin(sorted(self.user_ids)) if self.user_ids else ibis.literal(False)
        if self.account_ids and account_column is not None:
            cond = cond | table[account_column].isin(sorted(self.account_ids))
        return table.filter(cond)


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
