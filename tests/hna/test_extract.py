"""Reading rules of the extract (DATA.md "The extract"): types, blanks, spellings, formats."""

from __future__ import annotations

import zipfile
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.hna import columns as C
from gpequity.hna.extract import Extract, load_extract
from tests.hna.conftest import write_extract_files


def _p(pid: str, **kw: object) -> dict[str, object]:
    return {"patient_id": pid, "age": 40, "sex": "female", **kw}


def test_synthetic_extract_loads_in_canonical_types(synth_extract):
    folder = synth_extract(300)
    ext = load_extract(folder)
    assert isinstance(ext, Extract)
    assert ext.patients.schema.equals(C.PATIENTS_SCHEMA)
    assert ext.appointments is not None
    assert ext.appointments.schema.equals(C.APPOINTMENTS_SCHEMA)
    assert ext.patients.num_rows == 300
    assert ext.report.ok
    assert ext.report.counts["patients.csv"] == 300
    assert ext.report.counts["appointments.csv"] == ext.appointments.num_rows
    assert ext.extra_columns == ()
    # Synthetic patients with an LSOA but a blank decile have it filled from IMD 2019.
    lsoa = ext.patients["lsoa"].to_pylist()
    decile = ext.patients["imd_decile"].to_pylist()
    assert all(d is not None for code, d in zip(lsoa, decile, strict=True) if code)
    assert ext.report.completeness["imd_filled_from_lsoa"] > 0


def test_boolean_spellings_any_case_and_blank_is_false(tmp_path, write_extract):
    spellings = {
        "true": True, "TRUE": True, "Yes": True, "y": True, "Y": True, "1": True,
        "false": False, "False": False, "NO": False, "n": False, "0": False, "": False,
        " yes ": True,
    }  # fmt: skip
    rows = [_p(f"P{i}", homeless=s) for i, s in enumerate(spellings)]
    ext = load_extract(write_extract(tmp_path, rows))
    assert ext.patients["homeless"].to_pylist() == list(spellings.values())
    # A flag column that is absent is false for everyone.
    assert ext.patients["carer"].to_pylist() == [False] * len(spellings)


def test_blanks_codes_and_text(tmp_path, write_extract):
    rows = [
        _p("P1", sex="Female", ethnicity="a", smoker="", language="", lsoa=" e01000001 "),
        _p(" P2 ", sex="MALE", ethnicity="", smoker="Current", language="Polish"),
        _p("P3", ethnicity="Z", smoker="EX", last_bp_date="2024-02-29", age="45.0"),
    ]
    ext = load_extract(write_extract(tmp_path, rows))
    t = ext.patients.to_pydict()
    assert t["patient_id"] == ["P1", "P2", "P3"]
    assert t["sex"] == ["female", "male", "female"]
    assert t["ethnicity"] == ["A", None, "Z"]
    assert t["smoker"] == ["unknown", "current", "ex"]
    assert t["language"] == [None, "Polish", None]
    assert t["lsoa"] == ["E01000001", None, None]
    assert t["imd_decile"] == [9, None, None]  # E01000001 is decile 9 in IMD 2019
    assert t["last_bp_date"] == [None, None, date(2024, 2, 29)]
    assert t["age"] == [40, 40, 45]


# DuckDB's trim, which the loader's rules use, takes the space and Unicode's other space
# separators (no-break, em, ideographic...) from either end of a cell, not tabs.
_ENDS = " \u00a0\u2003\u3000"
_TEXT = st.text("aZ9-\u00e9' \t\u00a0\u2003\u3000", max_size=6)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.tuples(st.text(_ENDS, max_size=2), _TEXT, _TEXT), min_size=1, max_size=12))
def test_text_cells_lose_spaces_of_every_kind_at_their_ends_only(tmp_path_factory, cells):
    """Ids, free text and codes kept as text: padding of any kind of space goes, inner
    characters and non-ASCII letters stay, and a cell of spaces alone is blank."""
    rows = [
        _p(f"{pad}P{i}{pad[::-1]}", language=language, lsoa=lsoa)
        for i, (pad, language, lsoa) in enumerate(cells)
    ]
    ext = load_extract(write_extract_files(tmp_path_factory.mktemp("text") / "x", rows))
    t = ext.patients.to_pydict()
    assert t["patient_id"] == [f"P{i}" for i in range(len(cells))]
    assert t["language"] == [language.strip(_ENDS) or None for _, language, _ in cells]
    assert t["lsoa"] == [lsoa.strip(_ENDS).upper() or None for _, _, lsoa in cells]


