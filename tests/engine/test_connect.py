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
