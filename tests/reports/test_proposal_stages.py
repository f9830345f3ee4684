"""Proposals are read in the org's own stages: a Spanish org's "Diseño Propuesta" is one."""

from __future__ import annotations

from datetime import date

from accountleader.domain import actions as act
from accountleader.reports.data import proposal_stages

SPANISH = {"stages": [
    {"stage": "Interés", "sort_order": 1, "is_closed": False, "is_quote_stage": False},
    {"stage": "Diseño Propuesta", "sort_order": 2, "is_closed": False, "is_quote_stage": True},
    {"stage": "Negociación", "sort_order": 3, "is_closed": False, "is_quote_stage": False},
    {"stage": "Firmas", "sort_order": 4, "is_closed": False, "is_quote_stage": False},
    {"stage": "Cerrada Ganada", "sort_order": 5, "is_closed": True, "is_quote_stage": False},
]}


def test_quote_stage_and_the_open_stages_after_it_are_proposals() -> None:
    assert proposal_stages(SPANISH, ["Proposal"]) == ("Diseño Propuesta", "Negociación", "Firmas")
    # nothing known about stages: the configured names stand
    assert proposal_stages({"stages": []}, ["Proposal"]) == ("Proposal",)


def test_line_up_support_fires_on_a_spanish_proposal() -> None:
    deal = {"opportunity_id": "O1", "account_id": "A1", "stage": "Negociación", "amount": 50_000.0, "is_closed": False,
            "contacts_engaged": 3, "has_decision_maker": True, "roles_engaged": ["decision_maker", "user"]}
    accounts = {"A1": {"name": "Acme", "fit_tier": "A"}}
    english = act.ActionContext(as_of=date(2024, 6, 30))
    spanish = act.ActionContext(as_of=date(2024, 6, 30), proposal_stages=proposal_stages(SPANISH, []))
    assert act.line_up_support([deal], accounts, english) == []
    found = act.line_up_support([deal], accounts, spanish)
    assert len(found) == 1 and "no champion" in found[0].reason
