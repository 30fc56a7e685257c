"""Small helpers shared by the statistics modules."""

from __future__ import annotations

import math

from scipy.stats import norm

Interval = tuple[float, float]
NAN_INTERVAL: Interval = (math.nan, math.nan)


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.959964 for 95%.

    Confidence is checked here once so every public function rejects nonsense the same way.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return float(norm.ppf(1.0 - (1.0 - confidence) / 2.0))
