"""Focus Patient criteria: parsing, type checks, English, and the two evaluators agreeing."""

from __future__ import annotations

import json
from datetime import date

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.hna.criteria import (
    OPS,
    Condition,
    CriteriaError,
    Group,
    criteria_json_schema,
    describe,
    parse_criteria,
    to_ibis,
    to_python,
)

DATA_MD_EXAMPLE = {
    "any": [{"imd_decile": {"le": 2}}, {"homeless": True}, {"asylum_seeker_or_refugee": True}]
}


def test_parse_the_data_md_example_and_round_trip():
    crit = parse_criteria(json.dumps(DATA_MD_EXAMPLE))
    assert crit == Group(
        "any",
        [
            Condition("imd_decile", "le", 2),
            Condition("homeless", "eq", True),
            Condition("asylum_seeker_or_refugee", "eq", True),
        ],
    )
    assert crit.to_dict() == DATA_MD_EXAMPLE
    assert parse_criteria(crit.to_dict()) == crit


def test_builder_matches_parsed_form():
    built = Group(
        "all",
        [Condition("age", "ge", 65), Group("any", [Condition("ethnicity", "in", ["m", "N"])])],
    )
    checked = parse_criteria(built)
    assert checked.items[1].items[0] == Condition("ethnicity", "in", ("M", "N"))
    assert checked.to_dict() == {
        "all": [{"age": {"ge": 65}}, {"any": [{"ethnicity": {"in": ["M", "N"]}}]}]
    }
    assert parse_criteria(json.dumps(checked.to_dict())) == checked


def test_describe():
    assert describe({"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}) == (
        "patients living in the most deprived 20% of areas, or recorded as homeless"
    )
    assert describe({"all": [{"age": {"ge": 65}}, {"diabetes": True}]}) == (
        "patients aged 65 or over, and with diabetes"
    )
    assert describe({"any": [{"carer": False}]}) == "patients who are not carers"
    assert describe({"any": [{"imd_decile": {"ge": 9}}]}) == (
        "patients living in the least deprived 20% of areas"
    )
    assert describe({"any": [{"last_bp_date": {"lt": "2020-01-01"}}]}) == (
        "patients whose last blood pressure date is before 2020-01-01"
    )
    assert describe({"any": [{"sex": {"in": ["female", "other"]}}]}) == (
        "patients whose sex is one of female or other"
    )
    assert (
        describe(
            {
                "any": [
                    {"all": [{"age": {"lt": 5}}, {"interpreter_needed": True}]},
                    {"veteran": True},
                ]
            }
        )
        == "patients (aged under 5, and who need an interpreter), or who are armed forces veterans"
    )


def test_describe_generic_fallback_for_extra_columns():
    crit = parse_criteria({"any": [{"ward": {"eq": "North"}}]}, extra_columns=["ward"])
    assert describe(crit) == "patients whose ward is North"


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ("{", "not valid JSON"),
        ('{"any": [\n', "not valid JSON (Expecting value at line 2, column 1)"),
        ('{"any": [{"homeless": tru}]}', 'at line 1, column 23 (after \'any": [{"homeless": \')'),
        ({"some": []}, "one group"),
        ({"any": []}, "at least 1"),
        ({"any": [{"nope": {"eq": "x"}}]}, "unknown column 'nope'"),
        (
            {"any": [{"age": {"le": "x"}}]},
            'condition {"age": {"le": "x"}}: age needs a whole number',
        ),
        ({"any": [{"age": {"le": 2.5}}]}, "shape"),
        ({"any": [{"age": True}]}, "age needs a whole number"),
        ({"any": [{"homeless": {"lt": True}}]}, "'lt' cannot be used on homeless"),
        ({"any": [{"homeless": {"eq": 1}}]}, "homeless is true/false"),
        ({"any": [{"sex": {"eq": "f"}}]}, "sex must be one of female, male, other, unknown"),
        ({"any": [{"ethnicity": {"in": "A"}}]}, "'in' needs a non-empty list"),
        ({"any": [{"ethnicity": {"eq": ["A"]}}]}, "needs a single value"),
        ({"any": [{"last_bp_date": {"ge": "01/02/2024"}}]}, "ISO date"),
        ({"any": [{"age": {"ge": 1, "le": 5}}]}, "exactly one operator"),
        ({"any": [{"age": {"between": [1, 5]}}]}, "unknown operator 'between'"),
        ({"any": [{"age": {"ge": 1}, "sex": {"eq": "male"}}]}, "exactly one column"),
        ({"any": [{"patient_id": {"eq": "P1"}}]}, "unknown column 'patient_id'"),
        ({"any": [{"language": {"eq": 3}}]}, "language is text"),
    ],
)
def test_errors_name_the_condition(doc, fragment):
    with pytest.raises(CriteriaError) as err:
        parse_criteria(doc)
    assert fragment in str(err.value)


def test_never_evaluated_as_code():
    with pytest.raises(CriteriaError):
        parse_criteria({"any": [{"__import__('os').system('x')": {"eq": "1"}}]})


def test_json_schema_is_available():
    schema = criteria_json_schema()
    assert "AnyGroupModel" in json.dumps(schema)


