"""WSGI entry point for gunicorn: `gunicorn gpequity.web.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpequity.web.settings.production")
application = get_wsgi_application()
