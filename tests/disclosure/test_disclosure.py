"""Disclosure control: the DATA.md rules, checked by examples and by Hypothesis properties."""

from collections import defaultdict

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.disclosure import (
    apply_to_breakdown,
    apply_to_frame,
    apply_to_indicators,
    apply_to_table,
    suppress_count,
)

counts = st.integers(min_value=0, max_value=5000)


# --- suppress_count ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, 0), (1, None), (7, None), (8, 10), (12, 10), (13, 15), (100, 100), (1002, 1000)],
)
def test_suppress_count_examples(n, shown):
    assert suppress_count(n) == shown


@given(counts)
def test_suppress_count_properties(n):
    shown = suppress_count(n)
    if n == 0:
        assert shown == 0
    elif n <= 7:
        assert shown is None
    else:
        assert shown % 5 == 0
        assert abs(shown - n) <= 2
        assert shown >= 10


def test_suppress_count_rejects_negative_and_fractions():
    with pytest.raises(ValueError):
        suppress_count(-1)
    with pytest.raises(ValueError):
        suppress_count(2.5)


# --- apply_to_breakdown --------------------------------------------------------------------


def test_single_suppressed_count_takes_the_next_smallest_with_it():
    shown = apply_to_breakdown({"a": 3, "b": 40, "c": 12, "d": 0}, 55)
    assert shown == {"a": None, "b": 40, "c": None, "d": 0}


def test_zero_is_not_a_useful_secondary_suppression():
    # hiding the 0 would still leave 43 - 40 = 3 recoverable
    assert apply_to_breakdown({"a": 3, "b": 40, "c": 0}, 43) == {"a": None, "b": None, "c": 0}


def test_zero_is_hidden_when_it_is_the_only_other_count():
    assert apply_to_breakdown({"a": 3, "b": 0}, 30) == {"a": None, "b": None}


def test_no_secondary_suppression_without_a_shown_total():
    assert apply_to_breakdown({"a": 3, "b": 40}, None) == {"a": None, "b": 40}
    assert apply_to_breakdown({"a": 3, "b": 4}, 7) == {"a": None, "b": None}


def test_two_suppressed_counts_need_nothing_more():
    assert apply_to_breakdown({"a": 3, "b": 4, "c": 40}, 47) == {"a": None, "b": None, "c": 40}


@given(st.dictionaries(st.sampled_from("abcdefgh"), counts, min_size=1))
def test_breakdown_properties(breakdown):
    total = sum(breakdown.values())
    shown = apply_to_breakdown(breakdown, total)
    for key, value in shown.items():
        assert value is None or value == 0 or (value >= 10 and value % 5 == 0)
        if 1 <= breakdown[key] <= 7:
            assert value is None
        if value is not None:
            assert value == suppress_count(breakdown[key])
    hidden = [k for k, v in shown.items() if v is None]
    if suppress_count(total) is not None:
        # one hidden cell could be recovered as total minus the shown cells
        assert len(hidden) != 1


# --- apply_to_table ------------------------------------------------------------------------


def test_a_table_hides_small_cells_and_what_would_give_them_away():
    # Two practices by three bands: Hill 3 / 20 / 12, Dale 0 / 9 / 30.
    cells = {("hill", "to"): 3, ("hill", "for"): 20, ("hill", "with"): 12}
    cells |= {("dale", "for"): 9, ("dale", "with"): 30}
    t = apply_to_table(cells, ["hill", "dale"], ["to", "for", "with"])
    assert t.cells[("hill", "to")] is None  # 3: suppressed
    # Hill's row total (35) is shown, so one more of Hill's cells is hidden; the "to"
    # column's total (3) is itself suppressed.
    assert sum(v is None for k, v in t.cells.items() if k[0] == "hill") >= 2
    assert t.rows == {"hill": 35, "dale": 40} and t.columns["to"] is None
    assert t.total == 75
    assert t.cells[("dale", "to")] == 0


