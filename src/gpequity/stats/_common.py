"""Small helpers shared by the statistics modules."""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

Interval = tuple[float, float]
NAN_INTERVAL: Interval = (math.nan, math.nan)


@lru_cache(maxsize=64)
def _normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.959964 for 95%.

    Confidence is checked here once so every public function rejects nonsense the same way.
    The quantile comes from the standard library (no scipy import) and is cached: an HNA
    asks for the same one thousands of times.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return _normal_quantile(1.0 - (1.0 - confidence) / 2.0)


def t_quantile(p: float, df: float) -> float:
    """Student t quantile; scipy is imported here only, when a Welch interval needs it."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))
