"""One mapping: the Salesforce / Fivetran -> canonical mapping is written once (issue 12, part 3).

``domain/salesforce_mapping.py`` is the only module where a Salesforce API name (``AccountId``,
``StageName``, ``SBQQ__Quote__c``) or a Fivetran column (``_fivetran_synced``) meets a canonical
column; the importers (Arrow) and the in-place Fivetran source (Ibis) both execute it, and give
the same canonical tables.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from accountleader.domain import salesforce_mapping as sfm
from accountleader.domain.schema import TABLES
from accountleader.engine.fivetran_source import fivetran_tables
from accountleader.importers.fivetran import read_fivetran

SRC = Path(__file__).resolve().parents[2] / "src" / "accountleader"
SEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "fivetran_salesforce"

#: Modules that speak Salesforce's vocabulary without mapping it onto canonical columns:
#: the demo company *writes* Salesforce export files; HubSpot has its own vocabulary (and
#: Fivetran's HubSpot connector its own ``_fivetran_*`` columns).
NOT_A_MAPPING = ("demo/", "importers/hubspot")

#: Known leftovers, named so that they can only shrink: the object reader (owned by the
#: lean-import work) still names the stage picklist's label / API name, the role lookup's
#: key and the soft-delete flags itself instead of taking them from the mapping.
LEFTOVERS: dict[str, set[str]] = {
    "importers/objectreader.py": {"IsDeleted", "MasterLabel", "ApiName", "_fivetran_deleted"},
}


def _mapping_fields() -> set[str]:
    """Every Salesforce field and Fivetran column the mapping names."""
    names: set[str] = set()
    for m in (*sfm.OBJECTS, sfm.SNAPSHOT_HISTORY):
        for rule in m.rules.values():
            names |= set(rule.fields)
            if isinstance(rule, sfm.Derive):
                names |= {f for _, fields in rule.inputs for f in fields}
    for cols in sfm.COLUMN_FIELDS.values():
        names |= set(cols.values())
    names |= {*sfm.SYNC_FIELDS, *sfm.DELETED_FLAGS, sfm.ACTIVE_FLAG, sfm.START_FIELD, sfm.STAGE_LABEL, sfm.STAGE_API_NAME}
    return names


def _distinctive(name: str) -> bool:
    """A name no other vocabulary uses: CamelCase (``AccountId``), a custom field (``__c``) or a
    Fivetran column. Single English words (``Name``, ``Email``, ``Status``, ``Amount``) are left
    out: HubSpot's headers, report labels and SQL use them too."""
    return name.startswith("_fivetran") or "__" in name or any(ch.isupper() for ch in name[1:])


def _forbidden() -> set[str]:
    api = {n for n in _mapping_fields() if _distinctive(n)}
    canonical = {c.name for t in TABLES.values() for c in t.columns}
    # Fivetran's snake_case of the same fields, where it is not also a canonical column name
    landed = {sfm.fivetran_name(n) for n in api} - canonical
    return api | {n for n in landed if "_" in n.strip("_")}


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_module_but_the_mapping_names_a_salesforce_field() -> None:
    forbidden = _forbidden()
    assert {"AccountId", "StageName", "SBQQ__NetAmount__c", "_fivetran_synced", "stage_name"} <= forbidden
    found: dict[str, set[str]] = {}
    where: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "domain/salesforce_mapping.py" or rel.startswith(NOT_A_MAPPING):
            continue
        for line, value in _string_constants(path):
            if value in forbidden:
                found.setdefault(rel, set()).add(value)
                if value not in LEFTOVERS.get(rel, set()):
                    where.append(f"{rel}:{line}: {value!r}")
    assert not where, "Salesforce field names outside domain/salesforce_mapping.py:\n" + "\n".join(where)
    # the leftovers list is exact: when one goes, take it off the list
    for rel, names in LEFTOVERS.items():
        assert found.get(rel, set()) == names, f"{rel}: update LEFTOVERS to {sorted(found.get(rel, set()))}"


def test_the_scan_would_catch_a_copied_rule(tmp_path: Path) -> None:
    copied = tmp_path / "copy.py"
    copied.write_text('RULES = {"opportunities": {"stage": "StageName", "account_id": "account_id"}}\nX = "sbqq_net_amount_c"\n')
    hits = {v for _, v in _string_constants(copied)} & _forbidden()
    assert hits == {"StageName", "sbqq_net_amount_c"}


def test_every_derivation_is_implemented_by_both_interpreters() -> None:
    from accountleader.engine import fivetran_source
    from accountleader.importers import objects

    assert set(objects.DERIVATIONS) == set(sfm.DERIVATIONS) == set(fivetran_source.DERIVATIONS)
    used = {r.kind for m in (*sfm.OBJECTS, sfm.SNAPSHOT_HISTORY) for r in m.rules.values() if isinstance(r, sfm.Derive)}
    assert used == set(sfm.DERIVATIONS)


def test_every_rule_names_a_canonical_column() -> None:
    for m in (*sfm.OBJECTS, sfm.SNAPSHOT_HISTORY):
        if m.table.startswith("_"):
            continue
        assert set(m.rules) <= set(TABLES[m.table].column_names), m.object
    for table, cols in sfm.COLUMN_FIELDS.items():
        assert set(cols) <= set(TABLES[table].column_names), table


# -- both paths, one result --------------------------------------------------------------------


def _by_key(t: pa.Table, key: str) -> dict[object, dict[str, object]]:
    return {r[key]: r for r in t.to_pylist()}


def assert_same_tables(imported: dict[str, pa.Table], in_place: dict[str, pa.Table]) -> None:
    problems: list[str] = []
    for name, spec in TABLES.items():
        a, b = _by_key(imported[name], spec.primary_key), _by_key(in_place[name], spec.primary_key)
        if set(a) != set(b):
            problems.append(f"{name}: keys differ: only imported {sorted(set(a) - set(b), key=str)[:3]}, "
                            f"only in place {sorted(set(b) - set(a), key=str)[:3]}")
            continue
        for key in sorted(a, key=str):
            for col in spec.column_names:
                x, y = a[key][col], b[key][col]
                if isinstance(x, float) and isinstance(y, float) and abs(x - y) <= 1e-9 * max(1.0, abs(x)):
                    continue
                if x != y:
                    problems.append(f"{name}[{key}].{col}: imported {x!r}, in place {y!r}")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.skipif(not SEED.is_dir(), reason="the shared Fivetran seed (../shared/data) is not here")
def test_the_import_and_the_in_place_source_agree_on_the_fivetran_seed() -> None:
    _, imported = read_fivetran(SEED)
    con = ibis.duckdb.connect()
    for f in sorted(SEED.glob("*.csv")):
        con.read_csv(str(f), table_name=f.stem)
    in_place = {name: t.to_pyarrow() for name, t in fivetran_tables(con).items()}
    assert imported["users"].num_rows and imported["activities"].num_rows  # the seed has live rows to compare
    assert_same_tables(imported, in_place)
    # the same again without materialising: the temporary tables change nothing
    plain = {name: t.to_pyarrow() for name, t in fivetran_tables(con, materialize=False).items()}
    assert_same_tables(imported, plain)
