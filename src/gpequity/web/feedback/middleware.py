"""The writer's URL space, kept outside sessions, cookies, logs and the audit trail (ADR 22).

``AnonymousZoneMiddleware`` goes FIRST in ``MIDDLEWARE``. For paths under ``ZONE`` it resolves
the view and calls it itself, so the session, CSRF, authentication and messages middleware
never run: nothing reads or writes a session, ``request.user`` does not exist, no cookie is
set. It adds its own security headers instead, drops any ``Set-Cookie`` a view might add, and
marks the response as logged so ``django.request`` does not log it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.http import HttpResponsePermanentRedirect
from django.urls import resolve

from gpequity.web.core.middleware import CSP, PERMISSIONS

ZONE = "/staff-feedback/"

HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CSP,
    "Permissions-Policy": PERMISSIONS,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def in_zone(path: str) -> bool:
    return path.startswith(ZONE)


class AnonymousZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not in_zone(request.path_info):
            return self.get_response(request)
        # Whatever the browser sent, the views below never see a cookie.
        request.COOKIES = {}
        request.META.pop("HTTP_COOKIE", None)
        # What SecurityMiddleware would have done: HTTPS only where the site asks for it.
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return self._headers(
                HttpResponsePermanentRedirect(
                    f"https://{request.get_host()}{request.get_full_path()}"
                )
            )
        try:
            match = resolve(request.path_info)
            request.resolver_match = match
            response = match.func(request, *match.args, **match.kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        except Exception as exc:  # noqa: BLE001 - the same conversion Django's handler does
            response = response_for_exception(request, exc)
        response = self._headers(response)
        if settings.SECURE_HSTS_SECONDS and request.is_secure():
            hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                hsts += "; includeSubDomains"
            response.headers["Strict-Transport-Security"] = hsts
        return response

    @staticmethod
    def _headers(response):
        response.cookies.clear()
        for name, value in HEADERS.items():
            response.headers[name] = value
        response.headers.pop("Vary", None)
        response._has_been_logged = True  # django.request.log_response skips it
        return response


class DropAnonymousZoneRecords(logging.Filter):
    """Drop log records about the writer's pages (access log lines and request warnings)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None) or getattr(request, "path_info", None)
        if isinstance(path, str) and in_zone(path):
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            return True
        return ZONE not in message


class MemoryRateLimit:
    """At most ``limit`` actions per client in a ``window`` of seconds, held in this process's
    memory only. The client address is keyed with a random per-process secret, so the table
    holds no address and is lost on restart. Nothing goes to the database, cache or logs."""

    def __init__(self, *, limit: int, window: int = 600):
        self.limit = limit
        self.window = window
        self._key = secrets.token_bytes(32)
        self._buckets: dict[bytes, list[float]] = {}
        self._lock = threading.Lock()

    def _bucket_key(self, request, scope: str) -> bytes:
        client = request.META.get("REMOTE_ADDR", "")
        return hmac.new(self._key, f"{scope}|{client}".encode(), hashlib.sha256).digest()

    def hit(self, request, scope: str) -> bool:
        """Count one action; False when the client is over the limit."""
        now = time.monotonic()
        key = self._bucket_key(request, scope)
        with self._lock:
            for k in [k for k, v in self._buckets.items() if v and v[-1] < now - self.window]:
                del self._buckets[k]
            times = [t for t in self._buckets.get(key, []) if t >= now - self.window]
            if len(times) >= self.limit:
                self._buckets[key] = times
                return False
            times.append(now)
            self._buckets[key] = times
            return True

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
