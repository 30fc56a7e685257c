"""Spec tests: small hand-built extracts whose right answers can be read off the rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from gpequity.hna import results
from gpequity.hna.api import FocusError, HNAResult, parse_focus, run
from gpequity.hna.columns import APPOINTMENTS_SCHEMA, PATIENTS_SCHEMA
from gpequity.hna.engine import EngineError, compute_counts
from gpequity.hna.indicators import default_indicators
from gpequity.hna.twin import rows_to_table

AS_OF = date(2024, 3, 31)


@dataclass
class _Extract:
    """Stands in for gpequity.hna.extract.Extract: just the tables and a report."""

    patients: pa.Table
    appointments: pa.Table | None
    report: Any = None
    extra: dict = field(default_factory=dict)


def _extract(patients, appointments=None) -> _Extract:
    return _Extract(
        rows_to_table(patients, PATIENTS_SCHEMA),
        rows_to_table(appointments, APPOINTMENTS_SCHEMA) if appointments is not None else None,
    )


def _row(result: HNAResult, indicator: str, grouping: str = "overall", group: str = "all"):
    t = result.indicators
    hit = t[(t.indicator == indicator) & (t.grouping == grouping) & (t.group == group)]
    assert len(hit) == 1, (indicator, grouping, group)
    return hit.iloc[0]


BP_PATIENTS = [
    {"patient_id": "a", "age": 40, "sex": "male", "last_bp_date": date(2019, 3, 31)},  # on start
    {"patient_id": "b", "age": 55, "sex": "female", "last_bp_date": date(2019, 4, 1)},
    {"patient_id": "c", "age": 70, "sex": "female", "last_bp_date": AS_OF},
    {"patient_id": "d", "age": 41, "sex": "male", "last_bp_date": date(2024, 4, 1)},  # after
    {"patient_id": "e", "age": 39, "sex": "male", "last_bp_date": AS_OF},  # too young
]


def test_window_edges_in_a_real_indicator():
    r = run(_extract(BP_PATIENTS), as_of=AS_OF)
    bp = _row(r, "bp_recorded_5y")
    assert (bp.numerator, bp.denominator) == (2, 4)
    assert bp.value == pytest.approx(0.5)
    assert bp.compared_with_rest == "not_compared"
    assert not bp.suppressed


def test_cervical_interval_depends_on_age_and_flu_season_starts_in_september():
    screen = date(2020, 8, 31)  # 43 months before the as-of date
    patients = [
        {"patient_id": "y", "age": 49, "sex": "female", "last_cervical_screen_date": screen},
        {"patient_id": "o", "age": 50, "sex": "female", "last_cervical_screen_date": screen},
        {"patient_id": "m", "age": 50, "sex": "male", "last_cervical_screen_date": screen},
        {"patient_id": "f1", "age": 65, "sex": "male", "last_flu_vaccine_date": date(2023, 9, 1)},
        {"patient_id": "f2", "age": 80, "sex": "male", "last_flu_vaccine_date": date(2023, 8, 31)},
    ]
    r = run(_extract(patients), as_of=AS_OF)
    cx = _row(r, "cervical_screening")
    assert (cx.numerator, cx.denominator) == (1, 2)
    flu = _row(r, "flu_vaccine_65plus")
    assert (flu.numerator, flu.denominator) == (1, 2)


APPT_PATIENTS = [
    {"patient_id": "p1", "age": 30, "sex": "female", "imd_decile": 1, "homeless": True},
    {"patient_id": "p2", "age": 70, "sex": "male", "imd_decile": 9},
]


def _appt(pid, day, status, clinician=None, role=None, mode=None, booked=None):
    return {
        "patient_id": pid,
        "date": day,
        "status": status,
        "clinician_id": clinician,
        "clinician_role": role,
        "mode": mode,
        "booked_via": booked,
    }


APPTS = [
    _appt("p1", date(2024, 1, 1), "attended", "g1", "gp", "face_to_face", "online"),
    _appt("p1", date(2024, 1, 2), "attended", "g1", "gp", "telephone", "phone"),
    _appt("p1", date(2024, 1, 3), "attended", "g2", "gp", "face_to_face", "phone"),
    _appt("p1", date(2024, 1, 4), "dna"),
    _appt("p1", date(2024, 1, 5), "dna"),
    _appt("p1", date(2024, 1, 6), "dna"),
    _appt("p1", date(2023, 3, 31), "dna"),  # on the window start: outside
    _appt("p2", date(2024, 2, 1), "attended", "n1", "nurse", "face_to_face", "phone"),
    _appt("p2", date(2024, 2, 2), "cancelled", booked="phone"),
    _appt("p2", date(2024, 4, 1), "dna"),  # after the as-of date: never counts
]


def test_appointment_indicators_and_continuity():
    r = run(_extract(APPT_PATIENTS, APPTS), as_of=AS_OF)
    dna = _row(r, "dna_rate")
    assert (dna.numerator, dna.denominator) == (3, 7)
    assert _row(r, "dna_rate", "homeless", "yes").denominator == 6  # per appointment
    assert _row(r, "dna_rate", "imd_quintile", "Q5").numerator == 0
    f2f = _row(r, "face_to_face_share")
    assert (f2f.numerator, f2f.denominator) == (3, 4)
    miss = _row(r, "missingness_high")
    assert (miss.numerator, miss.denominator) == (1, 2)
    online = _row(r, "online_booking_never")
    assert (online.numerator, online.denominator) == (1, 2)  # p2 never booked online
    upc = _row(r, "continuity_upc")
    assert upc.denominator == 1
    assert upc.value == pytest.approx(2 / 3)
    coc = _row(r, "continuity_coc")
    assert coc.value == pytest.approx((2 * 2 + 1 * 1 - 3) / (3 * 2))
    # complex needs for p1: decile 1, homeless, 3 dna = 3 markers
    assert _row(r, "complex_needs").numerator == 1
    assert not r.notes or all("gradient" in n for n in r.notes)


def test_without_appointments_needing_indicators_are_skipped_with_a_note():
    r = run(_extract(APPT_PATIENTS), as_of=AS_OF)
    shown = set(r.indicators.indicator)
    for skipped in ("dna_rate", "missingness_high", "continuity_upc", "face_to_face_share"):
        assert skipped not in shown
        assert any(n.startswith(f"{skipped}: skipped") for n in r.notes)
    # complex_needs still runs, on the other criteria: p1 has 2 (decile 1, homeless)
    assert _row(r, "complex_needs").numerator == 0
    assert any(n.startswith("complex_needs:") for n in r.notes)


GROUP_PATIENTS = [
    {"patient_id": "1", "age": 5, "sex": "male", "ethnicity": "A", "imd_decile": 2},
    {"patient_id": "2", "age": 17, "sex": "female", "ethnicity": "H", "imd_decile": 3},
    {"patient_id": "3", "age": 18, "sex": "other", "ethnicity": "Z", "imd_decile": 10},
    {"patient_id": "4", "age": 65, "sex": "unknown", "ethnicity": None, "imd_decile": None},
    {"patient_id": "5", "age": 80, "sex": "female", "ethnicity": "M", "interpreter_needed": True},
]


def test_an_indicator_reading_a_misspelt_column_is_skipped_with_a_suggestion():
    from gpequity.hna.engine import plan_indicators
    from gpequity.hna.indicators import parse_text

    (mine,) = parse_text(
        """
