"""Intervals for means and for differences of means.

The engine aggregates sufficient statistics (n, sum, sum of squares) in the database, so
every function here also has a form that starts from those; no patient-level values needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from gpequity.stats._common import NAN_INTERVAL, Interval, t_quantile, z_value


@dataclass(frozen=True)
class MeanSummary:
    """Sample size, mean and sample standard deviation (n - 1 divisor)."""

    n: int
    mean: float
    sd: float

    @classmethod
    def from_values(cls, values: Iterable[float]) -> MeanSummary:
        """Summarise raw values, e.g. per-patient continuity scores."""
        data = [float(v) for v in values]
        return cls.from_sums(len(data), math.fsum(data), math.fsum(v * v for v in data))

    @classmethod
    def from_sums(cls, n: int, total: float, total_sq: float) -> MeanSummary:
        """Summarise from n, sum and sum of squares, as aggregated by the engine.

        The variance is clipped at zero because the one-pass formula can go a hair negative
        through rounding when all values are equal.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return cls(0, math.nan, math.nan)
        mean = total / n
        if n == 1:
            return cls(1, mean, math.nan)
        variance = max(0.0, (total_sq - total * total / n) / (n - 1))
        return cls(n, mean, math.sqrt(variance))


def mean_interval_from_summary(
    n: int, mean: float, sd: float, confidence: float = 0.95
) -> Interval:
    """Normal-approximation interval: mean +/- z * sd / sqrt(n) (z = 1.959964 at 95%).

    Needs two or more values for a standard deviation; otherwise (nan, nan).
    """
    z = z_value(confidence)
    if n < 2 or math.isnan(sd):
        return NAN_INTERVAL
    half = z * sd / math.sqrt(n)
    return (mean - half, mean + half)


def mean_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Normal-approximation interval for the mean of raw values."""
    s = MeanSummary.from_values(values)
    return mean_interval_from_summary(s.n, s.mean, s.sd, confidence)


def mean_interval_from_sums(
    n: int, total: float, total_sq: float, confidence: float = 0.95
) -> Interval:
    """Normal-approximation interval for the mean from n, sum and sum of squares."""
    s = MeanSummary.from_sums(n, total, total_sq)
    return mean_interval_from_summary(s.n, s.mean, s.sd, confidence)


def welch_difference(
    n1: int,
    mean1: float,
    sd1: float,
    n2: int,
    mean2: float,
    sd2: float,
    confidence: float = 0.95,
) -> Interval:
    """Welch interval for mean1 - mean2 (unequal variances, Welch-Satterthwaite df).

    Each side needs two or more values; otherwise (nan, nan). When both sides have zero
    spread the difference is known exactly and the interval collapses to it.
    """
    z_value(confidence)
    if n1 < 2 or n2 < 2 or math.isnan(sd1) or math.isnan(sd2):
        return NAN_INTERVAL
    v1 = sd1 * sd1 / n1
    v2 = sd2 * sd2 / n2
    diff = mean1 - mean2
    se2 = v1 + v2
    if se2 == 0.0:
        return (diff, diff)
    den = v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1)
    if den > 0.0 and math.isfinite(den) and math.isfinite(se2 * se2):
        df = se2 * se2 / den
    else:
        # Spreads so small (or large) that their squares under- or overflow: the df does
        # not change with the scale, so work it from the variances relative to the larger.
        big = max(v1, v2)
        r1, r2 = v1 / big, v2 / big
        df = (r1 + r2) ** 2 / (r1 * r1 / (n1 - 1) + r2 * r2 / (n2 - 1))
    q = t_quantile(1.0 - (1.0 - confidence) / 2.0, df)
    half = q * math.sqrt(se2)
    return (diff - half, diff + half)


def welch_difference_from_sums(
    n1: int,
    total1: float,
    total_sq1: float,
    n2: int,
    total2: float,
    total_sq2: float,
    confidence: float = 0.95,
) -> Interval:
    """Welch interval for mean1 - mean2 from each side's n, sum and sum of squares."""
    a = MeanSummary.from_sums(n1, total1, total_sq1)
    b = MeanSummary.from_sums(n2, total2, total_sq2)
    return welch_difference(a.n, a.mean, a.sd, b.n, b.mean, b.sd, confidence)
