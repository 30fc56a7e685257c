"""Exports of a run: the CLI's four files byte for byte, and the XLSX workbook (ADR 17)."""

from __future__ import annotations

import json
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


def xlsx_bytes(run: Run) -> bytes:
    """The results as a workbook: the findings, then the two DATA.md tables (values as
    numbers, blanks empty), with a sheet saying what the run used."""
    import io

    from openpyxl import Workbook

    from gpequity.findings import find

    from .presenters import definitions

    rows, grads = selectors.indicator_rows(run), selectors.gradient_rows(run)
    wb = Workbook()
    about = wb.active
    about.title = "About"
    for line in (
        ("Practice", f"{run.organisation.name} ({run.organisation.ods_code})"),
        ("As of", run.as_of.isoformat()),
        ("Extract fingerprint (SHA-256)", run.fingerprint),
        ("Focus criteria", json.dumps(run.focus_criteria) if run.focus_criteria else "none"),
        ("gpequity version", run.gpequity_version),
        ("Figures", "Exact, for the practice only: do not share beyond the practice."),
    ):
        about.append(line)
    sheet = wb.create_sheet("Findings")
    sheet.append(["Rank", "Indicator", "Group", "Finding", "Patients to act on", "Actions"])
    for n, f in enumerate(
        find(rows, definitions=definitions(run), pack=run.organisation.framework), 1
    ):
        sheet.append(
            [
                n,
                f.indicator_title,
                f.group_label,
                _cell(f.sentence),
                f.patients_to_act_on,
                _cell("; ".join(f"{a.code}: {a.title}" if a.code else a.title for a in f.actions)),
            ]
        )
    for name, table, columns in (
        ("indicators", rows, core_results.INDICATOR_COLUMNS),
        ("gradients", grads, core_results.GRADIENT_COLUMNS),
    ):
        ws = wb.create_sheet(name)
        ws.append(list(columns))
        for r in table:
            ws.append([r[c] for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection guidance)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
