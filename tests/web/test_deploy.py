"""The production settings pass Django's deployment checks and harden cookies and headers."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys


def _production_env() -> dict[str, str]:
    # The test process allows async-unsafe calls for Playwright; a server never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="gpequity.web.settings.production",
        GPEQUITY_SECRET_KEY=secrets.token_urlsafe(50),
        GPEQUITY_ALLOWED_HOSTS="gpequity.example.org",
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_hardened():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.DATABASES['default']['ENGINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "django.db.backends.postgresql",
    ]


def test_a_server_process_reads_the_url_configuration_as_it_starts():
    # Otherwise the first person to open a page in each new process waits about a second
    # while every area's views are imported.
    code = (
        "import sys; import gpequity.web.wsgi; "
        "print('gpequity.web.urls' in sys.modules, 'gpequity.web.network.views' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=_production_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
