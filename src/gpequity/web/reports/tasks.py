"""Background tasks of the reports area (run by `gpequity manage db_worker`; ADR 9)."""

from __future__ import annotations

from django_tasks import task


@task()
def build_report_pdf(build_id: str, attempt: int = 1) -> int:
    """Build the practice equity report PDF for one ``ReportBuild`` (one attempt of it)."""
    from .builds import run_build

    return run_build(build_id, attempt)
