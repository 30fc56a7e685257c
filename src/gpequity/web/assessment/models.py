"""Models of the assessment area: where a practice stands on each action, with evidence.

Rows refer to actions by their stable pack ``key`` (never the published code), so a pack
update does not orphan what a practice has recorded. Nothing is deleted: evidence is removed
by stamping ``removed_at``, and every change is also kept in the audit log.
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IN_PLACE = "in_place", "In place"
    EMBEDDED = "embedded", "Embedded"


# Statuses that count as "done" for tier progress.
DONE = frozenset({Status.IN_PLACE.value, Status.EMBEDDED.value})


class AssessmentEntry(models.Model):
    """One organisation's position on one action. ``version`` guards against lost updates."""

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="assessment_entries"
    )
    action_key = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "action_key"], name="one_entry_per_action"
            )
        ]
        verbose_name_plural = "assessment entries"

    def __str__(self) -> str:
        return f"{self.action_key}: {self.get_status_display()}"


class EvidenceKind(models.TextChoices):
    TEXT = "text", "Written note"
    LINK = "link", "Link"
    FILE = "file", "File"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """Store under the organisation's folder with a random name; keep only the extension.

    The name the user gave is kept in ``original_name`` for display and download, so no
    user-controlled text ever becomes part of a path on disk.
    """
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    org_id = instance.entry.organisation_id
    return f"evidence/{org_id}/{secrets.token_hex(16)}{suffix}"


class Evidence(models.Model):
    entry = models.ForeignKey(AssessmentEntry, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=8, choices=EvidenceKind.choices)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == EvidenceKind.FILE:
            return self.original_name
        if self.kind == EvidenceKind.LINK:
            return self.url
        return self.text[:80]


class Snapshot(models.Model):
    """A frozen copy of an organisation's assessment, e.g. taken once a year."""

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="assessment_snapshots"
    )
    name = models.CharField(max_length=120)
    taken_at = models.DateTimeField(auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    framework = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-taken_at", "-id"]

    def __str__(self) -> str:
        return self.name
