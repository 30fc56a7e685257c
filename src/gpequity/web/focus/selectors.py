"""Reads of the Focus Patient group, always scoped by organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from gpequity.web.orgs.models import Organisation

from .models import FocusGroupVersion


def focus_versions(organisation: Organisation) -> QuerySet[FocusGroupVersion]:
    """Every saved version, newest first, with who saved it."""
    return FocusGroupVersion.objects.filter(organisation=organisation).select_related("created_by")


def focus_current(organisation: Organisation) -> FocusGroupVersion | None:
    """The definition in force: the latest version, or None when none was saved."""
    return focus_versions(organisation).order_by("-version").first()


def focus_version(organisation: Organisation, version: int) -> FocusGroupVersion | None:
    return focus_versions(organisation).filter(version=version).first()
