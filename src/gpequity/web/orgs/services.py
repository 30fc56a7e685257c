"""Writes for organisations, memberships and invitations (each in one transaction)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from gpequity.web.audit.services import audit_record

from . import access
from .models import ROLES_FOR_KIND, Invitation, Membership, Organisation, OrgKind

INVITATION_DAYS = 14


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def organisation_create(
    *, kind: str, ods_code: str, name: str, parent: Organisation | None = None
) -> Organisation:
    ods_code = ods_code.strip().upper()
    if kind == OrgKind.PRACTICE and parent is not None and parent.kind != OrgKind.PCN:
        raise ValidationError("A practice's parent must be a PCN.")
    return Organisation.objects.create(kind=kind, ods_code=ods_code, name=name, parent=parent)


@transaction.atomic
def membership_set(*, user, organisation: Organisation, role: str) -> Membership:
    if role not in ROLES_FOR_KIND[OrgKind(organisation.kind)]:
        raise ValidationError(f"{role} is not a role at a {organisation.get_kind_display()}.")
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership


@transaction.atomic
def invitation_create(
    *, actor, organisation: Organisation, email: str, role: str, base_url: str
) -> tuple[Invitation, str]:
    """Create an invitation and e-mail its one-time link. Returns (invitation, raw token)."""
    if not access.can(actor, organisation, access.MANAGE):
        raise PermissionDenied
    if role not in ROLES_FOR_KIND[OrgKind(organisation.kind)]:
        raise ValidationError(f"{role} is not a role at a {organisation.get_kind_display()}.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email.strip().lower(),
        role=role,
        token_hash=_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    link = base_url.rstrip("/") + reverse("orgs:accept_invitation", args=[token])
    role_label = dict(access.Role.choices)[role]
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {organisation.name} on gpequity",
            f"{actor.get_full_name() or actor.get_username()} has invited you to join "
            f"{organisation.name} on gpequity as {role_label}.\n\n"
            f"Open this link to accept (it works once and expires in {INVITATION_DAYS} days):\n"
            f"{link}\n",
            None,
            [invitation.email],
        )
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="invitation",
        entity_id=invitation.pk,
        verb="created",
        after={"email": invitation.email, "role": role},
    )
    return invitation, token


def invitation_lookup(token: str) -> Invitation | None:
    inv = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_hash(token), accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if inv is None or inv.expires_at < timezone.now():
        return None
    return inv


@transaction.atomic
def invitation_accept(*, token: str, user=None, password: str | None = None, full_name: str = ""):
    """Accept an invitation as the signed-in user, or create the account it was sent to."""
    inv = invitation_lookup(token)
    if inv is None:
        raise ValidationError("This invitation has expired, been used or been withdrawn.")
    User = get_user_model()
    if user is None or not user.is_authenticated:
        if User.objects.filter(username=inv.email).exists():
            raise ValidationError("An account with this email exists: sign in first.")
        first, _, last = full_name.strip().partition(" ")
        user = User.objects.create_user(
            username=inv.email, email=inv.email, password=password, first_name=first, last_name=last
        )
    membership_set(user=user, organisation=inv.organisation, role=inv.role)
    inv.accepted_at = timezone.now()
    inv.save(update_fields=["accepted_at"])
    audit_record(
        actor=user,
        organisation=inv.organisation,
        entity="membership",
        entity_id=user.pk,
        verb="joined",
        after={"role": inv.role},
    )
    return user


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    org = membership.organisation
    if not access.can(actor, org, access.MANAGE):
        raise PermissionDenied
    if membership.user_id == actor.pk:
        raise ValidationError("You cannot remove yourself.")
    audit_record(
        actor=actor,
        organisation=org,
        entity="membership",
        entity_id=membership.user_id,
        verb="removed",
        before={"role": membership.role},
    )
    membership.delete()
