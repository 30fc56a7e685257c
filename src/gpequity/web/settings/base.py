"""Settings shared by every configuration."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/gpequity/web
REPO_DIR = PACKAGE_DIR.parent.parent.parent
# Where `npm ci` put nhsuk-frontend, htmx and axe-core (the README's set-up does this).
NODE_MODULES = Path(os.environ.get("GPEQUITY_NODE_MODULES", REPO_DIR / "node_modules"))
NHSUK_DIST = NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk"
VAR_DIR = Path(os.environ.get("GPEQUITY_VAR_DIR", REPO_DIR / "var"))

SECRET_KEY = os.environ.get("GPEQUITY_SECRET_KEY", "dev-only-not-secret-change-me")
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "gpequity.web.core",
    "gpequity.web.audit",
    "gpequity.web.orgs",
    "gpequity.web.catalogue",
    "gpequity.web.assessment",
    "gpequity.web.focus",
    "gpequity.web.plans",
    "gpequity.web.reports",
    "gpequity.web.feedback",
    "gpequity.web.casestudies",
    "gpequity.web.directory",
    "gpequity.web.engagement",
    "gpequity.web.hna",
    "gpequity.web.network",
    "gpequity.web.staff",
    "gpequity.web.accounts",
    "gpequity.web.helpcentre",
]

MIDDLEWARE = [
    # First: routes /staff-feedback/ around sessions, CSRF, auth and messages (ADR 22).
    "gpequity.web.feedback.middleware.AnonymousZoneMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gpequity.web.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "gpequity.web.urls"
WSGI_APPLICATION = "gpequity.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gpequity.web.core.context.navigation",
            ],
            "builtins": ["gpequity.web.core.templatetags.nhsuk"],
        },
    }
]

# SQLite under concurrent writers (issue 22 finding 5; ADR 0018): write-ahead logging so
# readers never wait for a writer, BEGIN IMMEDIATE so a transaction takes the write lock at
# its start (a read-then-write transaction cannot then fail at once with "database is
# locked" when another writer got there first) and a 20 s busy timeout to wait for it.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "gpequity.sqlite3",
        "OPTIONS": dict(SQLITE_OPTIONS),
    }
}
if os.environ.get("GPEQUITY_DATABASE") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "gpequity"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    ("nhsuk", NHSUK_DIST),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
    PACKAGE_DIR / "static",
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# Uploaded evidence and imported spreadsheets: private, never served directly.
MEDIA_ROOT = VAR_DIR / "private"
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
# Practice extracts for the health needs assessment (ADR 17): the upload, and what a zip may
# unpack to; refused uploads keep nothing.
HNA_UPLOAD_MAX_BYTES = int(os.environ.get("GPEQUITY_HNA_UPLOAD_MAX_BYTES", 500 * 1024 * 1024))
HNA_UNZIPPED_MAX_BYTES = int(
    os.environ.get("GPEQUITY_HNA_UNZIPPED_MAX_BYTES", 4 * 1024 * 1024 * 1024)
)
HNA_KEEP_UPLOAD_HOURS = 24
HNA_WARM_CHARTS = True  # the worker draws a finished run's charts so its pages open at once
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "gpequity <no-reply@gpequity.invalid>"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Security defaults that hold everywhere; production tightens cookies and HTTPS.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Never log request bodies or patient data; keep the default handlers quiet.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# WhiteNoise serves collected files from STATIC_ROOT and, outside production, straight from
# the finders; make sure the folder exists so a fresh checkout starts cleanly.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Directory of local services: a listing unchecked this many months is "due a check", then
# "out of date".
DIRECTORY_STALE_MONTHS = (6, 12)

# --- Hardening (issue 22, ADR 0018) -----------------------------------------------------
# Sign-in lockout with django-axes: after AXES_FAILURE_LIMIT wrong passwords for one account
# from one address, that pair is locked for the cool-off time (or until staff unlock it:
# `gpequity manage unlock_sign_in USERNAME`). Attempts are counted in the database.
INSTALLED_APPS += ["axes"]  # noqa: F405
MIDDLEWARE += [  # noqa: F405
    "gpequity.web.core.middleware.NumberTooLargeMiddleware",
    "gpequity.web.core.middleware.IdleTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
    "gpequity.web.audit.middleware.AccessAuditMiddleware",
    "gpequity.web.orgs.middleware.AccessMemoMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("GPEQUITY_SIGNIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("GPEQUITY_SIGNIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "gpequity.web.core.signin.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins go to the audit trail instead
AXES_VERBOSE = False

# Sessions end after this long without a request (and after SESSION_COOKIE_AGE in any case).
SESSION_IDLE_SECONDS = 60 * int(os.environ.get("GPEQUITY_SESSION_IDLE_MINUTES", "60"))
SESSION_COOKIE_AGE = 60 * 60 * int(os.environ.get("GPEQUITY_SESSION_MAX_HOURS", "12"))

# Report PDF builds (issue 22, ADR 0029): how many may wait or run at once per person and per
# organisation (asked for by viewers; editors are held by their own limit only), and the
# lease after which a running build whose worker stopped is queued again or failed.
REPORT_BUILDS_PER_USER = int(os.environ.get("GPEQUITY_REPORT_BUILDS_PER_USER", "2"))
REPORT_BUILDS_PER_ORGANISATION = int(os.environ.get("GPEQUITY_REPORT_BUILDS_PER_ORG", "4"))
REPORT_BUILD_LEASE_SECONDS = int(os.environ.get("GPEQUITY_REPORT_BUILD_LEASE_SECONDS", "300"))
# Workbook and toolkit uploads nobody applied or cancelled are deleted after this many hours.
IMPORT_KEEP_HOURS = float(os.environ.get("GPEQUITY_IMPORT_KEEP_HOURS", "24"))

# Each process keeps what finished results always give (charts drawn, findings, a network's
# combined and per-practice disclosed tables; all keyed by what they are made from). An
# ICB's benchmark page keeps one entry per practice and indicator (about 15 KB each), so the
# default of 300 entries would hold barely one indicator of 200 practices.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 3000},
    }
}
