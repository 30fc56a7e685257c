"""The rollup from cells to groups: exact, and the same whatever order the cells come in."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.hna.engine import (
    Cells,
    Plan,
    _rollup_by_practice_one_by_one,
    rollup,
    rollup_by_practice,
)
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


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Y90003", "Y90001", "Y90002"]),
            st.sampled_from(["female", "male", "unknown"]),
            st.sampled_from([None, 1, 4, 10]),
            st.integers(0, 5),
            # Zeros of either sign are common (cells with no scores) and summed by skipping.
            st.one_of(st.floats(-1e16, 1e16, allow_nan=False), st.sampled_from([0.0, -0.0])),
        ),
        max_size=40,
    )
)
def test_every_practice_at_once_gives_each_practice_rolled_up_alone(rows):
    """ADR 28: ``rollup_by_practice`` sums every practice in one pass; its rows, their
    order and their types are those of ``rollup`` over each practice's own cells."""
    keys = {
        "k_practice_code": [r[0] for r in rows],
        "k_sex": [r[1] for r in rows],
        "k_imd_decile": [r[2] for r in rows],
    }
    sums = {
        "d0": np.array([float(r[3] + 1) for r in rows]),
        "n0": np.array([float(min(r[3], 3)) for r in rows]),
        "d1": np.array([float(r[3] + 1) for r in rows]),
        "n1": np.array([r[4] for r in rows]),
        "q1": np.array([abs(r[4]) for r in rows]),
    }
    cells = Cells(keys, sums, len(rows))
    groupings = ["sex", "imd_decile", "imd_quintile"]
    together = rollup_by_practice(cells, PLAN, groupings)
    alone = _rollup_by_practice_one_by_one(cells, PLAN, groupings)
    assert list(together) == list(alone) == sorted({r[0] for r in rows})
    for code, counts in alone.items():
        assert repr(together[code]) == repr(counts)  # -0.0 and 0.0 told apart too
        assert [tuple(map(type, vars(c).values())) for c in together[code]] == [
            tuple(map(type, vars(c).values())) for c in counts
        ]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=70_000), max_size=300),
    st.sampled_from([1, 300, 65_536, 70_001]),
)
def test_cells_are_put_in_the_stable_order_of_their_groups_whatever_the_sizes(groups, size):
    from gpequity.hna.engine import _stable_order

    where = np.asarray([g % size for g in groups], dtype=np.int64)
    assert _stable_order(where, size).tolist() == np.argsort(where, kind="stable").tolist()
