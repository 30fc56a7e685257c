"""Exports of a run: the CLI's four files byte for byte, and the XLSX workbook (ADR 17)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gpequity.hna import results as core_results

from . import selectors
from .models import Run


def _run_info(run: Run):
    from gpequity.hna.runinfo import RunInfo

    return RunInfo.from_dict(run.run_info) if run.run_info else None


def cli_files(run: Run) -> dict[str, bytes]:
    """``indicators.csv``, ``gradients.csv``, ``indicators.json``, ``gradients.json`` and
    ``run.json`` as ``gpequity hna run --out`` writes them, by the same writer, from the
    stored rows and run record."""
    with tempfile.TemporaryDirectory(prefix="gpequity-hna-export-") as tmp:
        out = core_results.write_outputs(
            Path(tmp) / "out",
            selectors.indicator_rows(run),
            selectors.gradient_rows(run),
            run_info=_run_info(run),
        )
        return {p.name: p.read_bytes() for p in out.iterdir()}


def xlsx_bytes(run: Run) -> bytes:
    """The results workbook the CLI writes (``gpequity.hna.xlsx``): findings, both tables
    with readable labels, and what the run used."""
    from gpequity.findings import find
    from gpequity.hna.xlsx import results_workbook

    from .presenters import definitions

    rows, grads = selectors.indicator_rows(run), selectors.gradient_rows(run)
    defs = definitions(run)
    return results_workbook(
        rows,
        grads,
        definitions=defs,
        findings=find(rows, definitions=defs, pack=run.organisation.framework),
        run_info=_run_info(run),
    )
