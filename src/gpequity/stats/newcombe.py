"""Newcombe's hybrid score interval for a difference of two independent proportions.

Method 10 of Newcombe (1998): combine the two Wilson intervals. It keeps good coverage
for small groups and extreme proportions, which is where practice sub-groups live.
"""

from __future__ import annotations

import math

from gpequity.stats._common import NAN_INTERVAL, Interval, z_value
from gpequity.stats.wilson import wilson_interval


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
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, lower), min(1.0, upper))
