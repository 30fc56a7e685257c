"""System extracts (DATA.md "System extracts"): per-practice tables beside the usual ones."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpequity import hna
from gpequity.cli.main import app
from gpequity.hna.extract import ExtractError
from gpequity.hna.results import PRACTICE_FILES
from gpequity.synth import generate

AS_OF = date(2025, 3, 31)
FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}
TABLES = ("indicators.csv", "indicators.json", "gradients.csv", "gradients.json")


@pytest.fixture(scope="module")
def system_extract(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("system")
    generate(900, seed=7, as_of=AS_OF, out=out, appointments_per_patient=3.0, practices=2)
    return out


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _one_practice(folder: Path, code: str, out: Path) -> Path:
    """The extract cut down to one practice's patients and their appointments."""
    out.mkdir()
    patients = [r for r in _read(folder / "patients.csv") if r["practice_code"] == code]
    ids = {r["patient_id"] for r in patients}
    _write(out / "patients.csv", patients)
    appointments = [r for r in _read(folder / "appointments.csv") if r["patient_id"] in ids]
    _write(out / "appointments.csv", appointments)
    return out


def _without_practice_codes(folder: Path, out: Path) -> Path:
    out.mkdir()
    rows = _read(folder / "patients.csv")
    for r in rows:
        del r["practice_code"]
    _write(out / "patients.csv", rows)
    (out / "appointments.csv").write_bytes((folder / "appointments.csv").read_bytes())
    return out


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for k in x:
            if isinstance(x[k], float) and math.isnan(x[k]):
                assert isinstance(y[k], float) and math.isnan(y[k]), (k, x, y)
            else:
                assert x[k] == y[k], (k, x, y)


def test_synth_writes_a_system_extract_and_the_rest_is_unchanged(system_extract, tmp_path):
    rows = _read(system_extract / "patients.csv")
    assert {r["practice_code"] for r in rows} == {"Y90001", "Y90002"}
    plain = tmp_path / "plain"
    generate(900, seed=7, as_of=AS_OF, out=plain, appointments_per_patient=3.0)
    for r in rows:
        del r["practice_code"]
    assert rows == _read(plain / "patients.csv")
    assert (plain / "appointments.csv").read_bytes() == (
        system_extract / "appointments.csv"
    ).read_bytes()


def test_each_practice_gets_the_rows_of_a_run_over_its_own_patients(system_extract, tmp_path):
    result = hna.run(system_extract, as_of=AS_OF, focus=FOCUS)
    assert result.practices is not None
    by_code: dict[str, list[dict]] = {}
    for row in result.practice_indicator_rows:
        assert next(iter(row)) == "practice_code"  # the first column
        by_code.setdefault(row["practice_code"], []).append(row)
    assert sorted(by_code) == ["Y90001", "Y90002"]
    for code, rows in by_code.items():
        alone = hna.run(
            _one_practice(system_extract, code, tmp_path / code), as_of=AS_OF, focus=FOCUS
        )
        _same(
            [{k: v for k, v in r.items() if k != "practice_code"} for r in rows],
            alone.indicator_rows,
        )
        grads = [g for g in result.practice_gradient_rows if g["practice_code"] == code]
        _same(
            [{k: v for k, v in g.items() if k != "practice_code"} for g in grads],
            alone.gradient_rows,
        )
        # Every grouping, the Focus group's too.
        assert {r["grouping"] for r in rows} >= {"overall", "imd_quintile", "focus_group", "sex"}


def test_the_whole_extract_tables_are_unchanged_byte_for_byte(system_extract, tmp_path):
    plain = _without_practice_codes(system_extract, tmp_path / "plain")
    system_out = hna.run(system_extract, as_of=AS_OF, focus=FOCUS).write(tmp_path / "out1")
    plain_run = hna.run(plain, as_of=AS_OF, focus=FOCUS)
    assert plain_run.practices is None
    plain_out = plain_run.write(tmp_path / "out2")
    for name in TABLES:
        assert (system_out / name).read_bytes() == (plain_out / name).read_bytes(), name
    assert all((system_out / name).exists() for name in PRACTICE_FILES)
    assert not any((plain_out / name).exists() for name in PRACTICE_FILES)
    # A plain run written over a system run's folder leaves no stale practice tables.
    plain_run.write(system_out)
    assert not any((system_out / name).exists() for name in PRACTICE_FILES)


