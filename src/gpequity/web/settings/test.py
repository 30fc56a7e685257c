"""Tests: SQLite by default; PostgreSQL when GPEQUITY_DATABASE=postgres (see Makefile)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES

_TMP = Path(tempfile.mkdtemp(prefix="gpequity-test-"))
MEDIA_ROOT = _TMP / "private"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = _TMP / "test.sqlite3"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# HNA runs in tests do not pre-draw every chart (tests/web/hna checks the warming itself).
HNA_WARM_CHARTS = False
