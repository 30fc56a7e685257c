"""The XLSX export of a run's results, read back with openpyxl."""

from __future__ import annotations

import io
import math
from datetime import date

import openpyxl
import pytest

from gpequity.hna import run
from gpequity.hna.indicators import parse_text
from gpequity.hna.xlsx import (
    FINDING_SHEET_COLUMNS,
    GRADIENT_SHEET_COLUMNS,
    INDICATOR_SHEET_COLUMNS,
    safe_text,
)

FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}
HOSTILE = """
indicators:
  - id: hostile
    title: "=HYPERLINK(\\"http://example.invalid\\",\\"click\\")"
    description: A title that a spreadsheet would run as a formula.
    kind: proportion
    denominator: true
    numerator: {carer: true}
    higher_is_better: true
"""


def _sheet(wb, name):
    rows = list(wb[name].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]], header


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from gpequity.synth import generate

    folder = tmp_path_factory.mktemp("xlsx")
    generate(1000, seed=7, as_of=date(2025, 3, 31), out=folder)
    return run(folder, as_of="2025-03-31", focus=FOCUS, indicators=parse_text(HOSTILE))


def test_the_tables_read_back_with_numbers_and_labels(result):
    wb = openpyxl.load_workbook(io.BytesIO(result.xlsx()))
    assert wb.sheetnames == ["Indicators", "Gradients", "Findings", "Run"]
    rows, header = _sheet(wb, "Indicators")
    assert header == INDICATOR_SHEET_COLUMNS
    assert header[:6] == (
        "indicator",
        "indicator_title",
        "grouping",
        "grouping_label",
        "group",
        "group_label",
    )
    assert len(rows) == len(result.indicator_rows)
    for got, want in zip(rows, result.indicator_rows, strict=True):
        for column in ("indicator", "grouping", "group", "compared_with_rest", "suppressed"):
            assert got[column] == want[column]
        for column in ("numerator", "denominator", "value", "lower", "upper"):
            if isinstance(want[column], float) and math.isnan(want[column]):
                assert got[column] is None
            else:
                # A number, to the 15-16 significant digits a spreadsheet keeps.
                assert isinstance(got[column], int | float)
                assert got[column] == pytest.approx(want[column], rel=1e-14, abs=0)
    q1 = next(r for r in rows if r["indicator"] == "bowel_screening" and r["group"] == "Q1")
    assert q1["indicator_title"] == "Bowel screening up to date"
    assert q1["grouping_label"] == "Deprivation (IMD fifth)"
    assert q1["group_label"] == "most deprived fifth (Q1)"
    cell = next(
        c
        for c in wb["Indicators"]["I"]  # the value column
        if c.row > 1 and wb["Indicators"][f"A{c.row}"].value == "bowel_screening"
    )
    assert isinstance(cell.value, float) and cell.number_format == "0.0%"

    gradients, header = _sheet(wb, "Gradients")
    assert header == tuple(c for c in GRADIENT_SHEET_COLUMNS if c != "group_label")
    assert [(g["indicator"], g["grouping"]) for g in gradients] == [
        (g["indicator"], g["grouping"]) for g in result.gradient_rows
    ]
    for got, want in zip(gradients, result.gradient_rows, strict=True):
        assert got["indicator_title"] and got["grouping_label"].startswith("Deprivation")
        for column in ("sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper"):
            assert got[column] == pytest.approx(want[column], rel=1e-14, abs=0)


def test_findings_and_the_run_record_are_there(result):
    wb = openpyxl.load_workbook(io.BytesIO(result.xlsx()))
    findings, header = _sheet(wb, "Findings")
    assert header == FINDING_SHEET_COLUMNS
    expected = result.findings()
    assert len(findings) == len(expected) > 0
    # Sentences escaped like every text (the hostile title starts one of them).
    assert [f["sentence"] for f in findings] == [safe_text(f.sentence) for f in expected]
    assert any(f["sentence"].startswith("'=HYPERLINK") for f in findings)
    assert [f["patients_to_act_on"] for f in findings] == [f.patients_to_act_on for f in expected]
    run_rows = {r["field"]: r["value"] for r in _sheet(wb, "Run")[0]}
    assert run_rows["as_of"] == "2025-03-31"
    assert run_rows["extract_fingerprint"] == result.run_info.extract_fingerprint


def test_text_that_starts_like_a_formula_is_kept_as_text(result):
    wb = openpyxl.load_workbook(io.BytesIO(result.xlsx()))
    rows, _ = _sheet(wb, "Indicators")
    titles = {r["indicator_title"] for r in rows if r["indicator"] == "hostile"}
    assert titles == {'\'=HYPERLINK("http://example.invalid","click")'}
    for ws in wb.worksheets:  # no cell anywhere is a formula
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [safe_text(t) for t in ("=1", "+1", "-1", "@x", "\tx", "\rx", "18-39", "a=b")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "18-39",
        "a=b",
    ]
