"""Compiled SQL kept by expression shape (engine/sql_cache.py): a kept query is always the SQL a
fresh compile of the same expression gives, and nothing that changes the SQL shares a key."""

from __future__ import annotations

import stat
from collections import OrderedDict
from datetime import datetime
from pathlib import Path

import ibis
import pytest
from engine_support import table_differences

from accountleader.engine import sql_cache
from accountleader.engine.analyze import Analysis, run_analysis
from accountleader.engine.sql_cache import SqlCache, Unkeyable, shape
from accountleader.workspace import Workspace

_SCHEMA = {"account_id": "string", "amount": "float64", "at": "timestamp", "won": "boolean"}


def _query(table_name: str, *, cut: float = 1000.0, since: datetime = datetime(2026, 1, 1)) -> ibis.Table:
    t = ibis.table(_SCHEMA, name=table_name)
    t = t.filter((t.amount > cut) & (t.at >= ibis.literal(since)))
    return t.group_by("account_id").aggregate(n=t.count(), won_amount=t.amount.sum(where=t.won))


def test_run_local_table_names_are_placeholders_and_come_back_in_the_sql() -> None:
    a, names_a = shape(_query("_al_deals_0123456789ab"))
    b, names_b = shape(_query("_al_deals_ba9876543210"))
    assert a == b
    assert names_a == ["_al_deals_0123456789ab"] and names_b == ["_al_deals_ba9876543210"]

    con = ibis.duckdb.connect()
    cache = SqlCache("duckdb test")
    compiled: list[str] = []

    def compile_(expr: ibis.Table) -> str:
        compiled.append(con.compile(expr))
        return compiled[-1]

    first = cache.get_or_compile(_query("_al_deals_0123456789ab"), compile_)
    second = cache.get_or_compile(_query("_al_deals_ba9876543210"), compile_)
    assert len(compiled) == 1 and cache.hits == 1  # the second was not compiled
    assert "_al_deals_ba9876543210" in second and "_al_deals_0123456789ab" not in second
    assert second == con.compile(_query("_al_deals_ba9876543210"))
    assert first == con.compile(_query("_al_deals_0123456789ab"))


@pytest.mark.parametrize(
    "other",
    [
        lambda: _query("_al_deals_0123456789ab", cut=1000.0000001),  # a literal
        lambda: _query("_al_deals_0123456789ab", since=datetime(2026, 1, 2)),  # a date
        lambda: _query("deals"),  # a real table's name is part of the query
        lambda: _query("_al_deals_0123456789ab").order_by("account_id"),  # the shape
        lambda: ibis.table({**_SCHEMA, "amount": "int64"}, name="_al_deals_0123456789ab").count().as_table(),
    ],
)
def test_anything_that_changes_the_sql_changes_the_key(other) -> None:  # type: ignore[no-untyped-def]
    assert shape(_query("_al_deals_0123456789ab"))[0] != shape(other())[0]


def test_a_value_without_stable_text_is_compiled_not_kept() -> None:
    class Opaque:
        pass

    with pytest.raises(Unkeyable):
        shape(Opaque())
    cache = SqlCache("duckdb test")
    calls = []
    cache.get_or_compile(Opaque(), lambda e: calls.append(e) or "SELECT 1")
    cache.get_or_compile(Opaque(), lambda e: calls.append(e) or "SELECT 1")
    assert len(calls) == 2 and cache.hits == 0


def test_kept_sql_is_written_owner_only_and_read_by_another_process_s_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "cache" / "sql"
    con = ibis.duckdb.connect()
    # a process's memory of its own: the session's (which later tests reuse) is left as it was
    monkeypatch.setattr(sql_cache, "_MEMORY", OrderedDict())
    SqlCache("duckdb test", directory).get_or_compile(_query("_al_deals_0123456789ab"), con.compile)
    files = list(directory.glob("*.sql"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700 and stat.S_IMODE(directory.parent.stat().st_mode) == 0o700
    monkeypatch.setattr(sql_cache, "_MEMORY", OrderedDict())  # as a new process would start
    cache = SqlCache("duckdb test", directory)
    got = cache.get_or_compile(_query("_al_deals_ffffffffffff"), lambda e: pytest.fail("compiled again"))
    assert cache.hits == 1 and got == con.compile(_query("_al_deals_ffffffffffff"))


def test_every_query_of_an_analysis_reused_from_the_cache_is_what_compiling_it_gives(
    demo_workspace: Workspace, as_of: datetime, duckdb_analysis: Analysis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[int] = []
    kept = SqlCache.get_or_compile

    def checking(self: SqlCache, expr, compile_):  # type: ignore[no-untyped-def]
        hits = self.hits
        sql = kept(self, expr, compile_)
        if self.hits > hits:
            assert sql == compile_(expr)
            checked.append(1)
        return sql

    monkeypatch.setattr(SqlCache, "get_or_compile", checking)
    again = run_analysis(demo_workspace.tables(), as_of=as_of, settings=demo_workspace.settings)
    # the session's analysis of the same data kept every query: all of them were reused
    assert len(checked) >= 30
    # the same SQL gives the same rows; floats within 1e-9 (a parallel sum may add in another order)
    problems = [p for name, table in duckdb_analysis.tables.items() for p in table_differences(name, table, again.tables[name])]
    assert not problems, "\n".join(problems)
