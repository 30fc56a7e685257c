"""Synthetic extracts: deterministic, valid, and carrying the planted inequalities."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.hna.extract import load_extract
from gpequity.synth import PLANTED, generate

AS_OF = date(2025, 3, 31)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A 40,000-patient extract: large enough for the planted gradients to show clearly."""
    out = tmp_path_factory.mktemp("synth_big")
    generate(40_000, seed=11, as_of=AS_OF, out=out)
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = generate(500, seed=5, as_of=AS_OF, out=tmp_path / "a")
    generate(500, seed=5, as_of=AS_OF, out=tmp_path / "b")
    generate(500, seed=6, as_of=AS_OF, out=tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert a.n_patients == 500 and a.patients_path.name == "patients.csv"
    assert a.planted == PLANTED


def test_parquet_is_deterministic_too(tmp_path):
    generate(300, seed=5, as_of=AS_OF, out=tmp_path / "a", format="parquet")
    generate(300, seed=5, as_of=AS_OF, out=tmp_path / "b", format="parquet")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert {p.name for p in (tmp_path / "a").iterdir()} == {
        "patients.parquet", "appointments.parquet"
    }  # fmt: skip


def test_line_numbers_hold_on_a_full_width_extract(big, tmp_path):
    """Every contract column, 40,000 rows: a bad cell near the end is reported on its own
    line. (On DuckDB 2 the loader's code-list tests become hash
    joins that reorder rows unless switched off; this reported line 1,356 then.)"""
    from gpequity.hna.validate import validate_extract

    lines = (big / "patients.csv").read_text().splitlines(keepends=True)
    fields = lines[39_989].split(",")
    fields[1] = "old"  # the age of the 39,989th patient, on line 39,990
    lines[39_989] = ",".join(fields)
    (tmp_path / "patients.csv").write_text("".join(lines))
    (issue,) = validate_extract(tmp_path).errors
    assert (issue.line, issue.column, issue.value) == (39_990, "age", "old")


def test_output_is_a_valid_extract(big):
    ext = load_extract(big)
    assert ext.report.ok and ext.report.warning_count == 0
    ids = ext.patients["patient_id"].to_pylist()
    assert ids[0] == "P0000001" and len(set(ids)) == len(ids)
    appts = ext.appointments
    assert 2.5 < appts.num_rows / ext.patients.num_rows < 3.5
    assert max(appts["date"].to_pylist()) <= AS_OF
    assert set(appts["clinician_id"].drop_null().to_pylist()) <= {f"C{i:03d}" for i in range(1, 23)}


def test_no_appointments_when_rate_is_zero(tmp_path):
    summary = generate(100, seed=1, as_of=AS_OF, out=tmp_path, appointments_per_patient=0)
    assert summary.appointments_path is None and not (tmp_path / "appointments.csv").exists()


def _by_decile(big: Path, sql: str) -> dict[int, float]:
    """Run ``sql`` (one row per decile: decile, value) on the raw CSVs with DuckDB."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW p AS SELECT * FROM read_csv('{big / 'patients.csv'}')")
    con.execute(f"CREATE VIEW a AS SELECT * FROM read_csv('{big / 'appointments.csv'}')")
    return dict(con.execute(sql).fetchall())


def test_planted_cervical_and_bowel_gradients(big):
    cervical = _by_decile(
        big,
        "SELECT imd_decile, avg((last_cervical_screen_date > DATE '2025-03-31' - INTERVAL 42 MONTH)"
        "::INT) FROM p WHERE sex = 'female' AND age BETWEEN 25 AND 49 AND imd_decile IS NOT NULL "
        "GROUP BY 1",
    )
    assert 0.14 < cervical[10] - cervical[1] < 0.26
    bowel = _by_decile(
        big,
        "SELECT imd_decile, avg(coalesce(last_bowel_screen_date > DATE '2025-03-31' "
        "- INTERVAL 30 MONTH, false)::INT) FROM p WHERE age BETWEEN 60 AND 74 "
        "AND imd_decile IS NOT NULL GROUP BY 1",
    )
    assert 0.12 < bowel[10] - bowel[1] < 0.28


def test_planted_ethnicity_recording_gap(big):
    blank = _by_decile(
        big,
        "SELECT imd_decile <= 2, avg((ethnicity IS NULL)::INT) FROM p "
        "WHERE imd_decile IS NOT NULL GROUP BY 1",
    )
    assert blank[True] > 0.17 and blank[False] < 0.08


def test_planted_dna_gradient_and_homeless(big):
    dna = _by_decile(
        big,
        "SELECT p.imd_decile <= 2, avg((status = 'dna')::INT) FROM a JOIN p USING (patient_id) "
        "WHERE status <> 'cancelled' AND p.imd_decile IS NOT NULL AND NOT p.homeless GROUP BY 1",
    )
    assert dna[True] > dna[False] + 0.025
    homeless = _by_decile(
        big,
        "SELECT p.homeless, avg((status = 'dna')::INT) FROM a JOIN p USING (patient_id) "
        "WHERE status <> 'cancelled' GROUP BY 1",
    )
    assert homeless[True] > 0.15


def test_planted_continuity_gradient(big):
    upc = _by_decile(
        big,
        "WITH gp AS (SELECT patient_id, clinician_id, count(*) n FROM a WHERE status = 'attended'"
        " AND clinician_role = 'gp' AND clinician_id IS NOT NULL GROUP BY 1, 2),"
        " per AS (SELECT patient_id, max(n) / sum(n) upc, sum(n) total FROM gp GROUP BY 1)"
        " SELECT p.imd_decile, avg(upc) FROM per JOIN p USING (patient_id)"
        " WHERE total >= 3 AND p.imd_decile IS NOT NULL GROUP BY 1",
    )
    assert upc[10] > upc[1] + 0.1


def test_planted_online_booking_age_gap(big):
    online = _by_decile(
        big,
        "SELECT p.age >= 75, avg((booked_via = 'online')::INT) FROM a JOIN p USING (patient_id)"
        " GROUP BY 1",
    )
    assert online[False] > 0.2 and online[True] < 0.08


def test_cli_writes_extract_and_prints_planted(tmp_path):
    result = CliRunner().invoke(
        app,
        ["synth", "--patients", "200", "--seed", "3", "--as-of", "2025-03-31", "--out",
         str(tmp_path), "--appointments-per-patient", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "patients.csv").exists() and (tmp_path / "appointments.csv").exists()
    assert "Planted inequalities" in result.output and "cervical_screening" in result.output
    bad = CliRunner().invoke(app, ["synth", "--patients", "10", "--out", str(tmp_path),
                                   "--as-of", "31/03/2025"])  # fmt: skip
    assert bad.exit_code != 0


def test_cli_refuses_an_out_it_cannot_write_before_generating(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for out, message in ((afile, "is a file, not a folder"), ("/proc/gpequity", "cannot write")):
        result = CliRunner().invoke(
            app, ["synth", "--patients", "10", "--as-of", "2025-03-31", "--out", str(out)]
        )
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
        assert message in flat and "Traceback" not in result.output
    assert afile.read_text() == "keep me"
