"""Focus criteria files: every problem named with its file, line, column and value."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.hna.api import FocusError, parse_focus
from gpequity.hna.validate import ExtractError

NESTED = """{"any": [
  {"imd_decile": {"le": 2}},
  {"homeles": true},
  {"all": [
    {"age": {"ge": 65}},
    {"ethnicity": {"in": ["A", "Q"]}}
  ]},
  {"age": {"gt": "old"}}
]}
"""


def test_each_problem_has_its_line_and_column_in_a_json_file(tmp_path):
    path = tmp_path / "focus.json"
    path.write_text(NESTED)
    with pytest.raises(FocusError) as caught:
        parse_focus(str(path))
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 3 problem(s) in the focus criteria:"
    assert lines[1].startswith(f'  - {path}, line 3, column 3: condition {{"homeles": true}}')
    assert lines[1].endswith("unknown column 'homeles' (did you mean 'homeless'?)")
    assert lines[2].startswith(f'  - {path}, line 6, column 5: condition {{"ethnicity"')
    assert "not 'Q'" in lines[2]
    assert lines[3].startswith(f'  - {path}, line 8, column 3: condition {{"age": {{"gt"')
    assert lines[3].endswith("age needs a whole number, not 'old'")


def test_a_yaml_file_and_a_condition_with_two_columns(tmp_path):
    path = tmp_path / "focus.yaml"
    path.write_text("all:\n  - sex: {eq: female}\n  - {age: {ge: 18}, carer: true}\n")
    with pytest.raises(FocusError) as caught:
        parse_focus(str(path))
    assert f"{path}, line 3, column 5: condition" in str(caught.value)
    assert "a condition names exactly one column" in str(caught.value)


def test_json_indented_with_tabs_is_read(tmp_path):
    """YAML refuses tabs; JSON allows them, and editors write them."""
    path = tmp_path / "tabs.json"
    criteria = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}
    path.write_text(json.dumps(criteria, indent="\t"))
    assert parse_focus(str(path)).to_dict() == criteria


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{"any": [\n  {"homeless": true}\n  {"carer": true}\n]}',
            "line 3, column 3: Expecting ','",
        ),
        (b"any:\n  - homeless: true\n - carer: true\n", "line 3, column 2"),
        (b'{"any": [{"language": {"eq": "Fran\xe7ais"}}]}', "it is not UTF-8 text"),
    ],
)
def test_unreadable_files_say_where(tmp_path, content, expected):
    path = tmp_path / "focus.txt"
    path.write_bytes(content)
    with pytest.raises(FocusError, match="focus criteria file") as caught:
        parse_focus(str(path))
    assert expected in str(caught.value)


def test_the_command_line_prints_the_located_problems(tmp_path, synth_extract):
    path = tmp_path / "focus.json"
    path.write_text(NESTED)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["hna", "run", str(synth_extract(300)), "--as-of", "2025-03-31", "--focus", str(path)]
        + ["--out", str(out)],
    )
    assert result.exit_code == 2
    assert f"{path}, line 3, column 3" in result.output
    assert not out.exists()


def test_a_misspelt_column_fails_before_the_extract_is_read(tmp_path):
    """A folder's patients.csv header is enough to check the criteria: the typo is reported
    at once (here the rows are bad too, which a full read would have reported first)."""
    from gpequity.hna.api import run

    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        "patient_id,age,sex,Frailty\np1,forty,female,3\np1,41,female,2\n"
    )
    with pytest.raises(FocusError, match="unknown column 'homeles'"):
        run(folder, as_of="2025-03-31", focus={"any": [{"homeles": True}]})
    # The extract's own extra column (any case) is known before the read as well.
    with pytest.raises(ExtractError):
        run(folder, as_of="2025-03-31", focus={"any": [{"Frailty": {"eq": "3"}}]})


def test_a_parquet_folder_is_checked_before_the_read_too(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gpequity.hna.api import run

    folder = tmp_path / "extract"
    folder.mkdir()
    table = pa.table(
        {"patient_id": ["p1", "p1"], "age": ["forty", "41"], "sex": ["female", "female"]}
    )
    pq.write_table(table, folder / "Patients.parquet")
    with pytest.raises(FocusError, match="unknown column 'homeles'"):
        run(folder, as_of="2025-03-31", focus={"any": [{"homeles": True}]})
    with pytest.raises(ExtractError):
        run(folder, as_of="2025-03-31", focus={"any": [{"homeless": True}]})


def test_a_zipped_csv_is_checked_before_the_read_without_unpacking(tmp_path, monkeypatch):
    """In a zip, the patients.csv member's header is read in place: the typo is reported
    before anything is unpacked (the rows are bad too, which the load would report first)."""
    import zipfile

    from gpequity.hna import extract
    from gpequity.hna.api import run

    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "export/PATIENTS.CSV", "patient_id,age,sex,Frailty\np1,forty,female,3\np1,41,female,2\n"
        )
        zf.writestr("__MACOSX/export/patients.csv", "junk")
    unpacked = []
    real_unzip = extract._unzip
    monkeypatch.setattr(extract, "_unzip", lambda *a: unpacked.append(1) or real_unzip(*a))
    with pytest.raises(FocusError, match="unknown column 'homeles'"):
        run(archive, as_of="2025-03-31", focus={"any": [{"homeles": True}]})
    assert not unpacked
    # The member's own extra column is known before the read; the load then finds the rows.
    with pytest.raises(ExtractError):
        run(archive, as_of="2025-03-31", focus={"any": [{"Frailty": {"eq": "3"}}]})
    assert unpacked


def test_a_zip_the_glance_cannot_read_is_left_to_the_load(tmp_path):
    """Two patients files, a Parquet member or a broken zip: no early answer, so the load
    reports the extract's own problem (never a crash in the early check)."""
    import zipfile

    from gpequity.hna.extract import patient_columns_at_a_glance

    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a/patients.csv", "patient_id,age,sex\n")
        zf.writestr("b/patients.csv", "patient_id,age,sex\n")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(two.read_bytes()[:-30])
    parquet = tmp_path / "parquet.zip"
    with zipfile.ZipFile(parquet, "w") as zf:
        zf.writestr("patients.parquet", b"PAR1....PAR1")
    for archive in (two, broken, parquet):
        assert patient_columns_at_a_glance(archive) is None
    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as zf:
        zf.writestr("patients.csv", "\ufeffpatient_id,age,sex,Frailty\r\np1,41,female,3\r\n")
    columns = patient_columns_at_a_glance(tmp_path / "ok.zip")
    assert columns is not None and columns[-1] == "Frailty" and "age" in columns


def test_inline_json_that_breaks_says_where():
    with pytest.raises(FocusError) as caught:
        parse_focus('{"any": [{"imd_decile": {"le": 2}}, {"homeless": tru}]}')
    assert str(caught.value) == (
        "focus criteria are not valid JSON: Expecting value at line 1, column 50 "
        "(after ': 2}}, {\"homeless\": ')"
    )
