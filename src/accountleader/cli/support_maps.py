"""Support maps from the command line: `accountleader support-map show|import`.

The command line acts with every right (like `playbooks`); its changes are recorded as made by
"cli". An import is all or nothing: the first bad cell fails it with one line naming the file,
line, column and value, and no map changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import HelpGroup, app, state

if TYPE_CHECKING:
    from ..support_maps import SupportMaps

support_app = typer.Typer(cls=HelpGroup, no_args_is_help=True,
                          help="Support maps per deal: buyer stakeholders' stance, influence and access; our backers.")
app.add_typer(support_app, name="support-map")


def _maps() -> SupportMaps:
    # SQLAlchemy, Alembic and the results load only when a support-map command runs
    return state().workspace.support_maps()


@support_app.command("show")
def show(
    opportunity: Annotated[str, typer.Argument(help="The deal's CRM id.")],
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts (map, readiness, history).")] = False,
) -> None:
    """Show a deal's support map: the CRM draft with people's edits, readiness and its gaps."""
    from ..playbooks import CLI

    view = _maps().view(CLI.scope, opportunity.strip())
    con = state().console
    if json:
        con.json(view)
        return
    m = view["support_map"]
    con.table(f"Support map of {view['deal_name']} (version {m['version']})",
              ["contact", "title", "buyer role", "stance", "influence", "access", "last touch", ""],
              [(s["name"] or s["contact_id"], s["title"] or "", s["buyer_role"] or "", s["stance"], s["influence"],
                s["access"] + (f" via {s['via_name']}" if s["via_name"] else ""), (s["last_touch_at"] or "")[:10],
                "inferred" if s["inferred"] else "confirmed") for s in m["stakeholders"]])
    if m["backers"]:
        con.table("Backers", ["name", "function", "ask", "commitment", "due", ""],
                  [(b["name"] or b["user_id"], b["function"], b["ask"] or "", b["commitment"], b["due_date"] or "",
                    "inferred" if b["inferred"] else "confirmed") for b in m["backers"]])
    r = view["readiness"]
    con.info(f"readiness: {r['score']:.0f}/100" if r["score"] is not None else f"readiness: {r['note']}")
    for g in r["gaps"]:
        con.info(f"  - {g['text']} (-{g['points']:.0f})")


@support_app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="A CSV file of stakeholder rows (opportunity_id, contact_id, "
                                                  "stance, influence, access, via_contact_id, note) or of backer "
                                                  "rows (opportunity_id, user_id, function, ask, commitment, "
                                                  "due_date).")]) -> None:
    """Import support-map rows from CSV: each row sets the fields it fills; all or nothing."""
    from ..playbooks import CLI

    done = _maps().import_csv(CLI, file)
    state().console.success(f"{done['file']}: {done['rows']} {done['kind']} rows on {done['deals']} deals; "
                            f"{done['changes']} changes kept in the maps' history")
