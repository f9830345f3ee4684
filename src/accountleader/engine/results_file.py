"""Result tables written by DuckDB straight into the results file (issue 12).

On DuckDB the analysis attaches the draft of the new results file (``storage.results_draft``)
to its own connection and creates each result table there from the table's compiled query:
its rows never pass through Python (at L, ``account_timeline`` alone is 4.6 M rows). What this
module says is the SQL around that query, so that the table is exactly what the Arrow path
(``analyze._conform``, ``_with_role_lists``, ``_with_win``, ``storage.stamp_as_of``) writes:
the same columns in the same order, the same DuckDB types, the same rows in key order, and
the ``as_of`` stamp last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import duckdb
import pyarrow as pa

from ..domain.arrow_types import ARROW_TYPES
from ..domain.results import RESULT_KEYS, RESULT_TABLES
from ..domain.schema import BUYER_ROLES
from .storage import AS_OF_COLUMN

#: The name the results draft is attached under on the analysis connection.
DATABASE = "_al_results"
#: The alias of the result's own query inside the SQL written here.
SOURCE = "_result"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@cache
def _duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type an Arrow column of ``arrow_type`` becomes when DuckDB stores it (what
    ``storage.write_database`` gives an Arrow table): asked of DuckDB itself."""
    con = duckdb.connect()
    try:
        con.register("_empty", pa.table({"c": pa.array([], arrow_type)}))
        return str(con.execute("SELECT * FROM _empty").description[0][1])  # type: ignore[index]
    finally:
        con.close()


def duckdb_type(arrow_type: pa.DataType) -> str:
    return _duckdb_type(arrow_type)


@dataclass(frozen=True)
class Column:
    """One column of a result table as written: its name, DuckDB type, and the SQL that gives
    its value (over the query aliased :data:`SOURCE`, and whatever else is joined)."""

    name: str
    type: str
    value: str

    def sql(self) -> str:
        return f"CAST({self.value} AS {self.type}) AS {quoted(self.name)}"


def columns(schema: pa.Schema, table: str, *, conform: bool,
            values: Mapping[str, str] | None = None) -> list[Column]:
    """The columns of result table ``table`` from a query whose rows have ``schema`` (Arrow, as
    the expression's schema says).

    ``conform``: ordered and typed as the table's contract says (``analyze._conform``): the
    contract's columns first (null where the query has none), then the query's other columns
    not starting with ``_``. Otherwise every column of the query, as it is. ``values``: SQL
    that gives a column instead of the query's own (or of a null). The ``as_of`` stamp is not
    among them (:func:`select`)."""
    values = dict(values or {})
    have = {f.name: f.type for f in schema}

    def value(name: str) -> str:
        if name in values:
            return values[name]
        return f"{SOURCE}.{quoted(name)}" if name in have else "NULL"

    out: list[Column] = []
    if conform:
        spec = RESULT_TABLES[table]
        out += [Column(c.name, duckdb_type(ARROW_TYPES[c.type]), value(c.name)) for c in spec.columns]
        named = {c.name for c in spec.columns}
        out += [Column(n, duckdb_type(t), value(n)) for n, t in have.items() if n not in named and not n.startswith("_")]
    else:
        out += [Column(n, duckdb_type(t), value(n)) for n, t in have.items()]
    return [c for c in out if c.name != AS_OF_COLUMN]


def select(sql: str, table: str, cols: Sequence[Column], *, as_of: datetime, joins: str = "") -> str:
    """The rows of result table ``table``: ``cols`` over ``sql`` (aliased :data:`SOURCE`, with
    ``joins`` after it), stamped with ``as_of`` (a naive UTC timestamp) and in the table's key
    order (ascending, nulls last: the order the Arrow path sorts in)."""
    stamp = f"CAST('{as_of.isoformat(sep=' ')}' AS TIMESTAMP) AS {quoted(AS_OF_COLUMN)}"
    body = ", ".join([*(c.sql() for c in cols), stamp])
    order = ", ".join(f"{quoted(k)} ASC NULLS LAST" for k in RESULT_KEYS[table])
    return f"SELECT * FROM (SELECT {body} FROM ({sql}) AS {SOURCE} {joins}) AS _written ORDER BY {order}"


def create(table: str, query: str) -> str:
    return f"CREATE TABLE {DATABASE}.{quoted(table)} AS {query}"


# -- what the Arrow path computes in Python, said in SQL ------------------------------------------


def json_list_of_parts(column: str, separator: str = "; ") -> str:
    """``json.dumps(text.split(separator), ensure_ascii=False)`` of a text column, null where the
    text is null or empty (``analyze._json_list`` over account change drivers).

    DuckDB writes the JSON; it escapes exactly as Python does except that the rare control
    characters it writes as ``\\u00XX`` (all but ``\\b \\f \\n \\r \\t``) get upper-case hex digits:
    the same JSON value."""
    parts = f"list_transform(string_split({column}, '{separator}'), x -> CAST(to_json(x) AS VARCHAR))"
    return f"CASE WHEN coalesce({column}, '') = '' THEN NULL ELSE '[' || array_to_string({parts}, ', ') || ']' END"


def role_lists(roles_table: str) -> str:
    """Per open deal, its distinct buyer roles as a JSON list in ``BUYER_ROLES`` order
    (``analyze._with_role_lists``): a query of ``opportunity_id, roles``."""
    rank = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(BUYER_ROLES))
    return (
        f"SELECT opportunity_id, '[' || string_agg(CAST(to_json(buyer_role) AS VARCHAR), ', ' "
        f"ORDER BY CASE buyer_role {rank} ELSE 99 END, buyer_role) || ']' AS roles "
        f"FROM {quoted(roles_table)} GROUP BY opportunity_id"
    )