@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abcd"), st.sampled_from("xyz")),
        st.integers(min_value=0, max_value=40),
    ),
    st.booleans(),
)
def test_table_properties(cells, grouped):
    rows, cols = list("abcd"), list("xyz")
    groups = {"ab": ["a", "b"], "cd": ["c", "d"]} if grouped else None
    t = apply_to_table(cells, rows, cols, groups=groups)
    shown = [*t.cells.values(), *t.rows.values(), *t.columns.values(), t.total]
    for g, members in (groups or {}).items():
        sub = t.groups[g]
        shown += [*sub["cells"].values(), sub["total"]]
        for c in cols:
            if sub["cells"][c] is not None:
                assert [t.cells[(r, c)] for r in members].count(None) != 1
            if 1 <= sum(cells.get((r, c), 0) for r in members) <= 7:
                assert sub["cells"][c] is None
        if sub["total"] is not None:
            assert [t.rows[r] for r in members].count(None) != 1
    if groups and t.total is not None:
        assert [t.groups[g]["total"] for g in groups].count(None) != 1
    assert all(v is None or v == 0 or (v >= 10 and v % 5 == 0) for v in shown)
    for r in rows:
        line = [t.cells[(r, c)] for c in cols]
        if t.rows[r] is not None:
            assert line.count(None) != 1  # no hidden cell is its row total minus the others
    for c in cols:
        line = [t.cells[(r, c)] for r in rows]
        if t.columns[c] is not None:
            assert line.count(None) != 1
    if t.total is not None:
        assert list(t.rows.values()).count(None) != 1
        assert list(t.columns.values()).count(None) != 1


# --- apply_to_indicators -------------------------------------------------------------------

QUINTILE_OF = {str(d): f"Q{(d + 1) // 2}" for d in range(1, 11)} | {"unknown": "unknown"}


def _row(grouping, group, numerator, denominator, indicator="bowel_screening"):
    value = numerator / denominator
    return {
        "indicator": indicator,
        "grouping": grouping,
        "group": group,
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "lower": max(0.0, value - 0.05),
        "upper": min(1.0, value + 0.05),
        "compared_with_rest": "similar",
        "suppressed": False,
    }


@st.composite
def indicator_rows(draw):
    """One indicator's rows: `all`, IMD deciles and quintiles (consistent), sex, age band."""
    deciles = {}
    for label in [*map(str, range(1, 11)), "unknown"]:
        den = draw(st.integers(0, 60))
        if den:
            deciles[label] = (draw(st.integers(0, den)), den)
    if not deciles:
        deciles["1"] = (1, 2)
    num_total = sum(n for n, _ in deciles.values())
    den_total = sum(d for _, d in deciles.values())
    rows = [_row("overall", "all", num_total, den_total)]
    quintiles = defaultdict(lambda: [0, 0])
    for label, (n, d) in deciles.items():
        rows.append(_row("imd_decile", label, n, d))
        quintiles[QUINTILE_OF[label]][0] += n
        quintiles[QUINTILE_OF[label]][1] += d
    rows += [_row("imd_quintile", q, n, d) for q, (n, d) in quintiles.items()]
    for grouping, labels in (("sex", ["female", "male"]), ("age_band", ["60-64", "65-74"])):
        den_split = draw(st.integers(0, den_total))
        num_split = draw(
            st.integers(max(0, num_total - (den_total - den_split)), min(num_total, den_split))
        )
        parts = [(num_split, den_split), (num_total - num_split, den_total - den_split)]
        rows += [_row(grouping, g, n, d) for g, (n, d) in zip(labels, parts, strict=True) if d]
    return rows


def _breakdowns(rows):
    """(total row, member rows) pairs an attacker could difference."""
    index = {(r["grouping"], r["group"]): r for r in rows}
    total = index[("overall", "all")]
    groupings = defaultdict(list)
    for r in rows:
        if r["grouping"] != "overall":
            groupings[r["grouping"]].append(r)
    pairs = [(total, members) for members in groupings.values()]
    for quintile in {QUINTILE_OF[r["group"]] for r in groupings["imd_decile"]}:
        members = [r for r in groupings["imd_decile"] if QUINTILE_OF[r["group"]] == quintile]
        pairs.append((index[("imd_quintile", quintile)], members))
    return pairs


