"""Writes for a person's own settings: API tokens (create, revoke, use) and reminders."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gpequity.web.audit.services import audit_record

from .models import ApiToken, Frequency, ReminderPreference

TOKEN_PREFIX = "gpe_"
MAX_TOKENS = 20


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor, name: str, expires_on: dt.date | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``actor`` themself. Returns (token row, the token: shown once)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, such as what will use it."})
    if expires_on is not None and expires_on <= timezone.localdate():
        raise ValidationError({"expires_on": "The expiry date must be in the future."})
    if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= MAX_TOKENS:
        raise ValidationError({"name": f"You have {MAX_TOKENS} tokens: revoke one first."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = None
    if expires_on is not None:
        expires_at = timezone.make_aware(dt.datetime.combine(expires_on, dt.time.min))
    token = ApiToken.objects.create(
        user=actor,
        name=name[:100],
        token_hash=token_hash(raw),
        prefix=raw[:10],
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        organisation=None,
        entity="api_token",
        entity_id=token.pk,
        verb="created",
        after={"name": token.name, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise PermissionDenied
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        organisation=None,
        entity="api_token",
        entity_id=token.pk,
        verb="revoked",
        before={"name": token.name},
    )


def token_user(raw: str, *, method: str = "", path: str = ""):
    """The active user a live token belongs to, or None. Each use is audited."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        audit_record(
            actor=token.user,
            organisation=None,
            entity="api_token",
            entity_id=token.pk,
            verb="used",
            note=f"{method} {path}"[:300],
        )
    return token.user


def reminder_preference(user) -> ReminderPreference:
    pref, _ = ReminderPreference.objects.get_or_create(user=user)
    return pref


@transaction.atomic
def reminder_preference_set(*, actor, frequency: str, days_ahead: int) -> ReminderPreference:
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": "Choose how often."})
    if not 1 <= days_ahead <= 90:
        raise ValidationError({"days_ahead": "Enter a number of days from 1 to 90."})
    pref = reminder_preference(actor)
    before = {"frequency": pref.frequency, "days_ahead": pref.days_ahead}
    pref.frequency, pref.days_ahead = frequency, days_ahead
    pref.save(update_fields=["frequency", "days_ahead"])
    audit_record(
        actor=actor,
        organisation=None,
        entity="reminder_preference",
        entity_id=actor.pk,
        verb="updated",
        before=before,
        after={"frequency": frequency, "days_ahead": days_ahead},
    )
    return pref
