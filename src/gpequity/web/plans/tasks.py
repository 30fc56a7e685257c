"""Background tasks of the plans area (run by the worker, `gpequity manage db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_reminders() -> int:
    """Send today's plan reminders, then queue tomorrow morning's run."""
    from django.utils import timezone

    from .reminders import ensure_scheduled, send_due_reminders

    sent = send_due_reminders(today=timezone.localdate())
    ensure_scheduled()
    return sent
