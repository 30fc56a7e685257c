"""Benchmarking practices against their network (Django-free).

- ``funnel``: funnel-plot limits at 95% and 99.8% for proportions and means, around the
  network's pooled value, and each practice classified as within, above or below them;
- ``combine``: several practices' DATA.md ``indicators`` rows added up into one network
  table, with the statistics worked out again exactly as a run does.
"""

from gpequity.benchmark.combine import (
    MEANS_NOTE,
    Combined,
    CombineError,
    combine,
    combine_practice_rows,
    indicator_info,
)
from gpequity.benchmark.funnel import (
    LEVELS,
    Funnel,
    FunnelLimits,
    PooledMean,
    Position,
    PracticePoint,
    classify,
    funnel_denominators,
    mean_limits,
    pooled_mean,
    pooled_proportion,
    proportion_funnel,
    proportion_limits,
    sd_from_interval,
    z_for,
)

__all__ = [
    "LEVELS",
    "MEANS_NOTE",
    "CombineError",
    "Combined",
    "Funnel",
    "FunnelLimits",
    "Position",
    "PracticePoint",
    "classify",
    "combine",
    "combine_practice_rows",
    "funnel_denominators",
    "indicator_info",
    "mean_limits",
    "PooledMean",
    "pooled_mean",
    "pooled_proportion",
    "sd_from_interval",
    "proportion_funnel",
    "proportion_limits",
    "z_for",
]
