"""Sign-in protection and its audit trail (issue 22; ADR 0018).

django-axes counts failed sign-ins per account and address and refuses further attempts
once ``AXES_FAILURE_LIMIT`` is reached, until the cool-off time passes or staff unlock the
account (``unlock``). This module writes every sign-in, failure, lockout, unlock and
sign-out to the audit trail and renders the lockout page.

Only an account's username is recorded for a failure, and only when such an account exists:
what someone typed into the username box may be anything (even a password).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.shortcuts import render

from gpequity.web.audit.services import audit_record

ENTITY = "sign_in"


def _account(username: str | None):
    if not username:
        return None
    User = get_user_model()
    return User.objects.filter(**{User.USERNAME_FIELD: username[:150]}).first()


def lockout_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def locked_out(request: HttpRequest, response: Any = None, credentials: Any = None):
    """The page shown instead of signing in while an account is locked (429)."""
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "lockout_minutes": lockout_minutes()},
        status=429,
    )


def _record(actor, verb: str, note: str = "") -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            organisation=None,
            entity=ENTITY,
            verb=verb,
            note=note,
            actor_name=None if actor else "unknown account",
        )


def _over_http(request) -> bool:
    """A sign-in or out that came over HTTP (every real one: the sign-in page, an accepted
    invitation), not a programmatic ``login()`` with a bare request (test fixtures)."""
    return request is not None and bool(getattr(request, "META", {}).get("REMOTE_ADDR"))


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs) -> None:
    if _over_http(request):
        _record(user, "signed_in")


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None and _over_http(request):
        _record(user, "signed_out")


@receiver(user_login_failed)
def _failed(sender, credentials: dict, request=None, **kwargs) -> None:
    account = _account(credentials.get("username"))
    _record(account, "failed", note="" if account else "no account with that username")


def _locked(sender, request, username, ip_address, **kwargs) -> None:
    account = _account(username)
    _record(
        account,
        "locked_out",
        note=f"locked for {lockout_minutes()} minutes after {settings.AXES_FAILURE_LIMIT} "
        "failed sign-ins",
    )


def connect() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked, dispatch_uid="gpequity-sign-in-locked")


def unlock(*, actor, username: str) -> int:
    """Lift the lockout of ``username`` (every address); returns how many locks were lifted.
    Audited with the staff member who did it."""
    from axes.utils import reset

    with transaction.atomic():
        lifted = reset(username=username)
        audit_record(
            actor=actor,
            organisation=None,
            entity=ENTITY,
            verb="unlocked",
            after={"username": username[:150], "locks": lifted},
            note=f"sign-in unlocked for {username[:100]}",
        )
    return lifted
