"""The DuckDB SQL written from condition trees: values stay data, odd columns still work."""

from __future__ import annotations

from datetime import date

from gpequity.hna.columns import PATIENTS_SCHEMA
from gpequity.hna.engine import compute_counts
from gpequity.hna.indicators import parse_text
from gpequity.hna.twin import rows_to_table, twin_counts_from_arrow

AS_OF = date(2024, 3, 31)

QUOTED = parse_text(
    """
indicators:
  - id: surname_quoted
    title: Language with a quote in it
    description: A value with quotes and a semicolon must be compared, never run.
    unit: patients
    kind: proportion
    denominator: true
    numerator: {language: {in: ["Ga'a", "x'); DROP TABLE gpequity_patients; --"]}}
  - id: spaced_name
    title: Extra column with a space and a quote in its name
    description: Column names are quoted identifiers.
    unit: patients
    kind: proportion
    denominator: {"odd \\"col\\" name": {blank: false}}
    numerator: {"odd \\"col\\" name": {ge: 2}}
"""
)


def test_quoted_values_and_odd_column_names_are_data():
    rows = [
        {"patient_id": "a", "age": 30, "sex": "female", "language": "Ga'a", 'odd "col" name': "3"},
        {"patient_id": "b", "age": 30, "sex": "male", "language": "Ga", 'odd "col" name': " "},
        {"patient_id": "c", "age": 30, "sex": "male", "language": None, 'odd "col" name': "1"},
    ]
    patients = rows_to_table(rows, PATIENTS_SCHEMA)
    fast, _ = compute_counts(patients, None, as_of=AS_OF, indicators=QUOTED)
    slow, _ = twin_counts_from_arrow(patients, None, as_of=AS_OF, indicators=QUOTED)
    overall = {r.indicator: (r.numerator, r.denominator) for r in fast if r.grouping == "overall"}
    assert overall["surname_quoted"] == (1, 3)
    assert overall["spaced_name"] == (1, 2)  # a cell of spaces is blank
    key = lambda r: (r.indicator, r.grouping, r.group, r.numerator, r.denominator)  # noqa: E731
    assert sorted(map(key, fast)) == sorted(map(key, slow))
