"""A run chart drawn straight to SVG: measurements over time with labelled reference lines.

Plan items, engagement evaluations and case studies show a run chart on pages that are
viewed far more often than they change, but each new measurement changes the chart, and
drawing it through Vega-Lite (Altair to build, vl-convert to draw) cost 150-300 ms of CPU,
in every web worker that showed it (ADR 31). A run chart is a line, its points, a few
dashed reference lines and two axes; this module draws exactly that in well under a
millisecond, with no Django and no browser runtime.

The SVG is one image to assistive technology: ``role="img"``, the caller's label as its
accessible name and ``<title>``, and no inner roles. The page beside it carries the numbers
in a table. Every piece of text is escaped, so user-written titles cannot break out of it.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "Frutiger W01, Arial, Helvetica, sans-serif"
LINE = "#005eb8"  # NHS blue
GRID = "#d8dde0"  # NHS grey 4
AXIS = "#4c6272"  # NHS grey 1
TEXT = "#212b32"  # NHS black text

# Plot area and margins, in SVG units (the viewBox scales to the page's width).
WIDTH, HEIGHT = 520, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 36, 24, 48

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Reference:
    """A horizontal reference line (median, baseline, target) with its label."""

    label: str
    value: float
    colour: str
    dash: str  # an SVG stroke-dasharray, e.g. "6 3"


def nice_step(span: float, ticks: int = 8) -> float:
    """The 1, 2, 2.5 or 5 times a power of ten that cuts ``span`` into at most ~``ticks``."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    if raw < sys.float_info.min:  # a span so small its share underflows: one step across
        return span
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def linear_scale(low: float, high: float, *, ticks: int = 8) -> tuple[float, float, list[float]]:
    """A nice domain covering ``low`` to ``high`` and its ticks (about ``ticks`` of them)."""
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = nice_step(high - low, ticks)
    start = math.floor(low / step) * step
    end = math.ceil(high / step) * step
    count = round((end - start) / step)
    return start, end, [start + i * step for i in range(count + 1)]


def y_scale(values: Sequence[float]) -> tuple[float, float, list[float]]:
    """A nice domain covering every value, and its ticks (not from zero: a run chart is about
    change over time, and starting at zero would flatten it)."""
    return linear_scale(min(values), max(values))


def tick_places(ticks: Sequence[float]) -> int:
    """The decimal places the ticks' labels need (those of the step between them)."""
    if len(ticks) < 2:
        return 0
    step = ticks[1] - ticks[0]
    for places in range(0, 7):
        if abs(round(step, places) - step) < step * 1e-9:
            return places
    return 6


def svg_open(width: float, height: float, label: str) -> list[str]:
    """A chart's opening: one image to assistive technology, named by ``label``."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'focusable="false" font-family="{FONT}" font-size="12" fill="{TEXT}">',
        f"<title>{escape(label)}</title>",
    ]


def shortened(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters with an ellipsis (for a name on an axis; the
    chart's label and the page's table carry it whole)."""
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def tick_text(value: float, places: int) -> str:
    text = f"{value:,.{places}f}"
    return "0" if text in {"-0", "-0.0"} or set(text) <= {"-", "0", ".", ","} else text


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def x_ticks(first: dt.date, last: dt.date, most: int = 7) -> tuple[list[dt.date], str]:
    """Tick dates between ``first`` and ``last`` (at most ``most``) and their label style:
    "day" ticks (1, 2, 7 or 14 days apart) for spans under about three months, else the
    first of every 1, 2, 3, 6 or 12 months."""
    span = (last - first).days
    for days in (1, 2, 7, 14):
        if span / days <= most - 1:
            ticks = [first + dt.timedelta(days=days * i) for i in range(span // days + 1)]
            return ticks, "day"
    for months in (1, 2, 3, 6, 12, 24, 60):
        tick = dt.date(first.year, first.month, 1)
        if tick < first:
            tick = _add_months(tick, 1)
        while (tick.month - 1) % min(months, 12):
            tick = _add_months(tick, 1)
        ticks = []
        while tick <= last:
            ticks.append(tick)
            tick = _add_months(tick, months)
        if len(ticks) <= most:
            return ticks, "month"
    return [first, last], "day"  # pragma: no cover - 60-month steps cover any real span


def _tick_label(day: dt.date, style: str) -> str:
    if style == "day":
        return f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{_MONTHS[day.month - 1]} {day.year}"


def run_chart(
    points: Sequence[tuple[dt.date, float]],
    *,
    label: str,
    y_title: str,
    x_title: str = "Date measured",
    references: Sequence[Reference] = (),
) -> str:
    """The run chart of ``points`` (date, value; in date order) as an inline SVG string."""
    if not points:
        return ""
    dates = [day for day, _ in points]
    values = [float(value) for _, value in points]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("a run chart needs finite values")
    low, high, y_values = y_scale(values + [r.value for r in references])
    first, last = min(dates), max(dates)
    if first == last:
        first, last = first - dt.timedelta(days=3), last + dt.timedelta(days=3)
    ticks, style = x_ticks(first, last)
    days = (last - first).days

    def x(day: dt.date) -> float:
        return LEFT + (day - first).days / days * WIDTH

    def y(value: float) -> float:
        return TOP + (high - value) / (high - low) * HEIGHT

    places = tick_places(y_values)
    out = svg_open(LEFT + WIDTH + RIGHT, TOP + HEIGHT + BOTTOM, label)
    # Grid and axes.
    for value in y_values:
        py = y(value)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + WIDTH}" y1="{py:.1f}" y2="{py:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">'
            f"{tick_text(value, places)}</text>"
        )
    for tick in ticks:
        px = x(tick)
        out.append(
            f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{TOP}" y2="{TOP + HEIGHT}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{px:.1f}" y="{TOP + HEIGHT + 16}" text-anchor="middle">'
            f"{escape(_tick_label(tick, style))}</text>"
        )
    out.append(
        f'<path d="M{LEFT},{TOP}V{TOP + HEIGHT}H{LEFT + WIDTH}" fill="none" '
        f'stroke="{AXIS}" stroke-width="1"/>'
        f'<text x="{LEFT + WIDTH / 2}" y="{TOP + HEIGHT + 40}" text-anchor="middle" '
        f'font-weight="bold">{escape(x_title)}</text>'
        f'<text transform="translate(14,{TOP + HEIGHT / 2}) rotate(-90)" '
        f'text-anchor="middle" font-weight="bold">{escape(y_title)}</text>'
    )
    # Reference lines, labelled at the right above the line.
    for ref in references:
        py = y(ref.value)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + WIDTH}" y1="{py:.1f}" y2="{py:.1f}" '
            f'stroke="{ref.colour}" stroke-width="2" stroke-dasharray="{ref.dash}"/>'
            f'<text x="{LEFT + WIDTH - 4}" y="{py - 6:.1f}" text-anchor="end" '
            f'fill="{ref.colour}">{escape(ref.label)}</text>'
        )
    # The measurements.
    coords = [(x(day), y(value)) for day, value in zip(dates, values, strict=True)]
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
    out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    out.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{LINE}"/>' for px, py in coords)
    out.append("</svg>")
    return "".join(out)
