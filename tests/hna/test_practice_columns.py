"""A system extract's practice indicators made a column at a time (ADR 28) are the rows,
and the file text, that each practice's counts give one row at a time."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.hna.engine import Cells, Plan, _rollup_by_practice_one_by_one, practice_sums
from gpequity.hna.indicators import default_indicators
from gpequity.hna.practice_columns import indicator_columns, tables
from gpequity.hna.results import (
    PRACTICE_INDICATOR_COLUMNS,
    IndicatorInfo,
    _column_lines,
    _indicator_rows_one_by_one,
    _table_text_general,
    gradient_rows_by_practice,
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
        st.one_of(st.none(), st.integers(1, 10)),
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
    """Rows, their order and types, file text, and the gradients to fit."""
    cells = _cells(rows)
    info = _info(mean_first)
    codes, by_grouping = practice_sums(cells, PLAN, GROUPINGS)
    made = tables(codes, by_grouping, PLAN, info)
    assert made is not None
    table, gradients = made
    want = []
    alone = _rollup_by_practice_one_by_one(cells, PLAN, GROUPINGS)
    for code, counts in alone.items():
        want += [{"practice_code": code, **r} for r in _indicator_rows_one_by_one(counts, info)]
    # The gradients: the same fits and notes (quintiles missing, at 0% or 100%, too few).
    assert repr(gradients.results()) == repr(gradient_rows_by_practice(alone, info))
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
    twice = [*_info(False), IndicatorInfo(MEAN.id, "mean")]
    assert indicator_columns(codes, by_grouping, PLAN, twice) is None
    other_kind = [IndicatorInfo(PROPORTION.id, "mean"), IndicatorInfo(MEAN.id, "mean")]
    assert indicator_columns(codes, by_grouping, PLAN, other_kind) is None
    assert indicator_columns(codes, by_grouping, PLAN, _info(False)) is not None


def test_gradients_planned_from_the_columns_fit_and_note_as_the_rows_do():
    """Practices with every quintile (fitted), one at 100% (a note), one missing (a note)."""
    rows = []
    for decile in range(1, 11):
        rows.append(("Y90001", "female", decile, 1, 30 + decile, 12 + decile, 1.5))
        rows.append(("Y90002", "male", decile, 2, 20, 20 if decile in (5, 6) else 9, -2.0))
        if decile not in (3, 4):
            rows.append(("Y90003", "male", decile, 3, 25, 7, 0.5))
    cells = _cells(rows)
    codes, by_grouping = practice_sums(cells, PLAN, GROUPINGS)
    _, gradients = tables(codes, by_grouping, PLAN, _info(False))
    got = gradients.results()
    assert repr(got) == repr(
        gradient_rows_by_practice(
            _rollup_by_practice_one_by_one(cells, PLAN, GROUPINGS), _info(False)
        )
    )
    fitted = {code: {(g["indicator"], g["grouping"]) for g in got[code][0]} for code in got}
    assert fitted["Y90001"] == {
        (i, g) for i in (PROPORTION.id, MEAN.id) for g in ("imd_decile", "imd_quintile")
    }
    assert any("quintile Q3 at 0% or 100%" in n for n in got["Y90002"][1])
    assert any("quintile Q2 has nobody" in n for n in got["Y90003"][1])
