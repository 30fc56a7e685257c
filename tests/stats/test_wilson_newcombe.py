"""Wilson and Newcombe intervals against Newcombe's published worked examples.

Single proportions: Newcombe RG (1998) Two-sided confidence intervals for the single
proportion, Stat Med 17:857-872, Table I, method 3 (score, no continuity correction).
Differences: Newcombe RG (1998) Interval estimation for the difference between independent
proportions, Stat Med 17:873-890, Table II, method 10. Example (c) was also checked against
statsmodels' independent implementation (confint_proportions_2indep, method="newcomb").
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.stats import newcombe_difference, wilson_interval
from gpequity.stats.compare import compare_proportion_with_rest, compare_proportions_with_rest
from gpequity.stats.newcombe import newcombe_differences
from gpequity.stats.wilson import wilson_intervals


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table_i(x, n, lower, upper):
    lo, hi = wilson_interval(x, n)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "lower", "upper"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
    ],
)
def test_newcombe_matches_table_ii_method_10(x1, n1, x2, n2, lower, upper):
    lo, hi = newcombe_difference(x1, n1, x2, n2)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


def test_wilson_all_successes_reaches_one_exactly():
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0
    assert lo == pytest.approx(1 - 0.1611, abs=5e-5)  # mirror image of 0/20


def test_wilson_empty_denominator_is_nan():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_newcombe_empty_side_is_nan():
    assert all(math.isnan(v) for v in newcombe_difference(3, 10, 0, 0))


def test_wilson_wider_at_higher_confidence():
    lo95, hi95 = wilson_interval(30, 100, 0.95)
    lo99, hi99 = wilson_interval(30, 100, 0.99)
    assert lo99 < lo95 < 0.3 < hi95 < hi99


@pytest.mark.parametrize(("x", "n"), [(-1, 10), (11, 10), (1, -1)])
def test_wilson_rejects_impossible_counts(x, n):
    with pytest.raises(ValueError):
        wilson_interval(x, n)


@pytest.mark.parametrize("confidence", [0, 1, 95, -0.5])
def test_confidence_must_be_a_fraction(confidence):
    with pytest.raises(ValueError):
        wilson_interval(3, 10, confidence)
    with pytest.raises(ValueError):
        newcombe_difference(3, 10, 4, 10, confidence)


# The array forms give, element by element, the single forms' numbers to the bit.
_counts = st.integers(min_value=1, max_value=2_000_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_counts, min_size=1, max_size=40), st.sampled_from([0.95, 0.998, 0.5]))
def test_wilson_intervals_are_wilson_interval_to_the_bit(pairs, confidence):
    x = np.array([a for a, _ in pairs], dtype=np.float64)
    n = np.array([b for _, b in pairs], dtype=np.float64)
    lower, upper = wilson_intervals(x, n, confidence)
    got = list(zip(lower.tolist(), upper.tolist(), strict=True))
    assert got == [wilson_interval(a, b, confidence) for a, b in pairs]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_counts, _counts), min_size=1, max_size=40))
def test_newcombe_differences_are_newcombe_difference_to_the_bit(pairs):
    columns = zip(*[(*a, *b) for a, b in pairs], strict=True)
    x1, n1, x2, n2 = (np.array(v, dtype=np.float64) for v in columns)
    lower, upper = newcombe_differences(x1, n1, x2, n2)
    got = list(zip(lower.tolist(), upper.tolist(), strict=True))
    assert got == [newcombe_difference(*a, *b) for a, b in pairs]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_counts, _counts), min_size=1, max_size=40))
def test_comparisons_with_the_rest_are_the_single_ones(pairs):
    # Each total is its group plus the rest; every third rest has nobody (not compared).
    group = [g for g, _ in pairs]
    rest = [(0, 0) if i % 3 == 0 else r for i, (_, r) in enumerate(pairs)]
    total = [(g[0] + r[0], g[1] + r[1]) for g, r in zip(group, rest, strict=True)]
    columns = zip(*[(*g, *t) for g, t in zip(group, total, strict=True)], strict=True)
    got = compare_proportions_with_rest(*(np.array(c, dtype=np.float64) for c in columns))
    assert got == [compare_proportion_with_rest(*g, *t) for g, t in zip(group, total, strict=True)]
    assert got[0] == "not_compared"


def test_comparisons_refuse_a_group_larger_than_its_total():
    one = np.array([5.0])
    with pytest.raises(ValueError, match="exceed"):
        compare_proportions_with_rest(one, np.array([10.0]), one, np.array([9.0]))
