"""English IMD 2019 deciles by LSOA (2011), shipped with the package.

Many practice systems record a patient's LSOA but not a deprivation decile, so the extract
reader fills a blank ``imd_decile`` from this table. The table is small (32,844 rows) and read
once per process.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import as_file, files
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

IMD_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Ministry of Housing, Communities and Local Government, "
    "English Indices of Deprivation 2019."
)
"""The Open Government Licence attribution that must accompany any use of the deciles."""

DATA_FILE = "imd2019_lsoa11_deciles.csv.gz"
IMD_SCHEMA = pa.schema([pa.field("lsoa11cd", pa.string()), pa.field("imd_decile", pa.int8())])


@cache
def lsoa_deciles() -> pa.Table:
    """Return the IMD 2019 table: columns ``lsoa11cd`` (string) and ``imd_decile`` (int8).

    Cached: callers must not mutate it (Arrow tables are immutable anyway).
    """
    resource = files("gpequity.hna").joinpath("data", DATA_FILE)
    with resource.open("rb") as raw, gzip.open(raw) as text:
        table = pacsv.read_csv(
            text,
            convert_options=pacsv.ConvertOptions(
                column_types={"lsoa11cd": pa.string(), "imd_decile": pa.int8()}
            ),
        )
    return table.select(IMD_SCHEMA.names).cast(IMD_SCHEMA)


def create_duckdb_table(con: Any, name: str = "imd_ref") -> None:
    """Load the table into a DuckDB connection as temp table ``name`` (same columns/types).

    DuckDB reads the shipped gzip CSV itself: registering the Arrow table would import
    pyarrow.dataset and with it pandas (0.2-0.3 s, a fifth of a small practice's run).
    """
    resource = files("gpequity.hna").joinpath("data", DATA_FILE)
    with as_file(resource) as path:
        quoted = "'" + str(path).replace("'", "''") + "'"  # no bound parameter: it loads pandas
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            f"SELECT lsoa11cd, CAST(imd_decile AS TINYINT) AS imd_decile FROM read_csv({quoted}, "
            "header = true, auto_detect = false, "
            "columns = {'lsoa11cd': 'VARCHAR', 'imd_decile': 'VARCHAR'})"
        )


def decile_for(lsoa: str | None) -> int | None:
    """Look up one LSOA code (case and surrounding spaces ignored); None when unknown.

    For single lookups (forms, tests); the extract reader joins the whole table in DuckDB.
    """
    if lsoa is None:
        return None
    return _lookup().get(lsoa.strip().upper())


@cache
def _lookup() -> dict[str, int]:
    table = lsoa_deciles()
    return dict(zip(table["lsoa11cd"].to_pylist(), table["imd_decile"].to_pylist(), strict=True))
