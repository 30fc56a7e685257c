"""The board report's trend charts: XmR with the Making Data Count rules and icons from 15
points, a run chart below (``gpequity.spc.chart_type``), drawn with Vega-Altair to SVG like
the plan run charts, each with a text description and the data for its table (ADR 27)."""

from __future__ import annotations

import statistics
from html import escape
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from gpequity import spc
from gpequity.web.charts import chart_to_svg

if TYPE_CHECKING:
    from .board import Gap

WIDTH, HEIGHT = 520, 240
BLUE, ORANGE, GREY, DARK = "#005eb8", "#ed8b00", "#768692", "#425563"
# Making Data Count colours: blue improving, orange concerning, grey common cause.
ICON_COLOUR = {
    spc.Variation.COMMON_CAUSE: GREY,
    spc.Variation.IMPROVING_HIGH: BLUE,
    spc.Variation.IMPROVING_LOW: BLUE,
    spc.Variation.CONCERNING_HIGH: ORANGE,
    spc.Variation.CONCERNING_LOW: ORANGE,
    spc.Variation.NEITHER_HIGH: "#330072",
    spc.Variation.NEITHER_LOW: "#330072",
}
POINT_WORDS = {"improving": "Improving", "concerning": "Concerning", "common": "Common cause"}


def _scale(kind: str) -> float:
    return 100.0 if kind == "proportion" else 1.0


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def variation_icon_svg(variation: spc.Variation) -> str:
    """The Making Data Count variation icon: a coloured circle with H (higher) or L (lower)
    for special cause, a flat line for common cause; its words are its accessible name."""
    words = spc.VARIATION_WORDS[variation]
    colour = ICON_COLOUR[variation]
    if variation is spc.Variation.COMMON_CAUSE:
        mark = '<path d="M12 24h24" stroke="#fff" stroke-width="4" stroke-linecap="round"/>'
    else:
        letter = "H" if variation.value.endswith("high") else "L"
        mark = (
            f'<text x="24" y="31" text-anchor="middle" font-family="Arial, sans-serif" '
            f'font-size="20" font-weight="bold" fill="#fff">{letter}</text>'
        )
    return (
        f'<svg class="app-spc-icon" xmlns="http://www.w3.org/2000/svg" width="48" height="48" '
        f'viewBox="0 0 48 48" role="img" aria-label="{escape(words)}" focusable="false">'
        f"<title>{escape(words)}</title>"
        f'<circle cx="24" cy="24" r="22" fill="{colour}"/>{mark}</svg>'
    )


def _point_kind(point: spc.Point) -> str:
    icon = spc.variation_icon(point, spc.Direction.LOWER)
    if icon is spc.Variation.COMMON_CAUSE:
        return "common"
    return "improving" if icon.value.startswith("special_cause_improving") else "concerning"


def _rules(point: spc.Point) -> str:
    rules = []
    if point.beyond_limits:
        rules.append("beyond a process limit")
    if point.run:
        rules.append("run of 7 on one side of the mean")
    if point.trend:
        rules.append("trend of 7 rising or falling")
    if point.two_of_three:
        rules.append("2 of 3 near a limit")
    return "; ".join(rules)


BOARD_CHARTS_KEPT = 50
"""An organisation's most recent board charts kept; older ones are drawn again if asked."""


def _cached_svg(org, key_text: str, draw) -> str:
    """The chart's SVG from the HNA area's chart store when drawn before (same data, same
    words), else drawn now and kept: drawing takes seconds and the page and PDF share it.

    A board's charts change with every new result or measurement, so each new one kept
    removes the organisation's board charts beyond the newest ``BOARD_CHARTS_KEPT``."""
    import hashlib

    from gpequity.web.hna.models import RenderedChart

    key = "board:" + hashlib.sha256(key_text.encode()).hexdigest()
    found = RenderedChart.objects.filter(key=key).values_list("svg", flat=True).first()
    if found is not None:
        return found
    svg = draw()
    _, created = RenderedChart.objects.get_or_create(
        key=key, defaults={"organisation": org, "svg": svg}
    )
    if created:
        older = RenderedChart.objects.filter(organisation=org, key__startswith="board:")
        stale = list(
            older.order_by("-created_at", "-pk").values_list("pk", flat=True)[BOARD_CHARTS_KEPT:]
        )
        if stale:
            RenderedChart.objects.filter(pk__in=stale).delete()
    return svg


