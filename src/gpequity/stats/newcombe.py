"""Newcombe's hybrid score interval for a difference of two independent proportions.

Method 10 of Newcombe (1998): combine the two Wilson intervals. It keeps good coverage
for small groups and extreme proportions, which is where practice sub-groups live.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from gpequity.stats._common import NAN_INTERVAL, Interval, z_value
from gpequity.stats.wilson import wilson_interval, wilson_intervals


def newcombe_difference(
    x1: float, n1: float, x2: float, n2: float, confidence: float = 0.95
) -> Interval:
    """Return (lower, upper) for p1 - p2 where p1 = x1/n1 and p2 = x2/n2.

    Either side empty means there is nothing to compare: (nan, nan).
    """
    z_value(confidence)
    if n1 == 0 or n2 == 0:
        # Still validate the counts so bad input is not silently hidden by the early return.
        wilson_interval(x1, n1, confidence)
        wilson_interval(x2, n2, confidence)
        return NAN_INTERVAL
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    p1 = x1 / n1
    p2 = x2 / n2
    d = p1 - p2
    # Squares as products: correctly rounded, where ``** 2`` (the C library's pow) is not
    # always, and the same to the bit as the array form's.
    a, b, c, e = p1 - l1, u2 - p2, u1 - p1, p2 - l2
    lower = d - math.sqrt(a * a + b * b)
    upper = d + math.sqrt(c * c + e * e)
    return (max(-1.0, lower), min(1.0, upper))


def newcombe_differences(
    x1: NDArray[np.float64],
    n1: NDArray[np.float64],
    x2: NDArray[np.float64],
    n2: NDArray[np.float64],
    confidence: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``newcombe_difference`` for arrays of counts, element by element, to the bit (the
    same operations in the same order). Every denominator must be positive and every
    count valid: the caller has checked them."""
    l1, u1 = wilson_intervals(x1, n1, confidence)
    l2, u2 = wilson_intervals(x2, n2, confidence)
    p1 = x1 / n1
    p2 = x2 / n2
    d = p1 - p2
    a, b, c, e = p1 - l1, u2 - p2, u1 - p1, p2 - l2
    lower = d - np.sqrt(a * a + b * b)
    upper = d + np.sqrt(c * c + e * e)
    # max(-1.0, x) and min(1.0, x) as Python picks: x only when strictly beyond.
    return np.where(lower > -1.0, lower, -1.0), np.where(upper < 1.0, upper, 1.0)
