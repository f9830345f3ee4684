"""The figures of support requests on the pages (issue 15): the team view (/team/requests),
the seller page's section and the viewer's own line on the board.

Consultation, proposal adoption, resourcefulness credit and the outcomes of adopted proposals
against prescribed approaches come from the requests service (``analytics``, over the requests
the caller may see, computed by ``domain.requests``); the CRM-derived micromanagement index
comes from the ``reps`` result columns when the results have them (nothing is shown when they
do not). A rate on too few decisions is None with the reason, never a number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..domain.access import Scope
from ..domain.as_of import AsOf
from ..playbooks import Actor
from ..store import UserPublic
from .jsonable import jsonable
from .state import AppState

# one line each, shown on hover (title) beside every label
HINTS = {
    "consultation_rate": "Of this person's decisions on their requests, the share made after the assignee proposed "
                         "another way or replied 'as asked' (a chance to influence the decision)",
    "proposal_adoption_rate": "Of the decided requests where the assignee proposed another way, the share this "
                              "person accepted or took with changes",
    "assignee_adoption_rate": "Of this person's proposals of another way that were decided, the share the "
                              "requester accepted or took with changes",
    "resourcefulness_credit": "Requests where the way adopted differed from the original ask and the result was "
                              "achieved",
    "requests_n": "Requests assigned to this person that you may see",
    "micromanagement_index": "From the CRM, no typing: step-by-step tasks for others, check-ins per assignment, "
                             "reassignments and overrides of a seller's deal fields (0 none, 100 most), with the "
                             "outcomes of the deals they touched",
    "outcomes": "Done requests whose adopted way came from the support team (a proposal accepted or modified) "
                "against those done as prescribed (the original ask kept, or no proposal)",
    "achieved_rate": "Share of done requests whose result was achieved, with a 90% Wilson interval",
    "on_time_rate": "Share of done requests finished on or before the needed-by date, with a 90% Wilson interval",
}
MICRO_COLUMNS = ("micromanagement_index", "micromanagement_parts", "micromanagement_n", "micromanagement_reason")
APPROACHES = (("adopted", "Adopted proposals", "The support team's way: a proposal accepted or modified"),
              ("prescribed", "Prescribed approaches", "The original ask kept, or decided without a proposal"))


def _rate(d: Mapping[str, Any] | None, name: str, n_name: str | None = None) -> dict[str, Any] | None:
    """One rate as the pages show it: ``rate`` (0-1 or None), ``n``, ``low``/``high`` (the
    interval, when there is one) and ``reason`` (why there is no rate)."""
    if d is None:
        return None
    value = d.get(name)
    if isinstance(value, Mapping):
        return {"rate": value.get("rate"), "n": value.get("n"), "low": value.get("low"), "high": value.get("high"),
                "reason": value.get("reason")}
    if value is None and not any(k.startswith(name) for k in d):
        return None
    return {"rate": value, "n": d.get(n_name or f"{name}_n"), "low": d.get(f"{name}_low"),
            "high": d.get(f"{name}_high"), "reason": d.get(f"{name}_reason")}


def micromanagement(rep: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``reps`` row's micromanagement columns (None when the results have none)."""
    if rep is None or "micromanagement_index" not in rep:
        return None
    parts = rep.get("micromanagement_parts")
    if isinstance(parts, str):
        try:
            parts = json.loads(parts)
        except ValueError:
            parts = None
    if isinstance(parts, Mapping):
        parts = [{"label": str(k).replace("_", " "), "value": v, "n": None} for k, v in parts.items()]
    elif isinstance(parts, list):
        parts = [{"label": str(p.get("label") or p.get("part") or p.get("name") or "").replace("_", " "),
                  "value": p.get("value"), "n": p.get("n")} if isinstance(p, Mapping) else {"label": str(p), "value": "",
                                                                                             "n": None} for p in parts]
    return {"index": rep.get("micromanagement_index"), "n": rep.get("micromanagement_n"),
            "reason": rep.get("micromanagement_reason"), "parts": parts or []}


def _analytics(state: AppState, scope: Scope, user: UserPublic) -> dict[str, Any]:
    return jsonable(state.read(lambda ws: ws.requests(state.store).analytics(Actor(scope, user))))  # type: ignore[no-any-return]


