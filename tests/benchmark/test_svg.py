"""The funnel plot and ranked chart drawn straight to SVG (gpequity.benchmark.svg, ADR 31):
one labelled image, every practice where its figures put it, names cut on the axis only,
outliers named, and text a person typed escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gpequity.benchmark import funnel_denominators, proportion_limits, svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _diamond_centres(root):
    out = []
    for path in root.findall("s:path", NS):
        d = path.get("d")
        if d.endswith("Z"):  # a diamond: top, right, bottom, left
            (x, top), _, (_, bottom), _ = (
                tuple(float(v) for v in p.split(",")) for p in re.findall(r"[\d.,-]+", d)
            )
            out.append((x, (top + bottom) / 2))
    return out


def _axis(root, anchor="middle"):
    """The x axis's tick labels and their places: (value, x)."""
    return [
        (float(t.text.replace(",", "")), float(t.get("x")))
        for t in root.findall("s:text", NS)
        if t.get("text-anchor") == anchor and re.fullmatch(r"-?[\d,.]+", t.text or "")
    ]


def _at(value, ticks):
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    return x0 + (value - v0) / (v1 - v0) * (x1 - x0)


def test_the_ranked_chart_puts_each_practice_on_its_row_at_its_value():
    rows = [
        svg.Ranked("North & <Sons>", 81.0, 78.5, 83.0),
        svg.Ranked("The Riverside Medical Practice at Old Market Street", 70.0, 66.0, 74.0),
        svg.Ranked("South", 55.5, 50.0, 61.0),
    ]
    out = svg.ranked_chart(
        rows, title="Practices ranked", x_title="Recorded (%)", label="Ranked <x>", target=68.0
    )
    root = ET.fromstring(out)
    assert root.get("role") == "img" and root.get("aria-label") == "Ranked <x>"
    assert "role=" not in out.split(">", 1)[1]
    ticks = _axis(root)
    centres = _diamond_centres(root)
    assert len(centres) == 3
    for (cx, _), row in zip(centres, rows, strict=True):
        assert cx == pytest.approx(_at(row.value, ticks), abs=0.2)
    assert [cy for _, cy in centres] == sorted(cy for _, cy in centres)  # in the order given
    names = [t.text for t in root.findall("s:text", NS) if t.get("text-anchor") == "end"]
    assert names[0] == "North & <Sons>"  # escaped in the SVG, read back whole
    assert names[1] == rows[1].name[: svg.NAME_CHARS - 1] + "\u2026"
    dashed = [ln for ln in root.findall("s:line", NS) if ln.get("stroke-dasharray")]
    assert len(dashed) == 1 and float(dashed[0].get("x1")) == pytest.approx(_at(68.0, ticks), 0.2)


def test_the_funnel_names_practices_beyond_the_limits_and_draws_four_limit_curves():
    limits = proportion_limits(0.7, funnel_denominators(4000, smallest=5, points=30))
    rows = [
        (x.denominator, 100 * x.lower_95, 100 * x.upper_95, 100 * x.lower_998, 100 * x.upper_998)
        for x in limits
    ]
    points = [
        svg.FunnelPoint("Hill Surgery", 4000, 80.0, outside=True),
        svg.FunnelPoint("Vale", 1000, 71.0),
    ]
    out = svg.funnel_chart(
        points, rows, target=70.0, title="Funnel", x_title="Patients", y_title="%", label="F"
    )
    root = ET.fromstring(out)
    assert len(root.findall("s:polyline", NS)) == 4
    assert len(_diamond_centres(root)) == 2
    texts = [t.text for t in root.findall("s:text", NS)]
    assert "Hill Surgery" in texts and "Vale" not in texts
    ticks = _axis(root)
    (cx, _), (vx, _) = _diamond_centres(root)
    assert cx == pytest.approx(_at(4000, ticks), abs=0.2)
    assert vx == pytest.approx(_at(1000, ticks), abs=0.2)


@settings(max_examples=100, deadline=None)
@example([(5e-324, 0.0)])  # a span whose share of the ticks underflows to zero
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1e6, allow_nan=False),
            st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_any_figures_draw_inside_the_frame(figures):
    points = [svg.FunnelPoint(f"P{i}", d, v) for i, (d, v) in enumerate(figures)]
    limits = [(d, v - 1, v + 1, v - 2, v + 2) for d, v in sorted(figures)]
    target = figures[0][1]
    for out in (
        svg.funnel_chart(
            points, limits, target=target, title="t", x_title="x", y_title="y", label="l",
            y_from_zero=False,
        ),
        svg.ranked_chart(
            [svg.Ranked(p.name, p.value, p.value - 1, p.value + 1) for p in points],
            title="t", x_title="x", label="l", target=target,
        ),
    ):  # fmt: skip
        root = ET.fromstring(out)
        _, _, width, height = (float(v) for v in root.get("viewBox").split())
        for x, y in _diamond_centres(root):
            assert -0.5 <= x <= width + 0.5 and -0.5 <= y <= height + 0.5
