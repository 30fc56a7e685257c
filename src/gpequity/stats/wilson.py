"""Wilson score interval for a single proportion (Wilson 1927; Newcombe 1998, method 3).

Chosen over the Wald interval because practice groups are often small and proportions near
0 or 1, where Wald intervals overshoot [0, 1] and undercover.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from gpequity.stats._common import NAN_INTERVAL, Interval, z_value


def _check_counts(numerator: float, denominator: float) -> None:
    if denominator < 0 or numerator < 0:
        raise ValueError("numerator and denominator must not be negative")
    if numerator > denominator:
        raise ValueError("numerator must not exceed denominator")


@lru_cache(maxsize=4096, typed=True)
def wilson_interval(numerator: float, denominator: float, confidence: float = 0.95) -> Interval:
    """Return (lower, upper) of the Wilson score interval for numerator/denominator.

    An empty denominator has no proportion, so it gives (nan, nan) rather than an error:
    the engine can then leave the group out without special-casing it. Kept for the last
    few thousand counts asked: a table asks for each group's interval twice (its own, and
    in its comparison with the rest), and a system extract's practices share many counts.
    """
    z = z_value(confidence)
    _check_counts(numerator, denominator)
    if denominator == 0:
        return NAN_INTERVAL
    n = float(denominator)
    p = numerator / n
    z2 = z * z
    centre = 2.0 * n * p + z2
    spread = z * math.sqrt(z2 + 4.0 * n * p * (1.0 - p))
    scale = 2.0 * (n + z2)
    lower = max(0.0, (centre - spread) / scale)
    upper = min(1.0, (centre + spread) / scale)
    # The closed form is exact at the boundaries; pin them so 0/n and n/n give exactly 0 and 1.
    if numerator == 0:
        lower = 0.0
    if numerator == denominator:
        upper = 1.0
    return (lower, upper)


def wilson_intervals(
    numerators: NDArray[np.float64], denominators: NDArray[np.float64], confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``wilson_interval`` for arrays of counts, element by element, to the bit: the same
    operations in the same order (IEEE products, sums and square roots are correctly
    rounded, in numpy as in Python). Every denominator must be positive and every count
    valid: the caller has checked them (a system run's thousands of groups at once)."""
    z = z_value(confidence)
    n = denominators
    p = numerators / n
    z2 = z * z
    centre = 2.0 * n * p + z2
    spread = z * np.sqrt(z2 + 4.0 * n * p * (1.0 - p))
    scale = 2.0 * (n + z2)
    lower = (centre - spread) / scale
    upper = (centre + spread) / scale
    # max(0.0, x) and min(1.0, x) as Python picks: x only when strictly inside.
    lower = np.where(lower > 0.0, lower, 0.0)
    upper = np.where(upper < 1.0, upper, 1.0)
    lower[numerators == 0] = 0.0
    upper[numerators == denominators] = 1.0
    return lower, upper
