"""The funnel plot and the ranked chart of one indicator (Vega-Altair, SVG on the server).

Only disclosed figures are drawn: rounded denominators and values of rows that are not
suppressed. A drawn SVG is kept by what it is drawn from (the disclosed points, the network's
value, the words): in a small in-process cache, and in the HNA area's chart store
(``RenderedChart``) so that every server process and restart shares it; an ICB's ranked
chart of 200 practices takes vl-convert half a second or more to draw.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

import altair as alt
import pandas as pd

from gpequity.benchmark import funnel_denominators, mean_limits, proportion_limits
from gpequity.web.charts import chart_to_svg
from gpequity.web.hna.words import format_value

BLUE, GREY, DARK, RED = "#005eb8", "#4c6272", "#212b32", "#d5281b"
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_SIZE = 256
# Part of every chart's key: change it when the drawing changes, so that charts kept in the
# database are drawn again rather than shown as they were drawn before.
DRAWING = "3"
NAME_CHARS = 36  # a practice's name on the ranked chart's axis is cut after this many


def _key(kind: str, bench, title: str) -> str:
    """What a chart is drawn from: the disclosed points, the network's value, the title."""
    points = [
        (
            e.practice.name,
            e.denominator,
            e.value,
            e.lower,
            e.upper,
            getattr(e.position, "words", ""),
            getattr(e.position, "level", None),
        )
        for e in bench.shown
    ]
    data = json.dumps(
        [
            DRAWING,
            kind,
            title,
            bench.definition.id,
            bench.definition.title,
            bench.definition.kind,
            bench.target,
            getattr(bench, "sd", None),
            points,
        ],
        default=str,
    )
    return hashlib.sha256(data.encode()).hexdigest()


def _cached(key: str, draw, org=None) -> str:
    """The SVG for ``key``, drawn (building and converting the chart) only once: kept in
    this process, and in the database (under ``org``, the network) for every process.

    The key holds everything drawn, so a chart found by it shows exactly what this page
    would draw: only the disclosed figures of the practices that share with this viewer."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    from gpequity.web.hna.models import RenderedChart

    stored = f"network-benchmark:{key}"
    svg = None
    if org is not None:
        svg = RenderedChart.objects.filter(key=stored).values_list("svg", flat=True).first()
    if svg is None:
        svg = draw()
        if org is not None:
            # Another process may have kept the same drawing a moment ago: either will do.
            RenderedChart.objects.bulk_create(
                [RenderedChart(key=stored, organisation=org, svg=svg)], ignore_conflicts=True
            )
    _CACHE[key] = svg
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return svg


def funnel_svg(bench, title: str, org=None) -> str:
    """Value against denominator, with the network's value and 95% / 99.8% limits (for a
    mean, limits from the spread of patients' scores within practices)."""
    if bench.target is None or not bench.shown:
        return ""
    if bench.definition.kind == "mean" and bench.sd is None:
        return ""
    return _cached(_key("funnel", bench, title), lambda: _funnel(bench, title), org)


def ranked_svg(bench, title: str, org=None) -> str:
    """Each practice's value with its 95% interval, highest first, against the network."""
    if not any(e.lower is not None and e.upper is not None for e in bench.shown):
        return ""
    return _cached(_key("ranked", bench, title), lambda: _ranked(bench, title), org)


def _pct(v: float) -> float:
    return round(100 * v, 3)


