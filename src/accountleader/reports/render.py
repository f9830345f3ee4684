"""Turn a report document (see :mod:`.data`) into HTML, Markdown or PDF.

HTML is one self-contained file: inline CSS, charts as inline SVG, no script, no network.
The PDF is that same HTML printed by headless Chromium.  Markdown carries the same words
and tables (no charts) for pasting into chat or email.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2

from .. import __version__
from ..domain.actions import money, pct
from ..errors import InputError
from . import charts as ch
from . import obedience

Step = Callable[[str, float], None]

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")
PDF_TIMEOUT_S = 120


def _num(v: Any) -> str:
    if v is None:
        return "—"
    v = float(v)
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.1f}"


def _day(v: Any) -> str:
    return "—" if not v else str(v)[:10]


def _pct(v: Any) -> str:
    return "—" if v is None else pct(v)


def _money(v: Any) -> str:
    return "—" if v is None else money(v)


def _env() -> jinja2.Environment:
    root = files("accountleader.reports") / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root)), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    env.filters.update(num=_num, day=_day, pct=_pct, money=_money)
    env.globals["desk_intro"] = obedience.DESK_INTRO
    return env


# -- charts -----------------------------------------------------------------------------------


def chart_svgs(doc: dict[str, Any], progress: Step | None = None) -> dict[str, str]:
    """Every chart a report shows, rendered to SVG markup (in process)."""
    rows = doc.get("chart_rows", {})
    specs: dict[str, Any] = {}
    sla = doc["basis"]["sla_business_days"]
    if doc["kind"] == "team":
        specs = {
            "matrix": ch.matrix_chart(doc["reps"]),
            "tend_create": ch.tend_create_chart(doc["reps"]),
            "effort_fit": ch.effort_fit_chart(rows["effort"]),
            "quotes": ch.quote_turnaround_chart(rows["quote_days"], sla),
        }
    elif doc["kind"] == "seller":
        specs = {
            "matrix": ch.matrix_chart(doc["peers"], highlight=doc["rep"]["user_id"]),
            "quotes": ch.quote_turnaround_chart(rows["quote_days"], sla),
        }
    elif doc["kind"] == "account" and doc["timeline"]:
        specs = {"timeline": ch.timeline_chart(doc["timeline"])}
    out = {}
    for i, (name, spec) in enumerate(specs.items()):
        if progress:
            progress(f"chart: {name.replace('_', ' ')}", i / max(len(specs), 1))
        out[name] = ch.to_svg(spec, f"chart-{name.replace('_', '-')}")
    return out


# -- html -------------------------------------------------------------------------------------


def to_html(doc: dict[str, Any], svgs: dict[str, str]) -> str:
    css = (files("accountleader.reports") / "templates" / "report.css").read_text(encoding="utf-8")
    template = _env().get_template(f"{doc['kind']}.html.j2")
    charts = {name: svgs.get(name, "") for name in ("matrix", "tend_create", "effort_fit", "quotes", "timeline")}
    return template.render(doc=doc, charts=charts, css=css, version=__version__)


# -- markdown ---------------------------------------------------------------------------------


def _md(v: Any) -> str:
    """CRM text for Markdown: HTML special characters escaped, so a name like
    ``<script>`` stays text in any renderer that passes HTML through."""
    return html.escape(str(v), quote=False)


def _cell(v: Any) -> str:
    return _md(v if v is not None else "—").replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    if not rows:
        return ["_None._", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return [*lines, ""]


def _vs_expected(r: dict[str, Any]) -> str:
    if r.get("results_vs_expected") is None:
        return "—"
    return (f"{r['results_vs_expected']:.2f}x ({r.get('results_vs_expected_low') or 0:.2f}-"
            f"{r.get('results_vs_expected_high') or 0:.2f}, n={r.get('expected_n')})")


def _findings_md(findings: Sequence[dict[str, Any]]) -> list[str]:
    if not findings:
        return ["_Nothing stands out: no finding crossed its threshold._", ""]
    return [f"{i}. **{f['severity']}**: {_md(f['text'])}" for i, f in enumerate(findings, 1)] + [""]


def _actions_md(actions: Sequence[dict[str, Any]], owner: bool = False) -> list[str]:
    headers = ["#", "Action", *(["Seller"] if owner else []), "Reason and evidence", "Score"]
    rows = [[i, a["title"], *([a.get("owner_name") or a.get("owner_id")] if owner else []), a["reason"], _num(a["score"])]
            for i, a in enumerate(actions, 1)]
    return _table(headers, rows)


def _opps_md(rows: Sequence[dict[str, Any]]) -> list[str]:
    return _table(["Deal", "Stage", "Amount", "Close", "Contacts", "Decision maker"],
                  [[o["name"], o["stage"], _money(o.get("amount")), _day(o.get("close_date")), o.get("contacts_engaged") or 0,
                    "yes" if o.get("has_decision_maker") else "no"] for o in rows])


def _alerts_md(alerts: Sequence[dict[str, Any]] | None) -> list[str]:
    """Playbook alerts standing at this report: each fired once, at an analysis (docs/web.md)."""
    if not alerts:
        return []
    return ["## Playbook alerts", "", *[
        f"- **{_md(a['title'])}** on {_md(a.get('subject_name') or a['subject_id'])}: {_md(a['evidence'])} "
        f"(trigger: {_md(a['trigger'])}; fired as of {a['as_of'][:10]}; owner {_md(a['owner'])}, due {a['due_date']})"
        for a in alerts], ""]


def _accuracy_md(acc: dict[str, Any] | None) -> list[str]:
    """The team report's forecast accuracy (backtest) section (docs/reports.md)."""
    if acc is None:
        return []
    out = ["## Forecast accuracy (backtest)", ""]
    if not acc["methods"]:
        return [*out, _md(acc["note"]), ""]
    out += [f"The win model replayed at {acc['dates_n']} month starts from {acc['from']} to {acc['to']}, beside the "
            "CRM's stage probability and the historical stage rate, on the deals open then (company-wide; Brier: "
            "lower is better; AUC: higher is better).", ""]
    if acc.get("note"):
        out += [f"**{_md(acc['note'])}**", ""]
    out += _table(["Method", "Deals (n)", "Brier", "AUC"],
                  [[m["label"] + (" (best)" if m["method"] == acc["best"] else ""), m["n"],
                    "—" if m["brier"] is None else f"{m['brier']:.4f}", "—" if m["auc"] is None else f"{m['auc']:.3f}"]
                   for m in acc["methods"]])
    out += ["Forecast (probability x amount of the deals due in the month) against actual bookings:", ""]
    out += _table(["Month from", "Deals due", "Win model", "CRM probability", "Stage rate", "Won by those deals",
                   "Won by all deals"],
                  [[p["as_of"] + ("" if p["complete"] else " (incomplete)"), p["due_n"], _money(p["model"]),
                    _money(p["crm_probability"]), _money(p["stage_rate"]), _money(p["won_from_open_amount"]),
                    _money(p["won_amount"])] for p in acc["periods"]])
    return out


