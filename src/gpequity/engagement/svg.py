"""The engagement dashboard's charts, drawn straight to SVG (ADR 31).

Through Altair and vl-convert each of the dashboard's four charts took 150-300 ms to draw,
and the first in a server process about a second more to start vl-convert's JavaScript
runtime: a worker's first engagement view cost about 1 s (issue 22's warm-up row). They are
bars on one linear scale; drawn here they take well under a millisecond. As with the run
chart (``gpequity.spc.svg``) each is one image to assistive technology, named by the
caller's label, with every piece of text escaped; the page's tables carry the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from gpequity.spc.svg import GRID, linear_scale, shortened, svg_open, tick_places, tick_text

TARGET_RED, BAR_BLUE, DARK = "#d5281b", "#005eb8", "#212b32"
LABEL_CHARS = 32  # a group's name on the reach chart's axis is cut after this many


@dataclass(frozen=True)
class Series:
    """One stacked part of every bar: its name (in the legend), colour and value per bar."""

    name: str
    colour: str
    values: Sequence[float]


@dataclass(frozen=True)
class Reach:
    """One group on the reach chart: people reached, and the target set (if any)."""

    name: str
    reached: int
    target: int | None


def _axis(high: float, whole: bool) -> tuple[float, float, list[float]]:
    """The value axis from zero, its ticks whole numbers when the values are counts."""
    low, high, ticks = linear_scale(0.0, high if high > 0 else 1.0, ticks=6)
    if whole:
        ticks = [float(round(t)) for t in ticks if abs(t - round(t)) < 1e-9]
    return low, high, ticks


def stacked_bars(
    bars: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    x_title: str,
    y_title: str,
    label: str,
    whole: bool = False,
) -> str:
    """One bar per entry of ``bars`` (quarters), its parts stacked from the bottom in the
    order of ``series``, with a legend below. ``whole``: counts, so whole-number ticks."""
    if not bars or not series:
        return ""
    left, plot_w, right, top, plot_h = 64, 440, 16, 40, 220
    totals = [sum(s.values[i] for s in series) for i in range(len(bars))]
    low, high, ticks = _axis(max(totals), whole)
    legend_top = top + plot_h + 52
    height = legend_top + 20 * len(series) + 8
    width = left + plot_w + right
    places = 0 if whole else tick_places(ticks)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    out = svg_open(width, height, label)
    out.append(
        f'<text x="{left}" y="20" font-size="14" font-weight="bold" fill="{DARK}">'
        f"{escape(title)}</text>"
    )
    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">'
            f"{tick_text(t, places)}</text>"
        )
    slot = plot_w / len(bars)
    bar_w = min(64.0, slot * 0.7)
    for i, name in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        base = 0.0
        for s in series:
            value = s.values[i]
            if value > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{y(base + value):.1f}" width="{bar_w:.1f}" '
                    f'height="{y(base) - y(base + value):.1f}" fill="{s.colour}"/>'
                )
            base += value
        out.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
    out.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{DARK}"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 38}" text-anchor="middle">'
        f"{escape(x_title)}</text>"
        f'<text transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_title)}</text>'
    )
    for k, s in enumerate(series):
        row = legend_top + 20 * k
        out.append(
            f'<rect x="{left}" y="{row - 10}" width="12" height="12" fill="{s.colour}"/>'
            f'<text x="{left + 18}" y="{row}">{escape(s.name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def reach_bars(rows: Sequence[Reach], *, title: str, x_title: str, label: str) -> str:
    """A bar per group of the people reached, in the order given, and a red mark at its
    target where one was set."""
    if not rows:
        return ""
    left, plot_w, right, top, row_h = 200, 320, 24, 40, 28
    high_value = max(max(r.reached for r in rows), max((r.target or 0) for r in rows))
    low, high, ticks = _axis(high_value, True)
    plot_h = row_h * len(rows)
    height = top + plot_h + 48
    width = left + plot_w + right

    def x(v: float) -> float:
        return left + (v - low) / (high - low) * plot_w

    out = svg_open(width, height, label)
    out.append(
        f'<text x="8" y="20" font-size="14" font-weight="bold" fill="{DARK}">{escape(title)}</text>'
    )
    for t in ticks:
        out.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + plot_h}" '
            f'stroke="{GRID}"/>'
            f'<text x="{x(t):.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{tick_text(t, 0)}</text>"
        )
    for i, r in enumerate(rows):
        middle = top + row_h * i + row_h / 2
        out.append(
            f'<text x="{left - 8}" y="{middle + 4:.1f}" text-anchor="end">'
            f"{escape(shortened(r.name, LABEL_CHARS))}</text>"
        )
        if r.reached > 0:
            out.append(
                f'<rect x="{left}" y="{middle - 9:.1f}" width="{x(r.reached) - left:.1f}" '
                f'height="18" fill="{BAR_BLUE}"/>'
            )
        if r.target is not None:
            out.append(
                f'<line x1="{x(r.target):.1f}" x2="{x(r.target):.1f}" y1="{middle - 12:.1f}" '
                f'y2="{middle + 12:.1f}" stroke="{TARGET_RED}" stroke-width="3"/>'
            )
    out.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{DARK}"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 36}" text-anchor="middle">'
        f"{escape(x_title)}</text>"
    )
    out.append("</svg>")
    return "".join(out)
