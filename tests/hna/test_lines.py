"""Line numbers as an editor shows them, when a file is not one record per line.

The module's own splitting is tested on small files; the validation tests below it check
that every kind of report (bad cell, unreadable row, duplicate, unknown patient) names the
line a person finds the record on, in a folder and in a zip, whatever comes before it.
"""

from __future__ import annotations

import zipfile

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.hna.lines import line_map, physical_line_count, scan_records
from gpequity.hna.validate import validate_extract

HEADER = "patient_id,age,sex,ethnicity,language\n"


def _write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_physical_line_count(tmp_path):
    assert physical_line_count(_write(tmp_path, "a.csv", "")) == 0
    assert physical_line_count(_write(tmp_path, "b.csv", "a\nb\n")) == 2
    assert physical_line_count(_write(tmp_path, "c.csv", "a\nb")) == 2
    assert physical_line_count(_write(tmp_path, "d.csv", "a\n\n\n")) == 3


def test_records_skip_blank_lines_and_keep_quoted_line_breaks(tmp_path):
    text = 'a,b\r\n1,"x\r\ny"\r\n\r\n2,"say ""hi""\nthere"\n\n3,z'
    records = scan_records(_write(tmp_path, "t.csv", text))
    # Physical first lines: header 1, '1,"x' 2, '2,"say' 5, '3,z' 8.
    assert list(records.physical_lines) == [1, 2, 5, 8]
    # DuckDB's numbers: records and blank lines count one each, quoted breaks do not.
    assert list(records.duckdb_lines) == [1, 2, 4, 6]


def _duckdb_read(path) -> tuple[int, list[int]]:
    """What the loader learns from DuckDB: rows kept and the lines of rejected records."""
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', "
        "columns={'a': 'VARCHAR', 'b': 'VARCHAR'}, header=true, auto_detect=false, delim=',', "
        "quote='\"', escape='\"', store_rejects=true, strict_mode=true, rejects_table='r', "
        "rejects_scan='s')"
    )
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    lines = [int(x) for (x,) in con.execute("SELECT DISTINCT line FROM r ORDER BY 1").fetchall()]
    return rows, lines


def test_line_map_agrees_with_duckdb_on_rejects_and_rows(tmp_path):
    # Lines: 1 header, 2-3 a quoted break, 4 ragged, 5 blank, 6 kept, 7-8 quoted, 9 ragged,
    # 10-11 an unterminated quote that runs to the end of the file.
    text = 'a,b\n1,"x\ny"\n2,z,extra\n\n3,w\n4,"p\nq"\n5,v,ex\n6,"open\n7,k\n'
    path = _write(tmp_path, "t.csv", text)
    rows, rejects = _duckdb_read(path)
    assert (rows, rejects) == (3, [3, 7, 8])  # DuckDB's own numbers: too small
    mapped = line_map(path, rows, rejects)
    assert mapped is not None
    assert list(mapped.rows) == [2, 6, 7]
    assert mapped.rejects == {3: 4, 7: 9, 8: 10}


def test_line_map_is_not_needed_for_one_record_per_line(tmp_path):
    path = _write(tmp_path, "t.csv", "a,b\n1,x\n2,y,z\n3,w")
    rows, rejects = _duckdb_read(path)
    assert line_map(path, rows, rejects) is None


def test_line_map_gives_up_when_it_cannot_agree_with_duckdb(tmp_path):
    path = _write(tmp_path, "t.csv", "a,b\n1,x\n\n2,y\n")
    assert line_map(path, 2, []) is not None
    assert line_map(path, 3, []) is None  # a different count: keep DuckDB's numbers


def _patients(rows: list[str]) -> str:
    return HEADER + "".join(rows)


def test_every_report_names_the_line_in_the_editor(tmp_path, write_extract):
    patients = _patients(
        [
            'P1,40,female,A,"English\nand Welsh"\n',  # lines 2-3
            "\n",  # 4
            "P2,abc,female,A,English\n",  # 5: bad age
            "P3,41,female,A,English,extra\n",  # 6: ragged
            "\n",  # 7
            "P1,42,female,A,English\n",  # 8: duplicate of line 2
        ]
    )
    appointments = (
        "patient_id,date,status,clinician_id,clinician_role,mode,booked_via,note\n"
        'P1,2024-01-02,attended,C1,gp,video,phone,"two\nlines"\n'  # 2-3
        "PX,2024-01-02,attended,C1,gp,video,phone,\n"  # 4: unknown patient
    )
    folder = write_extract(tmp_path, patients, appointments)
    report = validate_extract(folder)
    found = {(i.file, i.kind): (i.line, i.message) for i in report.issues}
    assert found[("patients.csv", "not_whole_number")][0] == 5
    assert found[("patients.csv", "field_count")][0] == 6
    line, message = found[("patients.csv", "duplicate_id")]
    assert line == 8 and "first seen on line 2" in message
    assert found[("appointments.csv", "unknown_patient")][0] == 4

    # The same extract zipped: the members are unpacked to a temporary folder, which must
    # still be there when the lines are worked out.
    zipped = tmp_path / "extract.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(folder / "patients.csv", "patients.csv")
        zf.write(folder / "appointments.csv", "appointments.csv")
    from_zip = validate_extract(zipped)
    assert [(i.file, i.line, i.kind) for i in from_zip.issues] == [
        (i.file, i.line, i.kind) for i in report.issues
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["plain", "quoted_break", "crlf_break"])),
        min_size=1,
        max_size=30,
    ),
    st.data(),
)
def test_a_bad_cell_is_found_on_its_line_whatever_comes_before(tmp_path_factory, rows, data):
    """Rows with values over several lines and blank lines before them; one bad age."""
    lines = [HEADER]
    line = 2
    where = []
    for i, (blanks, shape) in enumerate(rows):
        lines.append("\n" * blanks)
        line += blanks
        language = {"plain": "English", "quoted_break": '"Eng\nlish"', "crlf_break": '"a\r\nb"'}
        where.append(line)
        lines.append(f"P{i},{{age}},female,A,{language[shape]}\n")
        line += 1 if shape == "plain" else 2
    bad = data.draw(st.integers(0, len(rows) - 1))
    text = "".join(lines)
    n = 0
    out = []
    for part in text.split("{age}"):
        out.append(part)
        out.append("abc" if n == bad else "40")
        n += 1
    text = "".join(out[:-1])
    folder = tmp_path_factory.mktemp("x")
    (folder / "patients.csv").write_text(text, newline="")
    report = validate_extract(folder)
    assert [(i.line, i.value) for i in report.errors] == [(where[bad], "abc")]
