"""The demo and local development: SQLite in var/, console e-mail, debug off by default."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = os.environ.get("GPEQUITY_DEBUG", "") == "1"
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