def _funnel(bench, title: str) -> str:
    shown = bench.shown
    if bench.target is None or not shown:
        return ""
    largest = max(max(e.denominator for e in shown), 10)
    kind = bench.definition.kind
    ns = funnel_denominators(largest, smallest=5, points=60)
    if kind == "mean":
        limits = mean_limits(bench.target, bench.sd, ns)
        scale = lambda v: round(v, 4)  # noqa: E731
    else:
        limits = proportion_limits(bench.target, ns)
        scale = _pct
    lines = []
    for lim in limits:
        for name, value in (
            ("95% limits", lim.lower_95),
            ("95% limits ", lim.upper_95),
            ("99.8% limits", lim.lower_998),
            ("99.8% limits ", lim.upper_998),
        ):
            lines.append({"denominator": lim.denominator, "value": scale(value), "line": name})
    lines_df = pd.DataFrame(lines)
    points = pd.DataFrame(
        [
            {
                "practice": e.practice.name,
                "denominator": e.denominator,
                "value": scale(e.value),
                "outside": "Beyond 99.8%" if e.position and e.position.level == 0.998 else "",
            }
            for e in shown
        ]
    )
    x = alt.X("denominator:Q", title="Patients in the denominator (rounded to 5)")
    unit = "" if kind == "mean" else " (%)"
    y = alt.Y(
        "value:Q",
        title=f"{bench.definition.title}{unit}",
        scale=alt.Scale(zero=False) if kind == "mean" else alt.Undefined,
    )
    layers = [
        alt.Chart(lines_df[lines_df["line"].str.startswith("95")])
        .mark_line(color=GREY, strokeDash=[5, 3])
        .encode(x=x, y=y, detail="line:N"),
        alt.Chart(lines_df[lines_df["line"].str.startswith("99")])
        .mark_line(color=DARK)
        .encode(x=x, y=y, detail="line:N"),
        alt.Chart(pd.DataFrame({"value": [scale(bench.target)]}))
        .mark_rule(color=BLUE)
        .encode(y="value:Q"),
        alt.Chart(points)
        .mark_point(filled=True, size=70, color=BLUE, shape="diamond")
        .encode(x=x, y=y),
    ]
    outside = points[points["outside"] != ""]
    if not outside.empty:
        layers.append(
            alt.Chart(outside)
            .mark_text(align="left", dx=7, color=DARK, fontSize=11)
            .encode(x=x, y=y, text="practice:N")
        )
    chart = alt.layer(*layers).properties(width=440, height=280, title=title)
    label = (
        f"{title}. Funnel plot of {len(shown)} practices' values against how many patients "
        f"each has in the denominator. The network's value, "
        f"{format_value(bench.target, kind)}, is the solid horizontal line; the dashed "
        "lines are the 95% limits and the solid curves the 99.8% limits. "
        + describe_outliers(bench)
    )
    return chart_to_svg(chart, label=label)


def _ranked(bench, title: str) -> str:
    shown = [e for e in bench.shown if e.lower is not None and e.upper is not None]
    if not shown:
        return ""
    kind = bench.definition.kind
    scale = (lambda v: _pct(v)) if kind == "proportion" else (lambda v: round(v, 4))
    data = pd.DataFrame(
        [
            {
                "practice": e.practice.name,
                "value": scale(e.value),
                "lower": scale(e.lower),
                "upper": scale(e.upper),
            }
            for e in sorted(shown, key=lambda e: (-e.value, e.practice.name))
        ]
    )
    order = list(data["practice"])
    unit = " (%)" if kind == "proportion" else ""
    # Each practice's name is measured by vl-convert for every check Vega makes (about 2 ms
    # a name), which made an ICB's ranked chart of 200 practices a second to draw: no label
    # can overlap another on a band 24 pixels high, so that check is off, and a long name is
    # cut by its length in characters (about the 200 pixels Vega cut it to) rather than by
    # measuring it again. The full names are in the chart's label and the table.
    y = alt.Y(
        "practice:N",
        sort=order,
        title=None,
        axis=alt.Axis(
            labelLimit=0,
            labelOverlap=False,
            labelExpr=(
                f"length(datum.label) > {NAME_CHARS} ? "
                f"substring(datum.label, 0, {NAME_CHARS - 1}) + '\u2026' : datum.label"
            ),
        ),
    )
    base = alt.Chart(data)
    layers = [
        base.mark_rule(color=GREY, size=2).encode(
            x=alt.X("lower:Q", title=f"{bench.definition.title}{unit}"), x2="upper:Q", y=y
        ),
        base.mark_point(filled=True, size=70, color=BLUE, shape="diamond").encode(x="value:Q", y=y),
    ]
    label = (
        f"{title}. Practices ranked by value, highest first, each with its 95% interval: "
        + "; ".join(
            f"{e.practice.name} {format_value(e.value, kind)}"
            for e in sorted(shown, key=lambda e: (-e.value, e.practice.name))
        )
    )
    if bench.target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"value": [scale(bench.target)]}))
            .mark_rule(color=DARK, strokeDash=[4, 3])
            .encode(x="value:Q")
        )
        label += f". The dashed line is the network: {format_value(bench.target, kind)}."
    chart = alt.layer(*layers).properties(width=400, height=max(60, 24 * len(data)), title=title)
    return chart_to_svg(chart, label=label)


def describe_outliers(bench) -> str:
    far = bench.outliers()
    if not far:
        return "No practice is beyond the 99.8% limits."
    parts = [f"{e.practice.name} ({e.position.words.lower()})" for e in far]
    return "Beyond the 99.8% limits: " + "; ".join(parts) + "."
