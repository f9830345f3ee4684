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
    "adopted_achieved_rate": "Of this person's done requests carried out their way (a proposal accepted or "
                             "modified), the share whose result was achieved",
    "prescribed_achieved_rate": "Of this person's done requests carried out as prescribed (the ask kept, or no "
                                "proposal), the share whose result was achieved",
    "micromanagement_index": "From the CRM, no typing: step-by-step tasks for others, check-ins per assignment, "
                             "reassignments and overrides of a seller's deal fields (0 none, 100 most), with the "
                             "outcomes of the deals they touched",
    "manager_style": "From the CRM: what each manager does to others (tasks they create for them, edits of their "
                     "deals, deals moved), the micromanagement index of it, and the outcomes of the deals it touched",
    "tasks_n": "Tasks created for another person in the window (mass-created tasks left out)",
    "overrides_n": "Edits of a seller's deal by someone in its owner's management chain",
    "reassignments_n": "Deals moved from one owner to another",
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


PART_LABELS = {
    "steps": "instructions written as steps (share of steps + outcome asks)",
    "check_ins": "check-ins per assignment",
    "overrides": "overrides of their deal fields per deal touched",
    "reassignments": "reassignments per deal touched",
    "density": "assignments per deal touched",
}


def _parts(raw: Any) -> list[dict[str, Any]]:
    """``micromanagement_parts`` (a JSON object: per part its ``rate``, ``n``, ``contribution``)
    as rows in a fixed order, each with its plain-words label."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(raw, Mapping):
        return []
    order = [k for k in PART_LABELS if k in raw] + sorted(k for k in raw if k not in PART_LABELS)
    return [{"part": k, "label": PART_LABELS.get(k, k.replace("_", " ")),
             **({"rate": raw[k].get("rate"), "n": raw[k].get("n"), "contribution": raw[k].get("contribution")}
                if isinstance(raw[k], Mapping) else {"rate": raw[k], "n": None, "contribution": None})}
            for k in order]


def _side(style: Mapping[str, Any], side: str) -> dict[str, Any]:
    return {"win_rate": {"rate": style.get(f"{side}_win_rate"), "n": style.get(f"{side}_closed_n"),
                         "low": style.get(f"{side}_win_rate_low"), "high": style.get(f"{side}_win_rate_high"),
                         "reason": None},
            "cycle_days": style.get(f"{side}_cycle_days"), "cycle_days_n": style.get(f"{side}_cycle_days_n")}


def outcome(style: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The outcomes of the deals the style touched against the same sellers' other deals (a
    ``delegation_style`` row), or None when the results have no row."""
    if not style:
        return None
    return {"touched": _side(style, "touched"), "other": _side(style, "other"), "reason": style.get("outcome_reason")}


