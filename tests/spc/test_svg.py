"""The run chart drawn straight to SVG (gpequity.spc.svg, ADR 31): well-formed, one labelled
image, every point where its date and value put it, nice axes, and user text escaped."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.spc import svg

NS = {"s": "http://www.w3.org/2000/svg"}
REFS = [
    svg.Reference("Median 65.5", 65.5, "#4c6272", "2 2"),
    svg.Reference("Target 80", 80.0, "#007f3b", "8 4"),
]


def _points(values, start=dt.date(2026, 1, 1), days=30):
    return [(start + dt.timedelta(days=days * i), v) for i, v in enumerate(values)]


def _tree(text: str) -> ET.Element:
    return ET.fromstring(text)


def _plot_y(value: float, root: ET.Element) -> float:
    """Where the chart put ``value``: read from its own y axis labels (linear)."""
    labels = [
        (float(t.text.replace(",", "")), float(t.get("y")) - 4)
        for t in root.findall("s:text", NS)
        if t.get("text-anchor") == "end" and re.fullmatch(r"-?[\d,.]+", t.text or "")
    ]
    (v0, y0), (v1, y1) = labels[0], labels[-1]
    return y0 + (value - v0) / (v1 - v0) * (y1 - y0)


def test_one_labelled_image_with_its_points_in_order_and_at_their_values():
    values = [61, 62.5, 60, 64, 66, 65, 67.2, 69, 70, 71]
    out = svg.run_chart(
        _points(values), label="Run chart of ethnicity", y_title="Recorded (%)", references=REFS
    )
    root = _tree(out)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Run chart of ethnicity"
    assert root.find("s:title", NS).text == "Run chart of ethnicity"
    # no inner roles (axe: an image has no interactive or named children)
    assert "role=" not in out.split(">", 1)[1]
    circles = root.findall("s:circle", NS)
    assert len(circles) == len(values)
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    for circle, value in zip(circles, values, strict=True):
        assert float(circle.get("cy")) == pytest.approx(_plot_y(value, root), abs=0.2)
    # the reference lines are drawn with their labels at their values
    texts = {t.text: t for t in root.findall("s:text", NS)}
    assert "Median 65.5" in texts and "Target 80" in texts
    assert float(texts["Target 80"].get("y")) + 6 == pytest.approx(_plot_y(80, root), abs=0.2)


def test_the_y_axis_covers_every_value_and_reference_with_nice_ticks():
    low, high, ticks = svg.y_scale([61, 71, 58, 80])
    assert low <= 58 and high >= 80
    assert ticks[0] == low and ticks[-1] == high
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in {1, 2, 2.5, 5}
    assert len(ticks) <= 10


@pytest.mark.parametrize(
    ("first", "last", "style", "first_label"),
    [
        (dt.date(2026, 11, 1), dt.date(2026, 11, 20), "day", "1 Nov"),
        (dt.date(2026, 1, 15), dt.date(2026, 10, 1), "month", "Mar 2026"),
        (dt.date(2020, 3, 1), dt.date(2026, 10, 1), "month", "Jan 2021"),
    ],
)
def test_date_ticks_fall_inside_the_span_and_are_few(first, last, style, first_label):
    ticks, got = svg.x_ticks(first, last)
    assert got == style
    assert 2 <= len(ticks) <= 7
    assert all(first <= t <= last for t in ticks)
    assert svg._tick_label(ticks[0], got) == first_label


def test_one_point_and_equal_values_still_draw():
    one = _tree(svg.run_chart([(dt.date(2026, 5, 1), 7.0)], label="one", y_title="n"))
    assert len(one.findall("s:circle", NS)) == 1
    flat = _tree(svg.run_chart(_points([0, 0, 0]), label="flat", y_title="n"))
    ys = {c.get("cy") for c in flat.findall("s:circle", NS)}
    assert len(ys) == 1
    assert svg.run_chart([], label="none", y_title="n") == ""


def test_text_a_person_typed_cannot_break_out_of_the_chart():
    nasty = '</text><script>alert("x")</script><text>'
    out = svg.run_chart(
        _points([1, 2]),
        label=nasty,
        y_title=nasty,
        references=[svg.Reference(nasty, 1.5, "#000", "2 2")],
    )
    assert "<script" not in out
    root = _tree(out)
    assert root.get("aria-label") == nasty
    assert any(t.text == nasty for t in root.findall("s:text", NS))


def test_values_that_are_not_numbers_are_refused():
    with pytest.raises(ValueError, match="finite"):
        svg.run_chart(_points([1, float("nan")]), label="x", y_title="y")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_subnormal=False),
        min_size=1,
        max_size=40,
    ),
    st.integers(min_value=1, max_value=400),
)
def test_any_series_draws_inside_its_frame(values, gap):
    out = svg.run_chart(_points(values, days=gap), label="x", y_title="y")
    root = _tree(out)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    for circle in root.findall("s:circle", NS):
        cx, cy = float(circle.get("cx")), float(circle.get("cy"))
        assert 0 <= cx <= width and 0 <= cy <= height
