"""scenarios.yaml (domain/scenarios.py): read, checked with file/line/field/value, written back, versioned."""

from __future__ import annotations

from datetime import date

import pytest

from accountleader.domain.scenarios import ScenarioFile, StaleEdit, parse, scenario
from accountleader.errors import InputError, NotFoundError

GOOD = """\
version: 4
scenarios:
  - name: Acme champion leaves
    owner: maria
    kind: champion_leaves
    account: Acme Corp
  - name: Retail freeze
    owner: john
    kind: budget_freeze
    industry: Retail
    months: 3
    start: 2026-10-01
    note: the retail budget review
  - name: Competitor in finance
    owner: maria
    kind: competitor_enters
    industry: Finance
    factor: 0.5
"""


def test_a_good_file_reads_with_defaults_and_writes_back_the_same() -> None:
    doc = parse(GOOD)
    assert doc.version == 4 and doc.names() == ["Acme champion leaves", "Retail freeze", "Competitor in finance"]
    champion = doc.get("acme CHAMPION leaves")
    assert champion.params == {"account": "Acme Corp", "role": "champion", "factor": 0.6}
    assert doc.get("Retail freeze").params["start"] == date(2026, 10, 1)
    assert doc.get("Retail freeze").note == "the retail budget review"
    assert parse(doc.dump()) == doc


def test_an_empty_or_missing_file_has_no_scenarios() -> None:
    assert parse("") == ScenarioFile() == parse("# nothing yet\n")


@pytest.mark.parametrize(("text", "line", "column", "value", "reason"), [
    (GOOD.replace("kind: budget_freeze", "kind: budget_frozen"), 9, "kind", "budget_frozen", "unknown kind"),
    (GOOD.replace("factor: 0.5", "factor: 1.5"), 18, "factor", "1.5", "between 0 and 1"),
    (GOOD.replace("months: 3", "months: three"), 11, "months", "three", "whole number"),
    (GOOD.replace("start: 2026-10-01", "start: next week"), 12, "start", "next week", "a date"),
    (GOOD.replace("    owner: john\n", ""), 7, "owner", None, "owner is required"),
    (GOOD.replace("account: Acme Corp", "account: Acme Corp\n    months: 2"), 7, "months", "2", "takes no 'months'"),
    (GOOD.replace("Competitor in finance", "Retail freeze"), 14, "name", "Retail freeze", "another scenario"),
    (GOOD.replace("version: 4", "version: -1"), 1, "version", "-1", "whole number"),
    (GOOD.replace("  - name: Retail freeze", "  - name: [Retail"), 8, None, None, "not valid YAML"),
])
def test_a_bad_file_names_the_file_line_field_and_value(text: str, line: int, column: str | None,
                                                          value: str | None, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(text, file="/ws/scenarios.yaml")
    exc = caught.value
    assert (exc.file, exc.line, exc.column, exc.value) == ("/ws/scenarios.yaml", line, column, value)
    assert reason in str(exc) and str(exc).startswith(f"/ws/scenarios.yaml, line {line}")


def test_a_competitor_must_say_which_deals_it_contests() -> None:
    with pytest.raises(InputError, match="an industry, a product or an account"):
        scenario({"name": "x", "owner": "y", "kind": "competitor_enters", "factor": 0.5})


def test_each_edit_makes_a_new_version_and_a_stale_one_is_refused() -> None:
    doc = parse(GOOD)
    slip = scenario({"name": "Everything slips", "owner": "ana", "kind": "general_slip", "days": 30})
    added = doc.with_scenario(slip)
    assert added.version == 5 and added.names()[-1] == "Everything slips"
    changed = added.with_scenario(scenario({**slip.as_dict(), "days": 60}), replacing="everything slips")
    assert changed.version == 6 and changed.get("Everything slips").params == {"days": 60}
    assert changed.without("Retail freeze").names() == ["Acme champion leaves", "Competitor in finance",
                                                       "Everything slips"]
    changed.check_version(6)
    with pytest.raises(StaleEdit, match="you edited version 5, now version 6"):
        changed.check_version(5)
    with pytest.raises(InputError, match="already exists"):
        doc.with_scenario(scenario({**slip.as_dict(), "name": "retail FREEZE"}))
    with pytest.raises(NotFoundError, match="no scenario named 'Nope'"):
        doc.without("Nope")
