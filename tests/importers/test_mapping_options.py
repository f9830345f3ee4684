"""Mapped CSV options: delimiter, encoding, generated ids and attributes (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accountleader.errors import ConfigError, ImportRejected, InputError
from accountleader.importers import read_mapped_csv
from accountleader.workspace import Workspace

# A European Excel export: ';'-separated, cp1252 (accents, the euro sign, curly quotes), CRLF,
# amounts with a decimal comma left as text attributes, and no id column at all.
DEALS = [
    "Oportunidad;Cliente;Etapa;Fecha cierre;Competidor;RFP;Autoridad;Notas",
    "Renovación Müller;Müller Logística;Ganada;2024-03-01;Señor Acme;sí;Gerente de Compras;“cliente clave”",
    "Ampliación Peña;Peña Hermanos;Perdida;2024-04-02;;no;Jefe de Mantenimiento;",
    'Nuevo – Café;Café Niño;Propuesta;2024-05-03;Beta Corp;sí;;"precio: 1.200 €; con IVA"',
]
ACCOUNTS = [
    "Cliente;Sector;Segmento;País",
    "Müller Logística;Logística;Mid-market;España",
    "Peña Hermanos;Industria;SMB;España",
    "Café Niño;Alimentación;;Colombia",
]

MAPPING = """\
encoding: cp1252
tables:
  accounts:
    - file: clientes.csv
      delimiter: ";"
      columns:
        account_id: Cliente
        name: Cliente
        industry: Sector
        country: País
      attributes: [Segmento]
  opportunities:
    - file: oportunidades.csv
      delimiter: ";"
      columns:
        opportunity_id: {generate: true}
        account_id: Cliente
        name: Oportunidad
        stage: Etapa
        close_date: Fecha cierre
        is_closed: {column: Etapa, in: [Ganada, Perdida]}
        is_won: {column: Etapa, in: [Ganada]}
      attributes: {competitor: Competidor, rfp: RFP, authority: Autoridad, notes: Notas}
