"""Security headers on every response (CSP with no third-party origins)."""

from __future__ import annotations

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


PERMISSIONS = "camera=(), microphone=(), geolocation=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


class IdleTimeoutMiddleware:
    """Sign a person out after ``SESSION_IDLE_SECONDS`` without a request (issue 22).

    The time of the last request is kept in the session, rewritten at most once a minute so
    that reading pages does not turn into a database write per request.
    """

    KEY = "gpequity_last_seen"
    RESOLUTION = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        from django.conf import settings
        from django.contrib import messages
        from django.contrib.auth import logout

        user = getattr(request, "user", None)
        idle = int(getattr(settings, "SESSION_IDLE_SECONDS", 0) or 0)
        if idle and user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - int(last) > idle:
                logout(request)
                minutes = max(1, idle // 60)
                messages.info(
                    request,
                    f"You were signed out after {minutes} minutes without activity. "
                    "Sign in again to carry on.",
                )
            elif last is None or now - int(last) >= self.RESOLUTION:
                request.session[self.KEY] = now
        return self.get_response(request)


class NumberTooLargeMiddleware:
    """A number in the address too large for the database (``?version=99999999999999999999``
    or ``/versions/99999999999999999999/``) is a bad request (400), not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import DataError
        from django.shortcuts import render

        too_large = isinstance(exception, OverflowError) or (
            isinstance(exception, DataError) and "out of range" in str(exception)
        )
        if not too_large:
            return None
        return render(request, "400.html", status=400)
