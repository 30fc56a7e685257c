"""Charts are remembered by what they are drawn from: the same inputs are not built again,
and any change to them draws a new chart (never a stale picture)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from gpequity.web.charts import svg_for


def test_a_chart_is_built_once_for_the_same_inputs_and_again_when_they_change():
    built = []

    def bars(points):
        built.append(points)
        data = pd.DataFrame({"x": [p[0] for p in points], "y": [p[1] for p in points]})
        return alt.Chart(data).mark_bar().encode(x="x:N", y="y:Q")

    first = svg_for((("a", 1.0), ("b", 2.0)), lambda: bars((("a", 1.0), ("b", 2.0))), label="A")
    again = svg_for((("a", 1.0), ("b", 2.0)), lambda: bars((("a", 1.0), ("b", 2.0))), label="A")
    assert first == again and len(built) == 1
    assert 'aria-label="A"' in first

    changed = svg_for((("a", 1.0), ("b", 3.0)), lambda: bars((("a", 1.0), ("b", 3.0))), label="A")
    assert len(built) == 2 and changed != first
    relabelled = svg_for(
        (("a", 1.0), ("b", 2.0)), lambda: bars((("a", 1.0), ("b", 2.0))), label="B"
    )
    assert len(built) == 3 and 'aria-label="B"' in relabelled
