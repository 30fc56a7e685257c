"""Statistics for the health needs assessment, importable without Django.

Public API (DATA.md "Python API for the statistics"): Wilson and Newcombe intervals,
normal and Welch intervals for means, comparison with the rest of the denominator, the
slope and relative index of inequality (phe_sii method) and continuity-of-care indices.
Proportions' intervals and comparisons also come in array forms, the same to the bit.
"""

from gpequity.stats.compare import (
    Comparison,
    classify_difference,
    compare_mean_with_rest,
    compare_proportion_with_rest,
    compare_proportions_with_rest,
)
from gpequity.stats.continuity import coc, mmci, secon, upc
from gpequity.stats.means import (
    MeanSummary,
    mean_interval,
    mean_interval_from_summary,
    mean_interval_from_sums,
    welch_difference,
    welch_difference_from_sums,
)
from gpequity.stats.newcombe import newcombe_difference, newcombe_differences
from gpequity.stats.sii import SIIResult, sii, sii_many
from gpequity.stats.wilson import wilson_interval, wilson_intervals

__all__ = [
    "Comparison",
    "MeanSummary",
    "SIIResult",
    "classify_difference",
    "coc",
    "compare_mean_with_rest",
    "compare_proportion_with_rest",
    "compare_proportions_with_rest",
    "mean_interval",
    "mean_interval_from_summary",
    "mean_interval_from_sums",
    "mmci",
    "newcombe_difference",
    "newcombe_differences",
    "secon",
    "sii",
    "sii_many",
    "upc",
    "welch_difference",
    "welch_difference_from_sums",
    "wilson_interval",
    "wilson_intervals",
]