def test_blank_values_make_every_comparison_false():
    row = {"age": None, "ethnicity": None, "homeless": False}
    for doc in (
        {"any": [{"age": {"ne": 5}}]},
        {"any": [{"ethnicity": {"not_in": ["A"]}}]},
        {"any": [{"age": {"lt": 200}}]},
    ):
        assert to_python(doc)(row) is False


# ------------------------------------------------------------------ Hypothesis: the twins agree

SCHEMA = pa.schema(
    [
        ("age", pa.int16()),
        ("imd_decile", pa.int8()),
        ("sex", pa.string()),
        ("ethnicity", pa.string()),
        ("homeless", pa.bool_()),
        ("diabetes", pa.bool_()),
        ("last_bp_date", pa.date32()),
        ("language", pa.string()),
        ("area", pa.string()),
    ]
)

# Small value sets shared by rows and conditions, so that ties (where lt and le differ) and
# boundaries come up often.
AGES = [0, 17, 18, 64, 65, 120]
dates = st.sampled_from([date(2020, 2, 29), date(2021, 3, 1), date(2024, 12, 31)])
ethnicities = st.sampled_from(list("ABCHMZ"))
sexes = st.sampled_from(["female", "male", "other", "unknown"])
languages = st.sampled_from(["English", "Polish", "Urdu"])
areas = st.sampled_from(["North", "South", "East"])

rows = st.fixed_dictionaries(
    {
        "age": st.none() | st.sampled_from(AGES),
        "imd_decile": st.none() | st.integers(1, 3) | st.integers(1, 10),
        "sex": sexes,
        "ethnicity": st.none() | ethnicities,
        "homeless": st.booleans(),
        "diabetes": st.none() | st.booleans(),
        "last_bp_date": st.none() | dates,
        "language": st.none() | languages,
        "area": st.none() | areas,
    }
)

ORDERED = ["eq", "ne", "lt", "le", "gt", "ge"]
UNORDERED = ["eq", "ne"]


def _cond(column: str, ops: list[str], values: st.SearchStrategy) -> st.SearchStrategy:
    """A condition on ``column`` with every operator equally likely."""

    def value_for(op: str) -> st.SearchStrategy:
        if op in ("in", "not_in"):
            return st.lists(values, min_size=1, max_size=3)
        return values

    return st.sampled_from([*ops, "in", "not_in"]).flatmap(
        lambda op: value_for(op).map(lambda v: Condition(column, op, v))
    )


conditions = st.one_of(
    _cond("age", ORDERED, st.sampled_from(AGES) | st.integers(-1, 121)),
    _cond("imd_decile", ORDERED, st.integers(0, 11)),
    _cond("imd_decile", ORDERED, st.integers(1, 3)),
    _cond("sex", UNORDERED, sexes),
    _cond("ethnicity", UNORDERED, ethnicities),
    _cond("last_bp_date", ORDERED, dates),
    _cond("language", UNORDERED, languages),
    _cond("area", UNORDERED, areas),
    st.tuples(
        st.sampled_from(["homeless", "diabetes"]), st.sampled_from(["eq", "ne"]), st.booleans()
    ).map(lambda t: Condition(*t)),
)

criteria = st.recursive(
    conditions,
    lambda inner: st.tuples(
        st.sampled_from(["any", "all"]), st.lists(inner, min_size=1, max_size=4)
    ).map(lambda t: Group(*t)),
    max_leaves=8,
).map(lambda node: node if isinstance(node, Group) else Group("any", [node]))


@pytest.fixture(scope="module")
def duck():
    return ibis.duckdb.connect()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(crit=criteria, data=st.lists(rows, min_size=1, max_size=25))
def test_python_and_ibis_agree(duck, crit, data):
    crit = parse_criteria(crit, extra_columns=["area"])
    # The JSON round trip is lossless too.
    assert parse_criteria(json.dumps(crit.to_dict()), extra_columns=["area"]) == crit
    table = pa.Table.from_pylist(data, schema=SCHEMA).append_column(
        "row", pa.array(range(len(data)), pa.int32())
    )
    t = ibis.memtable(table)
    result = duck.to_pyarrow(t.select("row", flag=to_ibis(crit, t)).order_by("row"))
    predicate = to_python(crit)
    assert result["flag"].to_pylist() == [predicate(r) for r in data]
    assert result["flag"].null_count == 0
    assert describe(crit).startswith("patients ")


def test_a_misspelt_column_gets_a_suggestion():
    with pytest.raises(
        CriteriaError, match=r"unknown column 'homeles' \(did you mean 'homeless'\?\)"
    ):
        parse_criteria({"any": [{"homeles": True}]})


def test_every_problem_in_the_criteria_is_named_at_once():
    criteria = {
        "any": [
            {"imd_decile": {"le": 2}},
            {"homeles": True},
            {"all": [{"age": {"gee": 3}}, {"sex": {"eq": "female"}}]},
        ]
    }
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(criteria)
    assert str(caught.value) == (
        """condition {"homeles": true}: unknown column 'homeles' (did you mean 'homeless'?); """
        f"""condition {{"age": {{"gee": 3}}}}: unknown operator 'gee' (use {", ".join(OPS)})"""
    )
