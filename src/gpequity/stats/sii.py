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


def _as_rows(
    name: str, values: Sequence[Sequence[float]], order: list[int], rows: int | None = None
) -> Array:
    """Rows of one entry per quantile, the quantiles put in ``order``."""
    try:
        arr = np.asarray(values, dtype=float)
    except ValueError:
        raise ValueError(f"{name} must have one entry per quantile") from None
    if arr.ndim != 2 or arr.shape[1] != len(order) or (rows is not None and len(arr) != rows):
        raise ValueError(f"{name} must have one entry per quantile")
    return arr[:, order]


def relative_ranks(populations: Sequence[float] | Array) -> tuple[Array, Array]:
    """Population shares a and midpoint ranks b (share of earlier quantiles + half own), of
    one gradient's populations or of each row of several (``sii_many``).

    Populations must already be ordered from most to least deprived.
    """
    pops = np.asarray(populations, dtype=float)
    shares = pops / pops.sum(axis=-1, keepdims=True)
    ranks = np.cumsum(shares, axis=-1) - shares / 2.0
    return shares, ranks


def _standard_errors(
    value_type: ValueType,
    se: Sequence[Sequence[float]] | None,
    lower: Sequence[Sequence[float]] | None,
    upper: Sequence[Sequence[float]] | None,
    order: list[int],
    rows: int,
) -> Array:
    if se is not None:
        return _as_rows("se", se, order, rows)
    if lower is not None and upper is not None:
        lo = _forward(_as_rows("lower", lower, order, rows), value_type)
        hi = _forward(_as_rows("upper", upper, order, rows), value_type)
        return (hi - lo) / _Z95 / 2.0
    raise ValueError("give either se or both lower and upper")


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
    (result,) = sii_many(
        quantiles,
        [populations],
        [values],
        lower=None if lower is None else [lower],
        upper=None if upper is None else [upper],
        se=None if se is None else [se],
        value_type=value_type,
        transform=transform,
        multiplier=multiplier,
        confidence=confidence,
        simulations=simulations,
        seed=seed,
    )
    if isinstance(result, ValueError):
        raise result
    return result


SIMULATED_AT_ONCE = 4
"""How many gradients' simulations ``sii_many`` works on in one array (4 of 10 deciles by
10,000 draws are 3.2 MB; from 2 to 16 made no difference measured)."""


def sii_many(
    quantiles: Sequence[object],
    populations: Sequence[Sequence[float]],
    values: Sequence[Sequence[float]],
    *,
    lower: Sequence[Sequence[float]] | None = None,
    upper: Sequence[Sequence[float]] | None = None,
    se: Sequence[Sequence[float]] | None = None,
    value_type: ValueType = "other",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float = 0.95,
    simulations: int = 100_000,
    seed: int | None = None,
) -> list[SIIResult | ValueError]:
    """``sii`` of many gradients over the same quantiles: one row of ``populations``,
    ``values`` (and ``lower`` and ``upper``, or ``se``) per gradient; each one's result, or
    the error ``sii`` would raise for it, in its place.

    Each result is the one ``sii`` gives for that row alone, to the bit (``sii`` is this with
    one row, and the tests fit rows alone and together): every step is element by element
    or a product, sum or solve within one row. A system extract fits each indicator's
    gradient for every practice with the same seed, so doing them together spares the
    per-call work of thousands of small fits (ADR 28). With a seed every row is simulated
    with that seed's draws, as it would be alone; without one each row gets its own."""
    labels = list(quantiles)
    _validate(len(labels), value_type, transform, confidence, simulations)
    if len(set(map(str, labels))) != len(labels):
        raise ValueError("quantile labels must be unique")
    order = sorted(range(len(labels)), key=lambda i: _order_key(labels[i]))

    pops = _as_rows("populations", populations, order)
    rows = len(pops)
    natural = _as_rows("values", values, order, rows)
    failed: list[ValueError | None] = [None] * rows

    def fail(where: NDArray[np.bool_], message: str) -> None:
        for i in np.flatnonzero(where).tolist():
            if failed[i] is None:
                failed[i] = ValueError(message)

    with np.errstate(all="ignore"):
        fail(
            ~np.all(np.isfinite(pops), axis=1) | np.any(pops <= 0, axis=1),
            "every quantile needs a positive population",
        )
        fail(~np.all(np.isfinite(natural), axis=1), "every quantile needs a value")
        if value_type == "proportion":
            fail(
                np.any((natural < 0) | (natural > 1), axis=1),
                "proportions must be between 0 and 1",
            )
        transformed = _forward(natural, value_type)
        fail(
            ~np.all(np.isfinite(transformed), axis=1),
            "values of 0 (or 1 for proportions) cannot be log/logit transformed",
        )
        errors = _standard_errors(value_type, se, lower, upper, order, rows)
        fail(
            ~np.all(np.isfinite(errors), axis=1) | np.any(errors < 0, axis=1),
            "standard errors must be finite and not negative; a proportion limit of 0 or 1 "
            "(or a rate limit of 0) has no log/logit value",
        )
    fitted = [i for i in range(rows) if failed[i] is None]
    results: list[SIIResult | ValueError] = list(failed)  # type: ignore[arg-type]
    if not fitted:
        return results
    pops, natural, transformed, errors = (a[fitted] for a in (pops, natural, transformed, errors))

    shares, ranks = relative_ranks(pops)
    sqrt_a = np.sqrt(shares)
    design = np.stack([sqrt_a, ranks * sqrt_a], axis=1)  # each 2 x k: intercept and slope
    projector = np.linalg.solve(design @ design.transpose(0, 2, 1), design)  # (X'X)^-1 X'

    fit_values = transformed if transform else natural
    points = (projector @ (sqrt_a * fit_values)[:, :, None])[:, :, 0]
    lo_pos, hi_pos = _percentile_positions(simulations, confidence)

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
    at_once = SIMULATED_AT_ONCE if seed is not None else 1
    for start in range(0, len(fitted), at_once):
        block = slice(start, start + at_once)
        normals = _standard_normals_by_quantile(seed, simulations, len(labels))
        draws = np.multiply(normals[None, :, :], errors[block, :, None])
        draws += transformed[block, :, None]
        if not transform:
            draws = _inverse(draws, value_type)
        draws *= sqrt_a[block, :, None]
        simulated = projector[block] @ draws
        for j, (sim_intercepts, sim_slopes) in enumerate(simulated, start):
            intercept_0, slope_0 = points[j]
            if not transform:
                result = _natural_scale_result(
                    intercept_0, slope_0, sim_intercepts, sim_slopes, multiplier, lo_pos, hi_pos
                )
            else:
                result = _transformed_scale_result(
                    intercept_0,
                    slope_0,
                    _order_statistics(sim_slopes, lo_pos, hi_pos),
                    value_type,
                    multiplier,
                )
            results[fitted[j]] = result
    return results


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