def test_shareable_practice_tables_go_through_disclosure_control(system_extract):
    result = hna.run(system_extract, as_of=AS_OF, shareable=True)
    rows = result.practice_indicator_rows
    assert rows and all(
        r["suppressed"] or (r["denominator"] % 5 == 0 and r["denominator"] > 7) for r in rows
    )
    assert any(r["suppressed"] for r in rows)


def test_a_blank_practice_code_in_a_system_extract_is_an_error(write_extract, tmp_path):
    rows = [
        {"patient_id": "p1", "age": 40, "sex": "female", "practice_code": "A81001"},
        {"patient_id": "p2", "age": 50, "sex": "male", "practice_code": ""},
        {"patient_id": "p3", "age": 60, "sex": "male", "practice_code": "A81002"},
    ]
    folder = write_extract(tmp_path, rows)
    with pytest.raises(ExtractError) as caught:
        hna.run(folder, as_of=AS_OF)
    (issue,) = [i for i in caught.value.report.issues if i.column == "practice_code"]
    assert (issue.file, issue.line, issue.kind) == ("patients.csv", 3, "missing")
    assert "patients.csv, line 3, column practice_code" in issue.describe()
    # Dropping bad rows leaves that patient out, as for any other bad row.
    dropped = hna.run(folder, as_of=AS_OF, drop_bad_rows=True)
    assert {r["practice_code"] for r in dropped.practice_indicator_rows} == {"A81001", "A81002"}
    overall = [r for r in dropped.indicator_rows if r["indicator"] == "ld_register"]
    assert overall[0]["denominator"] == 2


def test_a_practice_code_column_left_blank_everywhere_is_a_plain_extract(write_extract, tmp_path):
    rows = [
        {"patient_id": "p1", "age": 40, "sex": "female", "practice_code": ""},
        {"patient_id": "p2", "age": 50, "sex": "male", "practice_code": ""},
    ]
    result = hna.run(write_extract(tmp_path, rows), as_of=AS_OF)
    assert result.practices is None


def test_the_cli_synth_and_run_write_the_practice_files(tmp_path):
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["synth", "--patients", "400", "--practices", "3", "--out", str(tmp_path / "x")]
        + ["--as-of", "2025-03-31"],
    )
    assert made.exit_code == 0, made.output
    assert "3 practices" in made.output
    ran = runner.invoke(
        app,
        ["hna", "run", str(tmp_path / "x"), "--as-of", "2025-03-31", "--out", str(tmp_path / "o")],
    )
    assert ran.exit_code == 0, ran.output
    assert "practice_indicators and practice_gradients for 3 practices" in " ".join(
        ran.output.split()
    )
    header = (tmp_path / "o" / "practice_indicators.csv").read_text().splitlines()[0]
    assert header.startswith("practice_code,indicator,grouping,group,numerator")
    gheader = (tmp_path / "o" / "practice_gradients.csv").read_text().splitlines()[0]
    assert (
        gheader
        == "practice_code,indicator,grouping,sii,sii_lower,sii_upper,rii,rii_lower,rii_upper"
    )


def test_the_plain_python_twin_agrees_practice_by_practice(system_extract):
    """The slow twin, run on each practice's own rows, counts what the engine's practice
    cells give."""
    import pyarrow.compute as pc

    from gpequity.hna.engine import compute_system_counts
    from gpequity.hna.extract import load_extract
    from gpequity.hna.indicators import default_indicators
    from gpequity.hna.twin import twin_counts_from_arrow

    with load_extract(system_extract) as extract:
        patients, appointments = extract.patients, extract.appointments
    _, _, by_practice = compute_system_counts(
        patients, appointments, as_of=AS_OF, indicators=default_indicators()
    )
    assert sorted(by_practice) == ["Y90001", "Y90002"]
    for code, counts in by_practice.items():
        mine = patients.filter(pc.equal(patients["practice_code"], code))
        theirs = appointments.filter(pc.is_in(appointments["patient_id"], mine["patient_id"]))
        slow, _ = twin_counts_from_arrow(mine, theirs, as_of=AS_OF, indicators=default_indicators())
        fast = {(c.indicator, c.grouping, c.group): c for c in counts}
        twin = {(c.indicator, c.grouping, c.group): c for c in slow}
        assert set(fast) == set(twin)
        for key, f in fast.items():
            s = twin[key]
            assert f.denominator == s.denominator, key
            assert f.numerator == pytest.approx(s.numerator, rel=1e-12, abs=1e-9), key


