"""The scipy-free Student t quantile behind Welch intervals agrees with scipy."""

from __future__ import annotations

import random

import pytest

from gpequity.stats._common import t_quantile

special = pytest.importorskip("scipy.special")


def _cases() -> list[tuple[float, float]]:
    rng = random.Random(7)
    dfs = [1.0, 1.5, 2.0, 3.0, 7.3, 30.0, 999.0, 1000.0, 1e4, 1e7]
    dfs += [10 ** rng.uniform(0, 8) for _ in range(60)]
    return [(p, df) for df in dfs for p in (0.6, 0.9, 0.975, 0.995, 0.9995)]


def test_matches_scipy_stdtrit_across_df():
    for p, df in _cases():
        expected = float(special.stdtrit(df, p))
        assert t_quantile(p, df) == pytest.approx(expected, rel=1e-11), (p, df)
        assert t_quantile(1 - p, df) == pytest.approx(-expected, rel=1e-11), (p, df)


def test_known_values_and_bad_input():
    assert t_quantile(0.975, 1) == pytest.approx(12.706204736174694, rel=1e-12)
    assert t_quantile(0.975, 10) == pytest.approx(2.228138851986274, rel=1e-12)
    assert t_quantile(0.5, 4) == 0.0
    with pytest.raises(ValueError):
        t_quantile(1.0, 5)
    with pytest.raises(ValueError):
        t_quantile(0.9, 0)
