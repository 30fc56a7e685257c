"""What a reader of the result files and the terminal summary relies on."""

from __future__ import annotations

import csv
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.hna.results import (
    GroupCount,
    IndicatorInfo,
    OutputFolderError,
    apply_disclosure,
    gradients_table,
    indicator_rows,
    indicators_table,
    write_outputs,
)

INFO = [
    IndicatorInfo("screened", "proportion", "Screened", higher_is_better=True),
    IndicatorInfo("upc", "mean", "Continuity", higher_is_better=True),
]


def _counts() -> list[GroupCount]:
    return [
        GroupCount("screened", "overall", "all", 700, 1000),
        # A small group, far worse and significantly so, and a large group, less far worse.
        GroupCount("screened", "sex", "other", 0, 12),
        GroupCount("screened", "sex", "male", 250, 420),
        GroupCount("screened", "sex", "female", 450, 568),
        GroupCount("upc", "overall", "all", 150.5, 300, sum_sq=90.25),
    ]


def test_counts_are_written_as_whole_numbers_and_sums_of_means_as_decimals(tmp_path):
    out = write_outputs(tmp_path / "out", indicator_rows(_counts(), INFO), [])
    with (out / "indicators.csv").open() as f:
        rows = {(r["indicator"], r["group"]): r for r in csv.DictReader(f)}
    assert rows[("screened", "all")]["numerator"] == "700"
    assert rows[("screened", "all")]["denominator"] == "1000"
    assert rows[("screened", "other")]["numerator"] == "0"
    assert rows[("upc", "all")]["numerator"] == "150.5"
    assert rows[("screened", "all")]["value"] == "0.7"
    assert rows[("screened", "all")]["suppressed"] == "False"
    text = (out / "indicators.json").read_text()
    assert '"numerator":700,' in text.replace(" ", "") and "700.0" not in text
    assert (out / "gradients.csv").read_text().startswith("indicator,grouping,sii,")
    assert json.loads((out / "gradients.json").read_text()) == []


def test_blank_cells_are_empty_in_csv_and_null_in_json(tmp_path):
    # One person: no interval for the mean (NaN), and after disclosure, withheld counts.
    counts = [GroupCount("upc", "overall", "all", 0.5, 1, sum_sq=0.25)]
    rows = indicator_rows(counts, INFO)
    assert math.isnan(rows[0]["lower"])
    shared, _ = apply_disclosure(rows, [], mean_indicators={"upc"})
    out = write_outputs(tmp_path / "out", shared, [])
    line = (out / "indicators.csv").read_text().splitlines()[1]
    assert line == "upc,overall,all,,,,,,,True"
    (record,) = json.loads((out / "indicators.json").read_text())
    assert record["value"] is None and record["lower"] is None and record["suppressed"] is True


def test_shareable_values_are_worked_out_from_the_rounded_counts():
    # 2039 of 2661: exact value 0.766253..., which with a denominator shown as 2660
    # would give the exact counts back. Shown: 2040 of 2660 and the value of those.
    counts = [
        GroupCount("screened", "overall", "all", 2039, 2661),
        GroupCount("screened", "sex", "female", 1203, 1302),
        GroupCount("screened", "sex", "male", 836, 1359),
        GroupCount("upc", "overall", "all", 150.5, 301, sum_sq=90.25),
    ]
    exact = indicator_rows(counts, INFO)
    shared, _ = apply_disclosure(exact, [], mean_indicators={"upc"})
    rows = {(r["indicator"], r["group"]): r for r in shared}
    overall = rows[("screened", "all")]
    assert (overall["numerator"], overall["denominator"]) == (2040, 2660)
    assert overall["value"] == 2040 / 2660
    assert overall["value"] * 2661 != 2039 and overall["value"] != 2039 / 2661
    assert overall["lower"] < overall["value"] < overall["upper"]
    female = rows[("screened", "female")]
    assert female["value"] == 1205 / 1300
    # The verdict against the rest stays the one on the exact counts.
    assert female["compared_with_rest"] == exact[1]["compared_with_rest"] == "higher"
    # A mean keeps its value; its numerator (a sum of scores) is withheld.
    upc = rows[("upc", "all")]
    assert upc["numerator"] is None and upc["denominator"] == 300
    assert upc["value"] == 150.5 / 301
    assert exact[0]["value"] == 2039 / 2661  # the practice's own table stays exact


def _decile_counts(indicator: str, values: dict[str, tuple[int, int]]) -> list[GroupCount]:
    return [GroupCount(indicator, "imd_decile", d, n, den) for d, (n, den) in values.items()]


