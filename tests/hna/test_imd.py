"""The shipped IMD 2019 LSOA -> decile table and its licence attribution."""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import pytest

from gpequity.hna.imd import IMD_ATTRIBUTION, decile_for, lsoa_deciles

REFERENCE = Path("/work/shared/reference/imd2019_lsoa11_file1.csv")


def test_table_shape_and_deciles():
    table = lsoa_deciles()
    assert table.num_rows == 32_844
    assert table.column_names == ["lsoa11cd", "imd_decile"]
    codes = table["lsoa11cd"].to_pylist()
    assert len(set(codes)) == 32_844 and all(c.startswith("E01") for c in codes)
    deciles = table["imd_decile"].to_pylist()
    assert set(deciles) == set(range(1, 11))
    # Deciles are tenths of LSOAs: 3,284 or 3,285 each.
    assert all(3_284 <= deciles.count(d) <= 3_285 for d in range(1, 11))


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference file not available")
def test_agrees_with_the_published_file():
    with REFERENCE.open(encoding="utf-8-sig", newline="") as f:
        published = {
            r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Decile"])
            for r in csv.DictReader(f)
        }
    table = lsoa_deciles()
    shipped = dict(zip(table["lsoa11cd"].to_pylist(), table["imd_decile"].to_pylist(), strict=True))
    assert shipped == published


def test_single_lookup():
    assert decile_for("E01000001") == 9
    assert decile_for(" e01000002 ") == 10
    assert decile_for("E01999999") is None
    assert decile_for(None) is None


def test_attribution_is_in_the_data_readme():
    readme = files("gpequity.hna").joinpath("data", "README.md").read_text(encoding="utf-8")
    assert IMD_ATTRIBUTION in readme
    assert "Open Government Licence v3.0" in IMD_ATTRIBUTION


def test_the_duckdb_copy_of_the_table_is_the_shipped_table():
    import duckdb

    from gpequity.hna.imd import create_duckdb_table

    con = duckdb.connect()
    create_duckdb_table(con, "imd_ref")
    copy = con.sql("SELECT * FROM imd_ref ORDER BY lsoa11cd").to_arrow_table()
    shipped = lsoa_deciles().sort_by("lsoa11cd")
    assert copy.schema.types == shipped.schema.types and copy.equals(shipped)
