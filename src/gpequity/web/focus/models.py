"""Models of the focus area: the practice's Focus Patient group, one row per saved version.

Versions are never edited in place, so the history shows exactly which definition any HNA
run or report used; the current definition is simply the latest version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gpequity.web.orgs.models import Organisation


class FocusGroupVersion(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="focus_versions"
    )
    version = models.PositiveIntegerField()
    criteria = models.JSONField(help_text="DATA.md Focus Patient criteria")
    description_text = models.TextField(help_text="The criteria in plain English")
    rationale = models.TextField(blank=True)
    data_sources = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "version"], name="focus_one_row_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Focus group v{self.version} of {self.organisation}"
