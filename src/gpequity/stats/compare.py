"""Classify a group against the rest of its denominator.

The comparison is always "group minus rest": a whole interval below zero means the group
is lower than everyone else, above zero higher, and one that straddles zero is similar.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gpequity.stats._common import t_quantile, z_value
from gpequity.stats.means import MeanSummary, welch_difference_from_sums
from gpequity.stats.newcombe import newcombe_difference, newcombe_differences

Comparison = Literal["lower", "higher", "similar", "not_compared"]


def classify_difference(lower: float | None, upper: float | None) -> Comparison:
    """Turn a (group - rest) difference interval into lower / higher / similar.

    A missing or nan bound means the interval could not be computed: not_compared.
    """
    if lower is None or upper is None or math.isnan(lower) or math.isnan(upper):
        return "not_compared"
    if upper < 0:
        return "lower"
    if lower > 0:
        return "higher"
    return "similar"


def compare_proportion_with_rest(
    group_numerator: int,
    group_denominator: int,
    total_numerator: int,
    total_denominator: int,
    confidence: float = 0.95,
) -> Comparison:
    """Compare a group's proportion with the rest of the denominator (Newcombe method 10).

    Totals are for the whole denominator (the `all` row); the rest is total minus group.
    """
    rest_numerator = total_numerator - group_numerator
    rest_denominator = total_denominator - group_denominator
    if rest_numerator < 0 or rest_denominator < 0:
        raise ValueError("group counts must not exceed the totals")
    if group_denominator == 0 or rest_denominator == 0:
        return "not_compared"
    return classify_difference(
        *newcombe_difference(
            group_numerator, group_denominator, rest_numerator, rest_denominator, confidence
        )
    )


def compare_proportions_with_rest(
    group_numerators: NDArray[np.float64],
    group_denominators: NDArray[np.float64],
    total_numerators: NDArray[np.float64],
    total_denominators: NDArray[np.float64],
    confidence: float = 0.95,
) -> list[Comparison]:
    """``compare_proportion_with_rest`` for arrays of counts, element by element (the same
    intervals to the bit, so the same answers). Every group's denominator must be positive
    and its counts valid."""
    rest_numerators = total_numerators - group_numerators
    rest_denominators = total_denominators - group_denominators
    if np.any(rest_numerators < 0) or np.any(rest_denominators < 0):
        raise ValueError("group counts must not exceed the totals")
    out: list[Comparison] = ["not_compared"] * len(group_numerators)
    rest = np.flatnonzero(rest_denominators > 0)
    if len(rest):
        lower, upper = newcombe_differences(
            group_numerators[rest],
            group_denominators[rest],
            rest_numerators[rest],
            rest_denominators[rest],
            confidence,
        )
        # classify_difference, for many (a NaN bound, which positive denominators should
        # not give, is not compared, as there).
        verdicts = np.where(upper < 0, 0, np.where(lower > 0, 1, 2))
        verdicts[np.isnan(lower) | np.isnan(upper)] = 3
        names: tuple[Comparison, ...] = ("lower", "higher", "similar", "not_compared")
        for i, v in zip(rest.tolist(), verdicts.tolist(), strict=True):
            out[i] = names[v]
    return out


def compare_mean_with_rest(
    group_n: int,
    group_sum: float,
    group_sum_sq: float,
    total_n: int,
    total_sum: float,
    total_sum_sq: float,
    confidence: float = 0.95,
) -> Comparison:
    """Compare a group's mean with the rest of the denominator (Welch interval).

    Works from sufficient statistics so the engine never has to ship patient-level values.
    A side with fewer than two values cannot be compared.
    """
    rest_n = total_n - group_n
    if rest_n < 0:
        raise ValueError("group n must not exceed the total n")
    if group_n == 0 or rest_n == 0:
        return "not_compared"
    rest_sum, rest_sum_sq = total_sum - group_sum, total_sum_sq - group_sum_sq
    clear = _clear_side(
        MeanSummary.from_sums(group_n, group_sum, group_sum_sq),
        MeanSummary.from_sums(rest_n, rest_sum, rest_sum_sq),
        confidence,
    )
    if clear is not None:
        return clear
    return classify_difference(
        *welch_difference_from_sums(
            group_n, group_sum, group_sum_sq, rest_n, rest_sum, rest_sum_sq, confidence
        )
    )


_MARGIN = 1e-9
"""Relative margin around the t quantile's bounds: far above its error (about 1e-12)."""


@lru_cache(maxsize=2048)
def _t_at_fewest(p: float, df: int) -> float:
    """Kept for every whole df below 1,000 (where the quantile is worked out by Newton's
    method; above, it is a formula) and a second confidence: a system run's practices have
    groups of many sizes, and 256 kept missed four times in five."""
    return t_quantile(p, df)


def _clear_side(a: MeanSummary, b: MeanSummary, confidence: float) -> Comparison | None:
    """What ``classify_difference(*welch_difference(...))`` says, when the t quantile's bounds
    already decide it; else None (then the quantile must be worked out).

    The Welch-Satterthwaite df is at least min(n1, n2) - 1, and the t quantile falls as df
    rises, towards the normal one: so the quantile lies between z and the t quantile at
    min(n1, n2) - 1 (both widened by ``_MARGIN``). The interval is difference -/+ quantile
    times the standard error, computed with the same operations as ``welch_difference``;
    rounding is monotonic, so a side decided at both bounds is decided at the quantile.
    Working out the quantile (Newton's method on the incomplete beta) was a third of a
    practice's indicator table; most groups are clearly similar or clearly different."""
    z = z_value(confidence)  # checks the confidence first, as welch_difference does
    if a.n < 2 or b.n < 2 or math.isnan(a.sd) or math.isnan(b.sd):
        return None
    v1 = a.sd * a.sd / a.n
    v2 = b.sd * b.sd / b.n
    diff = a.mean - b.mean
    se2 = v1 + v2
    if se2 == 0.0 or not math.isfinite(diff) or not math.isfinite(se2):
        return None
    se = math.sqrt(se2)
    p = 1.0 - (1.0 - confidence) / 2.0
    widest = _t_at_fewest(p, min(a.n, b.n) - 1) * (1.0 + _MARGIN) * se
    if diff + widest < 0:
        return "lower"
    if diff - widest > 0:
        return "higher"
    narrowest = z * (1.0 - _MARGIN) * se
    if diff + narrowest >= 0 and diff - narrowest <= 0:
        return "similar"
    return None
