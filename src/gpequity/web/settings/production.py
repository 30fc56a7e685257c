"""Server configuration: PostgreSQL, HTTPS only, secure cookies, security headers.

Required environment: GPEQUITY_SECRET_KEY, GPEQUITY_ALLOWED_HOSTS (comma-separated) and the
libpq variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD.
"""

import os

from .base import *  # noqa: F403

SECRET_KEY = os.environ["GPEQUITY_SECRET_KEY"]
ALLOWED_HOSTS = [h for h in os.environ.get("GPEQUITY_ALLOWED_HOSTS", "").split(",") if h]
DEBUG = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "gpequity"),
        "USER": os.environ.get("PGUSER", "gpequity"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "CONN_MAX_AGE": 60,
    }
}
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