def _days(v: Any) -> str:
    return "—" if v is None else f"{int(v)} days"


def _managed_not_led_md(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The team report's first section: accounts in change but managed, not led."""
    out = ["## In change but managed, not led", ""]
    if not rows:
        return [*out, "No account in heavy change is being only tended (docs/metrics.md, \"managed_not_led\").", ""]
    return out + _table(["Account", "Owner", "Change index", "Create share", "Review every", "Why"],
                        [[a["name"], a.get("owner_name"), _num(a.get("change_index")), _pct(a.get("create_share")),
                          _days(a.get("review_cadence_days")), "; ".join(a.get("leadership_reasons") or [])] for a in rows])


def _leadership_md(a: dict[str, Any]) -> list[str]:
    if not a.get("leadership_mode"):
        return []
    head = (f"**{'Lead' if a['leadership_mode'] == 'lead' else 'Manage'}**, review every {_days(a.get('review_cadence_days'))}"
            + ("; in change but managed, not led." if a.get("managed_not_led") else "."))
    return ["## Leadership this account needs", "", head, "", *[f"- {_md(r)}" for r in a.get("leadership_reasons") or []], ""]


def _style_md(rep: dict[str, Any]) -> list[str]:
    out = ["## Style flexibility", ""]
    if rep.get("style_flexibility") is None:
        return [*out, _md(rep.get("style_note") or "Not measured."), ""]
    out += [f"Style flexibility **{rep['style_flexibility']:.2f}** (0-1, over {rep.get('style_n')} activities)"
            + (": **locked into one style**." if rep.get("style_locked") else "."), ""]
    if rep.get("style_note"):
        out += [_md(rep["style_note"]), ""]
    return out + [f"- {_md(e)}" for e in rep.get("style_examples") or []] + [""]


def to_markdown(doc: dict[str, Any]) -> str:
    b = doc["basis"]
    out = [f"# {_md(doc['title'])}", "",
           f"_As of {b['as_of']} · engagement window {b['window_days']} days · quote SLA {b['sla_business_days']:g} "
           f"business days. Charts are in the HTML and PDF versions._", ""]
    if b.get("data_notes"):
        out += ["**Data artefacts, detected and excluded** (docs/metrics.md, \"Data artefacts\"):", "",
                *[f"- {_md(n)}" for n in b["data_notes"]], ""]
    out += _alerts_md(doc.get("alerts"))
    if doc["kind"] == "team":
        out += _managed_not_led_md(doc.get("managed_not_led_accounts") or [])
        out += ["## Findings", "", *_findings_md(doc["findings"])]
        if doc["findings_total"] > len(doc["findings"]):
            out += [f"_The {len(doc['findings'])} most severe of {doc['findings_total']} findings; each seller's report "
                    "has all of theirs._", ""]
        out += ["## The right-things-right matrix", ""]
        out += _table(["Seller", "Verdict", "Efficiency", "Effectiveness", "Quote h", "Over SLA", "A/B effort", "DM reach",
                       "Create share", "New pipeline", "Won", "Win rate", "Wins vs expected"],
                      [[r["name"], (r.get("quadrant") or "—").replace("_", " "), _num(r.get("efficiency_index")),
                        _num(r.get("effectiveness_index")), _num(r.get("quote_turnaround_median_hours")),
                        _pct(r.get("quote_over_sla_share")), _pct(r.get("high_fit_effort_share")),
                        _pct(r.get("decision_maker_reach")), _pct(r.get("create_share")),
                        _money(r.get("new_pipeline_amount")), _money(r.get("won_amount")), _pct(r.get("win_rate")),
                        _vs_expected(r)] for r in doc["reps"]])
        notes = [f"- **{_md(r['name'])}**: {_md(r['verdict_note'])}" for r in doc["reps"] if r.get("verdict_note")]
        if notes:
            out += ["**Where verdict and results need a word:**", "", *notes, ""]
        out += ["## Accounts changing most", ""]
        out += _table(["Account", "Owner", "Change index", "Drivers", "Mode", "Review every"],
                      [[a["name"], a.get("owner_name"), _num(a.get("change_index")), "; ".join(a.get("change_drivers") or []),
                        a.get("leadership_mode") or "—", _days(a.get("review_cadence_days"))]
                       for a in doc["top_change_accounts"]])
        out += obedience.to_markdown(doc.get("obedience") or [], doc.get("desk") or [])
        out += ["## Next best actions across the team", "", *_actions_md(doc["actions"], owner=True)]
        out += _accuracy_md(doc.get("forecast_accuracy"))
    elif doc["kind"] == "seller":
        out += ["## Where they stand", "", _md(doc["position"]), ""]
        if doc["rep"].get("warning"):
            out += [f"> {_md(doc['rep']['warning'])}", ""]
        out += ["## Findings", "", *_findings_md(doc["findings"])]
        out += _style_md(doc["rep"])
        out += obedience.to_markdown(doc.get("obedience") or [], doc.get("desk") or [])
        out += ["## Next best actions", "", *_actions_md(doc["actions"])]
        out += ["## Open opportunities", "", *_opps_md(doc["open_opportunities"])]
    else:
        a = doc["account"]
        out += ["## Fit", "", f"Fit score {_num(a.get('fit_score'))}, tier {_md(a.get('fit_tier') or 'none')}; owner "
                f"{_md(a.get('owner_name'))}; create share {_pct(a.get('create_share'))}; change index {_num(a.get('change_index'))}.", ""]
        out += [f"- {_md(r)}" for r in a.get("fit_reasons") or []] + [""]
        out += _leadership_md(a)
        out += ["## Next best actions", "", *_actions_md(doc["actions"])]
        out += ["## Stakeholders by buyer role", "",
                f"Roles never engaged: **{', '.join(doc['role_gaps']) if doc['role_gaps'] else 'none'}**.", ""]
        out += _table(["Buyer role", "Name", "Title", "Last touch", "Touches", "Left"],
                      [[g["label"], p["name"], p.get("title"), _day(p.get("last_touch")), p.get("touches_n"),
                        _day(p.get("departed_at")) if p.get("departed_at") else ""]
                       for g in doc["stakeholders_by_role"] for p in g["people"]])
        out += ["## Open opportunities", "", *_opps_md(doc["open_opportunities"])]
        out += ["## Closed opportunities", "", *_opps_md(doc["closed_opportunities"][:25])]
        out += ["## Support maps and proposal readiness", ""]
        for sm in doc.get("support_maps") or []:
            score = _num(sm["readiness_score"]) if sm["readiness_score"] is not None else "not scored"
            out += [f"### {_md(sm['name'])} ({_md(sm['stage'])}): readiness {score}"
                    + ("" if sm["confirmed"] else ", drafted from the CRM"), ""]
            out += [f"- {_md(g['text'])} (-{_num(g['points'])})" for g in sm["readiness_gaps"]] or ["- No gaps."]
            momentum = "unknown" if sm["momentum"] is None else f"{sm['momentum']:+.2f}"
            out += ["", f"Momentum {momentum} over {sm['momentum_n'] or 0} replies, meetings and new stakeholders"
                    + (": cooling." if sm["cooling"] else "."), ""]
            out += _table(["Stakeholder", "Title", "Buyer role", "Stance", "Influence", "Access"],
                          [[p["name"], p.get("title"), (p.get("buyer_role") or "").replace("_", " "),
                            p["stance"] + (" (inferred)" if p["inferred"] else ""), p["influence"], p["access"]]
                           for p in sm["stakeholders"]]
                          + [[f"{b['name']} (ours)", b["function"].replace("_", " "), b.get("ask"),
                              b["commitment"] + (" (inferred)" if b["inferred"] else ""), "", ""] for b in sm["backers"]])
        out += ["## Change timeline", ""]
        out += _table(["When", "What", "Deal", "Detail"],
                      [[_day(e["at"]), e["kind"].replace("_", " "), e.get("opportunity") or "", e["detail"]]
                       for e in doc["timeline"][:30]])
        w = doc["whitespace"]
        out += ["## Whitespace", "", f"Similar accounts: {_md(w['industry'])}, {w['size_band']} employees "
                f"({w['similar_accounts_n']} accounts).", ""]
        out += _table(["Product", "Similar accounts that bought it", "Share", "Open deal here"],
                      [[p["product"], f"{p['similar_accounts_bought_n']} of {p['similar_accounts_n']}", _pct(p["share"]),
                        "yes" if p["open_deal"] else "no"] for p in w["products"]])
    return "\n".join(out).rstrip() + "\n"


# -- pdf --------------------------------------------------------------------------------------


def find_chromium() -> str:
    """The Chromium to print with: ``$ACCOUNTLEADER_CHROMIUM`` or the first on PATH."""
    configured = os.environ.get("ACCOUNTLEADER_CHROMIUM")
    if configured:
        if not Path(configured).exists():
            raise InputError(f"ACCOUNTLEADER_CHROMIUM={configured!r} does not exist", value=configured)
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise InputError("PDF needs Chromium and none was found (apt-get install chromium, or set "
                     "ACCOUNTLEADER_CHROMIUM); --format html or md work without it")


def html_to_pdf(html: str, out: Path) -> None:
    """Print ``html`` to ``out`` with headless Chromium (offline; a throwaway profile)."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="accountleader-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-quic", "--no-pdf-header-footer",
               f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={target}", page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"Chromium did not print the PDF within {PDF_TIMEOUT_S} s") from None
        if not target.exists() or target.stat().st_size == 0:
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise InputError(f"Chromium could not print the PDF (exit {done.returncode}): {' / '.join(tail)}")
        shutil.move(str(target), out)
