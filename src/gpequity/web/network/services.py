"""Writes of the network area: a practice's sharing settings (ADR 0026)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, OrgKind

from .models import FIELDS, SharingSettings


class SharingConflict(Exception):
    """Someone else saved the settings since they were read."""


def sharing_update(
    *,
    actor,
    organisation: Organisation,
    settings: dict[str, bool],
    expected_version: int | None = None,
) -> SharingSettings:
    """Set what a practice shares with its PCN and ICB; takes effect at once, audited.

    ``settings`` names every switch it changes (unnamed switches keep their value). Only the
    practice's lead (manage) may change it.
    """
    if organisation.kind != OrgKind.PRACTICE:
        raise ValidationError("Only a practice has sharing settings")
    if not access.can(actor, organisation, access.MANAGE):
        raise PermissionDenied("Only the practice's equity lead may change what it shares")
    unknown = sorted(set(settings) - set(FIELDS))
    if unknown:
        raise ValidationError({k: "Not a sharing setting" for k in unknown})
    bad = sorted(k for k, v in settings.items() if not isinstance(v, bool))
    if bad:
        raise ValidationError({k: "Choose yes or no" for k in bad})
    with transaction.atomic():
        row, _ = SharingSettings.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        if expected_version is not None and expected_version != row.version:
            raise SharingConflict(
                "Someone else changed the sharing settings while you were editing. "
                "Check them and save again."
            )
        before = row.as_dict()
        for key, value in settings.items():
            setattr(row, key, value)
        after = row.as_dict()
        if after == before:
            return row
        row.version += 1
        row.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            entity="sharing",
            entity_id=row.pk,
            verb="updated",
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return row