@settings(max_examples=300, deadline=None)
@given(indicator_rows())
def test_indicator_rows_properties(rows):
    out = apply_to_indicators(rows)
    assert len(out) == len(rows)
    raw_by_key = {(r["grouping"], r["group"]): r for r in rows}
    for row in out:
        raw = raw_by_key[(row["grouping"], row["group"])]
        for field in ("numerator", "denominator"):
            shown = row[field]
            if 1 <= raw[field] <= 7:
                assert shown is None, "a count from 1 to 7 survived"
            if shown is not None:
                assert shown % 5 == 0
                assert shown == suppress_count(raw[field])
        hidden = row["numerator"] is None or row["denominator"] is None
        assert row["suppressed"] is hidden
        if hidden:
            assert row["value"] is row["lower"] is row["upper"] is None
            assert row["compared_with_rest"] is None
        else:
            assert row["value"] == raw["value"]
    out_by_key = {(r["grouping"], r["group"]): r for r in out}
    for total, members in _breakdowns(rows):
        shown_total = out_by_key[(total["grouping"], total["group"])]
        for field in ("numerator", "denominator"):
            if shown_total[field] is None:
                continue
            gaps = [m for m in members if out_by_key[(m["grouping"], m["group"])][field] is None]
            assert len(gaps) != 1, "a suppressed count is total minus the shown siblings"


def test_indicator_example_secondary_suppression_and_blanking():
    rows = [
        _row("overall", "all", 60, 200),
        _row("sex", "female", 5, 20),
        _row("sex", "male", 55, 180),
    ]
    out = {r["group"]: r for r in apply_to_indicators(rows)}
    assert out["female"]["numerator"] is None and out["female"]["suppressed"]
    # 60 - 55 would give the female numerator away, so the male one goes too
    assert out["male"]["numerator"] is None and out["male"]["suppressed"]
    assert out["male"]["denominator"] == 180
    assert out["male"]["value"] is None and out["male"]["compared_with_rest"] is None
    assert out["all"] == {**rows[0], "numerator": 60, "denominator": 200, "suppressed": False}


def test_decile_hidden_inside_a_shown_quintile_is_protected():
    rows = [
        _row("overall", "all", 100, 400),
        _row("imd_decile", "1", 3, 50),
        _row("imd_decile", "2", 47, 150),
        _row("imd_quintile", "Q1", 50, 200),
        _row("imd_quintile", "Q5", 50, 200),
        _row("imd_decile", "9", 25, 100),
        _row("imd_decile", "10", 25, 100),
    ]
    out = {(r["grouping"], r["group"]): r for r in apply_to_indicators(rows)}
    assert out[("imd_decile", "1")]["numerator"] is None
    assert out[("imd_decile", "2")]["numerator"] is None  # Q1 - decile 2 = decile 1
    assert out[("imd_quintile", "Q1")]["numerator"] == 50


def test_mean_indicator_numerator_is_withheld_and_denominator_rounded():
    rows = [
        {**_row("overall", "all", 10, 20, "continuity_upc"), "numerator": 12.5, "value": 0.625},
        {**_row("sex", "female", 5, 12, "continuity_upc"), "numerator": 7.0, "value": 0.58},
        {**_row("sex", "male", 5, 8, "continuity_upc"), "numerator": 5.5, "value": 0.69},
    ]
    out = {r["group"]: r for r in apply_to_indicators(rows)}
    assert all(r["numerator"] is None for r in out.values())
    assert out["all"]["denominator"] == 20 and out["all"]["value"] == 0.625
    assert out["female"]["denominator"] == 10 and not out["female"]["suppressed"]
    assert out["male"]["denominator"] == 10  # 8 is above the threshold, rounds to 10


def test_apply_to_frame_round_trips_a_dataframe():
    rows = [
        _row("overall", "all", 60, 200),
        _row("sex", "female", 5, 20),
        _row("sex", "male", 55, 180),
    ]
    df = pd.DataFrame(rows)
    out = apply_to_frame(df)
    assert list(out.columns) == list(df.columns)
    assert str(out["numerator"].dtype) == "Int64"
    assert out["numerator"].isna().tolist() == [False, True, True]
    assert out["suppressed"].tolist() == [False, True, True]
    assert out.loc[0, "denominator"] == 200
    assert df.loc[1, "numerator"] == 5  # input left untouched
