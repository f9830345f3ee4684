"""Closing a connection that still has cached (temporary) tables raises nothing later.

Ibis drops a ``.cache()`` table from a weakref finalizer when the expression is collected;
after the connection is closed that drop failed inside the garbage collector, and pytest
turned it into a failure of whichever test happened to be running.
"""

from __future__ import annotations

import gc
import warnings

import ibis
import pytest

from accountleader.engine.connect import disconnect


def _cached_on(con: object) -> object:
    t = con.create_table("t", ibis.memtable({"x": [1, 2, 3]}))  # type: ignore[attr-defined]
    return t.filter(t.x > 1).cache()


def test_disconnect_forgets_cached_tables_so_collection_raises_nothing() -> None:
    con = ibis.duckdb.connect()
    cached = _cached_on(con)
    assert cached.count().execute() == 2
    disconnect(con)
    del cached
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()  # pytest's unraisable hook would report a failed drop here
    assert con._cache_name_to_entry == {}


def test_a_plain_disconnect_would_fail_in_the_collector() -> None:
    """The failure the helper exists for, so the test above proves something."""
    con = ibis.duckdb.connect()
    cached = _cached_on(con)
    con.disconnect()
    name = cached.op().name
    with pytest.raises(Exception, match="(?i)closed"):
        con._finalize_cached_table(name)


def test_a_workspace_connection_spills_under_the_workspace_not_the_current_directory(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import duckdb

    from accountleader.engine.connect import connect_duckdb
    from accountleader.engine.memory import SPILL_DIR

    db = tmp_path / "crm.duckdb"
    duckdb.connect(str(db)).close()
    elsewhere = tmp_path / "started-here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    con = connect_duckdb(db, memory_limit="64MB", workspace=tmp_path)
    try:
        spill = con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
        # a sort bigger than the limit really spills, and where it was told to
        assert con.raw_sql("SELECT count(*) FROM (SELECT range % 997 AS k, md5(range::VARCHAR) AS v "
                           "FROM range(3000000) ORDER BY v)").fetchone()[0] == 3_000_000
    finally:
        disconnect(con)
    assert spill == str(tmp_path / SPILL_DIR)
    assert (tmp_path / SPILL_DIR).is_dir() and oct((tmp_path / SPILL_DIR).stat().st_mode & 0o777) == "0o700"
    assert not (elsewhere / ".tmp").exists()
