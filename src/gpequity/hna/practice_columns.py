"""A system extract's ``practice_indicators`` made a column at a time (ADR 28).

The plain way, kept as the twin the tests hold this to, adds each practice's cells up into
``GroupCount`` rows (``engine.rollup_by_practice``), makes its rows one dict at a time
(``results.indicator_rows``) and writes them row by row. An ICB's extract has some 170,000
rows, and those per-row objects were most of a system run's extra time. Here every
practice's sums (``engine.practice_sums``) are laid out as one matrix per count (practices
by indicator, grouping and group, in the rows' order), the rows are the matrix's positive
denominators, and each column is worked out for all of them at once with the same
operations as the plain way (``stats.wilson_intervals`` and
``stats.compare_proportions_with_rest`` are the single forms to the bit; means, a few
thousand rows, go one at a time through the single forms). The dict rows are made only
when something asks for them (``IndicatorColumns.rows``); the files are written from the
columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpequity import stats
from gpequity.hna.columns import GROUPINGS
from gpequity.hna.results import (
    GRADIENT_QUANTILES,
    PRACTICE_INDICATOR_COLUMNS,
    TOO_FEW_FOR_AN_INTERVAL,
    GradientPlan,
    IndicatorInfo,
    Row,
    _at_edge,
    _group_key,
)

if TYPE_CHECKING:
    from gpequity.hna.engine import GroupingSums, Plan


@dataclass
class IndicatorColumns:
    """``practice_indicators`` rows as columns (``PRACTICE_INDICATOR_COLUMNS``' order),
    practice after practice: practice ``codes[p]``'s rows are ``bounds[p]`` to
    ``bounds[p + 1]``."""

    codes: list[str]
    columns: list[list[Any]]
    bounds: list[int]

    def __len__(self) -> int:
        return self.bounds[-1] if self.bounds else 0

    def rows(self) -> list[Row]:
        """The rows as ``results.indicator_rows`` makes them, ``practice_code`` first."""
        names = PRACTICE_INDICATOR_COLUMNS
        return [dict(zip(names, row, strict=True)) for row in zip(*self.columns, strict=True)]

    def practice(self, p: int) -> list[list[Any]]:
        """Practice ``codes[p]``'s columns."""
        start, end = self.bounds[p], self.bounds[p + 1]
        return [column[start:end] for column in self.columns]

    @classmethod
    def joined(cls, parts: Sequence[tuple[str, Sequence[list[Any]]]]) -> IndicatorColumns:
        """Practices' columns (each code with its ``practice`` columns), one after another."""
        columns: list[list[Any]] = [[] for _ in PRACTICE_INDICATOR_COLUMNS]
        bounds = [0]
        for _, mine in parts:
            for column, values in zip(columns, mine, strict=True):
                column += values
            bounds.append(bounds[-1] + len(mine[0]))
        return cls([code for code, _ in parts], columns, bounds)


@dataclass(frozen=True)
class _Place:
    """One column of the matrices: an indicator in a group."""

    indicator: int  # the plan's index
    grouping: int  # in ``by_grouping``
    group: int  # in that grouping's names


def indicator_columns(
    codes: list[str],
    by_grouping: Sequence[GroupingSums],
    plan: Plan,
    info: Sequence[IndicatorInfo],
) -> IndicatorColumns | None:
    """Every practice's ``practice_indicators`` rows, as ``results.indicator_rows`` makes
    them from its ``GroupCount`` rows, from ``engine.practice_sums``' output; None when
    the rows' order is not known here (an indicator missing from ``info``, a grouping
    DATA.md does not name) or ``info`` gives an indicator another kind than the plan: the
    plain way then makes them."""
    made = tables(codes, by_grouping, plan, info)
    return made[0] if made is not None else None


def tables(
    codes: list[str],
    by_grouping: Sequence[GroupingSums],
    plan: Plan,
    info: Sequence[IndicatorInfo],
) -> tuple[IndicatorColumns, GradientPlan] | None:
    """``indicator_columns``, and every practice's gradients to fit (``GradientPlan``), as
    ``results.gradient_rows_by_practice`` finds them in its ``GroupCount`` rows: from the
    same counts and the intervals just worked out for the rows."""
    import numpy as np

    n = len(codes)
    ids = [ind.id for ind in plan.indicators]
    if len(set(ids)) != len(ids) or len(info) != len(ids) or {i.id for i in info} != set(ids):
        return None
    if any(g.grouping not in GROUPINGS for g in by_grouping):
        return None
    kinds = {ind.id: ind.kind == "mean" for ind in plan.indicators}
    if any((i.kind == "mean") != kinds[i.id] for i in info):
        return None  # the intervals follow ``info``'s kinds, the counts the plan's
    # The rows' order (``results._ordered``): indicator as in ``info``, grouping as DATA.md
    # lists them, then group by its grouping's order.
    plan_at = {ind_id: k for k, ind_id in enumerate(ids)}
    groupings = sorted(
        range(len(by_grouping)), key=lambda g: GROUPINGS.index(by_grouping[g].grouping)
    )
    places: list[_Place] = []
    # Each indicator and grouping's places: the first, and each group's by name.
    blocks: dict[tuple[str, str], tuple[int, int, dict[str, int]]] = {}
    for ind in info:
        for g in groupings:
            summed = by_grouping[g]
            order = sorted(
                range(len(summed.names)), key=lambda j: _group_key(summed.grouping, summed.names[j])
            )
            at = {summed.names[j]: len(places) + k for k, j in enumerate(order)}
            blocks[ind.id, summed.grouping] = (len(places), len(order), at)
            places += [_Place(plan_at[ind.id], g, j) for j in order]
    width = len(places)

    def matrix(prefix: str, whole: bool) -> Any:
        """Practices x places of one count (``d`` denominators, ``n`` numerators, ``q``
        sums of squares), rounded to whole numbers where ``whole``."""
        out = np.zeros((n, width))
        start = 0
        while start < width:
            place = places[start]
            summed = by_grouping[place.grouping]
            size = len(summed.names)
            sums = summed.sums.get(f"{prefix}{place.indicator}_sum")  # only means have q
            if sums is not None:
                block = np.asarray(sums, dtype=np.float64).reshape(n, size)
                block = block[:, [p.group for p in places[start : start + size]]]
                out[:, start : start + size] = np.rint(block) if whole else block
            start += size
        return out

    means = np.array([plan.indicators[p.indicator].kind == "mean" for p in places])
    den = matrix("d", True)
    num = matrix("n", False)
    # Proportions' numerators are whole numbers (``round``), means' are sums of scores.
    num[:, ~means] = np.rint(num[:, ~means])
    sum_sq = matrix("q", False) if means.any() else np.zeros((n, width))
    # Each place's indicator's overall place (its total), and whether it is that place.
    overall = {
        p.indicator: k
        for k, p in enumerate(places)
        if by_grouping[p.grouping].grouping == "overall"
    }
    total_at = np.array([overall[p.indicator] for p in places], dtype=np.int64)
    is_overall = total_at == np.arange(width)

    at_practice, at_place = np.nonzero(den > 0)  # the rows, practice by practice in order
    rows = len(at_place)
    row_den = den[at_practice, at_place]
    row_num = num[at_practice, at_place]
    total_den = den[at_practice, total_at[at_place]]
    total_num = num[at_practice, total_at[at_place]]
    row_mean = means[at_place]
    lower = np.full(rows, math.nan)
    upper = np.full(rows, math.nan)
    compared = np.full(rows, "not_compared", dtype=object)

    proportion = np.flatnonzero(~row_mean)
    if len(proportion):
        p_num, p_den = row_num[proportion], row_den[proportion]
        if np.any(p_num < 0) or np.any(p_num > p_den):
            raise ValueError("numerator must not exceed denominator, nor be negative")
        lower[proportion], upper[proportion] = stats.wilson_intervals(p_num, p_den)
        # Each group against the rest of its indicator's whole denominator (a total with
        # nobody in it is no row, and nothing is compared with it).
        against = proportion[~is_overall[at_place[proportion]] & (total_den[proportion] > 0)]
        if len(against):
            compared[against] = stats.compare_proportions_with_rest(
                row_num[against], row_den[against], total_num[against], total_den[against]
            )
    mean_rows = np.flatnonzero(row_mean)
    if len(mean_rows):
        row_sq = sum_sq[at_practice[mean_rows], at_place[mean_rows]].tolist()
        total_sq = sum_sq[at_practice[mean_rows], total_at[at_place[mean_rows]]].tolist()
        for r, q, t_q in zip(mean_rows.tolist(), row_sq, total_sq, strict=True):
            r_den, r_num = int(row_den[r]), float(row_num[r])
            lower[r], upper[r] = stats.mean_interval_from_sums(r_den, r_num, q)
            if not is_overall[at_place[r]] and total_den[r] > 0:
                compared[r] = stats.compare_mean_with_rest(
                    r_den, r_num, q, int(total_den[r]), float(total_num[r]), t_q
                )

    place_list = at_place.tolist()
    ind_ids = [ids[p.indicator] for p in places]
    grouping_names = [by_grouping[p.grouping].grouping for p in places]
    group_names = [by_grouping[p.grouping].names[p.group] for p in places]
    whole = row_num.astype(np.int64).tolist()
    numerators = row_num.tolist()
    mean_list = row_mean.tolist()
    columns = [
        list(map(codes.__getitem__, at_practice.tolist())),
        list(map(ind_ids.__getitem__, place_list)),
        list(map(grouping_names.__getitem__, place_list)),
        list(map(group_names.__getitem__, place_list)),
        [f if m else w for f, w, m in zip(numerators, whole, mean_list, strict=True)],
        row_den.astype(np.int64).tolist(),
        (row_num / row_den).tolist(),
        lower.tolist(),
        upper.tolist(),
        compared.tolist(),
        [False] * rows,
    ]
    bounds = np.searchsorted(at_practice, np.arange(n + 1)).tolist()
    limits = []
    for by_row in (lower, upper):
        by_place = np.full((n, width), math.nan)
        by_place[at_practice, at_place] = by_row
        limits.append(by_place)
    gradients = _gradient_plan(codes, info, blocks, den, num, *limits)
    return IndicatorColumns(codes, columns, bounds), gradients


def _gradient_plan(
    codes: list[str],
    info: Sequence[IndicatorInfo],
    blocks: dict[tuple[str, str], tuple[int, int, dict[str, int]]],
    den: Any,
    num: Any,
    lower: Any,
    upper: Any,
) -> GradientPlan:
    """``results.gradient_rows_by_practice``'s plan, from the practices x places matrices:
    each indicator's gradient by each deprivation grouping for each practice with anybody
    in that grouping, in the same order, with the same notes and the same numbers (a
    proportion's interval from ``wilson_intervals`` is ``wilson_interval``'s to the bit)."""
    import numpy as np

    plan = GradientPlan(codes)
    everyone = np.ones(len(codes), dtype=bool)
    for ind in info:
        for grouping, labels in GRADIENT_QUANTILES.items():
            if (ind.id, grouping) not in blocks:
                continue
            start, size, at = blocks[ind.id, grouping]
            if not size:
                continue  # nobody in any of the grouping's groups
            anybody = (den[:, start : start + size] > 0).any(axis=1).tolist()
            where = [at.get(label, start) for label in labels]
            present = np.stack(
                [
                    den[:, c] > 0 if label in at else ~everyone
                    for label, c in zip(labels, where, strict=True)
                ],
                axis=1,
            )
            with np.errstate(all="ignore"):
                pops, values = den[:, where], num[:, where] / den[:, where]
            lows, highs = lower[:, where], upper[:, where]
            edge = (values == 0.0) | (values == 1.0) if ind.kind == "proportion" else None
            unknown = np.isnan(lows) | np.isnan(highs)
            for p, code in enumerate(codes):
                if not anybody[p]:
                    continue  # no deprivation data at all: the completeness warnings say so
                if not present[p].all():
                    missing = [lab for lab, ok in zip(labels, present[p], strict=True) if not ok]
                    plan.missing(code, ind, grouping, missing)
                elif edge is not None and edge[p].any():
                    at_edge = [lab for lab, e in zip(labels, edge[p], strict=True) if e]
                    plan.note(code, ind, grouping, _at_edge(grouping, at_edge))
                elif unknown[p].any():
                    plan.note(code, ind, grouping, TOO_FEW_FOR_AN_INTERVAL)
                else:
                    inputs = (pops[p], values[p], lows[p], highs[p])
                    plan.fit(code, ind, grouping, tuple(a.tolist() for a in inputs))
    return plan
