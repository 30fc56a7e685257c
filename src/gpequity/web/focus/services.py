"""Writes of the Focus Patient group: every save is a new audited version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from gpequity.hna import criteria as core_criteria
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation

from .models import FocusGroupVersion


class FocusConflict(Exception):
    """Someone saved a newer version after the editor loaded the form."""

    def __init__(self, current: FocusGroupVersion):
        super().__init__(f"version {current.version} was saved in the meantime")
        self.current = current


def _snapshot(v: FocusGroupVersion | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "version": v.version,
        "criteria": v.criteria,
        "description": v.description_text,
        "rationale": v.rationale,
        "data_sources": v.data_sources,
    }


def normalise_criteria(
    criteria: core_criteria.Group | dict[str, Any] | str,
) -> tuple[dict[str, Any], str]:
    """Validate with the core parser; return the canonical DATA.md dict and its plain English.

    Raises ``ValidationError`` with the parser's message so forms can show it.
    """
    try:
        parsed = core_criteria.parse_criteria(criteria)
    except core_criteria.CriteriaError as exc:
        raise ValidationError(f"The criteria are not valid: {_first_line(exc)}") from exc
    return parsed.to_dict(), core_criteria.describe(parsed)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


@transaction.atomic
def focus_group_save(
    *,
    actor,
    organisation: Organisation,
    criteria: core_criteria.Group | dict[str, Any] | str,
    rationale: str = "",
    data_sources: str = "",
    based_on: int | None = None,
) -> FocusGroupVersion:
    """Store a new version of the organisation's Focus group (EDIT permission).

    ``based_on`` is the version the editor started from (0 for none); if a newer one was
    saved meanwhile, ``FocusConflict`` is raised and nothing is stored, so concurrent
    editors never silently overwrite each other.
    """
    if not access.can(actor, organisation, access.EDIT):
        raise PermissionDenied("You cannot change this practice's Focus group")
    canonical, description = normalise_criteria(criteria)
    # Lock the organisation row so two saves cannot take the same version number.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    previous = (
        FocusGroupVersion.objects.filter(organisation=organisation).order_by("-version").first()
    )
    latest = previous.version if previous else 0
    if based_on is not None and based_on != latest:
        raise FocusConflict(previous)
    number = (
        FocusGroupVersion.objects.filter(organisation=organisation).aggregate(m=Max("version"))["m"]
        or 0
    ) + 1
    saved = FocusGroupVersion.objects.create(
        organisation=organisation,
        version=number,
        criteria=canonical,
        description_text=description,
        rationale=rationale.strip(),
        data_sources=data_sources.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="focus_group",
        entity_id=saved.version,
        verb="created" if previous is None else "updated",
        before=_snapshot(previous),
        after=_snapshot(saved),
    )
    return saved
