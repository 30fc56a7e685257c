"""Validation: every DATA.md rule yields an issue naming file, line, column and value."""

from __future__ import annotations

import json
import zipfile
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.hna.extract import load_extract, sniff_csv_header
from gpequity.hna.validate import ExtractError, Issue, ValidationReport, validate_extract
from tests.io_meter import bytes_read

HEADER = "patient_id,age,sex,ethnicity,imd_decile,homeless,smoker,last_bp_date\n"
GOOD = "P{n},40,female,A,3,false,never,2024-01-01\n"


def _patients(*bad_lines: str, good: int = 3) -> str:
    """Header, ``good`` valid rows, then the given rows (so the first bad row is line good+2)."""
    return HEADER + "".join(GOOD.format(n=i) for i in range(good)) + "".join(bad_lines)


def _one_error(report: ValidationReport) -> Issue:
    assert not report.ok
    assert len(report.errors) == 1, report.summary()
    return report.errors[0]


@pytest.mark.parametrize(
    ("row", "column", "value", "kind"),
    [
        ("PX,abc,female,A,3,false,never,2024-01-01\n", "age", "abc", "not_whole_number"),
        ("PX,45.5,female,A,3,false,never,2024-01-01\n", "age", "45.5", "not_whole_number"),
        ("PX,121,female,A,3,false,never,2024-01-01\n", "age", "121", "out_of_range"),
        ("PX,-1,female,A,3,false,never,2024-01-01\n", "age", "-1", "out_of_range"),
        ("PX,,female,A,3,false,never,2024-01-01\n", "age", None, "missing"),
        ("PX,40,f,A,3,false,never,2024-01-01\n", "sex", "f", "unknown_code"),
        ("PX,40,,A,3,false,never,2024-01-01\n", "sex", None, "missing"),
        ("PX,40,female,X,3,false,never,2024-01-01\n", "ethnicity", "X", "unknown_code"),
        ("PX,40,female,A,11,false,never,2024-01-01\n", "imd_decile", "11", "out_of_range"),
        ("PX,40,female,A,0,false,never,2024-01-01\n", "imd_decile", "0", "out_of_range"),
        ("PX,40,female,A,two,false,never,2024-01-01\n", "imd_decile", "two", "not_whole_number"),
        ("PX,40,female,A,3,maybe,never,2024-01-01\n", "homeless", "maybe", "not_boolean"),
        ("PX,40,female,A,3,false,sometimes,2024-01-01\n", "smoker", "sometimes", "unknown_code"),
        ("PX,40,female,A,3,false,never,2023-02-30\n", "last_bp_date", "2023-02-30", "not_date"),
        ("PX,40,female,A,3,false,never,01/02/2023\n", "last_bp_date", "01/02/2023", "not_date"),
        ("PX,40,female,A,3,false,never,2023-1-2\n", "last_bp_date", "2023-1-2", "not_date"),
        (",40,female,A,3,false,never,2024-01-01\n", "patient_id", None, "missing"),
    ],
)
def test_bad_patient_cell(tmp_path, write_extract, row, column, value, kind):
    folder = write_extract(tmp_path, _patients(row))
    issue = _one_error(validate_extract(folder))
    assert (issue.file, issue.line, issue.column, issue.value, issue.kind) == (
        "patients.csv",
        5,
        column,
        value,
        kind,
    )
    with pytest.raises(ExtractError) as err:
        load_extract(folder)
    text = str(err.value)
    assert "patients.csv" in text and "line 5" in text and column in text
    if value is not None:
        assert repr(value) in text


APPT_HEADER = "patient_id,date,status,clinician_id,clinician_role,mode,booked_via\n"
APPT_GOOD = "P0,2024-05-01,attended,C001,gp,face_to_face,phone\n"


