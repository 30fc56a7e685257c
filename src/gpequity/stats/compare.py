"""Classify a group against the rest of its denominator.

The comparison is always "group minus rest": a whole interval below zero means the group
is lower than everyone else, above zero higher, and one that straddles zero is similar.
"""

from __future__ import annotations

import math
from typing import Literal

from gpequity.stats.means import welch_difference_from_sums
from gpequity.stats.newcombe import newcombe_difference

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
    return classify_difference(
        *welch_difference_from_sums(
            group_n,
            group_sum,
            group_sum_sq,
            rest_n,
            total_sum - group_sum,
            total_sum_sq - group_sum_sq,
            confidence,
        )
    )
