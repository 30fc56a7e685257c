"""The engine counts inside the loader's DuckDB connection; the benchmark baselines read alike.

``gpequity.hna.run`` on a folder counts from the views the loader left in its connection
(no copy to Arrow and back). These tests hold that path to the Arrow path and to the
plain-Python twin, with deciles filled from LSOAs and with bad rows dropped, and hold the
twins' own CSV readers (used by ``make bench``) to the loader.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from gpequity.hna import run
from gpequity.hna.engine import DuckDBSource, compute_counts
from gpequity.hna.extract import load_extract
from gpequity.hna.indicators import default_indicators
from gpequity.hna.twin import (
    pandas_read_extract,
    plain_read_extract,
    twin_counts,
    twin_counts_from_arrow,
)

AS_OF = date(2025, 3, 31)


def _key(rows):
    """Counts exactly; mean sums (floats added in any order) to 1e-9."""
    return sorted(
        (r.indicator, r.grouping, r.group, round(r.numerator, 9), r.denominator) for r in rows
    )


def test_counting_in_the_loader_connection_matches_arrow_and_twin(synth_extract):
    folder = synth_extract(1500, seed=7)
    ext = load_extract(folder)
    assert ext.report.completeness["imd_filled_from_lsoa"] > 0  # the fill join is exercised
    con, p_schema, a_schema = ext.duckdb_source()
    in_place, _ = compute_counts(
        DuckDBSource(con, p_schema, a_schema), as_of=AS_OF, indicators=default_indicators()
    )
    assert ext._patients is None  # counted without fetching a single row into Arrow
    arrow, _ = compute_counts(
        ext.patients, ext.appointments, as_of=AS_OF, indicators=default_indicators()
    )
    twin, _ = twin_counts_from_arrow(
        ext.patients, ext.appointments, as_of=AS_OF, indicators=default_indicators()
    )
    assert _key(in_place) == _key(arrow) == _key(twin)
    # Running twice on the same open extract gives the same answer (temp tables are reset).
    again, _ = compute_counts(
        DuckDBSource(con, p_schema, a_schema), as_of=AS_OF, indicators=default_indicators()
    )
    assert _key(again) == _key(in_place)
    ext.close()


def test_dropped_rows_are_left_out_of_the_in_place_count(synth_extract, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(synth_extract(400, seed=3), folder)
    lines = (folder / "patients.csv").read_text().splitlines(keepends=True)
    dropped_id = lines[5].split(",")[0]
    fields = lines[5].split(",")
    fields[1] = "old"
    lines[5] = ",".join(fields)
    (folder / "patients.csv").write_text("".join(lines))
    result = run(folder, as_of=AS_OF, drop_bad_rows=True)
    ext = load_extract(folder, drop_bad_rows=True)
    assert dropped_id not in ext.patients["patient_id"].to_pylist()
    assert dropped_id not in ext.appointments["patient_id"].to_pylist()
    twin, _ = twin_counts_from_arrow(
        ext.patients, ext.appointments, as_of=AS_OF, indicators=default_indicators()
    )
    overall = result.indicators[result.indicators["grouping"] == "overall"]
    twin_overall = {r.indicator: r.denominator for r in twin if r.grouping == "overall"}
    assert dict(zip(overall["indicator"], overall["denominator"], strict=True)) == twin_overall
    ext.close()


def test_a_closed_extract_refuses_to_fetch(synth_extract):
    ext = load_extract(synth_extract(50))
    ext.close()
    with pytest.raises(ValueError, match="closed"):
        _ = ext.patients


def test_the_plain_python_reader_matches_the_loader(synth_extract):
    folder = synth_extract(800, seed=11)
    patients, appointments, p_cols, a_cols = plain_read_extract(folder)
    with load_extract(folder) as ext:
        assert patients == ext.patients.to_pylist()
        assert appointments == ext.appointments.to_pylist()
        assert p_cols == ext.patients.column_names
        assert a_cols == ext.appointments.column_names
        rows, _ = twin_counts(patients, appointments, as_of=AS_OF, indicators=default_indicators())
        arrow, _ = twin_counts_from_arrow(
            ext.patients, ext.appointments, as_of=AS_OF, indicators=default_indicators()
        )
    assert _key(rows) == _key(arrow)


def test_the_pandas_reader_matches_the_loader(synth_extract):
    folder = synth_extract(800, seed=11)
    patients, appointments = pandas_read_extract(folder)
    with load_extract(folder) as ext:
        assert patients.equals(ext.patients)
        assert appointments is not None and appointments.equals(ext.appointments)


def test_the_baseline_readers_refuse_a_bad_cell(tmp_path, write_extract):
    folder = write_extract(tmp_path, [{"patient_id": "P1", "age": "40", "sex": "female",
                                       "homeless": "maybe"}])  # fmt: skip
    with pytest.raises(ValueError):
        plain_read_extract(folder)
    with pytest.raises(ValueError):
        pandas_read_extract(folder)
