"""gpequity.spreadsheets: the one guard every CSV and XLSX export and import goes through."""

from __future__ import annotations

import csv
import io

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.spreadsheets import FORMULA_START, append_row, csv_cell, csv_value, xlsx_value

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
LEADING = st.sampled_from([*FORMULA_START, "'", "''", "'=", "_x0041_", ""])


@given(LEADING, TEXT)
def test_csv_guard_comes_off_exactly(lead, body):
    text = lead + body
    guarded = csv_cell(text)
    assert not (guarded.startswith(FORMULA_START) and guarded == text and not _number(text))
    assert csv_value(guarded) == text


@given(st.lists(st.tuples(LEADING, TEXT).map("".join), min_size=1, max_size=5))
def test_a_csv_row_round_trips_through_the_csv_module(row):
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow([csv_cell(v) for v in row])
    (back,) = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert [csv_value(v) for v in back] == row


def test_the_owasp_examples():
    assert csv_cell('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert csv_cell("@SUM(1+1)") == "'@SUM(1+1)"
    assert csv_cell("+1") == "+1" and csv_cell("-3.5") == "-3.5"  # plain numbers stay
    assert csv_cell("-") == "'-" and csv_cell("\tx") == "'\tx"
    assert csv_cell("'=x") == "''=x" and csv_cell("'Tis") == "'Tis"
    assert csv_cell(-3) == -3 and csv_cell(None) is None


@settings(deadline=None)  # openpyxl's save and load take longer on a loaded machine
@given(st.lists(st.tuples(LEADING, TEXT).map("".join), min_size=1, max_size=5))
def test_xlsx_text_round_trips_exactly_and_is_never_a_formula(row):
    wb = openpyxl.Workbook()
    append_row(wb.active, row)
    buf = io.BytesIO()
    wb.save(buf)
    back = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True)
    cells = list(next(back.active.iter_rows()))
    assert [xlsx_value(c.value) or "" for c in cells][: len(row)] == row
    assert all(c.data_type != "f" for c in cells)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
