"""Indicator definitions are data: every YAML file loads against the schema."""

from __future__ import annotations

from importlib import resources

import pytest

from gpequity.hna.indicators import (
    IndicatorError,
    default_indicators,
    load_file,
    merge,
    parse_text,
    resolve,
)
from gpequity.hna.indicators.conditions import ConditionError, parse_condition, to_data

DATA_MD_IDS = [
    "ethnicity_recorded",
    "language_recorded",
    "bp_recorded_5y",
    "cervical_screening",
    "breast_screening",
    "bowel_screening",
    "flu_vaccine_65plus",
    "smi_health_check",
    "ld_health_check",
    "smoking_status_recorded",
    "ld_register",
    "carer_register",
    "dna_rate",
    "missingness_high",
    "online_booking_never",
    "face_to_face_share",
    "complex_needs",
    "continuity_upc",
    "continuity_coc",
]


def test_every_shipped_yaml_loads_against_the_schema():
    folder = resources.files("gpequity.hna.indicators")
    files = [f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))]
    assert files
    for f in files:
        assert parse_text(f.read_text(encoding="utf-8"), f.name)


def test_defaults_are_the_nineteen_data_md_indicators_in_order():
    inds = default_indicators()
    assert [i.id for i in inds] == DATA_MD_IDS
    by_id = {i.id: i for i in inds}
    assert by_id["dna_rate"].level == "appointment"
    assert by_id["dna_rate"].unit == "appointments"
    assert by_id["continuity_upc"].kind == "mean"
    needs = {i.id for i in inds if i.needs_appointments}
    assert needs == {
        "dna_rate",
        "missingness_high",
        "online_booking_never",
        "face_to_face_share",
        "continuity_upc",
        "continuity_coc",
    }


def test_conditions_round_trip_through_plain_data():
    for ind in default_indicators():
        assert parse_condition(to_data(ind.denominator)) == ind.denominator
        if ind.numerator is not None:
            assert parse_condition(to_data(ind.numerator)) == ind.numerator


USER_FILE = """
indicators:
  - id: carer_register
    title: Carers (local definition)
    description: Adult carers only.
    unit: patients
    kind: proportion
    denominator: {age: {ge: 18}}
    numerator: {carer: true}
  - id: frailty_flag
    title: Frailty flag
    description: From an extra column of the extract.
    unit: patients
    kind: proportion
    denominator: {age: {ge: 65}}
    numerator: {frailty: {in: [moderate, severe]}}
"""


def test_user_file_overrides_in_place_and_appends(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(USER_FILE)
    merged = resolve(path)
    ids = [i.id for i in merged]
    assert ids == [*DATA_MD_IDS, "frailty_flag"]
    carer = merged[ids.index("carer_register")]
    assert carer.title == "Carers (local definition)"
    assert merge(default_indicators(), []) == default_indicators()
    assert load_file(path)[1].referenced() == {"age", "frailty"}


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("numerator: {age: {like: 3}}", "unknown operator"),
        ("numerator: {age: {ge: 3}, sex: {eq: male}}", "exactly one key"),
        ("value: ltc_count", "no value"),
        ("numerator: {dna_count_in_window: {ge: 1}}", "needs_appointments"),
        ("numerator: {within_months: {column: last_bp_date, months: 0}}", "months"),
        ("numerator: \"__import__('os').system('true')\"", "exactly one key"),
    ],
)
def test_bad_definitions_are_refused_with_a_reason(snippet, message):
    text = f"""
indicators:
  - id: bad
    title: Bad
    description: Broken on purpose.
    unit: patients
    kind: proportion
    denominator: true
    {snippet}
"""
    with pytest.raises(IndicatorError, match=message):
        parse_text(text)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("{smoker: {eq: curent}}", "smoker is one of current, ex, never, unknown, not 'curent'"),
        ("{sex: {in: [female, Male]}}", "sex is one of female, male, other, unknown, not 'Male'"),
        ("{age: {ge: old}}", "age is a whole number, not 'old'"),
        ("{imd_decile: {in: [1, two]}}", "imd_decile is a whole number, not 'two'"),
        ("{last_bp_date: {gt: yesterday}}", "last_bp_date is a date (YYYY-MM-DD), not 'yesterday'"),
        ("{homeless: {lt: true}}", "'lt' cannot be used on homeless (bool column)"),
        ("{homeless: {eq: 1}}", "homeless is true or false, not 1"),
        ("{age: true}", "a bare true/false tests a true/false column; age is int"),
        ("{within_months: {column: smoker, months: 12}}", "smoker is not a date column"),
        ("{not: {any: [{ethnicity: {eq: a}}]}}", "ethnicity is one of A, B,"),
        ("{ltc_count: {ge: two}}", "ltc_count is a whole number, not 'two'"),
    ],
)
def test_values_a_contract_column_cannot_hold_are_refused_where_they_are(condition, message):
    """A misspelt code used to count nobody, without a word; a word where a number or a
    date belongs crashed the run with a Python error. Both are refused on reading, at the
    line of the condition."""
    text = f"""indicators:
  - id: bad
    title: Bad
    description: Broken on purpose.
    kind: proportion
    denominator: true
    numerator: {condition}
"""
    with pytest.raises(IndicatorError) as raised:
        parse_text(text, "mine.yaml")
    assert "mine.yaml, line 7, column 16, indicator 1 'bad', numerator: " in str(raised.value)
    assert message in str(raised.value)