def test_imd_decile_given_is_kept_and_unknown_lsoa_warns(tmp_path, write_extract):
    rows = [
        _p("P1", imd_decile="3", lsoa="E01000001"),  # given decile wins over the LSOA
        _p("P2", imd_decile="", lsoa="E01999999"),  # not a 2011 LSOA
    ]
    ext = load_extract(write_extract(tmp_path, rows))
    assert ext.patients["imd_decile"].to_pylist() == [3, None]
    assert ext.report.ok
    (warning,) = ext.report.warnings
    assert (warning.file, warning.line, warning.column, warning.value) == (
        "patients.csv",
        3,
        "lsoa",
        "E01999999",
    )
    assert ext.report.completeness["lsoa_not_in_imd2019"] == 1


def test_bom_is_tolerated(tmp_path, write_extract):
    text = "\ufeffpatient_id,age,sex\nP1,30,male\n"
    ext = load_extract(write_extract(tmp_path, text))
    assert ext.patients["patient_id"].to_pylist() == ["P1"]


def test_crlf_line_endings(tmp_path, write_extract):
    ext = load_extract(
        write_extract(tmp_path, "patient_id,age,sex\r\nP1,30,male\r\nP2,31,female\r\n")
    )
    assert ext.patients["sex"].to_pylist() == ["male", "female"]


def test_extra_columns_are_kept_as_strings_after_canonical(tmp_path, write_extract):
    rows = [_p("P1", practice_area="North", score="7"), _p("P2", practice_area="", score="8")]
    ext = load_extract(write_extract(tmp_path, rows))
    assert ext.extra_columns == ("practice_area", "score")
    assert ext.patients.schema.names == [*C.PATIENTS_SCHEMA.names, "practice_area", "score"]
    assert ext.patients["score"].type == pa.string()
    assert ext.patients["practice_area"].to_pylist() == ["North", None]


def test_extra_columns_named_like_the_loaders_own_are_kept_apart(tmp_path):
    """An export's own ``rowid``, ``__bad``, ``__raw`` or ``__gpequity_file_row`` column is
    kept as data: it neither shadows the row ids that give line numbers nor the loader's
    bookkeeping (``__bad`` crashed the load; ``rowid`` reordered rows and moved lines)."""
    from gpequity.hna.validate import validate_extract

    (tmp_path / "patients.csv").write_text(
        "patient_id,age,sex,rowid,__bad,__raw,__GPEQUITY_FILE_ROW\n"
        "P1,40,female,3,x,y,9\n"
        "P2,old,male,2,x,y,8\n"
        "P3,42,female,1,x,y,7\n"
    )
    (tmp_path / "appointments.csv").write_text(
        "patient_id,date,status,rowid\nP3,2024-01-02,attended,2\nP1,2024-01-01,dna,1\n"
    )
    (issue,) = validate_extract(tmp_path).errors
    assert (issue.line, issue.column, issue.value) == (3, "age", "old")
    ext = load_extract(tmp_path, drop_bad_rows=True)
    extras = ["rowid", "__bad", "__raw", "__GPEQUITY_FILE_ROW"]
    assert ext.extra_columns == tuple(extras)
    assert ext.patients.select(["patient_id", *extras]).to_pylist() == [
        {"patient_id": "P1", "rowid": "3", "__bad": "x", "__raw": "y", "__GPEQUITY_FILE_ROW": "9"},
        {"patient_id": "P3", "rowid": "1", "__bad": "x", "__raw": "y", "__GPEQUITY_FILE_ROW": "7"},
    ]
    assert ext.appointments["patient_id"].to_pylist() == ["P3", "P1"]
    assert ext.appointments["rowid"].to_pylist() == ["2", "1"]


