"""`accountleader support-map import FILE` on the demo company (a private copy; its app database
is the workspace's app.sqlite): all or nothing. A bad stance on line 4 fails the import with one
line naming the file, line, column and value, and no map changes (row counts and versions
before and after); the same file fixed imports, and each change is in the maps' history as
made by "cli"."""

from __future__ import annotations

import pytest
from demo_support import demo_workspace_copy
from sqlalchemy import func, select

from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
from accountleader.store import models
from accountleader.support_maps import CLI
from accountleader.workspace import Workspace


def _run(*args: str) -> tuple[int, CaptureConsole]:
    con = CaptureConsole()
    return main(list(args), console=con), con


def _state(ws: Workspace) -> dict[str, object]:
    """Every stored row count and every map's version."""
    store = ws.app_store()
    with store.session() as s:
        counts = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                  for m in (models.SupportMapRecord, models.SupportStakeholder, models.SupportBacker,
                            models.SupportMapEvent)}
        versions = dict(s.execute(select(models.SupportMapRecord.opportunity_id, models.SupportMapRecord.version)).all())
    return {"counts": counts, "versions": versions}


def test_a_bad_stance_fails_the_import_naming_file_line_column_value_and_nothing_changes(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCOUNTLEADER_DATABASE_URL", raising=False)
    workspace, _, _ = demo_workspace_copy(tmp_path_factory, "support-csv", seed=7, scale=0.1)
    ws = Workspace.open(workspace)
    try:
        roles = ws.table("opportunity_contact_roles").to_pyarrow().to_pylist()
        open_ids = {o["opportunity_id"] for o in ws.reader().opportunities(open_only=True)}
        by_deal: dict[str, list[str]] = {}
        for r in roles:
            if r["opportunity_id"] in open_ids:
                by_deal.setdefault(r["opportunity_id"], []).append(r["contact_id"])
        (a, a_people), (b, b_people) = [(d, sorted(set(p))) for d, p in sorted(by_deal.items()) if len(set(p)) >= 2][:2]
        maps = ws.support_maps()
        maps.set_stakeholder(CLI, a, maps.get(CLI.scope, a).version, a_people[0], stance="supporter")  # one map stored
        before = _state(ws)
        assert before["counts"]["support_maps"] == 1 and before["versions"] == {a: 1}
        csv = tmp_path_factory.mktemp("csv") / "support.csv"
        good = [f"{a},{a_people[0]},champion,high,,,Signed off the budget",
                f"{a},{a_people[1]},skeptic,,through,{a_people[0]},",
                f"{b},{b_people[0]},supporter,medium,direct,,"]
        csv.write_text("opportunity_id,contact_id,stance,influence,access,via_contact_id,note\n"
                       + "\n".join([*good[:2], f"{b},{b_people[1]},fan,low,,,", good[2]]) + "\n", encoding="utf-8")

        code, con = _run("-w", str(workspace), "support-map", "import", str(csv))
        assert code == 2
        assert " ".join(con.errors.split()) == ("Error: support.csv line 4, column stance: 'fan' is not one of: "
                                                "champion, supporter, neutral, skeptic, blocker")
        assert _state(ws) == before  # nothing changed

        csv.write_text("opportunity_id,contact_id,stance,influence,access,via_contact_id,note\n"
                       + "\n".join(good) + "\n", encoding="utf-8")
        code, con = _run("-w", str(workspace), "support-map", "import", str(csv))
        assert code == 0, con.errors
        assert "support.csv: 3 stakeholders rows on 2 deals" in con.out
        after = _state(ws)
        assert after["versions"] == {a: 2, b: 1}
        assert after["counts"]["support_map_stakeholders"] == 3
        m = maps.get(CLI.scope, a)
        first, second = m.stakeholder(a_people[0]), m.stakeholder(a_people[1])
        assert first is not None and second is not None
        assert (first.stance, first.influence, first.note) == ("champion", "high", "Signed off the budget")
        assert (second.stance, second.access, second.via_contact_id) == ("skeptic", "through", a_people[0])
        history = maps.history(CLI.scope, a)
        assert {e["actor"] for e in history} == {"cli"}
        assert f"stance of {first.name}: supporter → champion" in [e["text"] for e in history]
        assert [e["version"] for e in history] == sorted((e["version"] for e in history), reverse=True)  # newest first

        # an unknown deal or contact is an error too, naming where
        csv.write_text(f"opportunity_id,contact_id,stance\n{a},003NOSUCH,neutral\n", encoding="utf-8")
        code, con = _run("-w", str(workspace), "support-map", "import", str(csv))
        assert code == 2 and "support.csv line 2, column contact_id: no contact with id '003NOSUCH'" in con.errors
        assert _state(ws) == after
    finally:
        ws.close()
