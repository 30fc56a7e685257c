"""Mean intervals, Welch differences and the comparison with the rest of the denominator."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from gpequity.stats import (
    MeanSummary,
    classify_difference,
    compare_mean_with_rest,
    compare_proportion_with_rest,
    mean_interval,
    mean_interval_from_summary,
    mean_interval_from_sums,
    welch_difference,
    welch_difference_from_sums,
)

GROUP_A = [0.5, 1.0, 0.75, 0.6, 1.0, 0.33, 0.8, 0.5, 0.67]
GROUP_B = [0.25, 0.4, 0.5, 0.33, 0.2, 0.6, 0.5]


def test_mean_interval_uses_normal_quantile_1_959964():
    n, mean, sd = 25, 0.6, 0.2
    lo, hi = mean_interval_from_summary(n, mean, sd)
    assert lo == pytest.approx(0.6 - 1.959964 * 0.2 / 5, abs=1e-9)
    assert hi == pytest.approx(0.6 + 1.959964 * 0.2 / 5, abs=1e-9)


def test_mean_interval_from_values_and_from_sums_agree_with_numpy():
    values = np.array(GROUP_A)
    expected_half = 1.959964 * values.std(ddof=1) / math.sqrt(len(values))
    for lo, hi in (
        mean_interval(GROUP_A),
        mean_interval_from_sums(len(values), values.sum(), (values**2).sum()),
    ):
        assert lo == pytest.approx(values.mean() - expected_half, abs=1e-6)
        assert hi == pytest.approx(values.mean() + expected_half, abs=1e-6)


def test_mean_interval_needs_two_values():
    assert all(math.isnan(v) for v in mean_interval([0.5]))
    assert all(math.isnan(v) for v in mean_interval([]))


def test_summary_from_sums_never_has_negative_variance():
    # Equal values: one-pass variance can round below zero; it must clip to 0.
    s = MeanSummary.from_sums(3, 0.1 * 3, 0.01 * 3)
    assert s.sd == pytest.approx(0.0, abs=1e-7)


def test_welch_matches_scipy_on_raw_data():
    """Independent check: scipy's Welch t-test confidence interval on the raw values."""
    expected = sps.ttest_ind(GROUP_A, GROUP_B, equal_var=False).confidence_interval(0.95)
    a, b = np.array(GROUP_A), np.array(GROUP_B)
    got = welch_difference(len(a), a.mean(), a.std(ddof=1), len(b), b.mean(), b.std(ddof=1), 0.95)
    assert got == pytest.approx((expected.low, expected.high), abs=1e-9)
    got_sums = welch_difference_from_sums(
        len(a), a.sum(), (a**2).sum(), len(b), b.sum(), (b**2).sum()
    )
    assert got_sums == pytest.approx((expected.low, expected.high), abs=1e-9)


def test_welch_hand_worked_summary_example():
    """Hand-worked Welch example from summary statistics alone.

    n1=10, mean 20, sd 4; n2=15, mean 15, sd 6: se^2 = 1.6 + 2.4 = 4.0 and
    df = 4.0^2 / (1.6^2/9 + 2.4^2/14) = 16 / 0.6959 = 22.99.
    """
    se2 = 16 / 10 + 36 / 15
    df = se2**2 / ((16 / 10) ** 2 / 9 + (36 / 15) ** 2 / 14)
    half = sps.t.ppf(0.975, df) * math.sqrt(se2)
    lo, hi = welch_difference(10, 20, 4, 15, 15, 6)
    assert (lo, hi) == pytest.approx((5 - half, 5 + half))
    assert df == pytest.approx(22.9, abs=0.1)


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (-0.3, -0.01, "lower"),
        (0.01, 0.3, "higher"),
        (-0.1, 0.1, "similar"),
        (-0.1, 0.0, "similar"),
        (math.nan, math.nan, "not_compared"),
        (None, None, "not_compared"),
    ],
)
def test_classify_difference(lower, upper, expected):
    assert classify_difference(lower, upper) == expected


def test_compare_proportion_with_rest_uses_group_minus_rest():
    # group 20/100 against rest 60/100 (total 80/200): clearly lower
    assert compare_proportion_with_rest(20, 100, 80, 200) == "lower"
    assert compare_proportion_with_rest(60, 100, 80, 200) == "higher"
    assert compare_proportion_with_rest(40, 100, 80, 200) == "similar"


def test_compare_proportion_not_compared_when_a_side_is_empty():
    assert compare_proportion_with_rest(10, 50, 10, 50) == "not_compared"  # no rest
    assert compare_proportion_with_rest(0, 0, 10, 50) == "not_compared"  # empty group


def test_compare_mean_with_rest():
    a, b = np.array(GROUP_A), np.array(GROUP_B)
    args = (len(a) + len(b), a.sum() + b.sum(), (a**2).sum() + (b**2).sum())
    assert compare_mean_with_rest(len(a), a.sum(), (a**2).sum(), *args) == "higher"
    assert compare_mean_with_rest(len(b), b.sum(), (b**2).sum(), *args) == "lower"
    assert compare_mean_with_rest(0, 0.0, 0.0, *args) == "not_compared"
