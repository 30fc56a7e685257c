"""The result files' fast writer gives, byte for byte, what the plain form writes: every
cell through ``csv_cell(_csv_cell(...))`` for the CSV and ``json.dumps(indent=2)`` for the
JSON (the obviously correct twin, kept here), whatever the values."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.hna import results
from gpequity.spreadsheets import csv_cell


def _plain(folder, name, rows, columns):
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([csv_cell(results._csv_cell(r[c])) for c in columns] for r in rows)
    records = [{c: results._json_value(r[c]) for c in columns} for r in rows]
    text = json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False)
    (folder / f"{name}.json").write_text(text + "\n", encoding="utf-8")


_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=False),
    st.sampled_from([math.nan, -0.0, 0.0, 1e-05, -1e-05, 1e16, -2.5e-300]),
    st.text(max_size=12),
    st.sampled_from(["=SUM(A1)", "+1", "-x", "@a", "\tx", "'=x", "-1.5", "Asian – Pakistani"]),
    st.builds(np.float64, st.floats(allow_nan=True, allow_infinity=False)),
    st.builds(np.int64, st.integers(min_value=-(2**62), max_value=2**62)),
)
COLUMNS = ["practice_code", "a", "b", "c"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_cells, _cells, _cells), max_size=6))
def test_the_fast_writer_writes_what_the_plain_one_does(tmp_path_factory, cells):
    rows = [{"practice_code": "Y01", "a": a, "b": b, "c": c} for a, b, c in cells]
    fast, plain = tmp_path_factory.mktemp("fast"), tmp_path_factory.mktemp("plain")
    results._write_table(fast, "t", rows, COLUMNS)
    _plain(plain, "t", rows, COLUMNS)
    for name in ("t.csv", "t.json"):
        assert (fast / name).read_bytes() == (plain / name).read_bytes()


_plain_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=False),
    st.sampled_from([math.nan, -0.0, 0.0, 1e-05, -1e-05, 1e16, -2.5e-300, 1.0, -3.0]),
    st.text(max_size=12),
    st.sampled_from(["a,b", 'say "hi"', "two\nlines", "cr\r", "", " ", "'-1", "-x", "=1+1"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_plain_cells, _plain_cells, _plain_cells), min_size=1, max_size=6))
def test_rows_of_plain_values_take_the_one_pass_path_and_write_what_the_plain_one_does(
    tmp_path_factory, cells
):
    rows = [{"practice_code": "Y01", "a": a, "b": b, "c": c} for a, b, c in cells]
    # Text, numbers, true/false and blanks are written in one pass over the cells.
    assert results._table_text_plain(rows, COLUMNS) == results._table_text_general(rows, COLUMNS)
    fast, plain = tmp_path_factory.mktemp("fast"), tmp_path_factory.mktemp("plain")
    results._write_table(fast, "t", rows, COLUMNS)
    _plain(plain, "t", rows, COLUMNS)
    for name in ("t.csv", "t.json"):
        assert (fast / name).read_bytes() == (plain / name).read_bytes()


def test_an_infinity_is_left_to_the_general_path_which_refuses_it_as_json():
    rows = [{"practice_code": "Y01", "a": -math.inf, "b": 1.0, "c": "x"}]
    with pytest.raises(results._Unusual):
        results._table_text_plain(rows, COLUMNS)
    with pytest.raises(ValueError, match="not JSON compliant"):
        results._table_text(rows, COLUMNS)


def test_a_cell_holding_a_list_is_written_the_general_way(tmp_path):
    rows = [{"practice_code": "Y01", "a": [1, 2], "b": None, "c": "x"}]
    results._write_table(tmp_path, "t", rows, COLUMNS)
    assert json.loads((tmp_path / "t.json").read_text()) == [
        {"practice_code": "Y01", "a": [1, 2], "b": None, "c": "x"}
    ]