@pytest.mark.parametrize(
    ("row", "column", "value", "kind"),
    [
        ("P0,2024-05-01,no-show,C001,gp,face_to_face,phone\n", "status", "no-show", "unknown_code"),
        ("P0,2024-05-01,attended,C001,doctor,face_to_face,phone\n", "clinician_role", "doctor",
         "unknown_code"),
        ("P0,2024-05-01,attended,C001,gp,zoom,phone\n", "mode", "zoom", "unknown_code"),
        ("P0,2024-05-01,attended,C001,gp,video,app\n", "booked_via", "app", "unknown_code"),
        ("P0,2024-13-01,attended,C001,gp,video,phone\n", "date", "2024-13-01", "not_date"),
        ("P0,,attended,C001,gp,video,phone\n", "date", None, "missing"),
        ("P0,2024-05-01,,C001,gp,video,phone\n", "status", None, "missing"),
        # The line is enough: a patient id is patient data, never echoed (issue 22).
        ("P9,2024-05-01,attended,C001,gp,video,phone\n", "patient_id", None, "unknown_patient"),
    ],
)  # fmt: skip
def test_bad_appointment_cell(tmp_path, write_extract, row, column, value, kind):
    folder = write_extract(tmp_path, _patients(), APPT_HEADER + APPT_GOOD + row)
    issue = _one_error(validate_extract(folder))
    assert (issue.file, issue.line, issue.column, issue.value, issue.kind) == (
        "appointments.csv",
        3,
        column,
        value,
        kind,
    )


def test_unknown_patients_counted_in_full_and_shown_in_line_order(tmp_path, write_extract):
    # Enough rows for DuckDB to run the anti join on several threads at once.
    n = 250_000
    orphans = {7, 130_000, 131_000, 200_001, n - 3, n}  # row numbers (line = row + 1)
    rows = [
        f"{'Q' if r in orphans else 'P'}{r % 3},2024-05-01,attended,C001,gp,video,phone\n"
        for r in range(1, n + 1)
    ]
    rows[9] = ",2024-05-01,attended,C001,gp,video,phone\n"  # blank: missing, not unknown
    folder = write_extract(tmp_path, _patients(), APPT_HEADER + "".join(rows))
    report = validate_extract(folder, max_examples=4)
    counts = report.counts_by_kind
    assert counts[("appointments.csv", "patient_id", "unknown_patient", "error")] == 6
    shown = [(i.line, i.value) for i in report.errors if i.kind == "unknown_patient"]
    assert shown == [(8, None), (130_001, None), (131_001, None), (200_002, None)]
    assert counts[("appointments.csv", "patient_id", "missing", "error")] == 1


def test_duplicate_ids_name_both_lines(tmp_path, write_extract):
    folder = write_extract(tmp_path, _patients(GOOD.format(n=1)))
    issue = _one_error(validate_extract(folder))
    assert (issue.line, issue.column, issue.value, issue.kind) == (
        5,
        "patient_id",
        None,  # the line is enough: a patient id is patient data (issue 22)
        "duplicate_id",
    )
    assert "line 3" in issue.message


def test_truncated_file_reports_the_last_line(tmp_path, write_extract):
    folder = write_extract(tmp_path, _patients() + "P9,40,fem")
    issue = _one_error(validate_extract(folder))
    assert (issue.line, issue.kind) == (5, "field_count")
    assert "8 fields" in issue.message


def test_ragged_row_and_later_lines_keep_their_numbers(tmp_path, write_extract):
    ragged = "P7,40,female,A,3,false,never,2024-01-01,SECRET\n"
    folder = write_extract(tmp_path, _patients(ragged, "P8,x,female,A,3,false,never,\n"))
    report = validate_extract(folder)
    by_kind = {i.kind: i for i in report.errors}
    assert by_kind["field_count"].line == 5
    assert by_kind["not_whole_number"].line == 6  # the line after the rejected one
    assert by_kind["not_whole_number"].value == "x"
    # The content of a rejected line is never echoed (it could hold anything).
    assert "SECRET" not in report.summary()


def test_wrong_encoding_reports_the_line(tmp_path, write_extract):
    latin1_row = "P9,40,female,A,3,false,never,2024-01-01\n".replace("P9", "P\xe9").encode(
        "latin-1"
    )
    folder = write_extract(tmp_path, _patients().encode() + latin1_row + GOOD.format(n=7).encode())
    issue = _one_error(validate_extract(folder))
    assert (issue.file, issue.line, issue.kind) == ("patients.csv", 5, "encoding")
    assert issue.value is None


def test_header_not_utf8(tmp_path, write_extract):
    folder = write_extract(tmp_path, "patient_id,age,sex,caf\xe9\nP1,3,male,x\n".encode("latin-1"))
    assert _one_error(validate_extract(folder)).kind == "encoding"


def test_empty_file_and_header_only(tmp_path, write_extract):
    assert _one_error(validate_extract(write_extract(tmp_path / "a", b""))).kind == "empty"
    issue = _one_error(validate_extract(write_extract(tmp_path / "b", HEADER)))
    assert (issue.file, issue.kind) == ("patients.csv", "empty")


