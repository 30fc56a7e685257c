"""Exports of a run: the CLI's four files byte for byte, and the XLSX workbook (ADR 17)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gpequity.hna import results as core_results

from . import selectors
from .models import Run


def cli_files(run: Run) -> dict[str, bytes]:
    """``indicators.csv``, ``gradients.csv``, ``indicators.json``, ``gradients.json`` as
    ``gpequity hna run --out`` writes them, by the same writer, from the stored rows."""
    with tempfile.TemporaryDirectory(prefix="gpequity-hna-export-") as tmp:
        out = core_results.write_outputs(
            Path(tmp) / "out", selectors.indicator_rows(run), selectors.gradient_rows(run)
        )
        return {name: (out / name).read_bytes() for name in core_results.OUTPUT_FILES}
