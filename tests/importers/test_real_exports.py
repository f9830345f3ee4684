"""Real orgs' exports: the columns they leave out, the values they write, the users who are no sellers.

The demo company's Salesforce export is imported in full and then with columns dropped the
way a weekly Data Export (no ``User.Name``) or a Data Loader export with chosen columns
(no ``Opportunity.IsClosed`` / ``IsWon``) writes them: the counts, won and lost must not
change, with ``OpportunityStage.csv`` and without it, through ``import salesforce``, ``import
fivetran`` and the warehouse mapping in place.
"""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from sf_export import A_ACME, O_OPEN, O_WON, U_MANAGER, U_SELLER, Export

from accountleader.demo import write_demo_export
from accountleader.demo.export import write_csv
from accountleader.demo.files import stage_file
from accountleader.domain.salesforce_ids import to_18
from accountleader.domain.schema import SALESFORCE_NULL_ID, snake_case
from accountleader.importers.fivetran import read_fivetran
from accountleader.importers.salesforce import read_salesforce_export

# -- the demo company, full and with columns left out ---------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo_full")
    write_demo_export(directory, seed=7, scale=0.2)
    return directory


def _variant(src: Path, dest: Path, *, drop: dict[str, tuple[str, ...]], stages: bool) -> Path:
    """A copy of the export with columns dropped from some files, with or without OpportunityStage.csv."""
    dest.mkdir(parents=True)
    for f in src.glob("*.csv"):
        obj = f.stem
        if obj not in drop:
            shutil.copy(f, dest / f.name)
            continue
        t = pacsv.read_csv(f, convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False, auto_dict_encode=False),
                           read_options=pacsv.ReadOptions(autogenerate_column_names=False))
        t = t.cast(pa.schema([(n, pa.string()) for n in t.column_names]))
        for col in drop[obj]:
            assert col in t.column_names, f"{obj}.csv has no {col}"
        write_csv(dest / f.name, {c: t.column(c) for c in t.column_names if c not in drop[obj]})
    if stages:
        write_csv(dest / "OpportunityStage.csv", stage_file())
    return dest


def _outcome(tables: dict[str, pa.Table]) -> dict[str, Any]:
    o = tables["opportunities"]
    closed, won = o.column("is_closed"), o.column("is_won")
    return {
        "rows": {name: t.num_rows for name, t in tables.items() if name != "stages"},
        "won": pc.sum(won).as_py(),
        "lost": pc.sum(pc.and_(closed, pc.invert(won))).as_py(),
        "per_deal": sorted(zip(o.column("opportunity_id").to_pylist(), closed.to_pylist(), won.to_pylist(), strict=True)),
    }


@pytest.fixture(scope="module")
def full(demo_dir: Path) -> tuple[Any, dict[str, pa.Table]]:
    return read_salesforce_export(demo_dir)


@pytest.mark.parametrize("with_stage_file", [False, True], ids=["names-and-probability", "OpportunityStage.csv"])
def test_an_export_without_isclosed_and_iswon_imports_with_the_same_won_lost_and_counts(
    demo_dir: Path, full: tuple[Any, dict[str, pa.Table]], tmp_path: Path, with_stage_file: bool
) -> None:
    _, ref = full
    expected = _outcome(ref)
    assert expected["won"] > 0 and expected["lost"] > 0  # the demo has both, or the test proves nothing
    src = _variant(demo_dir, tmp_path / "chosen", drop={"Opportunity": ("IsClosed", "IsWon")}, stages=with_stage_file)
    batch, tables = read_salesforce_export(src)
    assert _outcome(tables) == expected
    derived = [w for w in batch.warnings if w.startswith("opportunities: no IsClosed and IsWon")]
    assert len(derived) == 1 and str(ref["opportunities"].num_rows) in derived[0]
    if with_stage_file:
        assert tables["stages"].num_rows == 8
        assert "from OpportunityStage.csv" in derived[0]
        assert any(w.startswith("stages: 8 from OpportunityStage.csv; won: Closed Won; lost: Closed Lost") for w in batch.warnings)
        by_stage = {r["stage"]: r for r in tables["stages"].to_pylist()}
        assert by_stage["Proposal/Price Quote"]["sort_order"] == 5 and by_stage["Closed Won"]["probability"] == 100.0
    else:
        assert tables["stages"].num_rows == 0
        assert "by stage name" in derived[0]
        basis = [w for w in batch.warnings if w.startswith("stages: inferred from names and probability")]
        assert basis and "Closed Won (won, by name)" in basis[0] and "Closed Lost (lost, by name)" in basis[0]