def test_missing_required_column(tmp_path, write_extract):
    issue = _one_error(validate_extract(write_extract(tmp_path, "patient_id,age\nP1,3\n")))
    assert issue.kind == "missing_column" and "sex" in issue.message
    with pytest.raises(ExtractError):
        load_extract(tmp_path / "extract", drop_bad_rows=True)


def test_missing_patients_file(tmp_path):
    issue = _one_error(validate_extract(tmp_path))
    assert (issue.file, issue.kind) == ("patients.csv", "missing_file")


def test_csv_and_parquet_both_present_is_ambiguous(tmp_path, write_extract):
    folder = write_extract(tmp_path, _patients())
    pq.write_table(pa.table({"patient_id": ["P1"]}), folder / "patients.parquet")
    assert _one_error(validate_extract(folder)).kind == "ambiguous"


def test_parquet_named_file_that_is_not_parquet(tmp_path):
    (tmp_path / "patients.parquet").write_bytes(b"patient_id,age,sex\nP1,3,male\n")
    assert _one_error(validate_extract(tmp_path)).kind == "not_parquet"


def test_not_a_zip(tmp_path):
    bogus = tmp_path / "extract.txt"
    bogus.write_text("hello")
    assert _one_error(validate_extract(bogus)).kind == "not_extract"


def _encrypted_zip(path, members):
    """A zip whose members carry the "encrypted" flag (what a password-protected export
    has); Python cannot write real encryption, and the flag is what a reader goes by."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            data[start + flag_at] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def test_a_password_protected_zip_is_named_not_a_crash(tmp_path):
    archive = tmp_path / "export.zip"
    _encrypted_zip(archive, {"data/patients.csv": _patients()})
    with zipfile.ZipFile(archive) as zf, pytest.raises(RuntimeError, match="encrypted"):
        zf.read("data/patients.csv")  # the flag is set: reading it would need a password
    issue = _one_error(validate_extract(archive))
    assert (issue.file, issue.kind) == ("export.zip", "encrypted_zip")
    assert "data/patients.csv is password-protected" in issue.message
    with pytest.raises(ExtractError):
        load_extract(archive)


def test_a_zip_that_cannot_be_decompressed_is_named(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("patients.csv", _patients(good=200))
    data = bytearray(archive.read_bytes())
    body = data.find(b"patients.csv") + len("patients.csv")
    data[body : body + 4] = b"\xff" * 4  # the deflate stream starts with a reserved block type
    archive.write_bytes(bytes(data))
    with zipfile.ZipFile(archive) as zf, pytest.raises(zlib.error):
        zf.read("patients.csv")
    issue = _one_error(validate_extract(archive))
    assert (issue.file, issue.kind) == ("export.zip", "bad_zip")


def test_a_zip_compressed_in_a_method_python_cannot_read_is_named(tmp_path):
    """Deflate64 (method 9), which some Windows tools write for large files, and the like."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("patients.csv", _patients())
    data = bytearray(archive.read_bytes())
    for signature, method_at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(signature) + method_at
        data[at : at + 2] = (9).to_bytes(2, "little")
    archive.write_bytes(bytes(data))
    with zipfile.ZipFile(archive) as zf, pytest.raises(NotImplementedError):
        zf.read("patients.csv")
    issue = _one_error(validate_extract(archive))
    assert (issue.file, issue.kind) == ("export.zip", "bad_zip")
    assert "compression method that cannot be read here" in issue.message


def test_binary_junk_fails_fast(tmp_path):
    junk = tmp_path / "patients.csv"
    with junk.open("wb") as f:
        f.write(bytes(range(256)) * 16)
        f.truncate(1 << 30)  # a sparse 1 GB file: nothing more is written to disk
    with bytes_read() as meter:
        issue = _one_error(validate_extract(tmp_path))
    assert meter.read < 16 << 20, f"read {meter.read:,} bytes of a 1 GB file"
    assert (issue.file, issue.kind) == ("patients.csv", "not_csv")


def test_text_junk_without_line_breaks_fails_fast(tmp_path):
    junk = tmp_path / "patients.csv"
    junk.write_bytes(b"x" * 5000)
    with pytest.raises(Exception) as err:
        sniff_csv_header(junk, "patients.csv", max_header_bytes=1000)
    assert err.value.args[0] == "not_csv"


