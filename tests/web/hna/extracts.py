"""Synthetic practice extracts for the HNA web tests (``gpequity.synth``), as upload bytes."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from functools import cache
from pathlib import Path

AS_OF = dt.date(2026, 10, 1)
_TMP = Path(tempfile.mkdtemp(prefix="gpequity-hna-test-extracts-"))


@cache
def folder(n: int = 600, seed: int = 7, as_of: dt.date = AS_OF) -> Path:
    """A folder with patients.csv and appointments.csv (generated once per process)."""
    from gpequity.synth import generate

    out = _TMP / f"{n}-{seed}-{as_of}"
    generate(n, seed=seed, as_of=as_of, out=out)
    return out


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def files(n: int = 600, seed: int = 7, as_of: dt.date = AS_OF) -> dict[str, bytes]:
    base = folder(n, seed, as_of)
    return {name: (base / name).read_bytes() for name in ("patients.csv", "appointments.csv")}


def extract_zip(n: int = 600, seed: int = 7, as_of: dt.date = AS_OF) -> bytes:
    return zipped(files(n, seed, as_of))


def broken_patients(bad: dict[int, dict[str, str]], n: int = 600) -> bytes:
    """patients.csv with some cells replaced: ``bad`` maps a data line number (2 = first
    patient) to {column: new value}."""
    lines = files(n)["patients.csv"].decode().splitlines()
    header = lines[0].split(",")
    for line_no, cells in bad.items():
        values = lines[line_no - 1].split(",")
        for column, value in cells.items():
            values[header.index(column)] = value
        lines[line_no - 1] = ",".join(values)
    return ("\n".join(lines) + "\n").encode()
