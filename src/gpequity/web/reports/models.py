"""Models of the reports area: background builds of the practice equity report PDF (ADR 9)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from gpequity.web.orgs.models import Organisation


class BuildStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Building"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class PdfBuildBase(models.Model):
    """What every background PDF build records (the practice report's and the HNA report's):
    its status, the stage it is at, the PDF when done. ``builds.carry_out`` moves it along."""

    status = models.CharField(max_length=16, choices=BuildStatus.choices, default="queued")
    stage = models.CharField(max_length=120, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    steps = models.PositiveSmallIntegerField(default=3)
    error = models.CharField(max_length=300, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return self.status in (BuildStatus.DONE, BuildStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == BuildStatus.DONE:
            return 100
        return round(100 * self.step / self.steps) if self.steps else 0


class ReportBuild(PdfBuildBase):
    """One request for the report PDF, moved forward by the ``build_report_pdf`` task.

    Found by its random id, and only ever within its own organisation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="report_builds"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Which report the build renders: a key of ``builds.KINDS`` (ADR 27).
    kind = models.CharField(max_length=16, default="equity")
    # The worker's lease (ADR 29): every stage renews ``heartbeat_at``; a running build whose
    # lease ran out had its worker die and is queued again (``attempt`` + 1) or failed. Updates
    # are filtered on the attempt, so a late worker cannot overwrite a newer one.
    attempt = models.PositiveSmallIntegerField(default=1)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="reports_build_status")]

    def __str__(self) -> str:
        return f"Report build {self.id} ({self.status})"