def test_text_junk_with_a_junk_header_fails_fast(tmp_path):
    junk = tmp_path / "patients.csv"
    with junk.open("wb") as f:
        f.write(b"lorem ipsum dolor sit amet\n" * 100)
        f.truncate(1 << 30)
    with bytes_read() as meter:
        issue = _one_error(validate_extract(tmp_path))
    assert meter.read < 16 << 20, f"read {meter.read:,} bytes of a 1 GB file"
    assert issue.kind == "not_csv"


def test_drop_bad_rows_drops_exactly_the_bad_rows(tmp_path, write_extract):
    patients = _patients(
        "PA,abc,female,A,3,false,never,2024-01-01\n",  # bad age
        "PB,40,female,A,3,false,never,2024-01-01,extra\n",  # ragged
        "P0,41,female,A,3,false,never,2024-01-01\n",  # duplicate of line 2: dropped
        "PC,50,male,,,TRUE,,\n",  # fine
    )
    appts = APPT_HEADER + "".join(
        [
            "P0,2024-05-01,attended,C001,gp,face_to_face,phone\n",  # kept
            "PA,2024-05-01,attended,C001,gp,face_to_face,phone\n",  # patient dropped
            "PB,2024-05-01,attended,C001,gp,face_to_face,phone\n",  # patient unknown (rejected)
            "PZ,2024-05-01,attended,C001,gp,face_to_face,phone\n",  # unknown patient
            "PC,2024-05-01,nope,C001,gp,face_to_face,phone\n",  # bad status
            "PC,2024-05-02,dna,,,,\n",  # kept
        ]
    )
    folder = write_extract(tmp_path, patients, appts)
    with pytest.raises(ExtractError):
        load_extract(folder)
    ext = load_extract(folder, drop_bad_rows=True)
    assert ext.patients["patient_id"].to_pylist() == ["P0", "P1", "P2", "PC"]
    assert ext.patients["age"].to_pylist() == [40, 40, 40, 50]  # the first P0 is kept
    assert ext.appointments.to_pydict()["patient_id"] == ["P0", "PC"]
    assert ext.appointments["status"].to_pylist() == ["attended", "dna"]
    kinds = {(i.file, i.kind): i for i in ext.report.issues}
    assert {"not_whole_number", "field_count", "duplicate_id", "unknown_patient"} <= {
        k for _, k in kinds
    }
    dropped = {k[0]: n for k, n in ext.report.counts_by_kind.items() if k[2] == "dropped"}
    # Patients: bad age + duplicate (the ragged row never became a row).
    assert dropped == {"patients.csv": 2, "appointments.csv": 4}
    # Once dropped, the problems are warnings: the extract as loaded is usable.
    assert ext.report.ok and ext.report.error_count == 0
    assert all(i.severity == "warning" for i in ext.report.issues)
    assert ext.report.counts_by_kind[("patients.csv", "age", "not_whole_number", "warning")] == 1
    summary = ext.report.summary()
    assert "- WARNING patients.csv: 2 row(s) dropped (bad rows) [dropped]\n" in summary
    assert "... and 1 more" not in summary  # the count is rows, not more notes


def test_dropping_every_row_is_an_error_not_an_empty_assessment(tmp_path, write_extract):
    folder = write_extract(tmp_path, HEADER + "P1,abc,female,A,3,false,never,2024-01-01\n")
    with pytest.raises(ExtractError) as raised:
        load_extract(folder, drop_bad_rows=True)
    kinds = [i.kind for i in raised.value.report.errors]
    assert "no_rows_left" in kinds and "not_whole_number" in kinds


def test_summary_groups_and_limits_examples(tmp_path, write_extract):
    rows = "".join(f"Q{i},200,female,A,3,false,never,2024-01-01\n" for i in range(12))
    report = validate_extract(write_extract(tmp_path, _patients(rows)))
    assert report.counts_by_kind == {("patients.csv", "age", "out_of_range", "error"): 12}
    text = report.summary(max_per_kind=3)
    assert "x 12" in text and "... and 9 more" in text
    assert text.count("line ") == 3
    data = json.loads(report.to_json())
    assert data["error_count"] == 12 and data["ok"] is False
    assert data["counts"] == {"patients.csv": 15}
    assert data["issues"][0]["line"] == 5


def test_examples_are_capped_but_counts_are_complete(tmp_path, write_extract):
    rows = "".join(f"Q{i},200,female,A,3,false,never,2024-01-01\n" for i in range(30))
    report = validate_extract(write_extract(tmp_path, _patients(rows)), max_examples=10)
    assert len(report.errors) == 10
    assert report.error_count == 30


