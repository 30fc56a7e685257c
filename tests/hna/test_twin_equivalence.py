"""The Ibis engine (DuckDB) and the plain-Python twin agree on generated extracts.

Dates are drawn on and around every window edge (window starts, the as-of date, the day
after, the flu season start), with blanks, empty groups, tiny practices and extracts with
no appointments file, so the two implementations are compared where they could differ.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.hna.columns import (
    APPOINTMENTS_SCHEMA,
    BOOKED_VIA,
    CLINICIAN_ROLE,
    ETHNICITY_CODES,
    LONG_TERM_CONDITIONS,
    MODE,
    PATIENT_DATES,
    PATIENT_FLAGS,
    PATIENTS_SCHEMA,
    SEX,
    SMOKER,
)
from gpequity.hna.criteria import parse_criteria
from gpequity.hna.engine import compute_counts
from gpequity.hna.indicators import default_indicators, parse_text
from gpequity.hna.results import IndicatorInfo, indicators_table
from gpequity.hna.twin import pandas_counts, rows_to_table, twin_counts_from_arrow
from gpequity.hna.windows import season_start, window_start

AS_OF_CHOICES = (date(2024, 2, 29), date(2023, 3, 31), date(2024, 9, 1), date(2024, 8, 31))
EDGE_AGES = (0, 13, 14, 15, 16, 17, 18, 24, 25, 40, 49, 50, 52, 53, 59, 60, 64)
EDGE_AGES += (65, 70, 71, 74, 75, 80, 120)
FOCUS_CHOICES = (
    None,
    {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}, {"asylum_seeker_or_refugee": True}]},
    {"all": [{"age": {"ge": 65}}, {"ethnicity": {"not_in": ["A", "B", "C"]}}]},
)
EXTRA_INDICATORS = parse_text(
    """
indicators:
  - id: frailty_flagged
    title: Frailty flag in an extra column
    description: Uses a column that is not in the contract.
    unit: patients
    kind: proportion
    denominator: {age: {ge: 65}}
    numerator: {frailty_score: {ge: 2}}
  - id: mean_ltc
    title: Mean number of long-term conditions
    description: Average count of long-term conditions among adults.
    unit: patients
    kind: mean
    denominator: {age: {ge: 18}}
    value: ltc_count
  - id: mean_frailty_score
    title: Mean of an extra column
    description: Its text cells that are not numbers ('n/a') are left out, like blanks.
    unit: patients
    kind: mean
    denominator: true
    value: frailty_score
