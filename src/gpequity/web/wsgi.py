"""WSGI entry point for gunicorn: `gunicorn gpequity.web.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpequity.web.settings.production")
application = get_wsgi_application()

# Django reads the URL configuration (and so imports every area's views and API) at the first
# request a process serves: about a second, which a person would wait through on whatever page
# they opened first. Read it now, as the server process starts, instead.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