- id: frail
  title: Frail
  description: Flagged as frail, as a share of everyone.
  unit: patients
  kind: proportion
  denominator: true
  numerator: {all: [{homeles: true}, {frailty: true}]}
"""
    )
    plan = plan_indicators([mine], patient_columns=PATIENTS_SCHEMA.names, appointment_columns=None)
    assert plan.indicators == []
    assert plan.skipped["frail"] == (
        "skipped: the extract has no column frailty, homeles ('homeles': did you mean 'homeless'?)"
    )


def test_group_labels_are_exactly_the_data_md_ones_and_empty_groups_are_left_out():
    r = run(_extract(GROUP_PATIENTS), as_of=AS_OF)
    t = r.indicators[r.indicators.indicator == "ethnicity_recorded"]
    groups = {g: list(t[t.grouping == g].group) for g in t.grouping.unique()}
    assert groups["overall"] == ["all"]
    assert groups["imd_quintile"] == ["Q1", "Q2", "Q5", "unknown"]
    assert groups["imd_decile"] == ["2", "3", "10", "unknown"]
    assert groups["ethnic_group"] == ["White", "Asian", "Black", "Not stated", "Not recorded"]
    assert groups["age_band"] == ["0-17", "18-39", "65-79", "80+"]
    assert groups["sex"] == ["female", "male", "other", "unknown"]
    assert groups["interpreter_needed"] == ["yes", "no"]
    assert groups["homeless"] == ["no"]
    assert "focus_group" not in groups
    assert list(r.indicators.columns) == list(results.INDICATOR_COLUMNS)
    assert _row(r, "ethnicity_recorded").numerator == 3


def test_focus_group_appears_only_with_criteria_and_accepts_json_or_a_file(tmp_path):
    criteria = {"any": [{"imd_decile": {"le": 2}}, {"interpreter_needed": True}]}
    path = tmp_path / "focus.json"
    path.write_text(json.dumps(criteria))
    for focus in (criteria, json.dumps(criteria), str(path)):
        r = run(_extract(GROUP_PATIENTS), as_of=AS_OF, focus=focus)
        assert _row(r, "ethnicity_recorded", "focus_group", "in").denominator == 2
        assert _row(r, "ethnicity_recorded", "focus_group", "out").denominator == 3
    with pytest.raises(FocusError):
        parse_focus('{"imd_decile": {"about": 2}}')
    with pytest.raises(FocusError):
        parse_focus(str(tmp_path / "nope.json"))


def test_user_indicator_on_an_unknown_column_and_a_missing_one():
    patients = [
        {"patient_id": str(i), "age": 70, "sex": "female", "frailty": f}
        for i, f in enumerate(["severe", "mild", None, "moderate"])
    ]
    mine = """
