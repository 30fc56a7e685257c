"""The rollup from cells to groups: exact, and the same whatever order the cells come in."""

from __future__ import annotations

import random

import numpy as np

from gpequity.hna.engine import Cells, Plan, rollup
from gpequity.hna.indicators import default_indicators

MEAN = next(i for i in default_indicators() if i.kind == "mean")
PROPORTION = next(i for i in default_indicators() if i.kind == "proportion")
PLAN = Plan([PROPORTION, MEAN])


def _cells(rows: list[tuple[str, int, float, int, float, float]]) -> Cells:
    """Cells keyed by sex only: (sex, d0, n0, d1, n1, q1)."""
    keys = {"k_sex": [r[0] for r in rows]}
    sums = {
        name: np.array([float(r[j]) for r in rows])
        for j, name in enumerate(("d0", "n0", "d1", "n1", "q1"), start=1)
    }
    return Cells(keys, sums, len(rows))


def test_sums_do_not_depend_on_the_order_of_the_cells():
    # Scores whose floating-point total depends on the order they are added in.
    rows = [("female", 3, 2, 3, 1e16, 1e16), ("female", 2, 1, 2, 1.0, 1.0)]
    rows += [("female", 1, 1, 1, -1e16, 1e16), ("male", 4, 0, 4, 0.1, 0.01)]
    rows += [("male", 1, 1, 1, 0.2, 0.04), ("male", 1, 0, 1, 0.3, 0.09)]
    results = set()
    shuffle = random.Random(7)
    for _ in range(20):
        shuffle.shuffle(rows)
        counts = rollup(_cells(rows), PLAN, ["sex"])
        results.add(tuple((c.indicator, c.grouping, c.group, c.numerator, c.denominator,
                           c.sum_sq) for c in sorted(counts, key=repr)))  # fmt: skip
    assert len(results) == 1
    by_key = {(c[0], c[2]): c for c in results.pop()}
    assert by_key[(MEAN.id, "female")][3] == 1.0  # 1e16 + 1 - 1e16, correctly rounded
    assert by_key[(MEAN.id, "male")][3] == 0.6  # 0.1 + 0.2 + 0.3 == 0.6000000000000001 naively
    assert by_key[(MEAN.id, "all")][3] == 1.6
    assert by_key[(PROPORTION.id, "male")][3:5] == (1, 6)
    assert isinstance(by_key[(PROPORTION.id, "all")][3], int)


def test_no_cells_give_no_rows():
    assert rollup(_cells([]), PLAN, ["sex"]) == []
