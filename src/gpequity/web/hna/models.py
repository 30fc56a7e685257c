"""Models of the HNA area: one ``Run`` per uploaded extract and its result rows (ADR 17).

Only the result tables and what DATA.md "Results over time" lists are kept; the extract
itself lives in a private folder until the run ends. Runs are found by a random id and
always within their own practice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from gpequity.web.orgs.models import Organisation
from gpequity.web.reports.models import PdfBuildBase


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    VALIDATING = "validating", "Checking the extract"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    INVALID = "invalid", "The extract has problems"
    FAILED = "failed", "Failed"


class RunKind(models.TextChoices):
    PRACTICE = "practice", "Uploaded for the practice"
    SYSTEM = "system", "From a system run"


ACTIVE = (RunStatus.QUEUED, RunStatus.VALIDATING, RunStatus.RUNNING)
FINISHED = (RunStatus.DONE, RunStatus.INVALID, RunStatus.FAILED)


class Run(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="hna_runs"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default="queued")
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    attempt = models.PositiveIntegerField(default=1)
    as_of = models.DateField()
    drop_bad_rows = models.BooleanField(default=False)
    # The upload: file names as given (no patient data) and the private folder, blank once
    # the extract has been deleted.
    upload_names = models.CharField(max_length=300, blank=True)
    upload_size = models.BigIntegerField(default=0)
    upload_folder = models.CharField(max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    focus_criteria = models.JSONField(null=True, blank=True)
    focus_version = models.PositiveIntegerField(null=True, blank=True)
    focus_description = models.TextField(blank=True)
    definitions = models.JSONField(default=list, blank=True)
    run_info = models.JSONField(null=True, blank=True)  # gpequity.hna.runinfo.RunInfo
    gpequity_version = models.CharField(max_length=40, blank=True)
    validation = models.JSONField(null=True, blank=True)
    droppable_rows = models.JSONField(null=True, blank=True)  # {"patients.csv": n, ...}
    notes = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    imd_attribution = models.TextField(blank=True)
    # A run stored from a system extract (ADR 28): one per practice in it, sharing the
    # system run's id, with the PCN or ICB it was run for.
    kind = models.CharField(max_length=16, choices=RunKind.choices, default=RunKind.PRACTICE)
    system_run_id = models.UUIDField(null=True, blank=True, db_index=True)
    system_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "as_of"])]

    def __str__(self) -> str:
        return f"HNA run {self.id} as of {self.as_of} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return max(0, min(100, round(100 * self.progress)))

    @property
    def droppable_total(self) -> int:
        return sum((self.droppable_rows or {}).values())


class IndicatorResult(models.Model):
    """One row of the DATA.md ``indicators`` table of a run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="indicator_rows")
    position = models.PositiveIntegerField()
    indicator = models.CharField(max_length=64)
    grouping = models.CharField(max_length=64)
    group = models.CharField(max_length=64)
    numerator = models.FloatField(null=True)
    denominator = models.BigIntegerField(null=True)
    value = models.FloatField(null=True)
    lower = models.FloatField(null=True)
    upper = models.FloatField(null=True)
    compared_with_rest = models.CharField(max_length=16)
    suppressed = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "position"]
        indexes = [models.Index(fields=["indicator", "grouping", "group"])]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="hna_indicator_row_position")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.grouping} {self.group}"


class GradientResult(models.Model):
    """One row of the DATA.md ``gradients`` table of a run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="gradient_rows")
    position = models.PositiveIntegerField()
    indicator = models.CharField(max_length=64)
    grouping = models.CharField(max_length=64)
    sii = models.FloatField(null=True)
    sii_lower = models.FloatField(null=True)
    sii_upper = models.FloatField(null=True)
    rii = models.FloatField(null=True)
    rii_lower = models.FloatField(null=True)
    rii_upper = models.FloatField(null=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="hna_gradient_row_position")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} gradient by {self.grouping}"


class RenderedChart(models.Model):
    """A chart's SVG, rendered once: results never change, and rendering takes a while.

    ``key`` names the chart and everything it was drawn from (run ids, indicator, grouping).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, null=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200, unique=True)
    svg = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class ReportPdf(PdfBuildBase):
    """One background build of a run's report as a PDF (ADR 9's builds, for an HNA run).

    Found by its random id and only within its run, which is only found within its practice,
    so the practice's own members are the only ones who ever see it."""

    organisation_lookup = "run__organisation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="pdf_builds")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="hna_reportpdf_status")]

    def __str__(self) -> str:
        return f"HNA report PDF {self.id} ({self.status})"

    def get_organisation(self) -> Organisation:
        return self.run.organisation

    def build_stages(self) -> tuple[str, ...]:
        from .report_pdf import STAGES

        return STAGES

    def enqueue(self, *, editor: bool) -> None:
        from gpequity.web.reports.builds import EDITOR_PRIORITY

        from .tasks import build_hna_report_pdf

        task = (
            build_hna_report_pdf.using(priority=EDITOR_PRIORITY) if editor else build_hna_report_pdf
        )
        task.enqueue(str(self.pk), self.attempt)

    def requester_can_edit(self) -> bool:
        from gpequity.web.orgs import access

        return self.requested_by_id is not None and access.can_direct(
            self.requested_by, self.run.organisation, access.EDIT
        )
