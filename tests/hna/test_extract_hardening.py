"""Finding 7 of issue 22, the extract reader: mixed line endings name a line, UTF-16 is named
as UTF-16, a header with thousands of columns is refused at once, and duplicate or orphan
rows are reported by line without the patient id."""

from __future__ import annotations

from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.hna.validate import validate_extract
from tests.io_meter import bytes_read

runner = CliRunner()
HEADER = "patient_id,age,sex\n"


def _only(report):
    assert len(report.errors) == 1, report.summary()
    return report.errors[0]


def test_mixed_line_endings_name_the_first_odd_line(tmp_path):
    (tmp_path / "patients.csv").write_bytes(
        b"patient_id,age,sex\r\np1,40,female\r\np2,41,male\np3,42,female\r\n"
    )
    issue = _only(validate_extract(tmp_path))
    assert issue.kind == "mixed_line_endings"
    assert issue.message.startswith("line 3 ends differently from line 1")


def test_utf16_is_named_as_utf16(tmp_path):
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        (tmp_path / "patients.csv").write_bytes((HEADER + "p1,40,female\n").encode(encoding))
        issue = _only(validate_extract(tmp_path))
        assert issue.kind == "encoding" and "UTF-16" in issue.message, encoding
        assert "binary" not in issue.message


def test_ten_thousand_columns_are_refused_from_the_header(tmp_path):
    header = ",".join(["patient_id", "age", "sex", *(f"x{i}" for i in range(10_000))])
    row = ",".join(["p1", "40", "female", *("1" for _ in range(10_000))])
    (tmp_path / "patients.csv").write_text(header + "\n" + (row + "\n") * 200)
    with bytes_read() as meter:
        issue = _only(validate_extract(tmp_path))
    assert meter.read < len(header) + 1_000_000  # the header and little more, not the rows
    assert issue.kind == "too_many_columns" and "10,003 columns" in issue.message


def test_duplicate_and_orphan_rows_are_reported_by_line_without_the_patient_id(tmp_path):
    (tmp_path / "patients.csv").write_text(HEADER + "zz-secret-1,40,female\nzz-secret-1,41,male\n")
    (tmp_path / "appointments.csv").write_text(
        "patient_id,date,status\nzz-secret-9,2024-01-02,attended\n"
    )
    report = validate_extract(tmp_path)
    kinds = {(i.kind, i.line, i.value) for i in report.errors}
    assert kinds == {("duplicate_id", 3, None), ("unknown_patient", 2, None)}
    assert "zz-secret" not in report.summary() and "zz-secret" not in report.to_json()
    result = runner.invoke(app, ["hna", "validate", str(tmp_path)])
    assert result.exit_code == 1 and "zz-secret" not in result.output
    assert "line 3" in result.output or ":3" in result.output
    out = tmp_path / "out"
    args = ["hna", "run", str(tmp_path), "--as-of", "2024-03-31", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "zz-secret" not in result.output