def trend_chart(gap: Gap, org=None) -> dict[str, Any]:
    """The chart of one gap over time: ``kind`` ("xmr", "run" or "" when under 2 points can
    be shown), ``svg``, ``description``, ``rows`` for the data table, the variation icon
    and whether the gap is widening."""
    f = gap.finding
    scale = _scale(f.kind)
    unit = "percentage points" if f.kind == "proportion" else "points"
    shown = [p for p in gap.points if p.gap is not None]
    title = f"Gap in {f.indicator_title.lower()}: {f.worse_group_label} against everyone else"
    rows = [
        {
            "as_of": p.as_of,
            "practices": p.practices,
            "gap": None if p.gap is None else _fmt(p.gap * scale),
            "kind": "",
            "rules": "",
        }
        for p in gap.points
    ]
    base = {
        "title": title,
        "unit": unit,
        "rows": rows,
        "icon": "",
        "variation": "",
        "widening": False,
    }
    suppressed = len(gap.points) - len(shown)
    hidden = (
        f" {suppressed} point{'s' if suppressed != 1 else ''} suppressed." if suppressed else ""
    )
    if len(shown) < 2:
        return base | {
            "kind": "",
            "svg": "",
            "description": (
                f"{title}: too few points to show a trend ({len(shown)} shown).{hidden}"
            ),
        }
    values = [p.gap * scale for p in shown]
    data = pd.DataFrame({"date": [p.as_of.isoformat() for p in shown], "gap": values})
    x = alt.X("date:T", title="Results as of")
    y = alt.Y("gap:Q", title=f"Gap ({unit})", scale=alt.Scale(zero=False, nice=True))
    period = f"{len(shown)} points from {shown[0].as_of:%d %b %Y} to {shown[-1].as_of:%d %b %Y}"
    if spc.chart_type(len(values)) == "xmr":
        analysis = spc.xmr(values, direction=spc.Direction.LOWER)
        lim = analysis.limits
        kinds = [_point_kind(p) for p in analysis.points]
        data["kind"] = [POINT_WORDS[k] for k in kinds]
        by_date = {p.as_of: (k, pt) for p, k, pt in zip(shown, kinds, analysis.points, strict=True)}
        for row in rows:
            if row["as_of"] in by_date:
                k, pt = by_date[row["as_of"]]
                row["kind"], row["rules"] = POINT_WORDS[k], _rules(pt)
        line = alt.Chart(data).mark_line(color=DARK).encode(x=x, y=y)
        dots = (
            alt.Chart(data)
            .mark_point(filled=True, size=70)
            .encode(
                x=x,
                y=y,
                color=alt.Color(
                    "kind:N",
                    title="Point",
                    scale=alt.Scale(domain=list(POINT_WORDS.values()), range=[BLUE, ORANGE, GREY]),
                    legend=alt.Legend(orient="bottom"),
                ),
                shape=alt.Shape(
                    "kind:N",
                    scale=alt.Scale(
                        domain=list(POINT_WORDS.values()),
                        range=["triangle-down", "square", "circle"],
                    ),
                    legend=None,
                ),
            )
        )
        refs = [
            ("Mean", lim.mean, DARK, []),
            ("Upper process limit", lim.upper, GREY, [6, 3]),
            ("Lower process limit", lim.lower, GREY, [6, 3]),
        ]
        layers = [line, dots, *_rules_layers(refs)]
        variation = analysis.variation
        widening = variation is spc.Variation.CONCERNING_HIGH
        description = (
            f"XmR chart. {title}, in {unit}: {period}. Mean {_fmt(lim.mean)}, process limits "
            f"{_fmt(lim.lower)} to {_fmt(lim.upper)}. Latest point {_fmt(values[-1])}: "
            f"{spc.VARIATION_WORDS[variation].lower()}. A smaller gap is better.{hidden}"
        )
        extra = {
            "icon": variation_icon_svg(variation),
            "variation": spc.VARIATION_WORDS[variation],
        }
        kind = "xmr"
    else:
        median = statistics.median(values)
        layers = [
            alt.Chart(data)
            .mark_line(point=alt.OverlayMarkDef(size=60, filled=True), color=BLUE)
            .encode(x=x, y=y),
            *_rules_layers([("Median", median, DARK, [2, 2])]),
        ]
        widening = values[-1] > values[0] and values[-1] > median
        description = (
            f"Run chart. {title}, in {unit}: {period}. Median {_fmt(median)}, first "
            f"{_fmt(values[0])}, latest {_fmt(values[-1])}. Fewer than "
            f"{spc.MIN_POINTS_FOR_XMR} points, so no process limits are drawn. A smaller gap "
            f"is better.{hidden}"
        )
        extra = {}
        kind = "run"

    def draw() -> str:
        chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
        return chart_to_svg(chart, label=description)

    key_text = repr((kind, description, values, data.get("kind", pd.Series()).tolist()))
    return (
        base
        | extra
        | {
            "kind": kind,
            "svg": _cached_svg(org, key_text, draw) if org is not None else draw(),
            "description": description,
            "widening": widening,
        }
    )


def _rules_layers(refs: list[tuple[str, float, str, list[int]]]) -> list:
    layers = []
    for name, value, colour, dash in refs:
        rule = pd.DataFrame({"y": [value], "label": [f"{name} {_fmt(value)}"]})
        base = alt.Chart(rule)
        layers.append(base.mark_rule(color=colour, strokeDash=dash, size=2).encode(y="y:Q"))
        layers.append(
            base.mark_text(align="right", dx=-4, dy=-6, color=colour, fontSize=12).encode(
                y="y:Q", x=alt.value(WIDTH), text="label:N"
            )
        )
    return layers
