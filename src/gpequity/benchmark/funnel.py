"""Funnel plots: control limits around the network's value, and where each practice falls.

A funnel plot shows each practice's value against its denominator with limits that narrow
as the denominator grows. Limits are at 95% (about 2 standard errors) and 99.8% (about 3),
around a target: the network's pooled value. A practice outside the 99.8% limits differs from
the network by more than chance alone would often explain.

Proportions: Wilson score limits by default, as England's public-health funnel plot tools
use (the Wilson interval of the target proportion at each denominator; it stays inside 0..1
and behaves for small denominators); ``method="normal"`` gives the normal approximation
target +/- z sqrt(target (1 - target) / n) of Spiegelhalter (2005), clipped to 0..1.
Means: target +/- z sd / sqrt(n), with sd the spread of the per-patient values across the
network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from gpequity import stats

LEVELS = (0.95, 0.998)
"""The two limits drawn on every funnel plot."""


def z_for(level: float) -> float:
    """Two-sided standard normal quantile: 1.959964 at 95%, 3.090232 at 99.8%."""
    return NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)


@dataclass(frozen=True)
class FunnelLimits:
    """The four limits at one denominator."""

    denominator: int
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


def _proportion_pair(target: float, n: int, level: float, method: str) -> tuple[float, float]:
    if method == "wilson":
        return stats.wilson_interval(target * n, n, confidence=level)
    if method == "normal":
        half = z_for(level) * math.sqrt(target * (1.0 - target) / n)
        return (max(0.0, target - half), min(1.0, target + half))
    raise ValueError("method must be 'wilson' or 'normal'")


def proportion_limits(
    target: float, denominators: Iterable[int], *, method: str = "wilson"
) -> list[FunnelLimits]:
    """Funnel limits for a proportion ``target`` (0..1) at each denominator (1 or more)."""
    if not 0.0 <= target <= 1.0:
        raise ValueError("target must be a proportion between 0 and 1")
    out = []
    for n in denominators:
        if n < 1:
            raise ValueError("denominators must be 1 or more")
        lo95, hi95 = _proportion_pair(target, n, 0.95, method)
        lo998, hi998 = _proportion_pair(target, n, 0.998, method)
        # The wider limits hold the narrower ones; near 0 and 1 rounding could put the last
        # bit the wrong way round (0.9999999999999999 against a clipped 1.0).
        lo998, hi998 = min(lo998, lo95), max(hi998, hi95)
        out.append(FunnelLimits(int(n), lo95, hi95, lo998, hi998))
    return out


def mean_limits(target: float, sd: float, denominators: Iterable[int]) -> list[FunnelLimits]:
    """Funnel limits for a mean: target +/- z sd / sqrt(n) at each denominator."""
    if sd < 0 or math.isnan(sd):
        raise ValueError("sd must be a number, 0 or more")
    z95, z998 = z_for(0.95), z_for(0.998)
    out = []
    for n in denominators:
        if n < 1:
            raise ValueError("denominators must be 1 or more")
        se = sd / math.sqrt(n)
        out.append(
            FunnelLimits(
                int(n), target - z95 * se, target + z95 * se, target - z998 * se, target + z998 * se
            )
        )
    return out


def funnel_denominators(largest: int, *, smallest: int = 1, points: int = 100) -> list[int]:
    """Denominators to draw the limit lines through: spaced evenly on a log scale from
    ``smallest`` to ``largest`` (both included), without repeats."""
    if smallest < 1 or largest < smallest:
        raise ValueError("need 1 <= smallest <= largest")
    if largest == smallest or points < 2:
        return [smallest] if largest == smallest else [smallest, largest]
    step = math.log(largest / smallest) / (points - 1)
    values = {round(smallest * math.exp(step * i)) for i in range(points)}
    return sorted(values | {smallest, largest})


def pooled_proportion(numerators: Sequence[int], denominators: Sequence[int]) -> float:
    """The network's value: all numerators over all denominators."""
    total = sum(denominators)
    if total <= 0:
        raise ValueError("the denominators add up to nobody")
    return sum(numerators) / total


def sd_from_interval(lower: float, upper: float, n: int, level: float = 0.95) -> float:
    """The spread of scores behind a mean's normal interval: DATA.md gives a mean's interval
    as mean +/- z sd / sqrt(n), so sd = (upper - lower) / (2 z) * sqrt(n)."""
    if n < 1:
        raise ValueError("n must be 1 or more")
    return (upper - lower) / (2 * z_for(level)) * math.sqrt(n)