def test_an_export_without_user_name_imports_with_the_same_users_and_counts(
    demo_dir: Path, full: tuple[Any, dict[str, pa.Table]], tmp_path: Path
) -> None:
    _, ref = full
    src = _variant(demo_dir, tmp_path / "weekly", drop={"User": ("Name",), "Contact": ("Name",)}, stages=False)
    _, tables = read_salesforce_export(src)
    assert _outcome(tables) == _outcome(ref)
    cols = ["user_id", "name", "function", "team"]
    assert tables["users"].select(cols).to_pylist() == ref["users"].select(cols).to_pylist()
    assert tables["contacts"].column("name").to_pylist() == ref["contacts"].column("name").to_pylist()


def test_the_demo_admin_is_a_system_user_and_never_a_seller(full: tuple[Any, dict[str, pa.Table]]) -> None:
    batch, ref = full
    users = ref["users"].to_pylist()
    admins = [u for u in users if u["title"] == "Salesforce Administrator"]
    assert admins and all(u["function"] == "system" and u["team"] is None for u in admins)
    assert any(w.startswith("users: 1 are not sellers") and admins[0]["name"] in w for w in batch.warnings)
    sellers = {u["user_id"] for u in users if u["function"] == "seller"}
    assert sellers == {u["user_id"] for u in users if u["title"] in ("Account Executive", "Senior Account Executive")}


# -- Fivetran: the same export as Fivetran lands it ------------------------------------------


def _fivetran_name(name: str) -> str:
    return re.sub(r"_{2,}", "_", snake_case(name))


