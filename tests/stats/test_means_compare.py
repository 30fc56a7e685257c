"""Mean intervals, Welch differences and the comparison with the rest of the denominator."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


def _plain_mean_comparison(n, total, total_sq, all_n, all_total, all_total_sq, confidence):
    """The comparison worked out in full: the Welch interval, then its classification."""
    return classify_difference(
        *welch_difference_from_sums(
            n, total, total_sq, all_n - n, all_total - total, all_total_sq - total_sq, confidence
        )
    )


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 3000),
    rest=st.integers(1, 30000),
    mean=st.just(0.0) | st.floats(1e-6, 1),
    rest_mean=st.just(0.0) | st.floats(1e-6, 1),
    sd=st.just(0.0) | st.floats(1e-6, 0.5),
    rest_sd=st.just(0.0) | st.floats(1e-6, 0.5),
    edge=st.sampled_from([None, 0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 0.01, -0.01]),
    confidence=st.sampled_from([0.95, 0.998, 0.5]),
)
def test_a_mean_comparison_decided_by_the_t_bounds_is_the_full_one(
    n, rest, mean, rest_mean, sd, rest_sd, edge, confidence
):
    """Most comparisons of a mean with the rest are decided without working out the Welch t
    quantile (its bounds suffice); the answer is always the full interval's. ``edge`` puts
    the difference at the interval's end (times 1 + edge), where the bounds cannot decide.
    (Values are those of scores in 0..1: sums of squares far below 1e-100 underflow in the
    Welch df, which then divides by zero, with or without the bounds.)"""
    if edge is not None and n > 1 and rest > 1:
        se = math.sqrt(sd * sd / n + rest_sd * rest_sd / rest)
        v1, v2 = sd * sd / n, rest_sd * rest_sd / rest
        if v1 + v2 > 0:
            df = (v1 + v2) ** 2 / (v1 * v1 / (n - 1) + v2 * v2 / (rest - 1))
            q = float(sps.t.ppf(1 - (1 - confidence) / 2, df))
            mean = rest_mean + q * se * (1 + edge)
    total, total_sq = mean * n, (sd * sd * (n - 1) if n > 1 else 0.0) + mean * mean * n
    rest_total = rest_mean * rest
    rest_sq = (rest_sd * rest_sd * (rest - 1) if rest > 1 else 0.0) + rest_mean * rest_mean * rest
    args = (n, total, total_sq, n + rest, total + rest_total, total_sq + rest_sq, confidence)
    assert compare_mean_with_rest(*args) == _plain_mean_comparison(*args)


@pytest.mark.parametrize("scale", [1e-105, 1e-140, 1e150])
def test_welch_is_the_same_interval_at_any_scale_even_where_squares_underflow(scale):
    # The Welch-Satterthwaite df does not change with the data's scale; at 1e-105 the
    # variances' squares underflow to zero (a ZeroDivisionError before), at 1e150 overflow.
    lo, hi = welch_difference(10, 20 * scale, 4 * scale, 15, 15 * scale, 6 * scale)
    ref_lo, ref_hi = welch_difference(10, 20, 4, 15, 15, 6)
    assert lo / scale == pytest.approx(ref_lo, rel=1e-9)
    assert hi / scale == pytest.approx(ref_hi, rel=1e-9)