def test_gradient_notes_name_the_decile_that_stops_the_fit():
    info = [IndicatorInfo("screened", "proportion", "Screened", higher_is_better=True)]
    full = {str(d): (40 + d, 100) for d in range(1, 11)}
    table, notes = gradients_table(_decile_counts("screened", full), info)
    assert list(table["grouping"]) == ["imd_decile"] and notes == []

    at_edge = {**full, "4": (100, 100)}
    table, notes = gradients_table(_decile_counts("screened", at_edge), info)
    assert table.empty
    assert notes == [
        "screened: no imd_decile gradient (decile 4 at 0% or 100%, which the method's "
        "logit scale cannot fit)"
    ]

    gaps = {d: v for d, v in full.items() if d not in {"3", "7"}}
    table, notes = gradients_table(_decile_counts("screened", gaps), info)
    assert table.empty
    assert notes == [
        "screened: no imd_decile gradient (deciles 3, 7 have nobody in the denominator)"
    ]
    # No deprivation data at all: nothing to say per indicator (completeness covers it).
    table, notes = gradients_table([], info)
    assert table.empty and notes == []


def test_the_pandas_table_keeps_counts_whole_and_sums_of_means_as_decimals():
    frame = indicators_table(_counts(), INFO)
    assert list(frame["numerator"]) == [700, 450, 250, 0, 150.5]
    assert [type(n) for n in frame["numerator"]] == [int, int, int, int, float]
    assert frame["denominator"].dtype == "int64" and frame["suppressed"].dtype == bool


def test_results_are_not_written_over_a_file(tmp_path):
    afile = tmp_path / "out"
    afile.write_text("keep me")
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        write_outputs(afile, indicator_rows(_counts(), INFO), [])
    assert afile.read_text() == "keep me" and len(list(tmp_path.iterdir())) == 1


def test_a_new_results_folder_gets_the_usual_permissions(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        out = write_outputs(tmp_path / "out", indicator_rows(_counts(), INFO), [])
    finally:
        os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # not private to the writer (0700)
    assert stat.S_IMODE((out / "indicators.csv").stat().st_mode) == 0o644


# Proportions' intervals and comparisons are worked out for a whole table at once; the rows
# must be, to the bit, those worked out one group at a time.
_GROUPS = [("sex", g) for g in ("female", "male", "other")] + [("imd_quintile", "Q1")]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["screened", "upc"]),
            st.sampled_from(_GROUPS),
            st.integers(min_value=0, max_value=5000),
            st.integers(min_value=0, max_value=5000),
        ),
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.booleans(),
)
def test_a_table_at_once_gives_the_rows_one_group_at_a_time_gives(cells, with_totals):
    from gpequity.hna.results import _indicator_rows_one_by_one

    counts = []
    for indicator, (grouping, group), a, b in cells:
        num, den = min(a, b), max(a, b)
        mean = indicator == "upc"
        counts.append(
            GroupCount(
                indicator,
                grouping,
                group,
                num / 3 if mean else num,
                den,
                sum_sq=num / 2 if mean else None,
            )
        )
    if with_totals:  # each indicator's whole denominator: every group's counts and more
        for indicator in ("screened", "upc"):
            mine = [c for c in counts if c.indicator == indicator]
            num = sum(c.numerator for c in mine) + 7
            den = sum(c.denominator for c in mine) + 40
            mean = indicator == "upc"
            counts.append(
                GroupCount(indicator, "overall", "all", num, den, sum_sq=num if mean else None)
            )
    got = indicator_rows(counts, INFO)
    want = _indicator_rows_one_by_one(counts, INFO)
    assert [json.dumps(r, allow_nan=True) for r in got] == [
        json.dumps(r, allow_nan=True) for r in want
    ]
    if with_totals and any(c.denominator for c in counts if c.grouping == "sex"):
        assert any(r["compared_with_rest"] != "not_compared" for r in got)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 60), st.integers(0, 80)), min_size=5, max_size=5),
        min_size=1,
        max_size=6,
    )
)
def test_practices_gradients_fitted_together_are_those_of_each_practice_alone(practices):
    """A system extract fits each indicator's gradient for all its practices at once; every
    practice gets the rows and notes (missing quintiles, 0% or 100%, too few for an
    interval) a run over its counts alone gets."""
    from gpequity.hna.results import gradient_rows, gradient_rows_by_practice

    by_practice = {}
    for p, quintiles in enumerate(practices):
        counts = []
        for q, (a, b) in enumerate(quintiles, start=1):
            num, den = min(a, b), max(a, b)
            counts.append(GroupCount("screened", "imd_quintile", f"Q{q}", num, den))
            counts.append(GroupCount("upc", "imd_quintile", f"Q{q}", num / 3, den, num / 2))
        by_practice[f"P{p:03}"] = counts
    together = gradient_rows_by_practice(by_practice, INFO)
    assert list(together) == list(by_practice)
    for code, counts in by_practice.items():
        rows, notes = together[code]
        alone_rows, alone_notes = gradient_rows(counts, INFO)
        assert notes == alone_notes
        assert [json.dumps(r, allow_nan=True) for r in rows] == [
            json.dumps(r, allow_nan=True) for r in alone_rows
        ]