"""


def _write(src: Path, name: str, lines: list[str]) -> None:
    src.mkdir(exist_ok=True)
    (src / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


@pytest.fixture
def european(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "crm"
    _write(src, "oportunidades.csv", DEALS)
    _write(src, "clientes.csv", ACCOUNTS)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return src, mapping


def _opportunities(ws: Workspace) -> list[dict]:
    return ws.table("opportunities").order_by("name").to_pyarrow().to_pylist()


def test_semicolon_cp1252_csv_without_ids_imports_with_generated_ids_and_attributes(
    european: tuple[Path, Path], workspace_dir: Path
) -> None:
    src, mapping = european
    ws = Workspace.open(workspace_dir)
    summary = ws.import_csv(src, mapping=mapping)
    assert summary.tables["opportunities"] == 3 and summary.tables["accounts"] == 3
    opps = {o["name"]: o for o in _opportunities(ws)}
    assert set(opps) == {"Renovación Müller", "Ampliación Peña", "Nuevo – Café"}  # cp1252 decoded, not mojibake
    ids = [o["opportunity_id"] for o in opps.values()]
    assert len(set(ids)) == 3
    # ids come from the file name and line: the first data row is line 2
    assert opps["Renovación Müller"]["opportunity_id"] == "oportunidades:2"
    assert json.loads(opps["Renovación Müller"]["attributes"]) == {
        "competitor": "Señor Acme",
        "rfp": "sí",
        "authority": "Gerente de Compras",
        "notes": "“cliente clave”",
    }
    # blank values are left out; a quoted ';' stays inside its value
    assert json.loads(opps["Ampliación Peña"]["attributes"]) == {"rfp": "no", "authority": "Jefe de Mantenimiento"}
    assert json.loads(opps["Nuevo – Café"]["attributes"])["notes"] == "precio: 1.200 €; con IVA"
    assert opps["Renovación Müller"]["is_won"] and not opps["Ampliación Peña"]["is_won"]
    assert opps["Ampliación Peña"]["account_id"] == "Peña Hermanos"
    accounts = {a["name"]: a for a in ws.table("accounts").to_pyarrow().to_pylist()}
    assert json.loads(accounts["Müller Logística"]["attributes"]) == {"Segmento": "Mid-market"}
    assert accounts["Café Niño"]["attributes"] is None  # no attribute values at all

    # re-importing the same files gives the same ids
    ws.import_csv(src, mapping=mapping)
    again = {o["name"]: o["opportunity_id"] for o in _opportunities(ws)}
    assert again == {name: o["opportunity_id"] for name, o in opps.items()}

    # the import report names the source of each canonical column
    report = {(s["file"], s["table"]): s for s in ws.status()["sources"]}
    opp_report = report[("oportunidades.csv", "opportunities")]
    assert opp_report["rows"] == 3
    assert opp_report["columns"]["stage"] == "Etapa"
    assert opp_report["columns"]["attributes"] == "Competidor, RFP, Autoridad, Notas"
    assert "generated" in opp_report["columns"]["opportunity_id"]
    ws.close()


def test_a_row_inserted_above_moves_only_the_ids_below_it(european: tuple[Path, Path]) -> None:
    src, mapping = european
    _, before = read_mapped_csv(src, mapping)
    _write(src, "oportunidades.csv", DEALS + ["Extra;Café Niño;Propuesta;2024-06-01;;;;"])
    _, after = read_mapped_csv(src, mapping)
    first = dict(zip(before["opportunities"].column("name").to_pylist(), before["opportunities"].column("opportunity_id").to_pylist(), strict=True))
    second = dict(zip(after["opportunities"].column("name").to_pylist(), after["opportunities"].column("opportunity_id").to_pylist(), strict=True))
    assert {k: second[k] for k in first} == first  # appended rows leave existing ids alone
    assert second["Extra"] == "oportunidades:5"


def test_the_wrong_encoding_is_refused_naming_line_and_bytes(european: tuple[Path, Path], tmp_path: Path) -> None:
    src, mapping = european
    utf8 = tmp_path / "utf8.yaml"
    utf8.write_text(MAPPING.replace("encoding: cp1252", "encoding: utf-8"), encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        read_mapped_csv(src, utf8)
    problems = {p.file: p for p in exc.value.problems}
    assert problems["clientes.csv"].line == 1  # 'País' in the header
    assert problems["clientes.csv"].value == "ed"  # cp1252 'í'
    assert "not valid utf-8" in problems["oportunidades.csv"].reason
    assert problems["oportunidades.csv"].line == 2  # an ASCII header; 'ó' on the first data row


def test_a_semicolon_file_without_a_delimiter_option_says_to_set_one(european: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = european
    mapping = tmp_path / "nodelim.yaml"
    mapping.write_text(MAPPING.replace('      delimiter: ";"\n', ""), encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        read_mapped_csv(src, mapping)
    assert any("set `delimiter`" in p.reason for p in exc.value.problems)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (('      delimiter: ";"\n      columns:\n        opportunity_id', '      delimeter: ";"\n      columns:\n        opportunity_id'), "tables.opportunities[0].delimeter", "unknown key"),
        (('      delimiter: ";"\n      columns:\n        opportunity_id', '      delimiter: ";;"\n      columns:\n        opportunity_id'), "tables.opportunities[0].delimiter", "one character"),
        (("encoding: cp1252", "encoding: klingon-8"), "encoding", "unknown encoding"),
        (("        name: Oportunidad", "        name: {generate: true}"), "tables.opportunities[0].columns.name", "only the primary key"),
        (("      attributes: [Segmento]", "      attributes: Segmento"), "tables.accounts[0].attributes", "list of source columns"),
        (("encoding: cp1252", "encoding: cp1252\nseparator: ';'"), "separator", "unknown key"),
    ],
)
def test_bad_options_are_config_errors_naming_the_yaml_key(
    european: tuple[Path, Path], tmp_path: Path, change: tuple[str, str], key: str, message: str
) -> None:
    src, _ = european
    text = MAPPING.replace(*change)
    assert text != MAPPING
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        read_mapped_csv(src, bad)
    assert f": {key}: " in str(exc.value) and message in str(exc.value)


def test_attributes_only_on_accounts_and_opportunities(european: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = european
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tables:\n  contacts:\n    - file: clientes.csv\n      delimiter: ';'\n      columns:\n        contact_id: Cliente\n"
        "      attributes: [Sector]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"tables\.contacts\[0\]\.attributes: only accounts and opportunities"):
        read_mapped_csv(src, bad)


def test_a_file_named_in_the_mapping_but_absent_lists_the_files_seen(european: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = european
    mapping = tmp_path / "other.yaml"
    mapping.write_text(MAPPING.replace("oportunidades.csv", "deals.csv"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_mapped_csv(src, mapping)
    assert "'deals.csv'" in str(exc.value) and "clientes.csv, oportunidades.csv" in str(exc.value)
