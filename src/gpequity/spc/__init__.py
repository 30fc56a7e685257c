"""Statistical process control: XmR charts with the Making Data Count rules.

Pure functions over a series of numbers (oldest first), no Django, no plotting. The board
report draws the chart; this module says where the lines go, which points are special cause
and which icons the chart earns.

Conventions follow NHS England's Making Data Count guidance (and the NHS-R community's
NHSRplotthedots package, which implements it):

- the centre line is the mean; moving ranges are |x[i] - x[i-1]|;
- process limits are mean +/- 2.66 x mean moving range (2.66 = 3 / 1.128, three sigma);
  by default moving ranges above 3.267 x their mean are left out of that mean first
  (``screen_outliers``), so one wild month does not widen the limits;
- special cause: a point beyond a process limit; a run of 7 or more points all above or all
  below the mean (a point exactly on the mean breaks the run); a trend of 7 or more points
  each higher (or each lower) than the one before (a repeated value breaks it); two of three
  consecutive points beyond two sigma (mean +/- 2/3 of the limit distance) on the same side;
- the variation icon reads the latest point; the assurance icon compares the target with
  the process limits;
- XmR needs 15 or more points; with fewer, draw a run chart (``chart_type``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import fmean

LIMIT_FACTOR = 2.66
"""Process limits sit this many mean moving ranges from the mean (3 / d2, d2 = 1.128)."""
MR_SCREEN_FACTOR = 3.267
"""Upper limit of the moving-range chart, in mean moving ranges (D4 for n = 2)."""
RUN_LENGTH = 7
"""Making Data Count: 7 points in a row on one side of the mean is a shift."""
TREND_LENGTH = 7
"""Making Data Count: 7 points in a row each rising (or each falling) is a trend."""
MIN_POINTS_FOR_XMR = 15
"""Fewer points than this: a run chart, since the limits would not be reliable."""


class Direction(StrEnum):
    """Which way is better for the measure."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


class Variation(StrEnum):
    """The Making Data Count variation icon."""

    COMMON_CAUSE = "common_cause"
    IMPROVING_HIGH = "special_cause_improving_high"
    IMPROVING_LOW = "special_cause_improving_low"
    CONCERNING_HIGH = "special_cause_concerning_high"
    CONCERNING_LOW = "special_cause_concerning_low"
    NEITHER_HIGH = "special_cause_neither_high"
    NEITHER_LOW = "special_cause_neither_low"


class Assurance(StrEnum):
    """The Making Data Count assurance icon: will the process meet the target?"""

    PASSING = "consistently_passing"
    FAILING = "consistently_failing"
    HIT_AND_MISS = "hit_and_miss"


VARIATION_WORDS = {
    Variation.COMMON_CAUSE: "Common cause variation: no sign of change",
    Variation.IMPROVING_HIGH: "Special cause variation: improving, higher values",
    Variation.IMPROVING_LOW: "Special cause variation: improving, lower values",
    Variation.CONCERNING_HIGH: "Special cause variation: concerning, higher values",
    Variation.CONCERNING_LOW: "Special cause variation: concerning, lower values",
    Variation.NEITHER_HIGH: "Special cause variation: higher values",
    Variation.NEITHER_LOW: "Special cause variation: lower values",
}
ASSURANCE_WORDS = {
    Assurance.PASSING: "Consistently meets the target",
    Assurance.FAILING: "Consistently misses the target",
    Assurance.HIT_AND_MISS: "Sometimes meets the target and sometimes misses it",
}


@dataclass(frozen=True)
class Limits:
    """Centre line and process limits of an XmR chart."""

    mean: float
    mean_moving_range: float
    lower: float
    upper: float
    lower_2sigma: float
    upper_2sigma: float


