"""Small-number suppression and rounding for anything shared beyond the practice.

Rules (DATA.md "Disclosure control"): counts from 1 to 7 are suppressed, other counts are
rounded to the nearest 5, a value is not shown when its numerator or denominator is
suppressed, and when a breakdown would let one suppressed count be worked out from the
shown total and the shown siblings, the next smallest count is suppressed as well.

Kept deliberately small and pure (no I/O, no Django) so every shared output can go
through it and it can be property-tested on its own.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

THRESHOLD = 7
ROUND_TO = 5
OVERALL_GROUPING = "overall"
OVERALL_GROUP = "all"
#: Indicators whose numerator is a sum of per-patient scores, not a count of people.
DEFAULT_MEAN_INDICATORS = frozenset({"continuity_upc", "continuity_coc"})
_BLANKED_WHEN_SUPPRESSED = ("value", "lower", "upper", "compared_with_rest")
_COUNT_FIELDS = ("numerator", "denominator")
# IMD deciles nest inside quintiles: a shown quintile is a total for its two deciles.
_DECILES_IN_QUINTILE = {
    "Q1": ("1", "2"),
    "Q2": ("3", "4"),
    "Q3": ("5", "6"),
    "Q4": ("7", "8"),
    "Q5": ("9", "10"),
    "unknown": ("unknown",),
}


def suppress_count(n: int | None) -> int | None:
    """Suppress 1..7 (None), keep 0, round anything else to the nearest multiple of 5.

    Zero is shown because "nobody" does not identify anybody. Halves cannot occur for whole
    counts, so the rounding direction at .5 never matters.
    """
    if n is None:
        return None
    if n < 0 or n != int(n):
        raise ValueError("counts must be whole numbers, not negative")
    n = int(n)
    if n == 0:
        return 0
    if n <= THRESHOLD:
        return None
    return ROUND_TO * math.floor(n / ROUND_TO + 0.5)


def _pick_secondary(candidates: Iterable[tuple[Any, int]]) -> Any | None:
    """Choose the next count to hide: the smallest non-zero shown count, else a zero.

    Hiding a zero does not stop the difference from revealing the suppressed count (the
    zero adds nothing), so a zero is only chosen when there is no non-zero count left; then
    it at least leaves an attacker unable to tell which hidden cell holds the remainder.
    """
    ranked = sorted(candidates, key=lambda item: (item[1] == 0, item[1], str(item[0])))
    return ranked[0][0] if ranked else None


def _protect(
    raw: Mapping[Any, int | None],
    hidden: set[Any],
    constraints: list[tuple[Any | None, list[Any]]],
) -> None:
    """Add secondary suppressions to ``hidden`` until no constraint leaves exactly one gap.

    A constraint is (total key, member keys); it is only a risk while its total is shown.
    A new suppression can open a gap in an overlapping breakdown, so every constraint that
    holds a newly hidden key (as a member or as its total) is looked at again: a worklist,
    so a large table costs time in proportion to its size, not its size squared.
    """
    touching: dict[Any, list[int]] = defaultdict(list)
    for n, (total, members) in enumerate(constraints):
        for key in members:
            touching[key].append(n)
        if total is not None:
            touching[total].append(n)
    pending = deque(range(len(constraints)))
    queued = set(pending)
    while pending:
        n = pending.popleft()
        queued.discard(n)
        total, members = constraints[n]
        if total is None or total in hidden or raw.get(total) is None:
            continue
        gaps = [m for m in members if m in hidden]
        if len(gaps) != 1:
            continue
        candidates = [(m, raw[m]) for m in members if m not in hidden and raw[m] is not None]
        choice = _pick_secondary(candidates)
        newly = choice if choice is not None else total
        hidden.add(newly)
        for again in (n, *touching[newly]):
            if again not in queued:
                queued.add(again)
                pending.append(again)


def apply_to_breakdown(counts: Mapping[str, int], total: int | None) -> dict[str, int | None]:
    """Suppress and round one breakdown's counts, adding secondary suppression.

    ``total`` is the count the breakdown adds up to (shown elsewhere); when it is None or
    itself suppressed, no count can be recovered by difference.
    """
    raw: dict[Any, int | None] = {("count", k): v for k, v in counts.items()}
    raw["total"] = total
    hidden = {
        key for key, value in raw.items() if value is not None and suppress_count(value) is None
    }
    members = [("count", k) for k in counts]
    _protect(raw, hidden, [("total" if total is not None else None, members)])
    return {
        key: None if ("count", key) in hidden else suppress_count(value)
        for key, value in counts.items()
    }


@dataclass(frozen=True)
class Table:
    """A two-way table of counts after disclosure control: cells, row and column totals
    and the grand total, each a rounded count or None (suppressed)."""

    cells: dict[tuple[Any, Any], int | None]
    rows: dict[Any, int | None]
    columns: dict[Any, int | None]
    total: int | None
    groups: dict[Any, dict[str, Any]] = dataclasses.field(default_factory=dict)


def apply_to_table(
    cells: Mapping[tuple[Any, Any], int],
    rows: Iterable[Any],
    columns: Iterable[Any],
    *,
    groups: Mapping[Any, Iterable[Any]] | None = None,
) -> Table:
    """Suppress and round a table of counts (``cells`` by (row, column); a missing cell is
    0) with its row, column and grand totals, all of which are shown.

    Secondary suppression protects every row against its row total, every column against
    its column total, and the row and column totals against the grand total, so no hidden
    count can be worked out by difference from what is shown. ``groups`` (group key to its
    rows, each row in at most one group) adds subtotal rows, shown too: each group's cells
    and total are protected against its rows the same way, and the groups against the
    grand total.
    """
    row_keys, col_keys = list(rows), list(columns)
    raw: dict[Any, int | None] = {}
    for r in row_keys:
        for c in col_keys:
            raw[("cell", r, c)] = int(cells.get((r, c), 0))
    for r in row_keys:
        raw[("row", r)] = sum(raw[("cell", r, c)] for c in col_keys)
    for c in col_keys:
        raw[("col", c)] = sum(raw[("cell", r, c)] for r in row_keys)
    raw["total"] = sum(raw[("row", r)] for r in row_keys)
    members = {g: list(rs) for g, rs in (groups or {}).items()}
    for g, rs in members.items():
        for c in col_keys:
            raw[("gcell", g, c)] = sum(raw[("cell", r, c)] for r in rs)
        raw[("grow", g)] = sum(raw[("row", r)] for r in rs)
    hidden = {key for key, value in raw.items() if suppress_count(value) is None}
    constraints: list[tuple[Any | None, list[Any]]] = [
        (("row", r), [("cell", r, c) for c in col_keys]) for r in row_keys
    ]
    constraints += [(("col", c), [("cell", r, c) for r in row_keys]) for c in col_keys]
    constraints.append(("total", [("row", r) for r in row_keys]))
    constraints.append(("total", [("col", c) for c in col_keys]))
    for g, rs in members.items():
        constraints.append((("grow", g), [("gcell", g, c) for c in col_keys]))
        constraints.append((("grow", g), [("row", r) for r in rs]))
        constraints += [(("gcell", g, c), [("cell", r, c) for r in rs]) for c in col_keys]
    if members:
        constraints.append(("total", [("grow", g) for g in members]))
        constraints += [(("col", c), [("gcell", g, c) for g in members]) for c in col_keys]
    _protect(raw, hidden, constraints)

    def shown(key: Any) -> int | None:
        return None if key in hidden else suppress_count(raw[key])

    return Table(
        cells={(r, c): shown(("cell", r, c)) for r in row_keys for c in col_keys},
        rows={r: shown(("row", r)) for r in row_keys},
        columns={c: shown(("col", c)) for c in col_keys},
        total=shown("total"),
        groups={
            g: {
                "cells": {c: shown(("gcell", g, c)) for c in col_keys},
                "total": shown(("grow", g)),
            }
            for g in members
        },
    )


def _constraints_for(
    rows: list[dict[str, Any]], indices: list[int], field: str
) -> list[tuple[Any | None, list[Any]]]:
    """Breakdowns of one indicator: each grouping against `all`, deciles against quintiles."""
    by_grouping: dict[str, dict[str, int]] = defaultdict(dict)
    for i in indices:
        by_grouping[str(rows[i]["grouping"])][str(rows[i]["group"])] = i
    overall = by_grouping.get(OVERALL_GROUPING, {}).get(OVERALL_GROUP)
    total_key = (overall, field) if overall is not None else None
    constraints = [
        (total_key, [(i, field) for i in groups.values()])
        for grouping, groups in by_grouping.items()
        if grouping != OVERALL_GROUPING
    ]
    quintiles = by_grouping.get("imd_quintile", {})
    deciles = by_grouping.get("imd_decile", {})
    for quintile, members in _DECILES_IN_QUINTILE.items():
        if quintile in quintiles:
            decile_rows = [(deciles[d], field) for d in members if d in deciles]
            if decile_rows:
                constraints.append(((quintiles[quintile], field), decile_rows))
    return constraints


def apply_to_indicators(
    rows: list[dict[str, Any]],
    *,
    mean_indicators: Collection[str] = DEFAULT_MEAN_INDICATORS,
) -> list[dict[str, Any]]:
    """Apply disclosure control to DATA.md `indicators` rows (returns new dicts).

    Numerators and denominators are suppressed or rounded; a row with either suppressed
    loses value, lower, upper and compared_with_rest and is marked suppressed. Secondary
    suppression runs within each (indicator, grouping) breakdown against that indicator's
    `all` row, and for IMD deciles against their quintile. For mean indicators the numerator
    is a sum of scores rather than a count: it is withheld, because with the exact mean it
    would give away the exact denominator.
    """
    raw: dict[Any, int | None] = {}
    hidden: set[Any] = set()
    by_indicator: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_indicator[str(row["indicator"])].append(i)
        is_mean = row["indicator"] in mean_indicators
        for field in _COUNT_FIELDS:
            if field == "numerator" and is_mean:
                continue
            value = row.get(field)
            raw[(i, field)] = None if _is_missing(value) else value
            if raw[(i, field)] is not None and suppress_count(raw[(i, field)]) is None:
                hidden.add((i, field))
    constraints: list[tuple[Any | None, list[Any]]] = []
    for indicator, indices in by_indicator.items():
        fields = ("denominator",) if indicator in mean_indicators else _COUNT_FIELDS
        for field in fields:
            constraints.extend(_constraints_for(rows, indices, field))
    _protect(raw, hidden, constraints)
    return [
        _render(i, row, raw, hidden, row["indicator"] in mean_indicators)
        for i, row in enumerate(rows)
    ]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _render(
    i: int, row: dict[str, Any], raw: Mapping[Any, int | None], hidden: set[Any], is_mean: bool
) -> dict[str, Any]:
    out = dict(row)
    suppressed = False
    for field in _COUNT_FIELDS:
        if field == "numerator" and is_mean:
            out[field] = None
            continue
        if (i, field) in hidden:
            out[field] = None
            suppressed = True
        else:
            out[field] = suppress_count(raw[(i, field)])
    if suppressed:
        for field in _BLANKED_WHEN_SUPPRESSED:
            if field in out:
                out[field] = None
    out["suppressed"] = suppressed
    return out


def apply_to_frame(df: Any, **kwargs: Any) -> Any:
    """pandas wrapper around :func:`apply_to_indicators`; returns a new DataFrame.

    Counts come back as nullable integers so suppressed cells are <NA>, not floats.
    """
    import pandas as pd

    records = df.astype(object).where(df.notna(), None).to_dict("records")
    result = pd.DataFrame.from_records(apply_to_indicators(records, **kwargs), columns=df.columns)
    for field in _COUNT_FIELDS:
        if field in result.columns:
            result[field] = result[field].astype("Int64")
    if "suppressed" in result.columns:
        result["suppressed"] = result["suppressed"].astype(bool)
    return result
