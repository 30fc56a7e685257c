"""Shared HNA fixtures: write small extracts from rows, and cached synthetic extracts.

Generic on purpose (the engine tests use them too):

- ``write_extract(tmp_path, patients_rows, appointments_rows=None)`` writes a folder with
  patients.csv (and appointments.csv) and returns the folder. Rows are dicts (the header is
  the union of their keys, in first-seen order; missing keys are blank) or a string written
  byte for byte as the whole file.
- ``synth_extract(n, seed=1, ...)`` returns the folder of a synthetic extract of ``n``
  patients, generated once per session for each set of arguments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from gpequity.synth import generate

Rows = list[dict[str, object]] | str | bytes


def _render(rows: Rows) -> bytes:
    if isinstance(rows, bytes):
        return rows
    if isinstance(rows, str):
        return rows.encode("utf-8")
    header: dict[str, None] = {}
    for row in rows:
        header.update(dict.fromkeys(row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


def write_extract_files(
    folder: Path, patients_rows: Rows, appointments_rows: Rows | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_bytes(_render(patients_rows))
    if appointments_rows is not None:
        (folder / "appointments.csv").write_bytes(_render(appointments_rows))
    return folder


@pytest.fixture
def write_extract() -> Callable[..., Path]:
    """Return ``write(tmp_path, patients_rows, appointments_rows=None) -> folder``."""

    def write(tmp_path: Path, patients_rows: Rows, appointments_rows: Rows | None = None) -> Path:
        return write_extract_files(Path(tmp_path) / "extract", patients_rows, appointments_rows)

    return write


@pytest.fixture(scope="session")
def synth_extract(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Return ``make(n, *, seed=1, as_of=..., appointments_per_patient=3.0, format="csv")``."""
    cache: dict[tuple, Path] = {}

    def make(
        n: int,
        *,
        seed: int = 1,
        as_of: date = date(2025, 3, 31),
        appointments_per_patient: float = 3.0,
        format: str = "csv",  # noqa: A002 - mirrors generate()
    ) -> Path:
        key = (n, seed, as_of, appointments_per_patient, format)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"synth{n}_{seed}")
            generate(
                n,
                seed=seed,
                as_of=as_of,
                out=out,
                appointments_per_patient=appointments_per_patient,
                format=format,  # type: ignore[arg-type]
            )
            cache[key] = out
        return cache[key]

    return make