@dataclass(frozen=True)
class Point:
    """One point of the chart and the rules it is part of."""

    index: int
    value: float
    moving_range: float | None
    beyond_limits: bool
    run: bool
    trend: bool
    two_of_three: bool
    side: int
    """+1 above the mean, -1 below, 0 on it."""
    trend_direction: int = 0
    """+1 in a rising trend, -1 in a falling one, 0 in none."""

    @property
    def special_cause(self) -> bool:
        return self.beyond_limits or self.run or self.trend or self.two_of_three


@dataclass(frozen=True)
class XmR:
    """An analysed series: limits, points and icons."""

    limits: Limits
    points: tuple[Point, ...]
    variation: Variation
    assurance: Assurance | None


def chart_type(n_points: int) -> str:
    """``"xmr"`` with 15 or more points, else ``"run"`` (too few for reliable limits)."""
    return "xmr" if n_points >= MIN_POINTS_FOR_XMR else "run"


def _checked(values: Sequence[float]) -> list[float]:
    series = [float(v) for v in values]
    if len(series) < 2:
        raise ValueError("an XmR chart needs at least 2 points (15 or more to be reliable)")
    return series


def moving_ranges(values: Sequence[float]) -> list[float]:
    """|x[i] - x[i-1]| for each point after the first (one fewer than the points)."""
    series = [float(v) for v in values]
    return [abs(b - a) for a, b in zip(series, series[1:], strict=False)]


def mean_moving_range(values: Sequence[float], *, screen_outliers: bool = True) -> float:
    """The mean moving range, leaving out ranges above 3.267 x the mean when screening."""
    ranges = moving_ranges(_checked(values))
    average = fmean(ranges)
    if screen_outliers:
        kept = [r for r in ranges if r <= MR_SCREEN_FACTOR * average]
        average = fmean(kept) if kept else average
    return average


def limits(values: Sequence[float], *, screen_outliers: bool = True) -> Limits:
    """Mean and process limits (mean +/- 2.66 x mean moving range) and the 2-sigma lines."""
    series = _checked(values)
    centre = fmean(series)
    mr = mean_moving_range(series, screen_outliers=screen_outliers)
    width = LIMIT_FACTOR * mr
    return Limits(
        mean=centre,
        mean_moving_range=mr,
        lower=centre - width,
        upper=centre + width,
        lower_2sigma=centre - width * 2 / 3,
        upper_2sigma=centre + width * 2 / 3,
    )


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _mark_streaks(keys: Sequence[int], length: int) -> list[bool]:
    """True for every position in a streak of ``length`` or more equal non-zero keys."""
    marked = [False] * len(keys)
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if keys[start] != 0 and i - start >= length:
                for j in range(start, i):
                    marked[j] = True
            start = i
    return marked


def runs(values: Sequence[float], mean: float, length: int = RUN_LENGTH) -> list[bool]:
    """Points in a run of ``length`` or more all above (or all below) the mean."""
    return _mark_streaks([_sign(v - mean) for v in values], length)


def trends(values: Sequence[float], length: int = TREND_LENGTH) -> list[bool]:
    """Points in ``length`` or more consecutive points each rising (or each falling)."""
    return [d != 0 for d in trend_directions(values, length)]


def trend_directions(values: Sequence[float], length: int = TREND_LENGTH) -> list[int]:
    """Per point: +1 in a rising trend, -1 in a falling one, 0 in none."""
    series = [float(v) for v in values]
    steps = [_sign(b - a) for a, b in zip(series, series[1:], strict=False)]
    # A trend of k points is k - 1 steps the same way; step i joins points i and i + 1.
    in_steps = _mark_streaks(steps, length - 1)
    marked = [0] * len(series)
    for i, hit in enumerate(in_steps):
        if hit:
            marked[i] = marked[i + 1] = steps[i]
    return marked


