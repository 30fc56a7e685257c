"""`gpequity hna validate` and `gpequity hna run` through Typer's CliRunner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gpequity.cli.main import app

runner = CliRunner()

PATIENTS = """patient_id,age,sex,ethnicity,imd_decile,lsoa,last_bp_date
p1,45,female,A,1,,2023-01-05
p2,70,male,,9,,
p3,30,other,Z,,E01000001,2020-01-01
"""
APPOINTMENTS = """patient_id,date,status,clinician_id,clinician_role,mode,booked_via
p1,2024-01-02,attended,g1,gp,face_to_face,online
p1,2024-01-03,dna,,,,
p2,2024-02-01,attended,g2,gp,telephone,phone
"""


def _extract(tmp_path, patients=PATIENTS, appointments=APPOINTMENTS):
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").write_text(patients)
    if appointments is not None:
        (folder / "appointments.csv").write_text(appointments)
    return folder


def test_validate_ok_and_json(tmp_path):
    folder = _extract(tmp_path)
    result = runner.invoke(app, ["hna", "validate", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["hna", "validate", str(folder), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)


def test_validate_reports_errors_with_exit_1(tmp_path):
    folder = _extract(tmp_path, patients=PATIENTS.replace("p3,30,other", "p3,300,other"))
    result = runner.invoke(app, ["hna", "validate", str(folder), "--max-per-kind", "1"])
    assert result.exit_code == 1
    assert "age" in result.output


def test_run_writes_tables_and_prints_a_summary(tmp_path):
    folder = _extract(tmp_path)
    out = tmp_path / "out"
    focus = json.dumps({"any": [{"imd_decile": {"le": 2}}]})
    result = runner.invoke(
        app,
        ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", str(out), "--focus", focus],
    )
    assert result.exit_code == 0, result.output
    assert "Health needs assessment" in result.stdout
    assert "Open Government Licence" in result.stdout  # p3's decile came from the LSOA
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "gradients.csv",
        "gradients.json",
        "indicators.csv",
        "indicators.json",
        "run.json",
    ]
    rows = json.loads((out / "indicators.json").read_text())
    bp = [r for r in rows if r["indicator"] == "bp_recorded_5y" and r["grouping"] == "overall"]
    assert (bp[0]["numerator"], bp[0]["denominator"]) == (1, 2)
    assert any(r["grouping"] == "focus_group" for r in rows)
    assert all(r["suppressed"] is False for r in rows)


def test_run_on_invalid_extract_fails_and_writes_nothing(tmp_path):
    folder = _extract(tmp_path, patients=PATIENTS.replace("p2,70,male", "p2,seventy,male"))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert not out.exists()
    ok = runner.invoke(
        app,
        ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", str(out), "--drop-bad-rows"],
    )
    assert ok.exit_code == 0, ok.output
    assert (out / "indicators.csv").exists()
    # The summary says what was left out, and why, down to the line and value.
    left_out = ok.output[ok.output.index("Left out (--drop-bad-rows)") :]
    assert "patients.csv: 1 row(s) dropped (bad rows)" in left_out
    assert "patients.csv, column age: not a whole number (1 found)" in left_out
    assert "line 3, column age: not a whole number (value 'seventy')" in left_out


def test_run_on_a_clean_extract_says_nothing_was_left_out(tmp_path):
    out = tmp_path / "out"
    args = ["hna", "run", str(_extract(tmp_path)), "--as-of", "2024-03-31", "--out", str(out)]
    result = runner.invoke(app, [*args, "--drop-bad-rows"])
    assert result.exit_code == 0, result.output
    assert "Left out" not in result.output


def test_run_rejects_bad_options(tmp_path):
    folder = _extract(tmp_path, appointments=None)
    out = tmp_path / "out"
    bad_date = runner.invoke(
        app, ["hna", "run", str(folder), "--as-of", "31/03/2024", "--out", str(out)]
    )
    assert bad_date.exit_code != 0
    bad_focus = runner.invoke(
        app,
        ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", str(out), "--focus", "{oops"],
    )
    assert bad_focus.exit_code == 2
    assert not out.exists()


def test_run_with_user_indicators_and_no_appointments(tmp_path):
    folder = _extract(tmp_path, appointments=None)
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "indicators:\n"
        "  - id: over_60\n    title: Aged over 60\n    description: Age check.\n"
        "    unit: patients\n    kind: proportion\n    denominator: true\n"
        "    numerator: {age: {gt: 60}}\n"
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", str(out),
         "--indicators", str(extra)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "dna_rate: skipped" in result.stdout
    rows = json.loads((out / "indicators.json").read_text())
    assert any(r["indicator"] == "over_60" and r["numerator"] == 1 for r in rows)


def test_an_indicator_file_error_is_printed_as_text(tmp_path):
    # A value that looks like terminal markup ("[/]") must come out as itself, not crash.
    mine = tmp_path / "mine.yaml"
    mine.write_text('indicators:\n  - id: a\n    title: x\n    kind: "[/]"\n')
    out = tmp_path / "out"
    args = ["hna", "run", str(_extract(tmp_path)), "--as-of", "2024-03-31", "--out", str(out)]
    result = runner.invoke(app, [*args, "--indicators", str(mine)])
    assert result.exit_code == 2, result.output
    assert "kind: Input should be 'proportion' or 'mean' (value '[/]')" in result.output
    assert not out.exists()


def test_an_out_path_that_is_a_file_is_refused_before_the_run(tmp_path):
    afile = tmp_path / "results.csv"
    afile.write_text("keep me")
    folder = _extract(tmp_path)
    for out in (afile, afile / "inside"):
        args = ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        # Rich wraps its error box at the terminal's width, so join the box's lines first.
        text = " ".join(result.output.replace("│", " ").split())
        assert "is a file" in text and "Traceback" not in result.output
    assert afile.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract", "results.csv"]


def test_a_folder_that_cannot_be_written_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    import os

    folder = _extract(tmp_path)
    # Found only when writing (the run itself is done): /proc takes no new folders.
    args = ["hna", "run", str(folder), "--as-of", "2024-03-31", "--out", "/proc/gpequity-out"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "cannot write the results to /proc/gpequity-out" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    # Found before the run: a folder this user may not write in (as root, every folder is
    # writable, so the permission answer is taken from a user who may not).
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if p == locked else real_access(p, m))
    args[-1] = str(locked / "out")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "cannot write in" in result.output and "you can write to" in result.output
    assert not (locked / "out").exists()


def test_an_as_of_date_that_does_not_fit_the_extract_is_pointed_out(tmp_path):
    folder = _extract(tmp_path)  # appointments from 2024-01-02 to 2024-02-01
    out = tmp_path / "out"
    later = runner.invoke(
        app, ["hna", "run", str(folder), "--as-of", "2024-12-31", "--out", str(out)]
    )
    assert later.exit_code == 0, later.output
    assert (
        "the last appointment in the extract is on 2024-02-01, 334 days before the as-of date"
        in later.output
    )
    earlier = runner.invoke(
        app, ["hna", "run", str(folder), "--as-of", "2024-01-31", "--out", str(out)]
    )
    assert "appointments up to 2024-02-01, after the as-of date 2024-01-31" in earlier.output
    fits = runner.invoke(
        app, ["hna", "run", str(folder), "--as-of", "2024-02-29", "--out", str(out)]
    )
    assert "as-of date" not in fits.output


def test_an_as_of_date_in_the_future_is_pointed_out():
    from datetime import date

    from gpequity.hna.api import _as_of_warnings

    today = date(2026, 11, 23)
    dates = {"appointment_dates": ["2025-12-01", "2026-11-20"]}
    assert _as_of_warnings(date(2026, 11, 23), dates, today) == []
    (future,) = _as_of_warnings(date(2026, 12, 1), dates, today)
    assert future.startswith("the as-of date 2026-12-01 is in the future")
    assert _as_of_warnings(date(2026, 11, 23), {}, today) == []  # no appointments file


def test_validate_describes_a_clean_extract(tmp_path):
    result = runner.invoke(app, ["hna", "validate", str(_extract(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    about = lines[lines.index("About the data:") :]
    assert (
        about[1]
        == "  - blank: ethnicity 33%, imd_decile 33% (0% once filled from the LSOA), lsoa 67%"
    )
    assert about[2].startswith("  - imd_decile filled from the LSOA for 1 patient; 0 LSOA")
    assert "Open Government Licence" in about[2]
    assert about[3] == "  - no date recorded: last_bp_date 33%"
    assert "columns not in the file: " in about[4] and "last_flu_vaccine_date" in about[4]
    assert about[5] == "  - appointments from 2024-01-02 to 2024-02-01"


def test_indicators_lists_the_definitions_in_plain_english_and_checks_a_file(tmp_path):
    from gpequity.hna.indicators import default_indicators, parse_text, resolve

    listing = runner.invoke(app, ["hna", "indicators"])
    assert listing.exit_code == 0, listing.output
    assert "bp_recorded_5y: Blood pressure checked in the last 5 years (proportion)" in (
        listing.output
    )
    assert "    out of: age >= 40\n    counts: last_bp_date within 60 months\n" in listing.output
    assert f"{len(default_indicators())} indicator(s)." in listing.output

    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "- {id: carer_register, title: Carers (ours), description: Adults only., "
        "kind: proportion, denominator: {age: {ge: 18}}, numerator: {carer: true}}\n"
        "- {id: mean_age, title: Mean age, description: Everyone., kind: mean, "
        "denominator: true, value: age}\n"
    )
    merged = runner.invoke(app, ["hna", "indicators", "--indicators", str(mine)])
    assert merged.exit_code == 0, merged.output
    assert f"carer_register: Carers (ours) (proportion) [from {mine}, replacing the default]" in (
        merged.output
    )
    assert f"mean_age: Mean age (mean) [from {mine}]\n    out of: everyone\n    averages: age" in (
        merged.output
    )

    # JSON is an indicator file: it reads back as the very same definitions.
    as_json = runner.invoke(
        app, ["hna", "indicators", "--indicators", str(mine), "--format", "json"]
    )
    assert as_json.exit_code == 0
    assert parse_text(as_json.stdout) == resolve(mine)
    assert [d.id for d in resolve(mine)][-1] == "mean_age"

    broken = tmp_path / "broken.yaml"
    broken.write_text("- {id: x, title: X, description: Y, kind: averge, denominator: true}\n")
    refused = runner.invoke(app, ["hna", "indicators", "--indicators", str(broken)])
    assert refused.exit_code == 2
    assert "line 1, column " in refused.output and "(value 'averge')" in refused.output