def _reps(state: AppState, scope: Scope, as_of: AsOf | None) -> list[dict[str, Any]]:
    keep = ("user_id", "name", "team", *MICRO_COLUMNS)
    return state.cached_at(as_of, ("request-figures-reps", scope), lambda ws: jsonable(
        [{k: r[k] for k in keep if k in r} for r in ws.reader().reps(scope)]))


def _people(analytics: Mapping[str, Any], group: str) -> dict[str, dict[str, Any]]:
    found = analytics.get(group)
    if isinstance(found, Mapping):
        return {str(k): dict(v) for k, v in found.items()}
    return {}


def team(state: AppState, scope: Scope, user: UserPublic, *, as_of: AsOf | None = None) -> dict[str, Any]:
    """Every requester and assignee the caller may see, with the sellers the results hold."""
    analytics = _analytics(state, scope, user)
    requesters, assignees = _people(analytics, "requesters"), _people(analytics, "assignees")
    reps = {r["user_id"]: r for r in _reps(state, scope, as_of)}
    rows = []
    for uid in sorted(set(reps) | set(requesters), key=lambda u: str((reps.get(u) or requesters[u]).get("name") or u)):
        rep, asked = reps.get(uid), requesters.get(uid) or {}
        rows.append({"user_id": uid, "name": (rep or {}).get("name") or asked.get("name") or uid,
                     "team": (rep or {}).get("team"), "seller_page": rep is not None,
                     "consultation_rate": _rate(asked, "consultation_rate") if asked else None,
                     "proposal_adoption_rate": _rate(asked, "proposal_adoption_rate") if asked else None,
                     "micromanagement": micromanagement(rep)})
    support = [{"user_id": uid, "app_user_id": a.get("app_user_id"), "name": a.get("name") or uid,
                "adoption_rate": _rate(a, "adoption_rate"), "resourcefulness_credit": a.get("resourcefulness_credit"),
                "requests_n": a.get("requests_n")} for uid, a in sorted(assignees.items(), key=lambda kv: str(
                    kv[1].get("name") or kv[0]))]
    outcomes_in = analytics.get("outcomes") or {}
    outcomes = [{"approach": key, "label": label, "hint": hint,
                 "achieved": _rate(outcomes_in.get(key), "achieved_rate"),
                 "on_time": _rate(outcomes_in.get(key), "on_time_rate")}
                for key, label, hint in APPROACHES if outcomes_in.get(key) is not None]
    return {"requesters": rows, "assignees": support, "outcomes": outcomes, "hints": HINTS,
            "min_decisions": analytics.get("min_decisions")}


def seller(state: AppState, scope: Scope, user: UserPublic, rep: Mapping[str, Any]) -> dict[str, Any]:
    """The seller page's section: this seller's consultation and adoption as a requester, and
    the micromanagement index of their ``reps`` row (None when the results have none)."""
    asked = _people(_analytics(state, scope, user), "requesters").get(str(rep.get("user_id")))
    return {"consultation_rate": _rate(asked, "consultation_rate"),
            "proposal_adoption_rate": _rate(asked, "proposal_adoption_rate"),
            "micromanagement": micromanagement(rep), "hints": HINTS}


def own(state: AppState, scope: Scope, user: UserPublic) -> dict[str, Any] | None:
    """The viewer's own line on the board: as a requester, or (support) as an assignee."""
    analytics = _analytics(state, scope, user)
    if user.role == "support":
        mine = next((a for uid, a in _people(analytics, "assignees").items()
                     if a.get("app_user_id") == user.id or (user.crm_user_id and uid == user.crm_user_id)), None)
        return None if mine is None else {"role": "assignee", "adoption_rate": _rate(mine, "adoption_rate"),
                                          "resourcefulness_credit": mine.get("resourcefulness_credit"), "hints": HINTS}
    asked = _people(analytics, "requesters").get(user.crm_user_id or "")
    return None if asked is None else {"role": "requester", "consultation_rate": _rate(asked, "consultation_rate"),
                                       "proposal_adoption_rate": _rate(asked, "proposal_adoption_rate"), "hints": HINTS}

