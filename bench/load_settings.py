"""Settings for `make bench-load`: production settings, on PostgreSQL (the default) or, with
BENCH_DB=sqlite, on the embedded SQLite default exactly as base.py configures it."""

import os
from pathlib import Path

from gpequity.web.settings.base import DATABASES as EMBEDDED  # noqa: F401
from gpequity.web.settings.production import *  # noqa: F403

if os.environ.get("BENCH_DB") == "sqlite":
    DATABASES = {"default": {**EMBEDDED["default"]}}  # noqa: F405

# Collected (and compressed) static files are kept between runs: collecting them takes minutes.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT))  # noqa: F405