def _as_fivetran(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for f in src.glob("*.csv"):
        with f.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows[0] = [_fivetran_name(c) for c in rows[0]]
        with (dest / f"{_fivetran_name(f.stem)}.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return dest


@pytest.mark.parametrize("with_stage_file", [False, True], ids=["names-and-probability", "opportunity_stage"])
def test_fivetran_tables_without_is_closed_and_is_won_import_with_the_same_won_and_lost(
    demo_dir: Path, full: tuple[Any, dict[str, pa.Table]], tmp_path: Path, with_stage_file: bool
) -> None:
    _, ref = full
    chosen = _variant(demo_dir, tmp_path / "chosen", drop={"Opportunity": ("IsClosed", "IsWon"), "User": ("Name",)}, stages=with_stage_file)
    batch, tables = read_fivetran(_as_fivetran(chosen, tmp_path / "fivetran"))
    assert _outcome(tables) == _outcome(ref)
    assert tables["stages"].num_rows == (8 if with_stage_file else 0)
    assert tables["users"].column("function").to_pylist() == ref["users"].column("function").to_pylist()


@pytest.mark.parametrize("with_stage_file", [False, True], ids=["names-and-probability", "opportunity_stage"])
def test_the_warehouse_mapping_derives_the_same_outcomes_and_user_functions(
    demo_dir: Path, full: tuple[Any, dict[str, pa.Table]], tmp_path: Path, with_stage_file: bool
) -> None:
    import ibis

    from accountleader.engine.fivetran_source import fivetran_tables

    _, ref = full
    chosen = _variant(demo_dir, tmp_path / "chosen", drop={"Opportunity": ("IsClosed", "IsWon"), "User": ("Name",)}, stages=with_stage_file)
    landed = _as_fivetran(chosen, tmp_path / "fivetran")
    con = ibis.duckdb.connect()
    for f in landed.glob("*.csv"):
        # the quote said, not sniffed: the first quoted value (a planted task's description with
        # commas) can lie past DuckDB's sample of the file
        con.read_csv(str(f), table_name=f.stem, quote='"', escape='"')
    mapped = {name: t.to_pyarrow() for name, t in fivetran_tables(con).items()}
    got, exp = _outcome(mapped), _outcome(ref)
    assert (got["won"], got["lost"], got["per_deal"]) == (exp["won"], exp["lost"], exp["per_deal"])
    cols = ["user_id", "name", "function", "team"]
    key = lambda r: r["user_id"]  # noqa: E731
    assert sorted(mapped["users"].select(cols).to_pylist(), key=key) == sorted(ref["users"].select(cols).to_pylist(), key=key)
    assert mapped["stages"].num_rows == (8 if with_stage_file else 0)


# -- stages in the org's language, from OpportunityStage.csv or from probability ------------


def _spanish(sf_export: Export, *, stage_file: bool) -> Export:
    """Spanish stages; Opportunity.csv without IsClosed / IsWon; deals carry the ApiName."""
    header = sf_export.rows["Opportunity"][0]
    keep = [i for i, c in enumerate(header) if c not in ("IsClosed", "IsWon")]
    sf_export.set("Opportunity", 0, "StageName", "Firmas").set("Opportunity", 0, "Probability", "100")
    sf_export.set("Opportunity", 1, "StageName", "Interes")
    for i, (stage, prob) in enumerate((("Rechazo", "0"), ("Diseno_Propuesta", "50"), ("Negociación", "0"))):
        sf_export.add_row("Opportunity", Id=to_18(f"006Ax00000Es{i:03d}"), AccountId=A_ACME, OwnerId=U_SELLER, Name=f"Deal {i}",
                          StageName=stage, Probability=prob, CreatedDate="2024-01-05T08:00:00.000Z", CloseDate="2024-03-01")
    sf_export.rows["Opportunity"] = [[r[i] for i in keep] for r in sf_export.rows["Opportunity"]]
    if stage_file:
        sf_export.rows["OpportunityStage"] = [
            ["Id", "MasterLabel", "ApiName", "IsActive", "SortOrder", "IsClosed", "IsWon", "ForecastCategoryName", "DefaultProbability"],
            [to_18("01JAx0000000001"), "Interés", "Interes", "true", "1", "false", "false", "Pipeline", "10"],
            [to_18("01JAx0000000002"), "Diseño Propuesta", "Diseno_Propuesta", "true", "2", "false", "false", "Pipeline", "50"],
            [to_18("01JAx0000000003"), "Negociación", "Negociación", "true", "3", "false", "false", "Commit", "75"],
            [to_18("01JAx0000000004"), "Firmas", "Firmas", "true", "4", "true", "true", "Closed", "100"],
            [to_18("01JAx0000000005"), "Rechazo", "Rechazo", "true", "5", "true", "false", "Omitted", "0"],
        ]
    return sf_export


def test_spanish_stages_take_their_meaning_and_names_from_opportunity_stage_csv(sf_export: Export) -> None:
    batch, tables = read_salesforce_export(_spanish(sf_export, stage_file=True).write())
    deals = {r["stage"]: (r["is_closed"], r["is_won"]) for r in tables["opportunities"].to_pylist()}
    assert deals == {"Firmas": (True, True), "Interes": (False, False), "Rechazo": (True, False),
                     "Diseno_Propuesta": (False, False), "Negociación": (False, False)}
    # the stage table names stages as the deals carry them (ApiName), and in sort order
    stages = tables["stages"].sort_by("sort_order").column("stage").to_pylist()
    assert stages == ["Interes", "Diseno_Propuesta", "Negociación", "Firmas", "Rechazo"]
    assert any("5 from OpportunityStage.csv" in w for w in batch.warnings)


def test_spanish_stages_without_a_stage_file_are_read_from_probability_with_a_warning(sf_export: Export) -> None:
    batch, tables = read_salesforce_export(_spanish(sf_export, stage_file=False).write())
    deals = {r["stage"]: (r["is_closed"], r["is_won"]) for r in tables["opportunities"].to_pylist()}
    # Firmas is won by probability 100; Rechazo lost by probability 0; Negociación at 0 is still an open stage
    assert deals == {"Firmas": (True, True), "Interes": (False, False), "Rechazo": (True, False),
                     "Diseno_Propuesta": (False, False), "Negociación": (False, False)}
    basis = next(w for w in batch.warnings if w.startswith("stages: inferred"))
    assert "Firmas (won, by probability)" in basis and "Rechazo (lost, by probability)" in basis
    assert "Negociación" not in basis
    derived = next(w for w in batch.warnings if w.startswith("opportunities: no IsClosed and IsWon"))
    assert "2 by probability" in derived and "3 open" in derived


def test_a_missing_isclosed_column_is_still_refused_when_there_is_no_stage_column(sf_export: Export) -> None:
    from accountleader.errors import ImportRejected

    header = sf_export.rows["Opportunity"][0]
    keep = [i for i, c in enumerate(header) if c not in ("IsClosed", "IsWon", "StageName")]
    sf_export.rows["Opportunity"] = [[r[i] for i in keep] for r in sf_export.rows["Opportunity"]]
    with pytest.raises(ImportRejected) as err:
        read_salesforce_export(sf_export.write())
    assert any(p.column == "StageName" for p in err.value.problems)


# -- sentinel dates ---------------------------------------------------------------------------


def test_sentinel_dates_read_as_none_with_one_warning_per_file_and_column(sf_export: Export) -> None:
    sf_export.set("Opportunity", 1, "CloseDate", "9999-12-31")
    sf_export.add_row("Opportunity", Id=to_18("006Ax00000OpN03"), AccountId=A_ACME, OwnerId=U_SELLER, StageName="Prospecting",
                      CreatedDate="2024-02-01T08:00:00.000Z", CloseDate="4000-12-31", IsClosed="false", IsWon="false")
    sf_export.add_column("Contact", "Departure_Date__c", ["4000-12-31T00:00:00.000Z", "2024-05-01"])
    batch, tables = read_salesforce_export(sf_export.write())
    close = {r["opportunity_id"]: r["close_date"] for r in tables["opportunities"].to_pylist()}
    assert close[O_OPEN] is None and close[to_18("006Ax00000OpN03")] is None and close[O_WON] == date(2024, 3, 1)
    departed = tables["contacts"].column("departed_at").to_pylist()
    assert departed[0] is None and departed[1] is not None
    sentinel = [w for w in batch.warnings if "9999-12-31 or 4000-12-31" in w]
    assert sentinel == [
        "Contact.csv: 1 values of Departure_Date__c are 9999-12-31 or 4000-12-31 (no date); read as empty",
        "Opportunity.csv: 2 values of CloseDate are 9999-12-31 or 4000-12-31 (no date); read as empty",
    ]


# -- CPQ quotes -------------------------------------------------------------------------------


def test_cpq_quotes_are_quotes_beside_standard_quotes(sf_export: Export) -> None:
    q_std, q_cpq = to_18("0Q0Ax00000QtE01"), to_18("a0xAx00000CpQ01")
    sf_export.rows["Quote"] = [
        ["Id", "Name", "OpportunityId", "AccountId", "Status", "GrandTotal", "CurrencyIsoCode", "CreatedDate", "ExpirationDate"],
        [q_std, "Q-00000001", O_WON, A_ACME, "Accepted", "1000", "USD", "2024-02-10T10:00:00.000Z", "2024-03-10"],
    ]
    sf_export.rows["SBQQ__Quote__c"] = [
        ["Id", "Name", "SBQQ__Opportunity2__c", "SBQQ__Account__c", "SBQQ__Status__c", "SBQQ__NetAmount__c",
         "SBQQ__CustomerAmount__c", "CurrencyIsoCode", "CreatedDate", "SBQQ__ExpirationDate__c", "SBQQ__Primary__c"],
        [q_cpq, "Q-01234", O_OPEN, A_ACME, "Presented", "", "450.5", "USD", "2024-02-20T10:00:00.000Z", "2024-03-20", "true"],
    ]
    _, tables = read_salesforce_export(sf_export.write())
    quotes = {r["quote_id"]: r for r in tables["quotes"].to_pylist()}
    assert set(quotes) == {q_std, q_cpq}
    cpq = quotes[q_cpq]
    assert (cpq["opportunity_id"], cpq["account_id"], cpq["status"], cpq["amount"], cpq["currency"]) == (O_OPEN, A_ACME, "Presented", 450.5, "USD")
    assert cpq["expiration_date"] == date(2024, 3, 20) and cpq["name"] == "Q-01234"


# -- users that are no sellers ------------------------------------------------------------------


def test_admin_integration_automated_and_inactive_users_are_system_never_sellers(sf_export: Export) -> None:
    ex = sf_export
    ex.add_column("User", "UserType", ["Standard", "Standard"])
    ex.set("User", 0, "UserRoleId", SALESFORCE_NULL_ID)
    people = {
        "005Ax00000Intg1": ("Integration User", "", "CloudIntegrationUser", "true"),
        "005Ax00000AuTo1": ("Automated Process", "", "AutomatedProcess", "true"),
        "005Ax00000MkTp1": ("Marketplace", "", "Standard", "true"),
        "005Ax00000AdMn1": ("Pat Admin", "System Administrator", "Standard", "true"),
        "005Ax00000GoNe1": ("Former Rep", "Account Executive", "Standard", "false"),
    }
    for uid, (name, title, kind, active) in people.items():
        ex.add_row("User", Id=to_18(uid), Name=name, Title=title, UserType=kind, IsActive=active, ManagerId=U_MANAGER,
                   UserRoleId=SALESFORCE_NULL_ID)
    ex.add_row("User", Id=SALESFORCE_NULL_ID, Name="", UserType="Standard", IsActive="true")
    # the integration user owns a deal: it is still not a seller
    ex.add_row("Opportunity", Id=to_18("006Ax00000InT01"), AccountId=A_ACME, OwnerId=to_18("005Ax00000Intg1"), StageName="Prospecting",
               CreatedDate="2024-02-01T08:00:00.000Z", CloseDate="2024-06-30", IsClosed="false", IsWon="false")
    batch, tables = read_salesforce_export(ex.write())
    users = {r["user_id"]: r for r in tables["users"].to_pylist()}
    assert SALESFORCE_NULL_ID not in users and None not in users
    for uid in people:
        assert users[to_18(uid)]["function"] == "system", people[uid][0]
        assert users[to_18(uid)]["team"] is None
    assert users[U_SELLER]["function"] == "seller" and users[U_MANAGER]["function"] == "manager"
    teams = {u["team"] for u in users.values()}
    assert SALESFORCE_NULL_ID not in teams and "Marta Gómez" in teams
    warning = next(w for w in batch.warnings if w.startswith("users: 5 are not sellers"))
    assert "Integration User" in warning and "Automated Process" in warning
    assert any("skipped 1 rows with the null id" in w for w in batch.warnings)


# -- activities: subtype and done ----------------------------------------------------------------


def test_task_subtype_is_kept_as_written_and_done_comes_from_isclosed_or_status(sf_export: Export) -> None:
    ex = sf_export
    ex.set("Task", 0, "TaskSubtype", "ListEmail")
    ex.set("Task", 1, "Status", "Not Started")
    _, tables = read_salesforce_export(ex.write())
    acts = {r["activity_id"]: r for r in tables["activities"].to_pylist()}
    t0, t1 = acts[to_18("00TAx00000TsK01")], acts[to_18("00TAx00000TsK02")]
    assert (t0["subtype"], t0["kind"]) == ("ListEmail", "email")
    assert t1["subtype"] == "Task" and t1["kind"] == "email"  # kind stays as it was (Type says Email)
    assert (t0["is_done"], t1["is_done"]) == (True, False)  # from Status: no IsClosed column
    assert acts[to_18("00UAx00000EvT01")]["is_done"] is None

    ex.add_column("Task", "IsClosed", ["false", "true"])
    _, tables = read_salesforce_export(ex.write("with_isclosed"))
    acts = {r["activity_id"]: r for r in tables["activities"].to_pylist()}
    assert (acts[to_18("00TAx00000TsK01")]["is_done"], acts[to_18("00TAx00000TsK02")]["is_done"]) == (False, True)


def test_a_hashed_or_anonymised_user_type_says_nothing_about_the_user(sf_export: Export) -> None:
    """Fivetran's seed data hashes every value: a UserType that is no word is not a verdict."""
    sf_export.add_column("User", "UserType", ["xv6xgJYOh/ZMPRNDPbzueQ==", "xv6xgJYOh/ZMPRNDPbzueQ=="])
    _, tables = read_salesforce_export(sf_export.write())
    functions = {r["user_id"]: r["function"] for r in tables["users"].to_pylist()}
    assert functions == {U_MANAGER: "manager", U_SELLER: "seller"}