"""
)
INDICATORS = [*default_indicators(), *EXTRA_INDICATORS]


def _edge_dates(as_of: date) -> list[date]:
    dates = {as_of, as_of + timedelta(days=1), as_of - timedelta(days=1)}
    for months in (12, 30, 36, 42, 60, 66):
        start = window_start(as_of, months)
        dates |= {start - timedelta(days=1), start, start + timedelta(days=1)}
    season = season_start(as_of)
    dates |= {season, season - timedelta(days=1)}
    return sorted(dates)


@st.composite
def extracts(draw):
    as_of = draw(st.sampled_from(AS_OF_CHOICES))
    edges = _edge_dates(as_of)
    maybe_date = st.one_of(st.none(), st.sampled_from(edges))
    n = draw(st.integers(min_value=0, max_value=25))
    patients = []
    for k in range(n):
        row = {
            "patient_id": f"p{k}",
            "age": draw(st.sampled_from(EDGE_AGES)),
            "sex": draw(st.sampled_from(SEX)),
            "ethnicity": draw(st.one_of(st.none(), st.sampled_from(ETHNICITY_CODES))),
            "imd_decile": draw(st.one_of(st.none(), st.integers(1, 10))),
            "language": draw(st.sampled_from([None, "English", "Polish"])),
            "smoker": draw(st.sampled_from(SMOKER)),
            "frailty_score": draw(st.sampled_from([None, "0", "2", "3.5", "n/a"])),
        }
        for flag in (*PATIENT_FLAGS, *LONG_TERM_CONDITIONS):
            row[flag] = draw(st.booleans())
        for col in PATIENT_DATES:
            row[col] = draw(maybe_date)
        patients.append(row)
    appointments = None
    if n and draw(st.booleans()):
        appt_dates = st.one_of(
            st.sampled_from(edges),
            st.integers(0, 400).map(lambda d: as_of - timedelta(days=d)),
        )
        appointments = [
            {
                "patient_id": f"p{draw(st.integers(0, n - 1))}",
                "date": draw(appt_dates),
                "status": draw(st.sampled_from(["attended", "attended", "dna", "cancelled"])),
                "clinician_id": draw(st.sampled_from([None, "c1", "c2", "c3"])),
                "clinician_role": draw(st.sampled_from([None, *CLINICIAN_ROLE, "gp", "gp"])),
                "mode": draw(st.sampled_from([None, *MODE])),
                "booked_via": draw(st.sampled_from([None, *BOOKED_VIA])),
            }
            for _ in range(draw(st.integers(0, 80)))
        ]
    focus = draw(st.sampled_from(FOCUS_CHOICES))
    return as_of, patients, appointments, focus


def _keyed(rows):
    return {(r.indicator, r.grouping, r.group): r for r in rows}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(extracts())
def test_engine_and_twin_agree(extract):
    as_of, patients, appointments, focus_data = extract
    p = rows_to_table(patients, PATIENTS_SCHEMA)
    a = rows_to_table(appointments, APPOINTMENTS_SCHEMA) if appointments is not None else None
    focus = parse_criteria(focus_data) if focus_data is not None else None

    fast, fast_plan = compute_counts(p, a, as_of=as_of, indicators=INDICATORS, focus=focus)
    slow, slow_plan = twin_counts_from_arrow(p, a, as_of=as_of, indicators=INDICATORS, focus=focus)

    assert fast_plan.skipped == slow_plan.skipped
    assert ("dna_rate" in fast_plan.skipped) == (appointments is None)
    fk, sk = _keyed(fast), _keyed(slow)
    assert set(fk) == set(sk)
    for key, f in fk.items():
        s = sk[key]
        assert f.denominator == s.denominator, key
        assert f.denominator > 0, key  # empty groups are left out
        if isinstance(s.numerator, int):
            assert f.numerator == s.numerator, key
        else:
            assert f.numerator == pytest.approx(s.numerator, rel=1e-9, abs=1e-9), key
            assert f.sum_sq == pytest.approx(s.sum_sq, rel=1e-9, abs=1e-9), key
    groupings = {g for _, g, _ in fk}
    assert ("focus_group" in groupings) == (focus is not None and bool(patients))

    info = [IndicatorInfo(i.id, i.kind) for i in fast_plan.indicators]
    ft, st_ = indicators_table(fast, info), indicators_table(slow, info)
    assert list(ft["indicator"]) == list(st_["indicator"])
    assert list(ft["group"]) == list(st_["group"])
    assert list(ft["compared_with_rest"]) == list(st_["compared_with_rest"])
    for col in ("value", "lower", "upper"):
        assert ft[col].to_numpy() == pytest.approx(st_[col].to_numpy(), abs=1e-9, nan_ok=True)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(extracts())
def test_pandas_baseline_agrees_with_the_twin(extract):
    """The benchmark's pandas baseline computes the same assessment as the twin."""
    as_of, patients, appointments, focus_data = extract
    p = rows_to_table(patients, PATIENTS_SCHEMA)
    a = rows_to_table(appointments, APPOINTMENTS_SCHEMA) if appointments is not None else None

    fast, fast_plan = pandas_counts(p, a, as_of=as_of, indicators=INDICATORS, focus=focus_data)
    slow, slow_plan = twin_counts_from_arrow(
        p, a, as_of=as_of, indicators=INDICATORS, focus=focus_data
    )

    assert fast_plan.skipped == slow_plan.skipped
    fk, sk = _keyed(fast), _keyed(slow)
    assert set(fk) == set(sk)
    for key, f in fk.items():
        s = sk[key]
        assert f.denominator == s.denominator, key
        if isinstance(s.numerator, int):
            assert (type(f.numerator), f.numerator) == (int, s.numerator), key
        else:
            assert f.numerator == pytest.approx(s.numerator, rel=1e-9, abs=1e-9), key
            assert f.sum_sq == pytest.approx(s.sum_sq, rel=1e-9, abs=1e-9), key