def two_of_three(values: Sequence[float], lim: Limits) -> list[bool]:
    """Points beyond 2 sigma that, with at least one other of three consecutive points, lie
    beyond 2 sigma on the same side of the mean."""
    side = [1 if v > lim.upper_2sigma else -1 if v < lim.lower_2sigma else 0 for v in values]
    marked = [False] * len(side)
    for start in range(len(side) - 2):
        window = range(start, start + 3)
        for s in (1, -1):
            hits = [i for i in window if side[i] == s]
            if len(hits) >= 2:
                for i in hits:
                    marked[i] = True
    return marked


def beyond_limits(values: Sequence[float], lim: Limits) -> list[bool]:
    """Points above the upper or below the lower process limit."""
    return [v > lim.upper or v < lim.lower for v in values]


def variation_icon(point: Point, direction: Direction | str) -> Variation:
    """The icon for a series from its latest point: common cause, or special cause high or
    low, improving or concerning given which direction is better."""
    direction = Direction(direction)
    if not point.special_cause:
        return Variation.COMMON_CAUSE
    high = _high(point)
    if direction is Direction.NEITHER:
        return Variation.NEITHER_HIGH if high else Variation.NEITHER_LOW
    improving = high == (direction is Direction.HIGHER)
    if high:
        return Variation.IMPROVING_HIGH if improving else Variation.CONCERNING_HIGH
    return Variation.IMPROVING_LOW if improving else Variation.CONCERNING_LOW


def _high(point: Point) -> bool:
    """Whether a special-cause point signals high values: by its side of the mean for the
    rules about position, by the trend's direction when only a trend flags it."""
    if point.beyond_limits or point.run or point.two_of_three:
        return point.side > 0
    return point.trend_direction > 0


def assurance_icon(lim: Limits, target: float, direction: Direction | str) -> Assurance | None:
    """Whether the process will meet ``target``: consistently passing when the whole
    process range is on the better side, failing when it is all on the worse side, hit and
    miss when the target lies between the limits. None when no direction is better."""
    direction = Direction(direction)
    if direction is Direction.NEITHER:
        return None
    if lim.lower <= target <= lim.upper:
        return Assurance.HIT_AND_MISS
    above_target = lim.lower > target
    if direction is Direction.HIGHER:
        return Assurance.PASSING if above_target else Assurance.FAILING
    return Assurance.FAILING if above_target else Assurance.PASSING


def xmr(
    values: Sequence[float],
    *,
    direction: Direction | str = Direction.NEITHER,
    target: float | None = None,
    screen_outliers: bool = True,
) -> XmR:
    """Analyse a series (oldest first): limits, every rule per point, and the icons."""
    series = _checked(values)
    lim = limits(series, screen_outliers=screen_outliers)
    beyond = beyond_limits(series, lim)
    run = runs(series, lim.mean)
    trend = trend_directions(series)
    two = two_of_three(series, lim)
    mrs = [None, *moving_ranges(series)]
    points = [
        Point(
            index=i,
            value=v,
            moving_range=mrs[i],
            beyond_limits=beyond[i],
            run=run[i],
            trend=trend[i] != 0,
            two_of_three=two[i],
            side=_sign(v - lim.mean),
            trend_direction=trend[i],
        )
        for i, v in enumerate(series)
    ]
    icon = variation_icon(points[-1], direction)
    return XmR(
        limits=lim,
        points=tuple(points),
        variation=icon,
        assurance=assurance_icon(lim, target, direction) if target is not None else None,
    )


__all__ = [
    "ASSURANCE_WORDS",
    "LIMIT_FACTOR",
    "MIN_POINTS_FOR_XMR",
    "MR_SCREEN_FACTOR",
    "RUN_LENGTH",
    "TREND_LENGTH",
    "VARIATION_WORDS",
    "Assurance",
    "Direction",
    "Limits",
    "Point",
    "Variation",
    "XmR",
    "assurance_icon",
    "beyond_limits",
    "chart_type",
    "limits",
    "mean_moving_range",
    "moving_ranges",
    "runs",
    "trend_directions",
    "trends",
    "two_of_three",
    "variation_icon",
]
