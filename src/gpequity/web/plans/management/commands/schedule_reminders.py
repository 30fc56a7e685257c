"""Queue the daily plan reminders for the background worker (``gpequity serve`` does this
itself; run it once on a server whose worker is started separately)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gpequity.web.plans.reminders import ensure_scheduled


class Command(BaseCommand):
    help = "Queue the daily plan reminders for the background worker."

    def handle(self, *args, **options):
        if ensure_scheduled():
            self.stdout.write("Reminders queued for 07:00; they then queue themselves daily.")
        else:
            self.stdout.write("Reminders were already queued (or this task backend cannot wait).")
