"""Support requests of the demo company (issue 15): who asked the support team for what, what the
support users proposed, what the requesters decided and how it turned out.

Requests live in the app database, not the CRM export, so this module only plans them (pure,
from its own random stream ``random.Random(f"{seed}-request-plants")``, so nothing else of the
demo changes); the workspace writes the plan (``Workspace.seed_demo_requests``).

The plants, recorded in :class:`RequestTruth`:

* **resourceful** support users: they mostly propose another way, their requesters mostly take
  it (accept or modify), and the adopted ways achieve the result (and on time) far more often
  than the approaches prescribed to them (the ask kept, or an "as asked" reply);
* **overruled** support users: they propose another way as often, but their requesters keep the
  original ask nearly every time; outcomes are ordinary.

Every other support user gets a few requests answered "as asked". No request is of kind
``quote``: quote requests feed the CRM's quote turnaround (issue 15, H3), which the demo's
planted quote behaviour must keep.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

KINDS = ("pricing", "engineering", "legal", "delivery")
OUTCOMES = {
    "pricing": ("A price the buyer's CFO signs within budget this quarter",
                "A renewal price that keeps the account above 30% margin"),
    "engineering": ("A proof of concept the buyer's IT lead signs off",
                    "An integration plan the buyer's architect accepts"),
    "legal": ("A contract the buyer's counsel accepts without a second round",
              "A data-processing agreement the buyer's DPO approves"),
    "delivery": ("A go-live date the buyer's operations team commits to",
                 "A rollout plan that fits the buyer's freeze window"),
}
PROPOSALS = ("Offer a two-year term at list instead of a discount", "Run the pilot on their sandbox, not ours",
             "Use our standard terms with one rider", "Phase the rollout by region")
RATIONALES = ("It worked on three similar deals this year", "The buyer's team asked for it in the last call",
              "It removes the step that delayed the last two deals")
#: requests per planted support user, per 1.0 of scale (at least MIN_REQUESTS)
REQUESTS_PER_PLANT, MIN_REQUESTS = 24, 20
MAX_REQUESTERS = 8
TRUTH_FILE = "request-truth.json"


@dataclass(frozen=True)
class PlannedRequest:
    """One request as it happened: CRM user ids of the requester and the assignee, and the
    times of each step (None: that step did not happen)."""

    requester: str
    assignee: str
    kind: str
    outcome: str
    needed_by: date
    created_at: datetime
    opportunity_id: str | None
    constraints: str | None = None
    reply: str | None = None  # another_way | as_asked | None (decided without an answer)
    proposal: str | None = None
    rationale: str | None = None
    proposed_at: datetime | None = None
    decision: str | None = None  # accept | modify | keep
    decision_note: str | None = None
    decided_at: datetime | None = None
    done_at: datetime | None = None
    achieved: bool | None = None
    quality_note: str | None = None


@dataclass(frozen=True)
class RequestTruth:
    """What the planted requests hide (CRM user ids). Exposed to tests, never printed to users."""

    resourceful_support_users: frozenset[str]
    overruled_support_users: frozenset[str]

    def to_json(self) -> str:
        return json.dumps({"resourceful_support_users": sorted(self.resourceful_support_users),
                           "overruled_support_users": sorted(self.overruled_support_users)}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RequestTruth:
        data = json.loads(text)
        return cls(frozenset(data["resourceful_support_users"]), frozenset(data["overruled_support_users"]))


def plan_requests(seed: int, *, support: list[str], requesters: list[str], deals: dict[str, list[str]],
                  as_of: datetime, scale: float = 1.0) -> tuple[list[PlannedRequest], RequestTruth]:
    """The demo's requests: ``support`` the support users' CRM ids, ``requesters`` the sellers'
    and managers', ``deals`` each requester's open or recent deals. Needs at least four
    support users and one requester; otherwise plants nothing."""
    rng = random.Random(f"{seed}-request-plants")
    people = sorted(support)
    if len(people) < 4 or not requesters:
        return [], RequestTruth(frozenset(), frozenset())
    rng.shuffle(people)
    resourceful, overruled, others = people[:2], people[2:4], people[4:]
    n = max(MIN_REQUESTS, round(REQUESTS_PER_PLANT * scale))
    planned: list[PlannedRequest] = []
    # a few sellers ask (each with enough decisions for their own rates), not every seller once
    asked = sorted(rng.sample(sorted(requesters), min(MAX_REQUESTERS, len(requesters))))
    for assignee in resourceful:
        planned += [_one(rng, assignee, asked, deals, as_of, style="resourceful", i=i) for i in range(n)]
    for assignee in overruled:
        planned += [_one(rng, assignee, asked, deals, as_of, style="overruled", i=i) for i in range(n)]
    for assignee in others:
        planned += [_one(rng, assignee, asked, deals, as_of, style="plain", i=i) for i in range(3)]
    planned.sort(key=lambda p: (p.created_at, p.assignee))
    return planned, RequestTruth(frozenset(resourceful), frozenset(overruled))


def _one(rng: random.Random, assignee: str, requesters: list[str], deals: dict[str, list[str]], as_of: datetime,
         *, style: str, i: int) -> PlannedRequest:
    requester = rng.choice(requesters)
    kind = rng.choice(KINDS)
    created = as_of - timedelta(days=rng.randint(20, 170), hours=rng.randint(0, 8))
    needed = (created + timedelta(days=rng.randint(7, 21))).date()
    theirs = deals.get(requester) or []
    base = PlannedRequest(requester=requester, assignee=assignee, kind=kind, outcome=rng.choice(OUTCOMES[kind]),
                          needed_by=needed, created_at=created,
                          opportunity_id=rng.choice(theirs) if theirs and rng.random() < 0.8 else None,
                          constraints=rng.choice((None, "No discount above 15%", "Within the current contract")))
    proposed_at = created + timedelta(hours=rng.randint(4, 48))
    decided_at = proposed_at + timedelta(hours=rng.randint(2, 36))
    # the way chosen: the assignee's (adopted) or the ask's (prescribed), by a fixed pattern over
    # the user's requests so the planted shares hold at every scale
    if style == "resourceful":
        other = i % 4 != 3  # three in four answered with another way ...
        adopted = other and i % 5 != 4  # ... and most of those taken
    elif style == "overruled":
        other = i % 8 != 7
        adopted = other and i % 10 == 0  # nearly all kept
    else:
        other, adopted = False, False
    if not other and rng.random() < 0.5:  # decided without waiting for an answer
        reply, proposal, rationale, proposed = None, None, None, None
        decided_at = created + timedelta(hours=rng.randint(1, 24))
    elif other:
        reply, proposal, rationale, proposed = "another_way", rng.choice(PROPOSALS), rng.choice(RATIONALES), proposed_at
    else:
        reply, proposal, rationale, proposed = "as_asked", None, None, proposed_at
    if adopted:
        decision = rng.choice(("accept", "accept", "modify"))
    else:
        decision = "accept" if reply == "as_asked" else "keep"
    note = "Keep the price floor we agreed" if decision == "modify" else None
    # how it turned out: the resourceful users' adopted ways beat what was prescribed to them
    if adopted and style == "resourceful":
        achieved, on_time = i % 6 != 5, i % 7 != 6
    elif style == "resourceful":
        achieved, on_time = i % 2 == 0, i % 3 == 0
    else:
        achieved, on_time = i % 3 != 2, i % 4 != 3
    open_still = style == "plain" and rng.random() < 0.3  # a few are still being worked on
    last = datetime.combine(needed, datetime.min.time(), tzinfo=created.tzinfo)
    done_at = (last + timedelta(hours=rng.randint(1, 20)) if on_time
               else last + timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 20)))
    done_at = max(done_at, decided_at + timedelta(hours=1)) if on_time else done_at
    if on_time and done_at.date() > needed:  # decided late in the day: finish the same day
        done_at = decided_at + timedelta(minutes=30)
    return PlannedRequest(
        **{**base.__dict__, "reply": reply, "proposal": proposal, "rationale": rationale, "proposed_at": proposed,
           "decision": decision, "decision_note": note, "decided_at": decided_at,
           "done_at": None if open_still else done_at, "achieved": None if open_still else achieved,
           "quality_note": None if open_still else ("Signed as planned" if achieved else "Buyer walked away")})