def test_practice_tables_made_in_parallel_are_the_same(system_extract, monkeypatch):
    """ADR 28: from PARALLEL_PRACTICES practices up, forked workers share the practices out;
    the rows are the same values in the same order as made one practice after another."""
    from gpequity.hna import results

    alone = hna.run(system_extract, as_of=AS_OF, focus=FOCUS).practices
    monkeypatch.setattr(results, "PARALLEL_PRACTICES", 2)
    monkeypatch.setattr(results.os, "cpu_count", lambda: 2)
    shared = hna.run(system_extract, as_of=AS_OF, focus=FOCUS).practices
    assert repr(shared.indicators) == repr(alone.indicators)
    assert repr(shared.gradients) == repr(alone.gradients)
    assert shared.notes == alone.notes


def test_practice_files_written_from_the_workers_text_are_those_written_from_the_rows(
    system_extract, tmp_path, monkeypatch
):
    """The workers make each practice's file text beside its rows, and writing joins it;
    the files are byte for byte those written from the rows, one practice or several per
    worker."""
    from gpequity.hna import results

    monkeypatch.setattr(results, "PARALLEL_PRACTICES", 2)
    monkeypatch.setattr(results.os, "cpu_count", lambda: 2)
    for workers in (1, 2):
        monkeypatch.setattr(results.os, "cpu_count", lambda n=workers: n)
        result = hna.run(system_extract, as_of=AS_OF, focus=FOCUS)
        assert set(result.practices.texts) == {"practice_indicators", "practice_gradients"}
        joined = result.write(tmp_path / f"joined{workers}")
        result.practices.texts = {}  # the general way: from the rows
        plain = result.write(tmp_path / f"plain{workers}")
        for name in results.PRACTICE_FILES:
            assert (joined / name).read_bytes() == (plain / name).read_bytes(), name


def test_practice_cells_leave_their_exact_sums_as_text_until_they_are_added_up(system_extract):
    """The continuity scores' exact sums come as text; a system run's practice cells keep
    them so until each worker adds up its own practices, which gives the same counts."""
    from gpequity.hna.engine import EXACT_SUFFIX, compute_system_cells
    from gpequity.hna.extract import load_extract
    from gpequity.hna.indicators import default_indicators

    with load_extract(system_extract) as extract:
        _, _, by_practice = compute_system_cells(
            extract.patients, extract.appointments, as_of=AS_OF, indicators=default_indicators()
        )
    pending = by_practice.cells.pending
    assert pending and all(name.endswith(EXACT_SUFFIX) for name in pending)
    assert not any(name.endswith(EXACT_SUFFIX) for name in by_practice.cells.sums)
    everyone = by_practice.rollup()
    for code in by_practice.codes:
        alone = by_practice.subset([code])
        assert len(next(iter(alone.cells.pending.values()))) == alone.cells.rows
        assert alone.rollup()[code] == everyone[code]
        assert any(c.sum_sq for c in everyone[code])  # the scores' squares were summed


def test_practice_tables_from_columns_are_those_made_row_by_row(system_extract):
    """ADR 28: from the cells not yet added up, the practice indicators are made a column at
    a time; rows, gradients, notes and file text are those made from each practice's
    ``GroupCount`` rows one row at a time."""
    from gpequity.hna import results
    from gpequity.hna.engine import compute_system_cells
    from gpequity.hna.extract import load_extract
    from gpequity.hna.indicators import default_indicators

    with load_extract(system_extract) as extract:
        _, plan, by_practice = compute_system_cells(
            extract.patients, extract.appointments, as_of=AS_OF, indicators=default_indicators()
        )
    info = [results.IndicatorInfo(d.id, d.kind) for d in plan.indicators]
    by_columns = results.practice_tables(by_practice, info, workers=1)
    by_rows = results.practice_tables(by_practice.rollup(), info, workers=1)
    assert not isinstance(by_columns._indicators, list)  # made as columns
    assert isinstance(by_rows._indicators, list)
    assert by_columns.codes == by_rows.codes == by_practice.codes
    assert len(by_columns) == len(by_rows.indicators) > 0
    assert repr(by_columns.indicators) == repr(by_rows.indicators)
    assert repr(by_columns.gradients) == repr(by_rows.gradients)
    assert by_columns.notes == by_rows.notes
    assert by_columns.texts == by_rows.texts