def test_completeness_facts(tmp_path, write_extract):
    rows = HEADER + "P1,40,female,,,false,,\nP2,40,female,A,3,false,ex,\n"
    report = validate_extract(write_extract(tmp_path, rows))
    assert report.ok
    blank = report.completeness["blank_share"]
    assert blank["ethnicity"] == 0.5 and blank["smoker"] == 0.5 and blank["last_bp_date"] == 1.0
    assert blank["language"] == 1.0  # absent column
    assert "language" in report.completeness["absent_columns"]


def test_zip_with_bad_rows_reports_member_name(tmp_path, write_extract):
    folder = write_extract(tmp_path, _patients("PX,abc,female,A,3,false,never,2024-01-01\n"))
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "patients.csv", "patients.csv")
    issue = _one_error(validate_extract(archive))
    assert (issue.file, issue.line, issue.column) == ("patients.csv", 5, "age")


def test_clean_synthetic_extract_validates(synth_extract):
    report = validate_extract(synth_extract(300))
    assert report.ok and report.warning_count == 0, report.summary()


def test_semicolon_separated_file_gets_a_hint(tmp_path, write_extract):
    issue = _one_error(validate_extract(write_extract(tmp_path, "patient_id;age;sex\nP1;3;male\n")))
    assert issue.kind == "not_csv" and "semicolons" in issue.message


def test_a_whole_file_in_the_wrong_encoding(tmp_path, write_extract):
    rows = "".join(f"P{i},40,female,A,3,false,never,2024-01-01,Jos\xe9\n" for i in range(500))
    data = (HEADER.rstrip("\n") + ",name\n").encode() + rows.encode("latin-1")
    report = validate_extract(write_extract(tmp_path, data), max_examples=5)
    assert report.counts_by_kind[("patients.csv", None, "encoding", "error")] == 500
    assert [i.line for i in report.errors if i.kind == "encoding"] == [2, 3, 4, 5, 6]
    assert any(i.kind == "no_rows" for i in report.errors)