def test_the_contract_check_leaves_an_extracts_own_columns_alone():
    text = """indicators:
  - id: frail
    title: Frail
    description: Patients marked frail in the practice's own column.
    kind: proportion
    denominator: {frailty: {ge: 2}}
    numerator: {frailty_band: {in: [severe, Moderate]}}
"""
    assert parse_text(text)[0].referenced() == {"frailty", "frailty_band"}


def test_appointment_level_conditions_are_checked_against_appointment_columns():
    text = """indicators:
  - id: video_share
    title: Video share
    description: Attended appointments held by video.
    level: appointment
    needs_appointments: true
    kind: proportion
    denominator: {status: {eq: attended}}
    numerator: {mode: {eq: zoom}}
"""
    with pytest.raises(IndicatorError, match="mode is one of face_to_face, telephone, video"):
        parse_text(text)


def test_duplicate_ids_and_bad_yaml_are_refused(tmp_path):
    one = USER_FILE.split("  - id: frailty_flag")[0]
    twice = one + one.split("indicators:\n", 1)[1]
    with pytest.raises(IndicatorError, match="defined twice"):
        parse_text(twice)
    with pytest.raises(IndicatorError, match="not valid YAML"):
        parse_text("indicators: [")
    with pytest.raises(IndicatorError, match="cannot read"):
        load_file(tmp_path / "missing.yaml")


def test_condition_parser_rejects_malformed_shapes():
    with pytest.raises(ConditionError):
        parse_condition({"at_least": {"n": 5, "of": [{"carer": True}]}})
    with pytest.raises(ConditionError):
        parse_condition({"age": {"in": []}})
    with pytest.raises(ConditionError):
        parse_condition(["not", "a", "mapping"])


def test_problems_in_a_user_file_name_its_line_column_field_and_value(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        """indicators:
  - id: flu_65
    title: Flu vaccine, 65 and over
    unit: patients
    kind: proportion
    denominator: {age: {ge: 65}}
    numerator: {within_months: {column: last_flu_vaccine_date, months: 12}}
  - id: mean_age
    title: Mean age
    description: Average age of registered patients.
    unit: patients
    kind: averge
    denominator: true
    value: age
    colour: blue
  - id: odd
    title: Odd
    description: A condition with an unknown operator.
    unit: patients
    kind: proportion
    denominator: {age: {gee: 3}}
    numerator: true
"""
    )
    with pytest.raises(IndicatorError) as caught:
        load_file(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 4 problem(s) in the indicator definitions:"
    assert lines[1:] == [
        f"  - {path}, line 2, column 5, indicator 1 'flu_65': 'description' is required",
        f"  - {path}, line 12, column 11, indicator 2 'mean_age', kind: Input should be "
        "'proportion' or 'mean' (value 'averge')",
        f"  - {path}, line 15, column 5, indicator 2 'mean_age': 'colour' is not a field of an "
        "indicator definition (value 'blue')",
        f"  - {path}, line 21, column 18, indicator 3 'odd', denominator: condition: unknown "
        "operator 'gee' (use eq, ne, lt, le, gt, ge, in, not_in or blank)",
    ]
    assert "pydantic" not in str(caught.value)


def test_a_yaml_syntax_error_names_its_line_and_column():
    with pytest.raises(IndicatorError) as caught:
        parse_text("indicators:\n  - id: a\n    title: [unclosed\n", "mine.yaml")
    assert str(caught.value) == (
        "mine.yaml, line 4, column 1: not valid YAML (did not find expected ',' or ']', "
        "while parsing a flow sequence from line 3, column 12)"
    )


def test_unit_may_be_left_out_and_follows_from_the_level():
    patients, appointments = parse_text(
        """
- id: flu_local
  title: Flu, 65 and over
  description: Our own version.
  kind: proportion
  denominator: {age: {ge: 65}}
  numerator: {within_months: {column: last_flu_vaccine_date, months: 12}}
- id: gp_dna
  title: GP appointments missed
  description: Share of GP appointments marked DNA.
  kind: proportion
  level: appointment
  needs_appointments: true
  denominator: {clinician_role: {eq: gp}}
  numerator: {status: {eq: dna}}
"""
    )
    assert (patients.unit, appointments.unit) == ("patients", "appointments")
    with pytest.raises(IndicatorError, match="level appointment counts appointments"):
        parse_text(
            "- {id: x, title: X, description: Y, kind: proportion, level: appointment, "
            "unit: patients, needs_appointments: true, denominator: true, numerator: true}"
        )


def test_the_user_guide_example_parses_and_names_every_measure_and_condition():
    import re
    from pathlib import Path

    from gpequity.hna.indicators import MEASURES
    from gpequity.hna.indicators.conditions import COMPARISON_OPS, KEYWORDS

    guide = (Path(__file__).parents[2] / "docs" / "indicators.md").read_text()
    (example,) = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    parsed = parse_text(example, "docs/indicators.md")
    assert [i.id for i in parsed] == [
        "flu_65_local", "frailty_recorded", "gp_dna_share", "mean_conditions"
    ]  # fmt: skip
    for name in [*MEASURES, *KEYWORDS, *COMPARISON_OPS, "blank"]:
        assert f"`{name}`" in guide or f"{{{name}:" in guide, name
