"""The funnel plot and the ranked chart of one indicator, drawn straight to SVG (ADR 31).

Through Vega-Lite an ICB's ranked chart of 200 practices took vl-convert 0.5-1 s (it
measures every name for its layout) and the first chart in a server process a second more
to start its JavaScript runtime, so the first view of an indicator's benchmark page missed
issue 19's 500 ms. Both charts are a few marks on two linear scales; drawn here they take a
few milliseconds. As with the run chart (``gpequity.spc.svg``) each is one image to
assistive technology, named by the caller's label, with every piece of text escaped; the
page's table carries the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from gpequity.spc.svg import GRID, linear_scale, shortened, svg_open, tick_places, tick_text

BLUE, GREY, DARK = "#005eb8", "#4c6272", "#212b32"
NAME_CHARS = 36  # a practice's name on the ranked chart's axis is cut after this many


def _diamond(x: float, y: float, r: float = 5.5) -> str:
    return (
        f'<path d="M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}'
        f'L{x - r:.1f},{y:.1f}Z" fill="{BLUE}"/>'
    )


def short_name(name: str) -> str:
    return shortened(name, NAME_CHARS)


@dataclass(frozen=True)
class Ranked:
    """One practice on the ranked chart: its value and 95% interval (already scaled)."""

    name: str
    value: float
    lower: float
    upper: float


def ranked_chart(
    rows: Sequence[Ranked], *, title: str, x_title: str, label: str, target: float | None = None
) -> str:
    """Each practice's value (a diamond) and interval (a bar), in the order given, one row
    each, against the network's value (a dashed line)."""
    if not rows:
        return ""
    left, plot, right, top, row_height = 250, 400, 24, 34, 24
    values = [v for r in rows for v in (r.lower, r.upper, r.value)]
    if target is not None:
        values.append(target)
    low, high, ticks = linear_scale(min(values), max(values), ticks=6)
    height = top + row_height * len(rows) + 46
    places = tick_places(ticks)

    def x(v: float) -> float:
        return left + (v - low) / (high - low) * plot

    bottom = top + row_height * len(rows)
    out = svg_open(left + plot + right, height, label)
    out.append(f'<text x="4" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    for tick in ticks:
        out.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="{GRID}"/><text x="{x(tick):.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{tick_text(tick, places)}</text>'
        )
    out.append(
        f'<text x="{left + plot / 2}" y="{bottom + 38}" text-anchor="middle" '
        f'font-weight="bold">{escape(x_title)}</text>'
    )
    for i, r in enumerate(rows):
        y = top + row_height * (i + 0.5)
        out.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(short_name(r.name))}</text>"
            f'<line x1="{x(r.lower):.1f}" x2="{x(r.upper):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GREY}" stroke-width="2"/>' + _diamond(x(r.value), y)
        )
    if target is not None:
        out.append(
            f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="{DARK}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    out.append(f'<path d="M{left},{top}V{bottom}" stroke="{GREY}" fill="none"/>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class FunnelPoint:
    """One practice on the funnel plot (already scaled); ``outside`` names it on the plot."""

    name: str
    denominator: float
    value: float
    outside: bool = False


def funnel_chart(
    points: Sequence[FunnelPoint],
    limits: Sequence[tuple[float, float, float, float, float]],
    *,
    target: float,
    title: str,
    x_title: str,
    y_title: str,
    label: str,
    y_from_zero: bool = True,
) -> str:
    """Values against denominators, with the network's value (a line) and its limits:
    ``limits`` rows are (denominator, lower 95%, upper 95%, lower 99.8%, upper 99.8%), the
    95% ones dashed, the 99.8% ones solid; practices beyond 99.8% are named."""
    if not points:
        return ""
    left, plot_w, plot_h, right, top = 70, 440, 280, 150, 34
    xs = [p.denominator for p in points] + [row[0] for row in limits]
    ys = [p.value for p in points] + [target] + [v for row in limits for v in row[1:]]
    x_low, x_high, x_ticks = linear_scale(0.0, max(xs), ticks=6)
    y_low, y_high, y_ticks = linear_scale(0.0 if y_from_zero else min(ys), max(ys), ticks=6)
    y_low = min(y_low, 0.0) if y_from_zero else y_low
    bottom = top + plot_h

    def x(v: float) -> float:
        return left + (v - x_low) / (x_high - x_low) * plot_w

    def y(v: float) -> float:
        v = min(max(v, y_low), y_high)  # a limit curve beyond the frame runs along its edge
        return top + (y_high - v) / (y_high - y_low) * plot_h

    x_places = tick_places(x_ticks)
    y_places = tick_places(y_ticks)
    out = svg_open(left + plot_w + right, bottom + 46, label)
    out.append(f'<text x="4" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    for tick in y_ticks:
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick_text(tick, y_places)}</text>'
        )
    for tick in x_ticks:
        out.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="{GRID}"/><text x="{x(tick):.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{tick_text(tick, x_places)}</text>'
        )
    out.append(
        f'<path d="M{left},{top}V{bottom}H{left + plot_w}" stroke="{GREY}" fill="none"/>'
        f'<text x="{left + plot_w / 2}" y="{bottom + 38}" text-anchor="middle" '
        f'font-weight="bold">{escape(x_title)}</text>'
        f'<text transform="translate(16,{top + plot_h / 2}) rotate(-90)" text-anchor="middle" '
        f'font-weight="bold">{escape(y_title)}</text>'
    )
    for column, colour, dash in ((1, GREY, "5 3"), (2, GREY, "5 3"), (3, DARK, ""), (4, DARK, "")):
        line = " ".join(f"{x(row[0]):.1f},{y(row[column]):.1f}" for row in limits)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}"{dashes}/>')
    out.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
        f'stroke="{BLUE}" stroke-width="1.5"/>'
    )
    for p in points:
        out.append(_diamond(x(p.denominator), y(p.value)))
        if p.outside:
            out.append(
                f'<text x="{x(p.denominator) + 8:.1f}" y="{y(p.value) + 4:.1f}" '
                f'font-size="11">{escape(short_name(p.name))}</text>'
            )
    out.append("</svg>")
    return "".join(out)