def test_an_extra_column_named_twice_keeps_the_first_and_warns(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id,age,sex,Frailty,frailty\nP1,40,male,3,4\n")
    ext = load_extract(tmp_path)
    assert ext.extra_columns == ("Frailty",)
    assert ext.patients["Frailty"].to_pylist() == ["3"]
    (warning,) = ext.report.warnings
    assert (warning.file, warning.column, warning.kind) == (
        "patients.csv",
        "frailty",
        "duplicate_extra_column",
    )


def test_no_appointments_file(tmp_path, write_extract):
    ext = load_extract(write_extract(tmp_path, [_p("P1")]))
    assert ext.appointments is None
    assert "appointments.csv" not in ext.report.counts


def test_appointments_are_typed(tmp_path, write_extract):
    appts = [
        {"patient_id": "P1", "date": "2024-05-01", "status": "DNA", "clinician_id": "C001",
         "clinician_role": "GP", "mode": "Face_to_face", "booked_via": "online"},
        {"patient_id": "P1", "date": "2024-06-01", "status": "attended"},
    ]  # fmt: skip
    ext = load_extract(write_extract(tmp_path, [_p("P1")], appts))
    a = ext.appointments.to_pydict()
    assert a["date"] == [date(2024, 5, 1), date(2024, 6, 1)]
    assert a["status"] == ["dna", "attended"]
    assert a["clinician_role"] == ["gp", None]
    assert a["mode"] == ["face_to_face", None]


def test_parquet_input_with_native_types(tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    patients = pa.table(
        {
            "patient_id": ["P1", "P2"],
            "age": pa.array([30, 70], pa.int64()),
            "sex": ["male", "female"],
            "homeless": [True, False],
            "diabetes": ["yes", None],
            "last_bp_date": pa.array([date(2024, 1, 2), None], pa.date32()),
            "imd_decile": pa.array([1.0, None], pa.float64()),
        }
    )
    pq.write_table(patients, folder / "patients.parquet")
    appts = pa.table(
        {
            "patient_id": ["P1"],
            "date": pa.array([date(2024, 3, 1)], pa.date32()),
            "status": ["attended"],
        }
    )
    pq.write_table(appts, folder / "appointments.parquet")
    ext = load_extract(folder)
    t = ext.patients.to_pydict()
    assert t["age"] == [30, 70]
    assert t["homeless"] == [True, False]
    assert t["diabetes"] == [True, False]
    assert t["last_bp_date"] == [date(2024, 1, 2), None]
    assert t["imd_decile"] == [1, None]
    assert ext.appointments["date"].to_pylist() == [date(2024, 3, 1)]
    assert ext.report.counts == {"patients.parquet": 2, "appointments.parquet": 1}


def test_synthetic_parquet_matches_csv(synth_extract):
    csv_ext = load_extract(synth_extract(200, seed=4))
    pq_ext = load_extract(synth_extract(200, seed=4, format="parquet"))
    assert csv_ext.patients.equals(pq_ext.patients)
    assert csv_ext.appointments.equals(pq_ext.appointments)


def test_zip_input_with_a_folder_inside(tmp_path, write_extract):
    folder = write_extract(tmp_path, [_p("P1"), _p("P2")], [
        {"patient_id": "P2", "date": "2024-05-01", "status": "attended"}
    ])  # fmt: skip
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"practice/{f.name}")
    ext = load_extract(archive)
    assert ext.patients["patient_id"].to_pylist() == ["P1", "P2"]
    assert ext.appointments.num_rows == 1
    assert ext.source == str(archive)


def test_progress_is_reported(tmp_path, write_extract):
    seen: list[tuple[str, float]] = []
    load_extract(write_extract(tmp_path, [_p("P1")]), progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_row_order_and_line_numbers_hold_on_a_large_file(synth_extract, tmp_path):
    """Big enough for DuckDB to read in parallel: order (and so line numbers) must hold."""
    folder = synth_extract(30_000)
    ext = load_extract(folder)
    ids = ext.patients["patient_id"].to_pylist()
    assert ids == sorted(ids)
    appt_ids = ext.appointments["patient_id"].to_pylist()
    assert appt_ids == sorted(appt_ids)
    lines = (folder / "patients.csv").read_text().splitlines(keepends=True)
    fields = lines[28_001].split(",")
    fields[1] = "old"  # the age of the 28,001st patient, on line 28,002
    lines[28_001] = ",".join(fields)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "patients.csv").write_text("".join(lines))
    from gpequity.hna.validate import validate_extract

    (issue,) = validate_extract(bad).errors
    assert (issue.line, issue.column, issue.value) == (28_002, "age", "old")


@pytest.mark.parametrize("age", ["0", "120", "007"])
def test_age_bounds_are_accepted(tmp_path, write_extract, age):
    ext = load_extract(write_extract(tmp_path, [_p("P1", age=age)]))
    assert ext.patients["age"].to_pylist() == [int(age)]


def test_a_run_reports_progress_that_never_runs_backwards(synth_extract):
    """One bar for the whole run: reading fills its first share, counting and statistics the
    rest (the loader's own 0-to-1 used to fill the bar, which then fell back for counting)."""
    from gpequity.hna import run

    seen: list[tuple[str, float]] = []
    run(synth_extract(2_000), as_of="2024-03-31", progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions), seen
    messages = [m for m, _ in seen]
    assert messages[:2] == ["Reading patients", "Reading appointments"]
    assert messages[-1] == "Done" and fractions[-1] == 1.0
