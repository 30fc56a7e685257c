"""Workbooks waiting between the import preview and apply (issue 22).

An uploaded practice workbook is kept in private storage under a random token that lives only
in the session, and deleted when applied or cancelled. One nobody applied or cancelled (a
closed tab, an expired session) would stay for ever: ``purge_abandoned_imports`` deletes
those older than ``IMPORT_KEEP_HOURS`` (default 24). The worker runs it before each report
build, a new upload runs it, and `gpequity manage purge_uploads` runs it on demand.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

FOLDER = "imports"


def pending_path(organisation_id: int, token: str) -> str:
    return f"{FOLDER}/{organisation_id}/{token}.xlsx"


def keep_for() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "IMPORT_KEEP_HOURS", 24)))


def purge_abandoned_imports(older_than: dt.timedelta | None = None) -> int:
    """Delete waiting workbooks (and the toolkit imports staff left) older than
    ``older_than`` (default ``IMPORT_KEEP_HOURS``); returns how many files went."""
    from gpequity.web.catalogue import uploads as catalogue_uploads

    older_than = keep_for() if older_than is None else older_than
    cutoff = timezone.now() - older_than
    deleted = 0
    if default_storage.exists(FOLDER):
        for folder in default_storage.listdir(FOLDER)[0]:
            for name in default_storage.listdir(f"{FOLDER}/{folder}")[1]:
                path = f"{FOLDER}/{folder}/{name}"
                try:
                    old = default_storage.get_modified_time(path) < cutoff
                except FileNotFoundError:  # applied or cancelled meanwhile
                    continue
                if old:
                    default_storage.delete(path)
                    deleted += 1
    return deleted + catalogue_uploads.purge_stale(older_than)
