"""XmR charts and the Making Data Count rules, against series worked out by hand."""

from __future__ import annotations

import pytest

from gpequity import spc
from gpequity.spc import Assurance, Direction, Limits, Variation


def test_limits_of_a_small_series():
    # 10 12 11 13 14: moving ranges 2 1 2 1, mean moving range 6 / 4 = 1.5 (none above
    # 3.267 x 1.5 = 4.90, so screening keeps them all). Mean 60 / 5 = 12.
    # Limits 12 -/+ 2.66 x 1.5 = 12 -/+ 3.99 -> 8.01 and 15.99; two sigma is 2/3 of that
    # distance, 2.66 -> 9.34 and 14.66.
    values = [10, 12, 11, 13, 14]
    assert spc.moving_ranges(values) == [2, 1, 2, 1]
    lim = spc.limits(values)
    assert lim.mean == 12
    assert lim.mean_moving_range == 1.5
    assert lim.lower == pytest.approx(8.01)
    assert lim.upper == pytest.approx(15.99)
    assert lim.lower_2sigma == pytest.approx(9.34)
    assert lim.upper_2sigma == pytest.approx(14.66)


def test_a_wild_moving_range_is_screened_out_of_the_limits():
    # 10 11 10 11 10 11 10 40: moving ranges six 1s and a 30, mean 36 / 7 = 5.143;
    # 3.267 x 5.143 = 16.8 < 30, so the 30 is left out: mean moving range 1.
    # Mean 113 / 8 = 14.125; limits 14.125 -/+ 2.66 -> 11.465 and 16.785.
    values = [10, 11, 10, 11, 10, 11, 10, 40]
    lim = spc.limits(values)
    assert lim.mean_moving_range == 1
    assert lim.lower == pytest.approx(11.465)
    assert lim.upper == pytest.approx(16.785)
    # Unscreened: 14.125 -/+ 2.66 x 36 / 7 = 14.125 -/+ 13.68 -> 0.445 and 27.805.
    raw = spc.limits(values, screen_outliers=False)
    assert raw.mean_moving_range == pytest.approx(36 / 7)
    assert raw.upper == pytest.approx(27.805)
    assert spc.beyond_limits(values, lim) == [True] * 7 + [True]  # all outside 11.5-16.8
    assert spc.beyond_limits(values, raw) == [False] * 7 + [True]


def test_the_latest_point_beyond_the_upper_limit_sets_the_icon_by_direction():
    values = [10, 11, 10, 11, 10, 11, 10, 40]
    assert spc.xmr(values, direction="higher", screen_outliers=False).variation is (
        Variation.IMPROVING_HIGH
    )
    assert spc.xmr(values, direction="lower", screen_outliers=False).variation is (
        Variation.CONCERNING_HIGH
    )
    assert spc.xmr(values, screen_outliers=False).variation is Variation.NEITHER_HIGH


def test_fifteen_points_with_a_shift_a_limit_and_two_of_three():
    # 3 5 4 6 5 4 6 | 8 9 8 9 10 8 9 8: sum 33 + 69 = 102, mean 6.8.
    # Moving ranges 2 1 2 1 1 2 2 1 1 1 1 2 1 1, sum 19, mean 19 / 14 = 1.3571 (screen at
    # 4.43 keeps all). Limits 6.8 -/+ 2.66 x 1.3571 = 6.8 -/+ 3.61 -> 3.19 and 10.41;
    # two sigma 6.8 -/+ 2.4067 -> 4.393 and 9.207.
    values = [3, 5, 4, 6, 5, 4, 6, 8, 9, 8, 9, 10, 8, 9, 8]
    assert spc.chart_type(len(values)) == "xmr"
    chart = spc.xmr(values, direction="higher")
    lim = chart.limits
    assert lim.mean == pytest.approx(6.8)
    assert lim.mean_moving_range == pytest.approx(19 / 14)
    assert lim.lower == pytest.approx(6.8 - 2.66 * 19 / 14)
    assert lim.upper == pytest.approx(6.8 + 2.66 * 19 / 14)
    # Only the 3 is beyond a limit (3 < 3.19; 10 < 10.41).
    assert [p.index for p in chart.points if p.beyond_limits] == [0]
    # The first seven are all below the mean, the last eight all above: two runs.
    assert all(p.run for p in chart.points)
    # Below 4.393: the 3 (index 0), the 4s (2 and 5). Only 0 and 2 share a window of three;
    # above 9.207 only the 10, alone.
    assert [p.index for p in chart.points if p.two_of_three] == [0, 2]
    # No 7 rising or falling in a row.
    assert not any(p.trend for p in chart.points)
    # The latest point is in a run above the mean, and higher is better.
    assert chart.variation is Variation.IMPROVING_HIGH
    assert spc.xmr(values, direction="lower").variation is Variation.CONCERNING_HIGH


