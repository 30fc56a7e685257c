"""Background tasks of the HNA area (run by `gpequity manage db_worker`; ADR 17)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_hna(run_id: str, attempt: int) -> str:
    """Validate the extract and run the health needs assessment for one ``Run``."""
    from .runs import run_body

    return run_body(run_id, attempt)


@task()
def build_hna_report_pdf(build_id: str, attempt: int = 1) -> int:
    """Build one run's report PDF for one ``ReportPdf`` (one attempt of it; ADR 9, ADR 29)."""
    from .report_pdf import run_build

    return run_build(build_id, attempt)
