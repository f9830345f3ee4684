"""Report charts: Vega-Lite specifications built with Altair, rendered to inline SVG offline.

Each builder takes plain rows and returns an Altair chart; :func:`to_svg` renders one with
vl-convert (in process, no browser, no network).  SVG ids are prefixed per chart so that
several charts can live in one HTML page without their clip paths colliding.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

QUADRANT_COLORS = {"leading": "#2e7d32", "tending": "#8d6e63", "busy": "#f9a825", "slow": "#1565c0", "at_risk": "#c62828"}
TIER_COLORS = {"A": "#1b5e20", "B": "#66bb6a", "C": "#ffb74d", "D": "#e65100", "no tier": "#bdbdbd"}
WIDTH = 420
VL_VERSION = "6.4"


def _color(domain: Mapping[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(domain), range=list(domain.values()))


def matrix_chart(reps: Sequence[Mapping[str, Any]], highlight: str | None = None) -> alt.Chart:
    """Sellers as labelled dots on efficiency x effectiveness, with quadrant lines at 50."""
    rows = [
        {"name": r.get("name") or r.get("user_id"), "efficiency": r["efficiency_index"],
         "effectiveness": r["effectiveness_index"], "quadrant": r.get("quadrant"),
         "focus": highlight is None or r.get("user_id") == highlight}
        for r in reps if r.get("efficiency_index") is not None and r.get("effectiveness_index") is not None
    ]
    df = pd.DataFrame(rows, columns=["name", "efficiency", "effectiveness", "quadrant", "focus"])
    scale = alt.Scale(domain=[0, 100])
    base = alt.Chart(df).encode(
        x=alt.X("efficiency:Q", scale=scale, title="Efficiency index (doing things right)"),
        y=alt.Y("effectiveness:Q", scale=scale, title="Effectiveness index (doing the right things)"),
    )
    dots = base.mark_circle(size=110, stroke="white", strokeWidth=1).encode(
        color=alt.Color("quadrant:N", scale=_color(QUADRANT_COLORS), legend=alt.Legend(title="Quadrant", orient="bottom")),
        opacity=alt.condition("datum.focus", alt.value(1.0), alt.value(0.25)),
    )
    labels = base.mark_text(align="left", dx=7, dy=-6, fontSize=10).encode(
        text="name:N", opacity=alt.condition("datum.focus", alt.value(1.0), alt.value(0.35)))
    lines = pd.DataFrame({"v": [50]})
    vline = alt.Chart(lines).mark_rule(strokeDash=[4, 4], color="#777").encode(x="v:Q")
    hline = alt.Chart(lines).mark_rule(strokeDash=[4, 4], color="#777").encode(y="v:Q")
    corners = pd.DataFrame([
        {"x": 98, "y": 98, "t": "leading", "a": "right"}, {"x": 98, "y": 2, "t": "busy", "a": "right"},
        {"x": 2, "y": 98, "t": "slow", "a": "left"}, {"x": 2, "y": 2, "t": "at risk", "a": "left"},
    ])
    names = alt.layer(*[
        alt.Chart(corners[corners.a == a]).mark_text(align=a, fontSize=11, fontStyle="italic", color="#999")
        .encode(x="x:Q", y="y:Q", text="t:N") for a in ("left", "right")
    ])
    return alt.layer(vline, hline, names, dots, labels).properties(width=WIDTH, height=WIDTH, title="The right-things-right matrix")


def tend_create_chart(reps: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Per seller: share of activities creating versus tending business."""
    rows = []
    for r in reps:
        share = r.get("create_share")
        if share is None:
            continue
        name = r.get("name") or r.get("user_id")
        rows += [{"seller": name, "kind": "creating", "share": share}, {"seller": name, "kind": "tending", "share": 1 - share}]
    df = pd.DataFrame(rows, columns=["seller", "kind", "share"])
    order = [r.get("name") or r.get("user_id") for r in sorted(reps, key=lambda r: -(r.get("create_share") or 0))]
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("seller:N", sort=order, title=None),
        x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="Share of classified activities"),
        color=alt.Color("kind:N", scale=_color({"creating": "#2e7d32", "tending": "#b0bec5"}),
                        legend=alt.Legend(title=None, orient="bottom")),
        order=alt.Order("kind:N"),
    ).properties(width=WIDTH, height=max(120, 18 * len(order)), title="Tend versus create, per seller")


def effort_fit_chart(effort: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Per seller: where the activities went, by fit tier of the account touched.
    Rows: seller, tier (A-D or "no tier"), activities_n."""
    df = pd.DataFrame(list(effort), columns=["seller", "tier", "activities_n"])
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("seller:N", title=None, sort=alt.SortField("seller")),
        x=alt.X("activities_n:Q", stack="normalize", axis=alt.Axis(format="%"), title="Share of activities in the window"),
        color=alt.Color("tier:N", scale=_color(TIER_COLORS), legend=alt.Legend(title="Fit tier", orient="bottom")),
        order=alt.Order("tier:N"),
    ).properties(width=WIDTH, height=max(120, 18 * df.seller.nunique()), title="Effort versus fit")


def quote_turnaround_chart(business_days: Sequence[float], sla_business_days: float, *, cap: float = 15.0) -> alt.Chart:
    """Histogram of quote turnaround in business days (capped at ``cap``), with the SLA as a rule."""
    df = pd.DataFrame({"days": [min(float(d), cap) for d in business_days]})
    bars = alt.Chart(df).mark_bar(color="#546e7a").encode(
        x=alt.X("days:Q", bin=alt.Bin(step=0.5, extent=[0, cap]), title=f"Business days from request to quote (capped at {cap:g})"),
        y=alt.Y("count():Q", title="Quotes"),
    )
    sla = pd.DataFrame({"sla": [sla_business_days], "label": [f"SLA {sla_business_days:g} days"]})
    rule = alt.Chart(sla).mark_rule(color="#c62828", strokeWidth=2).encode(x="sla:Q")
    text = alt.Chart(sla).mark_text(align="left", dx=4, dy=-4, color="#c62828", baseline="top").encode(
        x="sla:Q", y=alt.value(0), text="label:N")
    return alt.layer(bars, rule, text).properties(width=WIDTH, height=220, title="Quote turnaround")


def timeline_chart(events: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Change events over time, one row per kind."""
    df = pd.DataFrame([{"at": e["at"][:10], "kind": e["kind"].replace("_", " "), "detail": e.get("detail") or ""}
                       for e in events if e.get("at")], columns=["at", "kind", "detail"])
    return alt.Chart(df).mark_tick(thickness=2, size=16).encode(
        x=alt.X("at:T", title=None), y=alt.Y("kind:N", title=None), color=alt.Color("kind:N", legend=None),
    ).properties(width=WIDTH + 120, height=max(60, 28 * df.kind.nunique()), title="Change timeline")


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(chart: alt.TopLevelMixin, prefix: str, label: str | None = None) -> str:
    """Render one chart to SVG markup with its ids prefixed by ``prefix``; ``label`` names it
    for screen readers (the chart's title when not given)."""
    svg = vlc.vegalite_to_svg(chart.to_dict(), vl_version=VL_VERSION)
    ids = set(_ID.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{old}"', f'id="{prefix}-{old}"').replace(f"url(#{old})", f"url(#{prefix}-{old})")
        svg = svg.replace(f'href="#{old}"', f'href="#{prefix}-{old}"')
    title = label or str(chart.to_dict().get("title") or prefix)
    svg = re.sub(r"^<svg ", f'<svg role="img" aria-label="{html.escape(title)}" data-chart="{prefix}" ', svg, count=1)
    return svg
