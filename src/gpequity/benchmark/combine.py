"""A network's needs assessment from its practices' results.

Each practice's DATA.md ``indicators`` rows hold, per indicator, grouping and group, the
numerator and denominator. Adding those up across practices gives the counts a run over all
their patients together would have found, so the statistics are worked out again from the
sums with the very functions a run uses (``gpequity.hna.results.indicator_rows`` and
``gradient_rows``): Wilson intervals, the comparison with the rest (Newcombe) and the
gradients (SII/RII).

Means (the continuity indices) are the exception: their rows carry the sum of per-patient
values and the number of patients, not the sum of squares an interval needs. Their combined
value is exact; their intervals, comparisons and gradients are left out, with ``MEANS_NOTE``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gpequity.hna.indicators import Indicator, default_indicators
from gpequity.hna.results import GroupCount, IndicatorInfo, Row, gradient_rows, indicator_rows

MEANS_NOTE = (
    "{ids}: values combined from the practices' sums; no intervals, comparisons or "
    "gradients, because stored results do not carry the sums of squares they need"
)


class CombineError(ValueError):
    """Rows that cannot be added up (suppressed, unknown indicator, a mean's sum mixed up)."""


@dataclass
class Combined:
    """The network table: DATA.md ``indicators`` and ``gradients`` rows, and notes."""

    indicator_rows: list[Row]
    gradient_rows: list[Row]
    notes: list[str] = field(default_factory=list)
    practices: int = 0


def indicator_info(definitions: Sequence[Indicator] | None = None) -> list[IndicatorInfo]:
    """What the statistics need to know of each indicator (the defaults when not given)."""
    defs = default_indicators() if definitions is None else definitions
    return [
        IndicatorInfo(d.id, d.kind, d.title, d.higher_is_better, frozenset(d.referenced()))
        for d in defs
    ]


def _info_for(
    info: Sequence[IndicatorInfo] | None, definitions: Sequence[Indicator] | None
) -> list[IndicatorInfo]:
    if info is not None:
        return list(info)
    return indicator_info(definitions)


def combine(
    tables: Iterable[Sequence[Mapping]],
    *,
    definitions: Sequence[Indicator] | None = None,
    info: Sequence[IndicatorInfo] | None = None,
) -> Combined:
    """Add up several practices' ``indicators`` tables (one sequence of rows each).

    Rows must be exact practice-level figures (suppressed = false): figures that went
    through disclosure control cannot be added up. ``definitions`` (or ``info``) name the
    indicators and their kind; the defaults when neither is given.
    """
    known = _info_for(info, definitions)
    kinds = {i.id: i.kind for i in known}
    sums: dict[tuple[str, str, str], list] = {}
    practices = 0
    for table in tables:
        practices += 1
        for n, row in enumerate(table, 1):
            indicator = row["indicator"]
            if indicator not in kinds:
                raise CombineError(
                    f"row {n}: indicator {indicator!r} is not among the definitions given"
                )
            if row.get("suppressed"):
                raise CombineError(
                    f"row {n}: {indicator} {row['grouping']} {row['group']} is suppressed; "
                    "only exact practice-level results can be combined"
                )
            key = (indicator, row["grouping"], row["group"])
            entry = sums.setdefault(key, [[], 0])
            entry[0].append(row["numerator"])
            entry[1] += int(row["denominator"])
    counts = []
    for (indicator, grouping, group), (numerators, denominator) in sums.items():
        mean = kinds[indicator] == "mean"
        # fsum is correctly rounded: the same total whatever the order of the practices.
        numerator = math.fsum(float(x) for x in numerators) if mean else sum(map(int, numerators))
        counts.append(GroupCount(indicator, grouping, group, numerator, denominator))
    rows = indicator_rows(counts, known)
    proportions = [c for c in counts if kinds[c.indicator] != "mean"]
    gradients, notes = gradient_rows(proportions, known)
    means = sorted({c.indicator for c in counts if kinds[c.indicator] == "mean"})
    if means:
        notes.append(MEANS_NOTE.format(ids=", ".join(means)))
    return Combined(rows, gradients, notes, practices)


def combine_practice_rows(
    rows: Iterable[Mapping],
    *,
    definitions: Sequence[Indicator] | None = None,
    info: Sequence[IndicatorInfo] | None = None,
) -> Combined:
    """``combine`` over DATA.md ``practice_indicators`` rows (``practice_code`` first)."""
    by_practice: dict[str, list[Mapping]] = {}
    for row in rows:
        by_practice.setdefault(str(row["practice_code"]), []).append(row)
    return combine(by_practice.values(), definitions=definitions, info=info)