def micromanagement(row: Mapping[str, Any] | None, style: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """A ``reps`` row's (or a ``delegation_style`` row's) micromanagement index, its parts and
    sample, with the outcome comparison of ``style``; None when the results have no such column."""
    if row is None or "micromanagement_index" not in row:
        return None
    n = row.get("micromanagement_n") if "micromanagement_n" in row else row.get("signals_n")
    return {"index": row.get("micromanagement_index"), "n": n, "reason": row.get("micromanagement_reason"),
            "parts": _parts(row.get("micromanagement_parts")), "outcome": outcome(style)}


def _analytics(state: AppState, scope: Scope, user: UserPublic) -> dict[str, Any]:
    return jsonable(state.read(lambda ws: ws.requests(state.store).analytics(Actor(scope, user))))  # type: ignore[no-any-return]


def _results(state: AppState, scope: Scope, as_of: AsOf | None, viewer: str | None) -> dict[str, Any]:
    """The sellers' ``reps`` rows (what the figures need of them) and the ``delegation_style``
    rows of those sellers, their managers and the viewer, as ``scope`` sees them."""
    keep = ("user_id", "name", "team", "manager_id", *MICRO_COLUMNS)

    def read(ws: Any) -> dict[str, Any]:
        reader = ws.reader()
        reps = [{k: r[k] for k in keep if k in r} for r in reader.reps(scope)]
        people = {r["user_id"] for r in reps} | {r["manager_id"] for r in reps if r.get("manager_id")}
        people |= set(scope.user_ids or ()) | ({viewer} if viewer else set())
        styles = reader.delegation_style(sorted(people), scope) if hasattr(reader, "delegation_style") else []
        return jsonable({"reps": reps, "styles": styles})

    return state.cached_at(as_of, ("request-figures-results", scope, viewer), read)  # type: ignore[no-any-return]


def _style(styles: list[dict[str, Any]], user_id: str, role: str) -> dict[str, Any] | None:
    return next((s for s in styles if s.get("user_id") == user_id and s.get("role") == role), None)


def _people(analytics: Mapping[str, Any], group: str) -> dict[str, dict[str, Any]]:
    found = analytics.get(group)
    if isinstance(found, Mapping):
        return {str(k): dict(v) for k, v in found.items()}
    return {}


def team(state: AppState, scope: Scope, user: UserPublic, *, as_of: AsOf | None = None) -> dict[str, Any]:
    """Every requester and assignee the caller may see, with the sellers the results hold."""
    analytics = _analytics(state, scope, user)
    requesters, assignees = _people(analytics, "requesters"), _people(analytics, "assignees")
    found = _results(state, scope, as_of, user.crm_user_id)
    reps, styles = {r["user_id"]: r for r in found["reps"]}, found["styles"]
    rows = []
    for uid in sorted(set(reps) | set(requesters), key=lambda u: str((reps.get(u) or requesters[u]).get("name") or u)):
        rep, asked = reps.get(uid), requesters.get(uid) or {}
        rows.append({"user_id": uid, "name": (rep or {}).get("name") or asked.get("name") or uid,
                     "team": (rep or {}).get("team"), "seller_page": rep is not None,
                     "consultation_rate": _rate(asked, "consultation_rate") if asked else None,
                     "proposal_adoption_rate": _rate(asked, "proposal_adoption_rate") if asked else None,
                     "micromanagement": micromanagement(rep, _style(styles, uid, "received"))})
    managers = [{"user_id": st["user_id"], "name": st.get("name") or st["user_id"], "team": st.get("team"),
                 "function": st.get("function"), "tasks_n": st.get("tasks_n"), "overrides_n": st.get("overrides_n"),
                 "reassignments_n": st.get("reassignments_n"), "micromanagement": micromanagement(st, st)}
                for st in styles if st.get("role") == "exercised" and st.get("function") != "seller"]
    managers.sort(key=lambda m: (-(m["micromanagement"] or {}).get("index", 0) if (m["micromanagement"] or {}).get(
        "index") is not None else 1, str(m["name"])))
    support = [{"user_id": uid, "app_user_id": a.get("app_user_id"), "name": a.get("name") or uid,
                "adoption_rate": _rate(a, "adoption_rate"), "resourcefulness_credit": a.get("resourcefulness_credit"),
                "adopted_achieved_rate": _rate(a, "adopted_achieved_rate"),
                "prescribed_achieved_rate": _rate(a, "prescribed_achieved_rate"),
                "requests_n": a.get("requests_n")} for uid, a in sorted(assignees.items(), key=lambda kv: str(
                    kv[1].get("name") or kv[0]))]
    outcomes_in = analytics.get("outcomes") or {}
    outcomes = [{"approach": key, "label": label, "hint": hint,
                 "achieved": _rate(outcomes_in.get(key), "achieved_rate"),
                 "on_time": _rate(outcomes_in.get(key), "on_time_rate")}
                for key, label, hint in APPROACHES if outcomes_in.get(key) is not None]
    return {"requesters": rows, "managers": managers, "assignees": support, "outcomes": outcomes, "hints": HINTS,
            "min_decisions": analytics.get("min_decisions")}


def seller(state: AppState, scope: Scope, user: UserPublic, rep: Mapping[str, Any], *,
           as_of: AsOf | None = None) -> dict[str, Any]:
    """The seller page's section: this seller's consultation and adoption as a requester, and
    the micromanagement index of their ``reps`` row with the outcomes of the deals it touched
    (None when the results have none)."""
    uid = str(rep.get("user_id"))
    asked = _people(_analytics(state, scope, user), "requesters").get(uid)
    styles = _results(state, scope, as_of, user.crm_user_id)["styles"] if "micromanagement_index" in rep else []
    return {"consultation_rate": _rate(asked, "consultation_rate"),
            "proposal_adoption_rate": _rate(asked, "proposal_adoption_rate"),
            "micromanagement": micromanagement(rep, _style(styles, uid, "received")), "hints": HINTS}


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

