"""Writing audit events. Call inside the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from .models import AuditEvent


def audit_record(
    *,
    actor,
    organisation,
    entity: str,
    entity_id: str | int = "",
    verb: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    action_key: str = "",
    note: str = "",
    actor_name: str | None = None,
) -> AuditEvent:
    if actor_name is None:
        actor_name = (actor.get_full_name() or actor.get_username()) if actor else "system"
    return AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_name=actor_name[:150],
        organisation_id=getattr(organisation, "pk", None),
        entity=entity,
        entity_id=str(entity_id),
        action_key=action_key,
        verb=verb,
        before=before,
        after=after,
        note=note[:300],
    )


# Who downloaded what and who was refused (gpequity.web.audit.middleware): kept in the trail
# for staff, but not part of an organisation's own history or data export (a refused
# outsider's name is not the practice's business, and reading changes nothing).
SECURITY_ENTITIES = ("access", "download")


def audit_for(organisation, *, entity: str | None = None, entity_id=None, action_key=None):
    """The organisation's history: its changes, not the security records (ask by entity)."""
    qs = AuditEvent.objects.filter(organisation_id=organisation.pk)
    if entity:
        qs = qs.filter(entity=entity)
    else:
        qs = qs.exclude(entity__in=SECURITY_ENTITIES)
    if entity_id is not None:
        qs = qs.filter(entity_id=str(entity_id))
    if action_key:
        qs = qs.filter(action_key=action_key)
    return qs
