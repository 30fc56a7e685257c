"""The engagement dashboard's charts drawn straight to SVG: what a reader sees is what the
figures say (bars measured back from the chart's own axis), and every word is escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.engagement.svg import Reach, Series, reach_bars, stacked_bars

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _axis(root: ET.Element, horizontal: bool) -> tuple[float, float, float]:
    """Pixels per unit, read back from two tick labels and their grid lines."""
    lines = [e for e in root.iter(f"{NS}line") if e.get("stroke") == "#d8dde0"]
    texts = [e for e in root.iter(f"{NS}text") if re.fullmatch(r"[\d,.]+", e.text or "")]
    pos = [float(line.get("x1" if horizontal else "y1")) for line in lines]
    values = [float(t.text.replace(",", "")) for t in texts][: len(pos)]
    scale = (pos[1] - pos[0]) / (values[1] - values[0])
    return scale, pos[0], values[0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
        min_size=1,
        max_size=6,
    )
)
def test_each_bar_stacks_its_parts_to_their_values_from_the_bottom(quarters):
    names = [f"Q{i}" for i in range(len(quarters))]
    series = [
        Series(name, colour, [q[k] for q in quarters])
        for k, (name, colour) in enumerate(
            (("To", "#111111"), ("For", "#222222"), ("With", "#333333"))
        )
    ]
    svg = stacked_bars(names, series, title="T", x_title="X", y_title="Y", label="L", whole=True)
    root = _parse(svg)
    scale, zero_at, zero = _axis(root, horizontal=False)
    assert zero == 0
    rects = [r for r in root.iter(f"{NS}rect") if float(r.get("width")) > 12]  # not the legend
    expected = [(s.colour, v) for i in range(len(quarters)) for s in series if (v := s.values[i])]
    assert [r.get("fill") for r in rects] == [colour for colour, _ in expected]
    for rect, (_, value) in zip(rects, expected, strict=True):
        assert abs(float(rect.get("height")) - value * -scale) <= 0.25  # pixels, drawn to 0.1
    # Each tick is a whole number: activities are counted.
    ticks = [t.text for t in root.iter(f"{NS}text") if re.fullmatch(r"[\d,.]+", t.text or "")]
    assert all("." not in t for t in ticks if t not in names)


def test_names_and_labels_are_escaped_and_the_chart_is_one_named_image():
    svg = stacked_bars(
        ["<Q1>"],
        [Series("Done <with> & for", "#007f3b", [2])],
        title="A & B",
        x_title="x",
        y_title="y",
        label='Activities "by" <band>',
    )
    root = _parse(svg)  # well-formed XML: every word escaped
    assert root.get("role") == "img" and root.get("aria-label") == 'Activities "by" <band>'
    assert "Done <with> & for" in [t.text for t in root.iter(f"{NS}text")]
    assert stacked_bars([], [], title="", x_title="", y_title="", label="") == ""


def test_reach_bars_measure_people_reached_and_mark_targets_only_where_set():
    rows = [
        Reach("Refugees & asylum seekers", 12, 20),
        Reach("A" * 60, 30, None),
        Reach("Q1", 0, 5),
    ]
    root = _parse(reach_bars(rows, title="T", x_title="People reached", label="L"))
    scale, zero_at, zero = _axis(root, horizontal=True)
    bars = list(root.iter(f"{NS}rect"))
    assert [round(float(b.get("width")) / scale) for b in bars] == [12, 30]  # none for 0
    marks = [e for e in root.iter(f"{NS}line") if e.get("stroke") == "#d5281b"]
    assert [round((float(m.get("x1")) - zero_at) / scale) for m in marks] == [20, 5]
    names = [t.text for t in root.iter(f"{NS}text")]
    assert "Refugees & asylum seekers" in names and "A" * 31 + "\u2026" in names
    assert reach_bars([], title="", x_title="", label="") == ""
