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

from gpequity import ods
from gpequity.web.audit.services import audit_record

from . import access
from .models import ROLES_FOR_KIND, Invitation, Membership, Organisation, OrgKind, Role

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


# The role of an organisation's first lead, who then invites everyone else.
LEAD_ROLE = {
    OrgKind.PRACTICE: Role.EQUITY_LEAD,
    OrgKind.PCN: Role.NETWORK_LEAD,
    OrgKind.ICB: Role.ANALYST,
}


def _require_staff(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied("Only site staff create organisations.")


def organisation_problems(
    *, kind: str, ods_code: str, name: str, parent_ods_code: str = ""
) -> dict[str, str]:
    """Field name -> what is wrong, for one organisation about to be created."""
    problems: dict[str, str] = {}
    code = ods.normalise(ods_code)
    if kind not in ods.KINDS:
        problems["kind"] = f"Choose one of {', '.join(ods.KINDS)}."
    elif (msg := ods.code_problem(code, kind)) is not None:
        problems["ods_code"] = msg[0].upper() + msg[1:] + "."
    elif Organisation.objects.filter(ods_code=code).exists():
        problems["ods_code"] = f"An organisation with the ODS code {code} already exists."
    if not name.strip():
        problems["name"] = "Enter the organisation's name."
    parent_code = ods.normalise(parent_ods_code)
    if parent_code and kind in ods.KINDS:
        parent = Organisation.objects.filter(ods_code=parent_code).first()
        if parent is None:
            problems["parent"] = f"No organisation has the ODS code {parent_code}."
        elif (msg := ods.parent_problem(kind, parent.kind)) is not None:
            problems["parent"] = msg[0].upper() + msg[1:] + "."
    return problems


@transaction.atomic
def organisation_add(
    *, actor, kind: str, ods_code: str, name: str, parent_ods_code: str = ""
) -> Organisation:
    """Create an organisation after checking its code's shape, uniqueness and parent (staff)."""
    _require_staff(actor)
    problems = organisation_problems(
        kind=kind, ods_code=ods_code, name=name, parent_ods_code=parent_ods_code
    )
    if problems:
        raise ValidationError(problems)
    code = ods.normalise(parent_ods_code)
    parent = Organisation.objects.get(ods_code=code) if code else None
    org = organisation_create(kind=kind, ods_code=ods_code, name=name.strip(), parent=parent)
    audit_record(
        actor=actor,
        organisation=org,
        entity="organisation",
        entity_id=org.pk,
        verb="created",
        after={"ods_code": org.ods_code, "name": org.name, "kind": org.kind, "parent": code},
    )
    return org


def organisations_preview(text: str) -> tuple[list[ods.OrgRow], list[ods.Problem]]:
    """Check a bulk-load CSV against what is stored (nothing is written)."""
    existing = dict(Organisation.objects.values_list("ods_code", "kind"))
    return ods.read_organisations_csv(text, existing=existing)


class BulkLoadFailed(ValidationError):
    def __init__(self, problems: list[ods.Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


@transaction.atomic
def organisations_import(*, actor, text: str) -> list[Organisation]:
    """Create every organisation in the CSV, or none (raises BulkLoadFailed)."""
    _require_staff(actor)
    rows, problems = organisations_preview(text)
    if problems:
        raise BulkLoadFailed(problems)
    created = []
    for row in ods.in_parent_order(rows):
        created.append(
            organisation_add(
                actor=actor,
                kind=row.kind,
                ods_code=row.ods_code,
                name=row.name,
                parent_ods_code=row.parent_ods_code,
            )
        )
    return created


def find_user_by_email(email: str):
    User = get_user_model()
    email = email.strip().lower()
    return (
        User.objects.filter(username__iexact=email).first()
        or User.objects.filter(email__iexact=email).order_by("pk").first()
    )


@transaction.atomic
def member_add(
    *, actor, organisation: Organisation, email: str, role: str, base_url: str
) -> tuple[str, Membership | Invitation]:
    """Give an existing account the role now, or invite the address.

    Returns ("added", membership) or ("invited", invitation).
    """
    if not access.can(actor, organisation, access.MANAGE):
        raise PermissionDenied
    if role not in ROLES_FOR_KIND[OrgKind(organisation.kind)]:
        raise ValidationError(f"{role} is not a role at a {organisation.get_kind_display()}.")
    user = find_user_by_email(email)
    if user is None:
        invitation, _ = invitation_create(
            actor=actor, organisation=organisation, email=email, role=role, base_url=base_url
        )
        return "invited", invitation
    membership = membership_set(user=user, organisation=organisation, role=role)
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="membership",
        entity_id=user.pk,
        verb="added",
        after={"role": role},
    )
    return "added", membership


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
