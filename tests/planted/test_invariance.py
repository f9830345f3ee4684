"""Results do not depend on the order of rows in the export or on the id format.

The same demo export is imported three ways: as written, with every file's rows
shuffled, and with every 18-character id cut to its 15-character form (as Salesforce
reports write them).  All three give identical result tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from accountleader.demo import write_demo_export
from accountleader.workspace import Workspace

ID18 = r"^[a-zA-Z0-9]{18}$"
KEYS = {"reps": "user_id", "account_results": "account_id", "opportunity_results": "opportunity_id"}


def _rewrite(src: Path, dst: Path, change) -> None:  # type: ignore[no-untyped-def]
    dst.mkdir()
    for f in src.glob("*.csv"):
        table = pacsv.read_csv(f, convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False))
        table = table.cast(pa.schema([pa.field(n, pa.string()) for n in table.column_names]))
        pacsv.write_csv(change(f.name, table), dst / f.name)


def _shuffle(name: str, table: pa.Table) -> pa.Table:
    order = np.random.default_rng(len(name)).permutation(table.num_rows)
    return table.take(pa.array(order))


def _to_15(name: str, table: pa.Table) -> pa.Table:
    cols = {}
    for col in table.column_names:
        values = table.column(col)
        is_id = pc.match_substring_regex(values, ID18)
        if col.endswith("Id") or col == "Id":
            values = pc.if_else(pc.fill_null(is_id, False), pc.utf8_slice_codeunits(values, 0, 15), values)
        cols[col] = values
    return pa.table(cols)


def _results(path: Path, export: Path, as_of: str) -> dict[str, list[dict]]:
    with Workspace.open(path) as ws:
        ws.import_salesforce(export)
        ws.analyze(as_of=as_of)
        out = {}
        for name, key in KEYS.items():
            rows = ws.results(name).to_pandas().sort_values(key).reset_index(drop=True)
            floats = rows.select_dtypes("float").columns
            rows[floats] = rows[floats].round(9)
            out[name] = rows.to_dict(orient="records")
        return out


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_export(tmp_path_factory.mktemp("inv") / "export", seed=11, scale=0.1).directory


def _same(a: dict, b: dict) -> None:
    for name in KEYS:
        assert len(a[name]) == len(b[name]), name
        for left, right in zip(a[name], b[name], strict=True):
            assert left.keys() == right.keys()
            for k in left:
                lv, rv = left[k], right[k]
                if isinstance(lv, float) and isinstance(rv, float) and np.isnan(lv) and np.isnan(rv):
                    continue
                if isinstance(lv, float) and isinstance(rv, float):
                    # a sum of floats in another row order may differ in the last bit, nothing more
                    assert lv == pytest.approx(rv, rel=1e-12, abs=1e-9), (name, left[next(iter(left))], k, lv, rv)
                    continue
                assert lv == rv, (name, left[next(iter(left))], k, lv, rv)


def test_shuffled_rows_and_15_character_ids_give_identical_results(export: Path, tmp_path: Path) -> None:
    as_of = "2026-09-29"
    base = _results(tmp_path / "ws-base", export, as_of)
    _rewrite(export, tmp_path / "shuffled", _shuffle)
    _same(base, _results(tmp_path / "ws-shuffled", tmp_path / "shuffled", as_of))
    _rewrite(export, tmp_path / "short", _to_15)
    short_ids = (tmp_path / "short" / "Opportunity.csv").read_text().splitlines()[1]
    assert re.search(r"\b006[A-Za-z0-9]{12}\b", short_ids)
    _same(base, _results(tmp_path / "ws-short", tmp_path / "short", as_of))
