"""`gpequity manage purge_uploads [--hours N]`: delete abandoned workbook uploads."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from gpequity.web.reports.uploads import keep_for, purge_abandoned_imports


class Command(BaseCommand):
    help = (
        "Delete workbook and toolkit uploads that were never applied or cancelled, once "
        "older than IMPORT_KEEP_HOURS (or --hours)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--hours", type=float, help="Age in hours (default: the setting).")

    def handle(self, *args, hours: float | None = None, **options) -> None:
        older_than = dt.timedelta(hours=hours) if hours is not None else keep_for()
        n = purge_abandoned_imports(older_than)
        self.stdout.write(f"Deleted {n} abandoned upload{'' if n == 1 else 's'}.")
