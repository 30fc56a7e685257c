"""Background tasks of the HNA area (run by `gpequity manage db_worker`; ADR 17)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_hna(run_id: str, attempt: int) -> str:
    """Validate the extract and run the health needs assessment for one ``Run``."""
    from .runs import run_body

    return run_body(run_id, attempt)
