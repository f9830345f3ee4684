"""The selling organisation: sales VPs, team managers, sellers (with their hidden
archetype), the support desk, and the role hierarchy that ties them together."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .ids import make_ids
from .titles import pick_names

ARCHETYPES = ("leading", "busy", "slow", "at_risk", "tender")
LEADING, BUSY, SLOW, AT_RISK, TENDER = range(5)
#: Sellers per archetype out of 40 at scale 1.
ARCHETYPE_MIX = np.array([9, 9, 9, 9, 4], dtype=np.float64)

REGIONS = ("NA East", "NA West", "EMEA", "LATAM", "Iberia")
SPANISH_REGIONS = (3, 4)

# Support desk members in hiring order: (kind, Title, Department).
_DESK = (
    ("pricing", "Pricing Analyst", "Pricing Desk"),
    ("sales_engineer", "Sales Engineer", "Sales Engineering"),
    ("support", "Customer Support Specialist", "Customer Support"),
    ("legal", "Contracts Counsel", "Legal"),
    ("sales_engineer", "Senior Sales Engineer", "Sales Engineering"),
    ("pricing", "Deal Desk Manager", "Pricing Desk"),
    ("support", "Customer Support Specialist", "Customer Support"),
    ("sales_engineer", "Solutions Consultant", "Sales Engineering"),
)

COMPANY_DOMAIN = "altavia-systems.com"


@dataclass(frozen=True)
class SalesOrg:
    """Users as parallel arrays (one row per user) plus which rows are what."""

    user_id: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    title: np.ndarray
    department: np.ndarray
    role_index: np.ndarray  # row in the role arrays
    manager_index: np.ndarray  # row of the manager, -1 for none
    team: np.ndarray  # team number, -1 for none
    role_id: np.ndarray
    role_name: np.ndarray
    role_parent: np.ndarray  # row of the parent role, -1 for the top
    sellers: np.ndarray  # user rows of sellers
    seller_archetype: np.ndarray  # archetype code per seller (same order as ``sellers``)
    seller_team: np.ndarray
    team_region: np.ndarray  # region code per team
    support_agents: np.ndarray  # user rows of customer-support users (own cases)
    sales_engineers: np.ndarray
    legal: np.ndarray
    pricing: np.ndarray


def archetype_counts(n_sellers: int) -> np.ndarray:
    """Sellers per archetype for a sales force of ``n_sellers`` (at least one of each)."""
    counts = np.maximum(1, np.round(ARCHETYPE_MIX * n_sellers / ARCHETYPE_MIX.sum())).astype(
        np.int64
    )
    while counts.sum() > n_sellers:
        counts[int(np.argmax(counts[:4]))] -= 1
    while counts.sum() < n_sellers:
        counts[int(np.argmin(counts[:4]))] += 1
    return counts


def _ascii(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text)
        .encode("ascii", "ignore")
        .decode()
        .replace("'", "")
        .lower()
    )


def build_sales_org(rng: np.random.Generator, scale: float) -> SalesOrg:
    """Build the organisation for ``scale`` (1.0: 40 sellers in 5 teams, 8 on the desk)."""
    n_sellers = max(10, int(round(40 * scale)))
    n_teams = max(len(REGIONS), int(round(5 * scale)))  # every region is covered at any scale
    n_vps = max(1, int(round(n_teams / 5)))
    n_desk = max(4, int(round(8 * scale)))

    archetype = np.repeat(np.arange(5), archetype_counts(n_sellers))
    seller_team = np.arange(n_sellers) % n_teams
    team_region = np.arange(n_teams) % len(REGIONS)
    team_names = [
        REGIONS[r] + ("" if t < len(REGIONS) else f" {t // len(REGIONS) + 1}")
        for t, r in enumerate(team_region)
    ]

    # Roles: Executive > VP Sales > team managers > team reps; desk roles under VP Sales.
    role_name = ["Executive", "VP Sales", "Sales Support", "Customer Support", "Sales Operations"]
    role_parent = [-1, 0, 1, 0, 1]
    manager_role = []
    rep_role = []
    for name in team_names:
        manager_role.append(len(role_name))
        role_name.append(f"{name} Sales Manager")
        role_parent.append(1)
        rep_role.append(len(role_name))
        role_name.append(f"{name} Account Executive")
        role_parent.append(manager_role[-1])

    kind: list[str] = []
    title: list[str] = []
    dept: list[str] = []
    role: list[int] = []
    manager: list[int] = []
    team: list[int] = []
    for v in range(n_vps):
        kind.append("vp"), title.append("VP of Sales" if v == 0 else "Regional VP of Sales")
        dept.append("Sales"), role.append(1), manager.append(-1 if v == 0 else 0), team.append(-1)
    manager_rows = []
    for t in range(n_teams):
        manager_rows.append(len(kind))
        kind.append("manager"), title.append("Regional Sales Manager"), dept.append("Sales")
        role.append(manager_role[t]), manager.append(t % n_vps), team.append(t)
    seller_rows = []
    for s in range(n_sellers):
        seller_rows.append(len(kind))
        t = int(seller_team[s])
        (
            kind.append("seller"),
            title.append("Account Executive" if s % 3 else "Senior Account Executive"),
        )
        (
            dept.append("Sales"),
            role.append(rep_role[t]),
            manager.append(manager_rows[t]),
            team.append(t),
        )
    for d in range(n_desk):
        k, ti, de = _DESK[d % len(_DESK)]
        kind.append(k), title.append(ti), dept.append(de)
        role.append(3 if k == "support" else 2), manager.append(0), team.append(-1)
    kind.append("admin"), title.append("Salesforce Administrator"), dept.append("Sales Operations")
    role.append(4), manager.append(0), team.append(-1)

    n_users = len(kind)
    user_team = np.array(team)
    spanish = np.isin(
        np.where(user_team >= 0, team_region[np.maximum(user_team, 0)], 0), SPANISH_REGIONS
    )
    spanish &= user_team >= 0
    first, last, _ = pick_names(rng, spanish)
    seen: dict[str, int] = {}
    addresses = []
    for f, la in zip(first, last, strict=True):
        local = f"{_ascii(f)}.{_ascii(la)}"
        seen[local] = seen.get(local, 0) + 1
        addresses.append(f"{local}{seen[local] if seen[local] > 1 else ''}@{COMPANY_DOMAIN}")
    emails = np.array(addresses, dtype=object)
    kinds = np.array(kind)
    return SalesOrg(
        user_id=make_ids("User", n_users, 1_000 + int(rng.integers(0, 50_000))),
        first_name=first,
        last_name=last,
        email=emails,
        title=np.array(title, dtype=object),
        department=np.array(dept, dtype=object),
        role_index=np.array(role),
        manager_index=np.array(manager),
        team=user_team,
        role_id=make_ids("UserRole", len(role_name), 300 + int(rng.integers(0, 5_000))),
        role_name=np.array(role_name, dtype=object),
        role_parent=np.array(role_parent),
        sellers=np.array(seller_rows),
        seller_archetype=archetype,
        seller_team=seller_team,
        team_region=team_region,
        support_agents=np.flatnonzero(kinds == "support"),
        sales_engineers=np.flatnonzero(kinds == "sales_engineer"),
        legal=np.flatnonzero(kinds == "legal"),
        pricing=np.flatnonzero(kinds == "pricing"),
    )
