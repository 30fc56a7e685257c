"""Models of the catalogue area: versions of the official toolkit text imported by staff.

The framework packs themselves are YAML files read by the core (``gpequity.catalogue``); the
database holds only what a site's staff imported from their own copy of the publisher's
spreadsheet. Each import is a new numbered version per pack, never an edit of the last one,
so the history shows what each new copy of the toolkit changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OfficialTextImport(models.Model):
    """One applied import of a pack's official text (a version)."""

    pack_id = models.CharField(max_length=64, db_index=True)
    version = models.PositiveIntegerField(help_text="1, 2, 3 ... per pack.")
    source_name = models.CharField(max_length=255, help_text="Name of the uploaded file.")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    report = models.JSONField(default=dict, help_text="rows_read, matched, warnings.")
    tier_names = models.JSONField(default=dict, help_text="Tier key -> name in the user's copy.")
    applied = models.BooleanField(default=True)
    diff = models.JSONField(
        null=True, blank=True, help_text="added/removed/changed vs the previous applied version."
    )

    class Meta:
        ordering = ["pack_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["pack_id", "version"], name="catalogue_import_version")
        ]

    def __str__(self) -> str:
        return f"{self.pack_id} official text version {self.version} ({self.source_name})"


class OfficialText(models.Model):
    """The publisher's wording for one action, as found in one import."""

    official_import = models.ForeignKey(
        OfficialTextImport, on_delete=models.CASCADE, related_name="texts"
    )
    action_key = models.CharField(max_length=64)
    code = models.CharField(max_length=32, blank=True)
    title = models.TextField(blank=True)
    descriptor = models.TextField(blank=True)
    supporting_information = models.TextField(blank=True)
    supporting_resources = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True)
    sheet = models.CharField(max_length=255, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["official_import", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["official_import", "action_key"], name="catalogue_text_per_import"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action_key}: {self.title[:60]}"
