"""The funnel plot and the ranked chart of one indicator (SVG on the server, drawn by
``gpequity.benchmark.svg``).

Only disclosed figures are drawn: rounded denominators and values of rows that are not
suppressed. A drawn SVG is remembered in this process by what it is drawn from (the
disclosed points, the network's value, the words), so other figures (a practice withdrawing)
are another chart. Drawing one of 200 practices takes about a millisecond, so charts are not
kept in the database: through Vega an ICB's ranked chart took half a second or more, and
was kept in the chart store for every process; those keys are no longer read.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from gpequity.benchmark import funnel_denominators, mean_limits, proportion_limits, svg
from gpequity.web.hna.words import format_value

_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_SIZE = 256
NAME_CHARS = svg.NAME_CHARS  # a practice's name on the ranked chart's axis is cut after this


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


def _cached(key: str, draw) -> str:
    """The SVG for ``key``, drawn only once in this process. The key holds everything drawn,
    so a chart found by it shows exactly what this page would draw: only the disclosed
    figures of the practices that share with this viewer."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    svg = draw()
    _CACHE[key] = svg
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return svg


def funnel_svg(bench, title: str) -> str:
    """Value against denominator, with the network's value and 95% / 99.8% limits (for a
    mean, limits from the spread of patients' scores within practices)."""
    if bench.target is None or not bench.shown:
        return ""
    if bench.definition.kind == "mean" and bench.sd is None:
        return ""
    return _cached(_key("funnel", bench, title), lambda: _funnel(bench, title))


def ranked_svg(bench, title: str) -> str:
    """Each practice's value with its 95% interval, highest first, against the network."""
    if not any(e.lower is not None and e.upper is not None for e in bench.shown):
        return ""
    return _cached(_key("ranked", bench, title), lambda: _ranked(bench, title))


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
    label = (
        f"{title}. Funnel plot of {len(shown)} practices' values against how many patients "
        f"each has in the denominator. The network's value, "
        f"{format_value(bench.target, kind)}, is the solid horizontal line; the dashed "
        "lines are the 95% limits and the solid curves the 99.8% limits. "
        + describe_outliers(bench)
    )
    unit = "" if kind == "mean" else " (%)"
    return svg.funnel_chart(
        [
            svg.FunnelPoint(
                e.practice.name,
                e.denominator,
                scale(e.value),
                outside=bool(e.position and e.position.level == 0.998),
            )
            for e in shown
        ],
        [
            (
                lim.denominator,
                scale(lim.lower_95),
                scale(lim.upper_95),
                scale(lim.lower_998),
                scale(lim.upper_998),
            )
            for lim in limits
        ],
        target=scale(bench.target),
        title=title,
        x_title="Patients in the denominator (rounded to 5)",
        y_title=f"{bench.definition.title}{unit}",
        label=label,
        y_from_zero=kind != "mean",
    )


def _ranked(bench, title: str) -> str:
    shown = [e for e in bench.shown if e.lower is not None and e.upper is not None]
    if not shown:
        return ""
    kind = bench.definition.kind
    scale = (lambda v: _pct(v)) if kind == "proportion" else (lambda v: round(v, 4))
    ordered = sorted(shown, key=lambda e: (-e.value, e.practice.name))
    unit = " (%)" if kind == "proportion" else ""
    label = (
        f"{title}. Practices ranked by value, highest first, each with its 95% interval: "
        + "; ".join(f"{e.practice.name} {format_value(e.value, kind)}" for e in ordered)
    )
    if bench.target is not None:
        label += f". The dashed line is the network: {format_value(bench.target, kind)}."
    return svg.ranked_chart(
        [
            svg.Ranked(e.practice.name, scale(e.value), scale(e.lower), scale(e.upper))
            for e in ordered
        ],
        title=title,
        x_title=f"{bench.definition.title}{unit}",
        label=label,
        target=None if bench.target is None else scale(bench.target),
    )


def describe_outliers(bench) -> str:
    far = bench.outliers()
    if not far:
        return "No practice is beyond the 99.8% limits."
    parts = [f"{e.practice.name} ({e.position.words.lower()})" for e in far]
    return "Beyond the 99.8% limits: " + "; ".join(parts) + "."