@dataclass(frozen=True)
class PooledMean:
    """The network's mean from its practices' summaries (``pooled_mean``)."""

    mean: float
    """Every patient's score added up, over every patient: all practices."""
    within_sd: float | None
    """The spread of scores within practices: their variances pooled by n - 1 (the funnel's
    sd); None when no practice gives a spread."""
    total_sd: float | None
    """The spread of all patients' scores around the network's mean: within practices and
    between them (the network's own interval)."""


def pooled_mean(practices: Sequence[tuple[float, int, float | None]]) -> PooledMean | None:
    """The network's mean and spreads from each practice's (sum of scores, n, sd or None):
    the mean over all practices; the within sd sqrt(sum (n - 1) sd^2 / sum (n - 1)) and the
    total sd sqrt((within + between) / (N - 1)), with between = sum n (mean_i - mean)^2,
    over the practices that give a spread. When every practice gives one, the total sd is
    the sample standard deviation of all the patients' scores (the analysis-of-variance
    identity; tested against ``statistics.stdev`` of the scores themselves). None when the
    practices have no patients."""
    total_n = sum(n for _, n, _ in practices)
    if total_n <= 0:
        return None
    mean = sum(s for s, _, _ in practices) / total_n
    with_sd = [(s, n, v) for s, n, v in practices if v is not None]
    if not with_sd or sum(n - 1 for _, n, _ in with_sd) <= 0:
        return PooledMean(mean, None, None)
    within = sum((n - 1) * v * v for _, n, v in with_sd)
    within_sd = math.sqrt(within / sum(n - 1 for _, n, _ in with_sd))
    between = sum(n * (s / n - mean) ** 2 for s, n, _ in with_sd)
    total_sd = math.sqrt((within + between) / max(sum(n for _, n, _ in with_sd) - 1, 1))
    return PooledMean(mean, within_sd, total_sd)


@dataclass(frozen=True)
class Position:
    """Where a value falls against the funnel limits at its denominator."""

    side: str
    """"above", "below" or "within" (the 95% limits)."""
    level: float | None
    """The widest limit it is beyond: 0.998, 0.95, or None when within."""
    better: bool | None
    """True when beyond on the better side, False on the worse, None when within or when
    neither direction is better."""
    words: str


def classify(value: float, limits: FunnelLimits, *, higher_is_better: bool | None) -> Position:
    """Above, below or within the limits, in words that say which direction is better."""
    if limits.lower_95 <= value <= limits.upper_95:
        return Position("within", None, None, "Within the range expected from the network")
    above = value > limits.upper_95
    beyond_998 = value > limits.upper_998 if above else value < limits.lower_998
    level = 0.998 if beyond_998 else 0.95
    better = None if higher_is_better is None else above == higher_is_better
    how = "Higher" if above else "Lower"
    limit = "99.8%" if beyond_998 else "95%"
    words = f"{how} than the network, beyond the {limit} limit"
    if better is not None:
        words += ": better than expected" if better else ": worse than expected"
    return Position("above" if above else "below", level, better, words)


@dataclass(frozen=True)
class PracticePoint:
    """One practice on a proportion funnel plot."""

    practice_code: str
    numerator: int
    denominator: int
    value: float
    lower: float
    upper: float
    """The practice's own 95% Wilson interval."""
    limits: FunnelLimits
    position: Position


@dataclass(frozen=True)
class Funnel:
    """A proportion funnel plot: the network's value and every practice on it."""

    target: float
    points: tuple[PracticePoint, ...]
    method: str

    def outliers(self) -> list[PracticePoint]:
        """Practices beyond the 99.8% limits, largest denominator first."""
        far = [p for p in self.points if p.position.level == 0.998]
        return sorted(far, key=lambda p: (-p.denominator, p.practice_code))


def proportion_funnel(
    practices: Iterable[tuple[str, int, int]],
    *,
    higher_is_better: bool | None,
    method: str = "wilson",
) -> Funnel:
    """Place each practice, given as (practice_code, numerator, denominator), on a funnel
    around the pooled value of all of them. Practices with nobody in the denominator are
    left out (they have no value)."""
    rows = [(code, int(x), int(n)) for code, x, n in practices if n > 0]
    target = pooled_proportion([x for _, x, _ in rows], [n for _, _, n in rows])
    points = []
    for code, x, n in rows:
        (lim,) = proportion_limits(target, [n], method=method)
        value = x / n
        lower, upper = stats.wilson_interval(x, n)
        points.append(
            PracticePoint(
                code,
                x,
                n,
                value,
                lower,
                upper,
                lim,
                classify(value, lim, higher_is_better=higher_is_better),
            )
        )
    return Funnel(target, tuple(points), method)
