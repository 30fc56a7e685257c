"""Funnel-plot limits against worked examples, and the words for where a practice falls."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gpequity import benchmark
from gpequity.benchmark import FunnelLimits


def test_wilson_limits_worked_by_hand():
    # Target 0.5, n = 100, 95%: z = 1.959964, z^2 = 3.841459.
    # centre = 2 n p + z^2 = 100 + 3.841459 = 103.841459
    # spread = z sqrt(z^2 + 4 n p (1 - p)) = 1.959964 x sqrt(103.841459) = 19.972572
    # scale = 2 (n + z^2) = 207.682918
    # limits (103.841459 -/+ 19.972572) / 207.682918 = 0.403832 and 0.596168.
    # 99.8%: z = 3.090232, z^2 = 9.549536; centre 109.549536, spread
    # 3.090232 x sqrt(109.549536) = 32.344289, scale 219.099072 -> 0.352376 and 0.647624.
    (lim,) = benchmark.proportion_limits(0.5, [100])
    assert lim.denominator == 100
    assert lim.lower_95 == pytest.approx(0.403832, abs=1e-6)
    assert lim.upper_95 == pytest.approx(0.596168, abs=1e-6)
    assert lim.lower_998 == pytest.approx(0.352376, abs=1e-6)
    assert lim.upper_998 == pytest.approx(0.647624, abs=1e-6)


def test_normal_approximation_limits_worked_by_hand():
    # Target 0.2, n = 400: se = sqrt(0.2 x 0.8 / 400) = 0.02.
    # 95%: 0.2 -/+ 1.959964 x 0.02 = 0.160801, 0.239199.
    # 99.8%: 0.2 -/+ 3.090232 x 0.02 = 0.138195, 0.261805.
    (lim,) = benchmark.proportion_limits(0.2, [400], method="normal")
    assert lim.lower_95 == pytest.approx(0.160801, abs=1e-6)
    assert lim.upper_95 == pytest.approx(0.239199, abs=1e-6)
    assert lim.lower_998 == pytest.approx(0.138195, abs=1e-6)
    assert lim.upper_998 == pytest.approx(0.261805, abs=1e-6)
    # Near 0 the normal limits are clipped to 0..1 (Wilson never leaves it).
    (small,) = benchmark.proportion_limits(0.02, [10], method="normal")
    assert small.lower_95 == 0.0


def test_mean_limits_worked_by_hand():
    # Target 0.6, sd 0.3, n = 36: se = 0.3 / 6 = 0.05.
    # 95%: 0.6 -/+ 0.098 -> 0.502002, 0.697998; 99.8%: 0.6 -/+ 0.154512 -> 0.445488, 0.754512.
    (lim,) = benchmark.mean_limits(0.6, 0.3, [36])
    assert lim.lower_95 == pytest.approx(0.502002, abs=1e-6)
    assert lim.upper_95 == pytest.approx(0.697998, abs=1e-6)
    assert lim.lower_998 == pytest.approx(0.445488, abs=1e-6)
    assert lim.upper_998 == pytest.approx(0.754512, abs=1e-6)


@given(
    target=st.floats(0.0, 1.0),
    ns=st.lists(st.integers(1, 100_000), min_size=2, max_size=6, unique=True),
    method=st.sampled_from(["wilson", "normal"]),
)
@example(target=0.9999999999999999, ns=[1, 43], method="wilson")  # rounding at the top end
def test_proportion_limits_nest_stay_in_range_and_narrow(target, ns, method):
    limits = benchmark.proportion_limits(target, sorted(ns), method=method)
    for lim in limits:
        assert 0.0 <= lim.lower_998 <= lim.lower_95 <= lim.upper_95 <= lim.upper_998 <= 1.0
        assert lim.lower_95 <= target + 1e-12 and target - 1e-12 <= lim.upper_95
    widths = [lim.upper_998 - lim.lower_998 for lim in limits]
    assert all(a >= b - 1e-12 for a, b in zip(widths, widths[1:], strict=False))


@given(
    target=st.floats(-100, 100),
    sd=st.floats(0.0, 50.0),
    n=st.integers(1, 10_000),
)
def test_mean_limits_are_symmetric_and_three_sigma_is_wider(target, sd, n):
    (lim,) = benchmark.mean_limits(target, sd, [n])
    assert lim.upper_95 - target == pytest.approx(target - lim.lower_95, abs=1e-9)
    assert lim.upper_998 >= lim.upper_95


def test_words_say_which_side_is_better():
    lim = FunnelLimits(100, 0.4, 0.6, 0.35, 0.65)
    within = benchmark.classify(0.5, lim, higher_is_better=True)
    assert (within.side, within.level, within.better) == ("within", None, None)
    assert within.words == "Within the range expected from the network"
    high = benchmark.classify(0.62, lim, higher_is_better=True)
    assert (high.side, high.level, high.better) == ("above", 0.95, True)
    assert high.words == "Higher than the network, beyond the 95% limit: better than expected"
    low = benchmark.classify(0.30, lim, higher_is_better=True)
    assert (low.side, low.level, low.better) == ("below", 0.998, False)
    assert low.words == "Lower than the network, beyond the 99.8% limit: worse than expected"
    dna = benchmark.classify(0.70, lim, higher_is_better=False)
    assert dna.better is False and dna.words.endswith("worse than expected")
    neutral = benchmark.classify(0.70, lim, higher_is_better=None)
    assert neutral.better is None
    assert neutral.words == "Higher than the network, beyond the 99.8% limit"


def test_a_funnel_of_practices_around_the_pooled_value():
    # 30/100, 60/100 and 210/800: pooled 300 / 1000 = 0.3.
    funnel = benchmark.proportion_funnel(
        [("A1", 30, 100), ("B2", 60, 100), ("C3", 210, 800), ("D4", 0, 0)],
        higher_is_better=True,
    )
    assert funnel.target == pytest.approx(0.3)
    assert [p.practice_code for p in funnel.points] == ["A1", "B2", "C3"]  # D4: nobody
    a, b, c = funnel.points
    assert a.position.side == "within"  # exactly on the target
    # 0.6 at n = 100 is far above the 99.8% limit (Wilson about 0.17 to 0.45).
    assert b.position.level == 0.998 and b.position.better is True
    assert c.value == pytest.approx(0.2625) and c.position.side == "below"
    assert [p.practice_code for p in funnel.outliers()] == ["B2"]
    assert (b.lower, b.upper) == pytest.approx((0.502, 0.691), abs=1e-3)


def test_denominators_for_drawing_the_lines():
    ns = benchmark.funnel_denominators(1000, points=10)
    assert ns[0] == 1 and ns[-1] == 1000
    assert ns == sorted(set(ns))
    assert benchmark.funnel_denominators(5, smallest=5) == [5]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        benchmark.proportion_limits(1.5, [10])
    with pytest.raises(ValueError, match="1 or more"):
        benchmark.proportion_limits(0.5, [0])
    with pytest.raises(ValueError, match="wilson"):
        benchmark.proportion_limits(0.5, [10], method="exact")
    with pytest.raises(ValueError, match="sd"):
        benchmark.mean_limits(0.5, math.nan, [10])
    with pytest.raises(ValueError, match="nobody"):
        benchmark.pooled_proportion([0], [0])


def test_pooled_mean_worked_by_hand():
    # Practice A scores 1, 2, 3 (sum 6, sd 1); practice B 4, 5, 6, 7 (sum 22, sd sqrt(5/3)).
    # Mean 28 / 7 = 4. Within: (2 x 1 + 3 x 5/3) / (2 + 3) = 7 / 5, sd sqrt(1.4).
    # Between: 3 (2 - 4)^2 + 4 (5.5 - 4)^2 = 12 + 9 = 21; total (7 + 21) / 6 = 28 / 6, which
    # is the variance of 1..7.
    pooled = benchmark.pooled_mean([(6.0, 3, 1.0), (22.0, 4, math.sqrt(5 / 3))])
    assert pooled.mean == 4.0
    assert pooled.within_sd == pytest.approx(math.sqrt(1.4), rel=1e-12)
    assert pooled.total_sd == pytest.approx(math.sqrt(28 / 6), rel=1e-12)


def test_pooled_mean_without_spreads_or_patients():
    no_spread = benchmark.pooled_mean([(6.0, 3, None), (2.0, 1, None)])
    assert no_spread == benchmark.PooledMean(2.0, None, None)
    assert benchmark.pooled_mean([]) is None
    # A practice without a spread still counts in the mean, not in the spreads.
    some = benchmark.pooled_mean([(6.0, 3, 1.0), (10.0, 1, None)])
    assert some.mean == 4.0 and some.within_sd == 1.0


@given(
    st.lists(
        st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=30),
        min_size=1,
        max_size=6,
    )
)
def test_pooled_spreads_are_those_of_all_the_patients_scores(practices):
    """From each practice's sum, n and the sd its interval gives back, the network's mean and
    total spread are those of every patient's score, and the within spread the pooled
    variance: the slow, obviously correct twin works on the scores themselves."""
    import statistics

    summaries = []
    for scores in practices:
        mean = statistics.fmean(scores)
        sd = statistics.stdev(scores)
        half = benchmark.z_for(0.95) * sd / math.sqrt(len(scores))
        given_back = benchmark.sd_from_interval(mean - half, mean + half, len(scores))
        assert given_back == pytest.approx(sd, rel=1e-9, abs=1e-12)
        summaries.append((math.fsum(scores), len(scores), given_back))
    pooled = benchmark.pooled_mean(summaries)
    everyone = [x for scores in practices for x in scores]
    assert pooled.mean == pytest.approx(statistics.fmean(everyone), rel=1e-12, abs=1e-12)
    assert pooled.total_sd == pytest.approx(statistics.stdev(everyone), rel=1e-7, abs=1e-9)
    within = sum((len(s) - 1) * statistics.variance(s) for s in practices)
    dof = sum(len(s) - 1 for s in practices)
    assert pooled.within_sd == pytest.approx(math.sqrt(within / dof), rel=1e-7, abs=1e-9)
