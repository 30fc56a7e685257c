"""A system extract's practice indicators made a column at a time (ADR 28) are the rows,
and the file text, that each practice's counts give one row at a time."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.hna.engine import Cells, Plan, _rollup_by_practice_one_by_one, practice_sums
from gpequity.hna.indicators import default_indicators
from gpequity.hna.practice_columns import indicator_columns
from gpequity.hna.results import (
    PRACTICE_INDICATOR_COLUMNS,
    IndicatorInfo,
    _column_lines,
    _indicator_rows_one_by_one,
    _table_text_general,
)

MEAN = next(i for i in default_indicators() if i.kind == "mean")
PROPORTION = next(i for i in default_indicators() if i.kind == "proportion")
PLAN = Plan([PROPORTION, MEAN])
GROUPINGS = ["sex", "imd_decile", "imd_quintile", "age_band"]


def _info(mean_first: bool) -> list[IndicatorInfo]:
    info = [IndicatorInfo(PROPORTION.id, "proportion"), IndicatorInfo(MEAN.id, "mean")]
    return info[::-1] if mean_first else info


cell_rows = st.lists(
    st.tuples(
        st.sampled_from(["Y90003", "Y90001", "Y90002"]),
        st.sampled_from(["female", "male", "unknown", None]),
        st.sampled_from([None, 1, 4, 10]),
        st.sampled_from([0, 1, 3, 4]),  # age bands by position
        st.integers(0, 40),
        st.integers(0, 40),
        st.one_of(st.floats(-50, 50, allow_nan=False), st.sampled_from([0.0, -0.0])),
    ),
    max_size=40,
)


def _cells(rows) -> Cells:
    keys = {
        "k_practice_code": [r[0] for r in rows],
        "k_sex": [r[1] for r in rows],
        "k_imd_decile": [r[2] for r in rows],
        "k_age_band": [r[3] for r in rows],
    }
    sums = {  # some denominators are zero: groups with nobody in them have no row
        "d0": np.array([float(max(r[4], r[5])) for r in rows]),
        "n0": np.array([float(min(r[4], r[5])) for r in rows]),
        "d1": np.array([float(r[5]) for r in rows]),
        "n1": np.array([r[6] * r[5] for r in rows]),
        "q1": np.array([r[6] * r[6] * r[5] for r in rows]),
    }
    return Cells(keys, sums, len(rows))


@settings(max_examples=60, deadline=None)
@given(cell_rows, st.booleans())
def test_columns_are_each_practices_rows_made_one_at_a_time(rows, mean_first):
    cells = _cells(rows)
    info = _info(mean_first)
    codes, by_grouping = practice_sums(cells, PLAN, GROUPINGS)
    table = indicator_columns(codes, by_grouping, PLAN, info)
    assert table is not None
    want = []
    for code, counts in _rollup_by_practice_one_by_one(cells, PLAN, GROUPINGS).items():
        want += [{"practice_code": code, **r} for r in _indicator_rows_one_by_one(counts, info)]
    got = table.rows()
    # repr tells -0.0 from 0.0, an int from a float and NaN apart; json the same text.
    assert repr(got) == repr(want)
    assert [tuple(map(type, r.values())) for r in got] == [
        tuple(map(type, r.values())) for r in want
    ]
    assert table.codes == codes == sorted({r[0] for r in rows})
    for p, code in enumerate(codes):
        mine = [r for r in want if r["practice_code"] == code]
        assert table.bounds[p + 1] - table.bounds[p] == len(mine)
    if want:
        lines, json_rows = _column_lines(PRACTICE_INDICATOR_COLUMNS, table.columns)
        csv_text, json_text = _table_text_general(want, PRACTICE_INDICATOR_COLUMNS)
        assert "".join(line + "\n" for line in lines) == csv_text
        assert ",\n".join(json_rows) == json_text
        json.loads("[" + json_text + "]")


def test_an_indicator_the_order_does_not_know_leaves_it_to_the_rows():
    cells = _cells([("Y90001", "male", 1, 3, 2, 5, 1.5)])
    codes, by_grouping = practice_sums(cells, PLAN, ["sex"])
    only_one = [IndicatorInfo(PROPORTION.id, "proportion")]
    assert indicator_columns(codes, by_grouping, PLAN, only_one) is None
    assert indicator_columns(codes, by_grouping, PLAN, _info(False)) is not None
