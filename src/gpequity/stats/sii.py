"""Slope and relative index of inequality, as England's public-health profiles compute them.

This follows PHEindicatormethods' ``phe_sii`` (UKHSA, R): quantiles ordered from most to
least deprived; each gets a relative rank at the midpoint of its share of the population;
a population-weighted least-squares line of value on rank; SII is the fitted value at rank 1
minus rank 0 and RII their ratio. Confidence limits come from simulation: each quantile's
value is redrawn from a normal distribution with its standard error, the line refitted and
the percentiles of the simulated slopes taken. Implementing the same method (rather than a
textbook variant) keeps our gradients comparable with Fingertips figures.

Details kept from phe_sii on purpose:

- For rates (log) and proportions (logit) the standard error is worked out on the
  transformed scale from the 95% limits, whatever ``confidence`` is asked for the SII.
- Without ``transform`` simulated draws are moved back to the natural scale before the fit.
- With ``transform`` the line is fitted on the log/logit scale. The point SII is the
  back-transformed difference between the fitted ends. Its limits take the simulated
  slope percentiles, centre them on the fitted midpoint (rank 0.5) and back-transform the
  two ends, which is how phe_sii does it.
- Percentiles are read at positions round(reps * alpha/2) and round(reps * (1 - alpha/2))
  of the sorted simulations.
- A negative multiplier flips polarity: SII limits swap and RII is inverted.

One deliberate difference: phe_sii refuses a supplied ``se`` with ``transform``; here ``se``
is taken as already on the transformed scale (as DATA.md specifies), which is what the
method needs anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

import numpy as np
from numpy.typing import NDArray

ValueType = Literal["other", "rate", "proportion"]
Array = NDArray[np.float64]

MIN_QUANTILES = 5
MAX_QUANTILES = 100
MIN_SIMULATIONS = 1000
_Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class SIIResult:
    """SII and RII with simulated confidence limits; intercept is the fitted value at rank 0."""

    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    intercept: float


def _forward(values: Array, value_type: ValueType) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        if value_type == "rate":
            return np.log(values)
        if value_type == "proportion":
            return np.log(values / (1.0 - values))
    return values


def _inverse(values: Array, value_type: ValueType) -> Array:
    if value_type == "rate":
        return np.exp(values)
    if value_type == "proportion":
        return 1.0 / (1.0 + np.exp(-values))
    return values


def _order_key(label: object) -> tuple[int, float, str]:
    """Sort numbers (and numeric strings such as "10") numerically, other labels as text."""
    try:
        return (0, float(label), "")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return (1, 0.0, str(label))


def _as_array(name: str, values: Sequence[float], order: list[int]) -> Array:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (len(order),):
        raise ValueError(f"{name} must have one entry per quantile")
    return arr[order]


def relative_ranks(populations: Sequence[float] | Array) -> tuple[Array, Array]:
    """Population shares a and midpoint ranks b (share of earlier quantiles + half own).

    Populations must already be ordered from most to least deprived.
    """
    pops = np.asarray(populations, dtype=float)
    shares = pops / pops.sum()
    ranks = np.cumsum(shares) - shares / 2.0
    return shares, ranks


def _standard_errors(
    value_type: ValueType,
    se: Sequence[float] | None,
    lower: Sequence[float] | None,
    upper: Sequence[float] | None,
    order: list[int],
) -> Array:
    if se is not None:
        errors = _as_array("se", se, order)
    elif lower is not None and upper is not None:
        lo = _forward(_as_array("lower", lower, order), value_type)
        hi = _forward(_as_array("upper", upper, order), value_type)
        errors = (hi - lo) / _Z95 / 2.0
    else:
        raise ValueError("give either se or both lower and upper")
    if not np.all(np.isfinite(errors)) or np.any(errors < 0):
        raise ValueError(
            "standard errors must be finite and not negative; a proportion limit of 0 or 1 "
            "(or a rate limit of 0) has no log/logit value"
        )
    return errors


def _percentile_positions(simulations: int, confidence: float) -> tuple[int, int]:
    upper_p = confidence + (1.0 - confidence) / 2.0
    lo = max(1, round(simulations * (1.0 - upper_p)))
    hi = min(simulations, max(1, round(simulations * upper_p)))
    return lo - 1, hi - 1


def _validate(
    n_quantiles: int,
    value_type: ValueType,
    transform: bool,
    confidence: float,
    simulations: int,
) -> None:
    if not MIN_QUANTILES <= n_quantiles <= MAX_QUANTILES:
        raise ValueError(f"SII needs between {MIN_QUANTILES} and {MAX_QUANTILES} quantiles")
    if value_type not in ("other", "rate", "proportion"):
        raise ValueError("value_type must be 'other', 'rate' or 'proportion'")
    if transform and value_type == "other":
        raise ValueError("transform needs value_type 'rate' or 'proportion'")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be strictly between 0 and 1")
    if simulations < MIN_SIMULATIONS:
        raise ValueError(f"simulations must be at least {MIN_SIMULATIONS}")


def sii(
    quantiles: Sequence[object],
    populations: Sequence[float],
    values: Sequence[float],
    *,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    se: Sequence[float] | None = None,
    value_type: ValueType = "other",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float = 0.95,
    simulations: int = 100_000,
    seed: int | None = None,
) -> SIIResult:
    """Slope index of inequality and relative index of inequality (phe_sii method).

    ``quantiles`` are labels such as deciles 1..10; they are sorted so the first is the most
    deprived. Proportions are given in 0..1. ``se`` is on the natural scale for "other" and
    on the log (rate) or logit (proportion) scale otherwise; without it, it is derived from
    the 95% ``lower`` and ``upper`` limits. ``seed`` makes the simulated limits repeatable.
    """
    labels = list(quantiles)
    _validate(len(labels), value_type, transform, confidence, simulations)
    if len(set(map(str, labels))) != len(labels):
        raise ValueError("quantile labels must be unique")
    order = sorted(range(len(labels)), key=lambda i: _order_key(labels[i]))

    pops = _as_array("populations", populations, order)
    if not np.all(np.isfinite(pops)) or np.any(pops <= 0):
        raise ValueError("every quantile needs a positive population")
    natural = _as_array("values", values, order)
    if not np.all(np.isfinite(natural)):
        raise ValueError("every quantile needs a value")
    if value_type == "proportion" and np.any((natural < 0) | (natural > 1)):
        raise ValueError("proportions must be between 0 and 1")
    transformed = _forward(natural, value_type)
    if not np.all(np.isfinite(transformed)):
        raise ValueError("values of 0 (or 1 for proportions) cannot be log/logit transformed")
    errors = _standard_errors(value_type, se, lower, upper, order)

    shares, ranks = relative_ranks(pops)
    sqrt_a = np.sqrt(shares)
    design = np.vstack([sqrt_a, ranks * sqrt_a])  # 2 x k: intercept and slope columns
    projector = np.linalg.solve(design @ design.T, design)  # (X'X)^-1 X'

    fit_values = transformed if transform else natural
    intercept_0, slope_0 = projector @ (sqrt_a * fit_values)

    # rng.normal(loc, scale, size) is loc + scale * (standard normal draws), element by
    # element in the same order: drawing the standard normals once per seed and shape and
    # scaling them gives the same draws to the last bit (tested), and a system extract fits
    # the same indicator and grouping (the same seed) for every practice.
    # In place, in one buffer: the same operations on the same numbers (IEEE sums and products
    # commute), without two more arrays of simulations x quantiles. Worked on the draws'
    # transpose (quantiles x simulations, each quantile's draws side by side): element by
    # element the same products and sums, but in 10 runs of 10,000 rather than 10,000 runs
    # of 10, about three times faster; the product with the projector is the same BLAS
    # product (tested against the draws as simulations x quantiles).
    draws = np.multiply(
        _standard_normals_by_quantile(seed, simulations, len(labels)), errors[:, None]
    )
    draws += transformed[:, None]
    if not transform:
        draws = _inverse(draws, value_type)
    draws *= sqrt_a[:, None]
    sim_intercepts, sim_slopes = projector @ draws
    lo_pos, hi_pos = _percentile_positions(simulations, confidence)

    if not transform:
        return _natural_scale_result(
            intercept_0, slope_0, sim_intercepts, sim_slopes, multiplier, lo_pos, hi_pos
        )
    return _transformed_scale_result(
        intercept_0, slope_0, _order_statistics(sim_slopes, lo_pos, hi_pos), value_type, multiplier
    )


def _order_statistics(values: Array, lo_pos: int, hi_pos: int) -> tuple[float, float]:
    """The entries at ``lo_pos`` and ``hi_pos`` of ``np.sort(values)`` (the only two read).

    Each is found among the few values beyond a threshold read from a sorted sample of
    every twentieth value (a few hundred of 10,000): every value up to the threshold is in
    that set, so when the set reaches past the position, its entry there is the whole
    array's. A partition of the whole array (NaN last, as in a sort) is the fallback: when
    a set falls short, or there is a NaN. Several times faster than partitioning all
    10,000, and a system run fits thousands of gradients."""
    n = len(values)
    step = 20
    if n >= 50 * step and lo_pos <= hi_pos and not np.isnan(values).any():
        sample = np.sort(values[::step])
        m = len(sample)
        below_at = min(m - 1, 2 * (lo_pos * m // n) + 5)
        above_at = max(0, m - 1 - 2 * ((n - 1 - hi_pos) * m // n) - 5)
        below = values[values <= sample[below_at]]
        above = values[values >= sample[above_at]]
        skipped = n - len(above)  # entries of the sorted array before ``above``'s first
        if len(below) > lo_pos and hi_pos >= skipped:
            low = np.partition(below, lo_pos)[lo_pos]
            high = np.partition(above, hi_pos - skipped)[hi_pos - skipped]
            return float(low), float(high)
    ranked = np.partition(values, (lo_pos, hi_pos))
    return float(ranked[lo_pos]), float(ranked[hi_pos])


def _standard_normals(seed: int | None, simulations: int, quantiles: int) -> Array:
    """``default_rng(seed).standard_normal((simulations, quantiles))``, kept for a fixed seed."""
    return _standard_normals_by_quantile(seed, simulations, quantiles).T


def _standard_normals_by_quantile(seed: int | None, simulations: int, quantiles: int) -> Array:
    """``_standard_normals`` transposed: quantiles x simulations, each row contiguous."""
    if seed is None:
        return _by_quantile(np.random.default_rng().standard_normal((simulations, quantiles)))
    return _seeded_normals(seed, simulations, quantiles)


def _by_quantile(normals: Array) -> Array:
    out = np.ascontiguousarray(normals.T)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def _seeded_normals(seed: int, simulations: int, quantiles: int) -> Array:
    """Kept read-only, by quantile: at most 64 arrays (an HNA's 10,000 draws of 10 deciles
    are 0.8 MB)."""
    return _by_quantile(np.random.default_rng(seed).standard_normal((simulations, quantiles)))


def _ratio(numerator: Array | float, denominator: Array | float) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(numerator, dtype=float) / np.asarray(denominator, dtype=float)


def _natural_scale_result(
    intercept_0: float,
    slope_0: float,
    sim_intercepts: Array,
    sim_slopes: Array,
    multiplier: float,
    lo_pos: int,
    hi_pos: int,
) -> SIIResult:
    rii = float(_ratio(intercept_0 + slope_0, intercept_0))
    sim_rii = _ratio(sim_intercepts + sim_slopes, sim_intercepts)
    if multiplier < 0:
        rii = 1.0 / rii if rii else math.nan
        sim_rii = _ratio(1.0, sim_rii)
    sii_lower, sii_upper = _order_statistics(sim_slopes * multiplier, lo_pos, hi_pos)
    rii_lower, rii_upper = _order_statistics(sim_rii, lo_pos, hi_pos)
    return SIIResult(
        sii=float(slope_0 * multiplier),
        sii_lower=sii_lower,
        sii_upper=sii_upper,
        rii=rii,
        rii_lower=rii_lower,
        rii_upper=rii_upper,
        intercept=float(intercept_0),
    )


def _transformed_scale_result(
    intercept_0: float,
    slope_0: float,
    slope_limits: tuple[float, float],
    value_type: ValueType,
    multiplier: float,
) -> SIIResult:
    midpoint = intercept_0 + slope_0 / 2.0

    def ends(slope: float) -> tuple[float, float]:
        """Back-transformed fitted values at rank 0 and rank 1 for a line through midpoint."""
        at0, at1 = _inverse(np.array([midpoint - slope / 2.0, midpoint + slope / 2.0]), value_type)
        return float(at0), float(at1)

    at0, at1 = ends(slope_0)
    lo0, lo1 = ends(slope_limits[0])
    hi0, hi1 = ends(slope_limits[1])
    sii_from_lo = (lo1 - lo0) * multiplier
    sii_from_hi = (hi1 - hi0) * multiplier
    rii_from_lo = lo1 / lo0
    rii_from_hi = hi1 / hi0
    rii = at1 / at0
    if multiplier < 0:
        sii_lower, sii_upper = sii_from_hi, sii_from_lo
        rii, rii_lower, rii_upper = 1.0 / rii, 1.0 / rii_from_hi, 1.0 / rii_from_lo
    else:
        sii_lower, sii_upper = sii_from_lo, sii_from_hi
        rii_lower, rii_upper = rii_from_lo, rii_from_hi
    return SIIResult(
        sii=(at1 - at0) * multiplier,
        sii_lower=sii_lower,
        sii_upper=sii_upper,
        rii=rii,
        rii_lower=rii_lower,
        rii_upper=rii_upper,
        intercept=at0 * abs(multiplier),
    )