def test_a_run_needs_seven_and_a_point_on_the_mean_breaks_it():
    assert spc.runs([1] * 7 + [0], mean=0) == [True] * 7 + [False]
    assert spc.runs([-1] * 8, mean=0) == [True] * 8
    assert spc.runs([1] * 6 + [-1], mean=0) == [False] * 7
    assert spc.runs([1] * 6 + [0] + [1] * 3, mean=0) == [False] * 10


def test_a_trend_needs_seven_points_each_higher_or_each_lower():
    assert spc.trends([1, 2, 3, 4, 5, 6, 7]) == [True] * 7
    # Six rising and then a repeat: the repeat breaks it.
    assert spc.trends([1, 2, 3, 4, 5, 6, 6, 7]) == [False] * 8
    assert spc.trend_directions([9, 7, 6, 5, 4, 3, 2, 2]) == [-1] * 7 + [0]
    assert spc.trends([5, 1, 2, 3, 4, 5, 6, 7]) == [False] + [True] * 7


def test_a_falling_trend_sets_the_icon_low():
    # 10 11 10 11 ... then 9 8 7 6 5 4: seven falling in a row (10 down to 4) at the end.
    # Every moving range is 1, mean 133 / 15 = 8.867, lower limit 8.867 - 2.66 = 6.207,
    # so 5 and 4 are also below the lower limit: every rule that fires says low, and the
    # icon is improving when lower is better.
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 9, 8, 7, 6, 5, 4]
    chart = spc.xmr(values, direction="lower")
    assert chart.points[-1].trend and chart.points[-1].trend_direction == -1
    assert chart.variation is Variation.IMPROVING_LOW
    assert spc.xmr(values, direction="higher").variation is Variation.CONCERNING_LOW


def test_two_of_three_beyond_two_sigma_only_on_the_same_side():
    lim = Limits(mean=0, mean_moving_range=1, lower=-3, upper=3, lower_2sigma=-2, upper_2sigma=2)
    assert spc.two_of_three([2.5, 0, 2.5], lim) == [True, False, True]
    assert spc.two_of_three([2.5, -2.5, 0], lim) == [False, False, False]
    assert spc.two_of_three([2.5, 0, 0, 2.5], lim) == [False] * 4  # four apart, not three
    assert spc.two_of_three([-2.1, -2.2, -2.3], lim) == [True] * 3


def test_common_cause_when_the_latest_point_breaks_no_rule():
    values = [10, 12, 11, 13, 14, 12, 11, 13, 12, 10, 11, 13, 12, 11, 12]
    chart = spc.xmr(values, direction="higher")
    assert not chart.points[-1].special_cause
    assert chart.variation is Variation.COMMON_CAUSE
    assert spc.VARIATION_WORDS[chart.variation].startswith("Common cause")


def test_assurance_compares_the_target_with_the_process_limits():
    lim = spc.limits([10, 12, 11, 13, 14])  # 8.01 to 15.99
    assert spc.assurance_icon(lim, 12, "higher") is Assurance.HIT_AND_MISS
    assert spc.assurance_icon(lim, 8, "higher") is Assurance.PASSING
    assert spc.assurance_icon(lim, 16, "higher") is Assurance.FAILING
    assert spc.assurance_icon(lim, 16, "lower") is Assurance.PASSING
    assert spc.assurance_icon(lim, 8, "lower") is Assurance.FAILING
    assert spc.assurance_icon(lim, 8, Direction.NEITHER) is None
    chart = spc.xmr([10, 12, 11, 13, 14], direction="higher", target=16)
    assert chart.assurance is Assurance.FAILING
    assert spc.xmr([10, 12, 11, 13, 14], direction="higher").assurance is None


def test_xmr_or_run_chart():
    assert spc.chart_type(14) == "run"
    assert spc.chart_type(15) == "xmr"
    assert spc.MIN_POINTS_FOR_XMR == 15


def test_a_single_point_is_refused():
    with pytest.raises(ValueError, match="at least 2 points"):
        spc.xmr([1])


def test_a_point_flagged_only_by_a_trend_takes_the_trend_direction():
    # Still above the mean but falling for seven points: the signal is a fall.
    point = spc.Point(
        index=6,
        value=5.2,
        moving_range=0.3,
        beyond_limits=False,
        run=False,
        trend=True,
        two_of_three=False,
        side=1,
        trend_direction=-1,
    )
    assert spc.variation_icon(point, "lower") is Variation.IMPROVING_LOW
    assert spc.variation_icon(point, "higher") is Variation.CONCERNING_LOW
