"""Whole result lists read straight from the results file (issue 12, fast start) are the rows the
Ibis reads give, in the same order: ties, nulls, NaN, JSON list columns and timestamps included.
Filtered and scoped reads, and a missing file, still go through Ibis."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ibis
import pyarrow as pa
import pytest

from accountleader.domain.access import EVERYONE, Scope
from accountleader.domain.as_of import AsOf
from accountleader.engine import connect, storage
from accountleader.errors import InputError, WorkspaceCorrupt
from accountleader.results_reader import LIST_ORDER, ResultsReader

AS_OF = AsOf.of("2026-09-30T23:59:59")
T = datetime.fromisoformat
NAN = math.nan


def _tables() -> dict[str, pa.Table]:
    return {
        "reps": pa.Table.from_pylist([
            # ties on efficiency + effectiveness (150) are ordered by name; nulls and NaN sort last
            {"user_id": "u1", "name": "Cleo", "team": "East", "efficiency_index": 80.0, "effectiveness_index": 70.0, "won_n": 3},
            {"user_id": "u2", "name": "Abe", "team": "West", "efficiency_index": 90.0, "effectiveness_index": 60.0, "won_n": None},
            {"user_id": "u3", "name": "Bea", "team": "West", "efficiency_index": None, "effectiveness_index": 60.0, "won_n": 1},
            {"user_id": "u4", "name": "Dan", "team": "East", "efficiency_index": NAN, "effectiveness_index": 10.0, "won_n": 0},
            {"user_id": "u5", "name": "Eve", "team": "East", "efficiency_index": 10.0, "effectiveness_index": 5.0, "won_n": 2},
        ]),
        "teams": pa.Table.from_pylist([{"team": "West", "sellers_n": 2}, {"team": "East", "sellers_n": 3}, {"team": None, "sellers_n": 0}]),
        "account_results": pa.Table.from_pylist([
            {"account_id": "a2", "owner_id": "u2", "name": "Beta", "change_index": 50.0, "fit_reasons": '["big"]', "created_at": T("2026-01-02T03:04:05")},
            {"account_id": "a1", "owner_id": "u1", "name": "Acme", "change_index": 50.0, "fit_reasons": None, "created_at": None},
            {"account_id": "a3", "owner_id": "u1", "name": "Gamma", "change_index": None, "fit_reasons": "[]", "created_at": T("2025-12-31T00:00:00")},
        ]),
        "opportunity_results": pa.Table.from_pylist([
            {"opportunity_id": "o1", "account_id": "a1", "owner_id": "u1", "amount": 100.0, "is_closed": True, "roles_engaged": '["champion"]'},
            {"opportunity_id": "o2", "account_id": "a2", "owner_id": "u2", "amount": 300.0, "is_closed": False, "roles_engaged": None},
            {"opportunity_id": "o3", "account_id": "a3", "owner_id": "u2", "amount": None, "is_closed": False, "roles_engaged": "[]"},
            {"opportunity_id": "o0", "account_id": "a3", "owner_id": "u1", "amount": 300.0, "is_closed": False, "roles_engaged": "[]"},
        ]),
    }


USERS = pa.Table.from_pylist([
    {"user_id": "u1", "name": "Cleo", "team": "East", "function": "seller", "manager_id": None},
    {"user_id": "u2", "name": "Abe", "team": "West", "function": "seller", "manager_id": None},
    {"user_id": "u3", "name": "Bea", "team": "West", "function": "seller", "manager_id": None},
    {"user_id": "u4", "name": "Dan", "team": "East", "function": "seller", "manager_id": None},
    {"user_id": "u5", "name": "Eve", "team": "East", "function": "seller", "manager_id": None},
])


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.duckdb"
    storage.write_results(path, _tables(), {"summary": {"as_of": AS_OF.iso(), "fit": {}}}, AS_OF, current=True, keep=3)
    return path


@pytest.fixture
def ibis_reader(results_file: Path) -> ResultsReader:
    con = connect.connect_duckdb(results_file)
    users = ibis.memtable(USERS)
    reader = ResultsReader(results=con.table, tables=lambda name: users, analysis_tables=dict,
                           summary=lambda: SimpleNamespace(as_of="from the Ibis side", fit={}))
    yield reader
    connect.disconnect(con)


LISTS = {"reps": "reps", "teams": "teams", "accounts": "account_results", "opportunities": "opportunity_results"}


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    # NaN != NaN: compare the JSON the CLI prints
    return json.dumps(a, default=str) == json.dumps(b, default=str)


@pytest.mark.parametrize("what", sorted(LISTS))
def test_a_whole_list_read_from_the_file_is_the_ibis_read(what: str, ibis_reader: ResultsReader, results_file: Path) -> None:
    straight = ibis_reader.with_results_file(results_file)
    got = getattr(straight, what)()
    want = getattr(ibis_reader, what)()
    assert _same(got, want), (got, want)
    assert len(got) == len(_tables()[LISTS[what]])


def test_the_orders_are_the_ones_ibis_compiles(ibis_reader: ResultsReader, results_file: Path) -> None:
    # the lists' ORDER BY, as Ibis compiles the reader's order_by (the equality above also checks it)
    con = connect.connect_duckdb(results_file)
    try:
        r, t = con.table("reps"), con.table("teams")
        a, o = con.table("account_results"), con.table("opportunity_results")
        exprs = {
            "reps": r.order_by([ibis.desc(r.efficiency_index + r.effectiveness_index), "name"]),
            "teams": t.order_by("team"),
            "account_results": a.order_by([ibis.desc(a.change_index), "account_id"]),
            "opportunity_results": o.order_by([o.is_closed, ibis.desc(o.amount), "opportunity_id"]),
        }
        for name, expr in exprs.items():
            sql = " ".join(ibis.to_sql(expr, dialect="duckdb").split())
            assert sql.replace('"t0".', "").endswith("ORDER BY " + LIST_ORDER[name]), (name, sql)
    finally:
        connect.disconnect(con)


def test_the_as_of_comes_from_the_file(ibis_reader: ResultsReader, results_file: Path) -> None:
    assert ibis_reader.with_results_file(results_file).as_of == AS_OF.iso()
    assert ibis_reader.as_of == "from the Ibis side"


def test_filtered_and_scoped_reads_go_through_ibis(ibis_reader: ResultsReader, results_file: Path) -> None:
    straight = ibis_reader.with_results_file(results_file)
    assert [r["user_id"] for r in straight.reps(team="West")] == [r["user_id"] for r in ibis_reader.reps(team="West")] == ["u2", "u3"]
    assert [r["user_id"] for r in straight.reps(rep="abe")] == ["u2"]
    mine = Scope("rep", user_ids=frozenset({"u1"}), teams=frozenset({"East"}))
    assert [a["account_id"] for a in straight.accounts(mine)] == ["a1", "a3"]
    assert [o["opportunity_id"] for o in straight.opportunities(open_only=True)] == ["o0", "o2", "o3"]
    assert [a["account_id"] for a in straight.accounts(limit=1)] == ["a1"]
    assert [t["team"] for t in straight.teams(mine)] == ["East"]


def test_a_missing_file_is_left_to_the_ibis_read(tmp_path: Path) -> None:
    def no_results(name: str) -> Any:
        raise InputError("no results yet: run `accountleader analyze` first")

    reader = ResultsReader(results=no_results, tables=no_results, analysis_tables=dict,
                           summary=lambda: SimpleNamespace(as_of="x", fit={}))
    straight = reader.with_results_file(tmp_path / "results.duckdb")
    with pytest.raises(InputError, match="no results yet"):
        straight.reps()
    assert straight.as_of == "x"


def test_a_file_without_the_table_or_the_summary_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "results.duckdb"
    storage.write_database(path, {"teams": _tables()["teams"]}, {"data_id": "d"})
    straight = ResultsReader(results=None, tables=None, analysis_tables=dict, summary=None).with_results_file(path)  # type: ignore[arg-type]
    with pytest.raises(WorkspaceCorrupt, match="table reps is missing"):
        straight.reps()
    with pytest.raises(WorkspaceCorrupt, match="no analysis summary"):
        _ = straight.as_of
    assert straight.teams(EVERYONE) and straight.teams()[0]["team"] == "East"