# Per column of HEADER: spellings DATA.md accepts (padding, case, boolean forms), and cells
# it rejects, with the kind of problem each is reported as.
_ACCEPTED = {
    "age": ["40", " 40 ", "0", "120", "040"],
    "sex": ["female", " Male ", "OTHER", "unknown"],
    "ethnicity": ["A", "b", " S ", "Z", ""],
    "imd_decile": ["1", "10", " 3 ", ""],
    "homeless": ["true", "FALSE", "Yes", "n", "1", "0", ""],
    "smoker": ["never", "Current", " ex ", ""],
    "last_bp_date": ["2024-01-01", "2024-02-29", " 2023-12-31 ", ""],
}
_REJECTED = {
    "age": [("abc", "not_whole_number"), ("12.5", "not_whole_number"), ("121", "out_of_range"),
            ("-3", "out_of_range"), ("", "missing")],
    "sex": [("f", "unknown_code"), ("", "missing")],
    "ethnicity": [("X", "unknown_code"), ("A1", "unknown_code")],
    "imd_decile": [("0", "out_of_range"), ("11", "out_of_range"), ("two", "not_whole_number")],
    "homeless": [("maybe", "not_boolean"), ("2", "not_boolean")],
    "smoker": [("sometimes", "unknown_code")],
    "last_bp_date": [("2023-02-30", "not_date"), ("01/02/2023", "not_date"),
                     ("2023-1-2", "not_date")],
}  # fmt: skip
_COLUMNS = HEADER.strip().split(",")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_one_bad_cell_anywhere_is_the_one_error_reported(tmp_path_factory, data):
    """Rows of accepted spellings, one cell replaced by a rejected one: exactly one error,
    naming that cell's line, column and value (as written, padding and all)."""
    n = data.draw(st.integers(1, 40), label="rows")
    rows = [
        [f"P{i}"] + [data.draw(st.sampled_from(_ACCEPTED[c])) for c in _COLUMNS[1:]]
        for i in range(n)
    ]
    row = data.draw(st.integers(0, n - 1), label="bad row")
    column = data.draw(st.sampled_from(_COLUMNS[1:]), label="bad column")
    value, kind = data.draw(st.sampled_from(_REJECTED[column]), label="bad value")
    rows[row][_COLUMNS.index(column)] = value
    folder = tmp_path_factory.mktemp("extract")
    (folder / "patients.csv").write_text(HEADER + "".join(",".join(r) + "\n" for r in rows))
    report = validate_extract(folder)
    assert [(i.line, i.column, i.value, i.kind) for i in report.errors] == [
        (row + 2, column, value or None, kind)
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_dropping_bad_rows_keeps_exactly_the_good_ones_in_order(tmp_path_factory, data):
    """Any mix of good and bad rows: ``--drop-bad-rows`` keeps the good rows, in file order,
    with their values, and reports each bad one at its line."""
    n = data.draw(st.integers(1, 40), label="rows")
    rows, bad_lines, good_ids = [], [], []
    for i in range(n):
        row = [f"P{i}"] + [data.draw(st.sampled_from(_ACCEPTED[c])) for c in _COLUMNS[1:]]
        if data.draw(st.booleans(), label=f"row {i} bad"):
            column = data.draw(st.sampled_from(_COLUMNS[1:]))
            row[_COLUMNS.index(column)] = data.draw(st.sampled_from(_REJECTED[column]))[0]
            bad_lines.append(i + 2)
        else:
            good_ids.append(f"P{i}")
        rows.append(row)
    folder = tmp_path_factory.mktemp("extract")
    (folder / "patients.csv").write_text(HEADER + "".join(",".join(r) + "\n" for r in rows))
    if not good_ids:
        with pytest.raises(ExtractError):
            load_extract(folder, drop_bad_rows=True)
        return
    ext = load_extract(folder, drop_bad_rows=True)
    assert ext.patients["patient_id"].to_pylist() == good_ids
    assert sorted({i.line for i in ext.report.issues if i.line is not None}) == bad_lines
    ages = {f"P{i}": r[1] for i, r in enumerate(rows)}
    assert ext.patients["age"].to_pylist() == [int(ages[p]) for p in good_ids]


_APPT_COLUMNS = APPT_HEADER.strip().split(",")
_APPT_ACCEPTED = {
    "patient_id": ["P0", "P1", " P2 "],
    "date": ["2024-05-01", " 2024-02-29", "2023-12-31 "],
    "status": ["attended", "DNA", " Cancelled "],
    "clinician_id": ["C001", "", " C2 "],
    "clinician_role": ["gp", "Nurse", "", "PHARMACIST"],
    "mode": ["face_to_face", "Video", "", " telephone "],
    "booked_via": ["phone", "ONLINE", "", "in_person"],
}
_APPT_REJECTED = {
    "patient_id": [("P9", "unknown_patient"), ("", "missing")],
    "date": [("2024-13-01", "not_date"), ("2024/05/01", "not_date"), ("", "missing")],
    "status": [("no-show", "unknown_code"), ("", "missing")],
    "clinician_role": [("doctor", "unknown_code")],
    "mode": [("zoom", "unknown_code")],
    "booked_via": [("app", "unknown_code")],
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_one_bad_appointment_cell_anywhere_is_the_one_error_reported(tmp_path_factory, data):
    """The appointment rules, as the patient property above: patients P0-P2 exist; rows of
    accepted spellings, one rejected cell: exactly one error, at its line, column and value."""
    n = data.draw(st.integers(1, 40), label="rows")
    rows = [
        [data.draw(st.sampled_from(_APPT_ACCEPTED[c])) for c in _APPT_COLUMNS] for _ in range(n)
    ]
    row = data.draw(st.integers(0, n - 1), label="bad row")
    column = data.draw(st.sampled_from(sorted(_APPT_REJECTED)), label="bad column")
    value, kind = data.draw(st.sampled_from(_APPT_REJECTED[column]), label="bad value")
    rows[row][_APPT_COLUMNS.index(column)] = value
    folder = tmp_path_factory.mktemp("extract")
    (folder / "patients.csv").write_text(_patients())  # P0, P1, P2
    (folder / "appointments.csv").write_text(
        APPT_HEADER + "".join(",".join(r) + "\n" for r in rows)
    )
    report = validate_extract(folder)
    assert [(i.file, i.line, i.column, i.value, i.kind) for i in report.errors] == [
        # A patient id is never echoed (issue 22): the line is enough.
        (
            "appointments.csv",
            row + 2,
            column,
            None if kind == "unknown_patient" else value or None,
            kind,
        )
    ]


def test_summary_counts_rows_in_good_english(tmp_path, write_extract):
    one = validate_extract(write_extract(tmp_path / "one", HEADER + GOOD.format(n=1)))
    assert "(patients.csv: 1 row)." in one.summary()
    three = validate_extract(write_extract(tmp_path / "three", _patients()))
    assert "(patients.csv: 3 rows)." in three.summary()