indicators:
  - id: frail
    title: Moderate or severe frailty
    description: From a local column.
    unit: patients
    kind: proportion
    denominator: {age: {ge: 65}}
    numerator: {frailty: {in: [moderate, severe]}}
  - id: housebound
    title: Housebound
    description: Column not in this extract.
    unit: patients
    kind: proportion
    denominator: true
    numerator: {housebound: true}
"""
    from gpequity.hna.indicators import parse_text

    r = run(_extract(patients), as_of=AS_OF, indicators=parse_text(mine))
    frail = _row(r, "frail")
    assert (frail.numerator, frail.denominator) == (2, 4)
    assert "housebound" not in set(r.indicators.indicator)
    assert any("housebound" in n and "no column" in n for n in r.notes)


def _graded_patients(n_per_decile: int = 60):
    rows = []
    for decile in range(1, 11):
        for k in range(n_per_decile):
            recorded = k < 20 + 3 * decile  # recording improves with decile
            rows.append(
                {
                    "patient_id": f"{decile}-{k}",
                    "age": 30 + k % 40,
                    "sex": "female" if k % 2 else "male",
                    "ethnicity": "A" if recorded else None,
                    "imd_decile": decile,
                }
            )
    return rows


def test_gradients_need_every_quantile_and_point_the_right_way():
    r = run(_extract(_graded_patients()), as_of=AS_OF)
    g = r.gradients.set_index(["indicator", "grouping"])
    assert list(r.gradients.columns) == list(results.GRADIENT_COLUMNS)
    eth = g.loc[("ethnicity_recorded", "imd_decile")]
    assert eth.sii > 0 and eth.sii_lower > 0 and eth.rii > 1
    assert ("ethnicity_recorded", "imd_quintile") in g.index
    again = run(_extract(_graded_patients()), as_of=AS_OF)
    pd.testing.assert_frame_equal(r.gradients, again.gradients)  # seeded simulations
    missing_decile = [p for p in _graded_patients() if p["imd_decile"] != 4]
    r2 = run(_extract(missing_decile), as_of=AS_OF)
    assert not ((r2.gradients.indicator == "ethnicity_recorded")
                & (r2.gradients.grouping == "imd_decile")).any()  # fmt: skip
    assert ((r2.gradients.indicator == "ethnicity_recorded")
            & (r2.gradients.grouping == "imd_quintile")).any()  # fmt: skip


def test_shareable_output_goes_through_disclosure_control():
    exact = run(_extract(_graded_patients()), as_of=AS_OF)
    shared = run(_extract(_graded_patients()), as_of=AS_OF, shareable=True)
    assert not exact.indicators.suppressed.any()
    assert shared.indicators.suppressed.any()
    visible = shared.indicators.dropna(subset=["denominator"])
    assert (visible.denominator % 5 == 0).all()
    hidden = shared.indicators[shared.indicators.suppressed]
    assert hidden.value.isna().all()
    shown = shared.indicators[~shared.indicators.suppressed & (shared.indicators.denominator > 0)]
    proportions = shown[shown.indicator == "ethnicity_recorded"]
    assert len(proportions)
    worked_out = proportions.numerator.astype(float) / proportions.denominator
    assert (proportions.value == worked_out).all()  # from the rounded counts (ADR 10)


def test_tables_come_as_pandas_or_arrow_with_the_same_rows():
    r = run(_extract(_graded_patients()), as_of=AS_OF, shareable=True)
    indicators, gradients = r.arrow()
    assert indicators.column_names == list(results.INDICATOR_COLUMNS)
    assert gradients.column_names == list(results.GRADIENT_COLUMNS)
    assert indicators.num_rows == len(r.indicators) and gradients.num_rows == len(r.gradients)
    assert str(indicators.schema.field("denominator").type) == "int64"
    assert indicators.column("suppressed").to_pylist() == list(r.indicators.suppressed)
    # Withheld counts and values are nulls in Arrow, as they are blanks in the files.
    hidden = indicators.filter(indicators.column("suppressed"))
    assert hidden.num_rows and hidden.column("value").null_count == hidden.num_rows


def test_significant_gap_reaches_the_summary():
    r = run(_extract(_graded_patients()), as_of=AS_OF)
    text = r.summary()
    # Q1 (deciles 1-2): 23 + 26 = 49 of 120 recorded; the rest 365 - 49 = 316 of 480.
    # Matching the rest: 120 * 316 / 480 = 79, so 79 - 49 = 30 more patients.
    first = r.findings()[0]
    assert (first.indicator, first.grouping, first.group) == (
        "ethnicity_recorded",
        "imd_quintile",
        "Q1",
    )
    assert first.patients_to_act_on == 30
    assert (
        "  1. Ethnicity recorded is lower in the most deprived fifth (Q1): 40.8% against "
        "65.8% for everyone else" in text
    )
    assert "imd_decile" not in text.split("Notes:")[0]  # the readable label, not the id


def test_outputs_are_written_all_or_nothing(tmp_path, monkeypatch):
    r = run(_extract(BP_PATIENTS), as_of=AS_OF)
    out = r.write(tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == sorted([*results.OUTPUT_FILES, "run.json"])
    rows = json.loads((out / "indicators.json").read_text())
    assert rows[0]["indicator"] == "ethnicity_recorded"
    assert set(rows[0]) == set(results.INDICATOR_COLUMNS)
    assert pd.read_csv(out / "indicators.csv").shape[0] == len(r.indicators)

    def half_then_fail(folder, indicators, gradients, run_info):
        (folder / "indicators.csv").write_text("indicator\n")
        raise OSError("disk full")

    monkeypatch.setattr(results, "_write_all", half_then_fail)
    target = tmp_path / "second"
    with pytest.raises(OSError):
        r.write(target)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(EngineError, match="unknown engine"):
        compute_counts(
            rows_to_table(BP_PATIENTS, PATIENTS_SCHEMA),
            None,
            as_of=AS_OF,
            indicators=default_indicators(),
            engine="oracle",
        )


def test_sums_of_continuity_do_not_depend_on_the_order_of_the_patients():
    # Many patients in one group, with continuity scores such as 1/3, 2/7 and 5/9, whose
    # floating-point total depends on the order they are added in.
    patients, appointments = [], []
    for k in range(3000):
        pid = f"p{k:04d}"
        patients.append({"patient_id": pid, "age": 50, "sex": "female"})
        seen = 3 + k % 7  # appointments with a gp
        usual = 1 + k % seen  # how many with the most-seen one
        for j in range(seen):
            clinician = "g0" if j < usual else f"g{j}"
            appointments.append(
                {
                    "patient_id": pid,
                    "date": date(2024, 1, 1 + j),
                    "status": "attended",
                    "clinician_id": clinician,
                    "clinician_role": "gp",
                    "mode": "telephone",
                    "booked_via": "phone",
                }  # fmt: skip
            )
    wanted = [i for i in default_indicators() if i.kind == "mean"]

    def upc_sums(order):
        counts, _ = compute_counts(
            rows_to_table(order(patients), PATIENTS_SCHEMA),
            rows_to_table(order(appointments), APPOINTMENTS_SCHEMA),
            as_of=AS_OF,
            indicators=wanted,
        )
        return {(c.indicator, c.grouping, c.group): (c.numerator, c.sum_sq) for c in counts}

    forwards, backwards = upc_sums(list), upc_sums(lambda rows: rows[::-1])
    assert forwards == backwards  # exactly, not approximately
    assert forwards[("continuity_upc", "overall", "all")][0] == pytest.approx(
        sum(max(1 + k % (3 + k % 7), 1) / (3 + k % 7) for k in range(3000)), rel=1e-12
    )
