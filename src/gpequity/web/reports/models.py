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
    who asked, its status, the stage it is at, the worker's lease, the PDF when done.

    ``builds`` holds the one implementation of their limits, lease and recovery (ADR 29) for
    every concrete model derived from this one: ``builds.admit`` counts a person's and an
    organisation's builds waiting or running across all of them, ``builds.carry_out`` moves a
    build along, ``builds.recover_dead_builds`` queues again or fails those whose worker died.
    A concrete model says where its organisation is (``organisation_lookup``), which stages it
    goes through, how its task is enqueued and whether its requester can edit.
    """

    # The path from the build to its organisation, for queries (``organisation`` or, for a
    # build of an HNA run, ``run__organisation``).
    organisation_lookup = "organisation"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
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
    # The worker's lease (ADR 29): every stage renews ``heartbeat_at``; a running build whose
    # lease ran out had its worker die and is queued again (``attempt`` + 1) or failed. Updates
    # are filtered on the attempt, so a late worker cannot overwrite a newer one.
    attempt = models.PositiveSmallIntegerField(default=1)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

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

    def get_organisation(self) -> Organisation:
        return self.organisation

    def build_stages(self) -> tuple[str, ...]:
        """The names of the stages this build goes through, first to last."""
        raise NotImplementedError

    def enqueue(self, *, editor: bool) -> None:
        """Hand this attempt of the build to the background worker (editors' first)."""
        raise NotImplementedError

    def requester_can_edit(self) -> bool:
        """Whether the person who asked can edit the organisation (their builds go first)."""
        raise NotImplementedError


class ReportBuild(PdfBuildBase):
    """One request for the report PDF, moved forward by the ``build_report_pdf`` task.

    Found by its random id, and only ever within its own organisation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="report_builds"
    )
    # Which report the build renders: a key of ``builds.KINDS`` (ADR 27).
    kind = models.CharField(max_length=16, default="equity")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="reports_build_status")]

    def __str__(self) -> str:
        return f"Report build {self.id} ({self.status})"

    def build_stages(self) -> tuple[str, ...]:
        from .builds import kind_of

        return kind_of(self).stages

    def enqueue(self, *, editor: bool) -> None:
        from .builds import EDITOR_PRIORITY
        from .tasks import build_report_pdf

        task = build_report_pdf.using(priority=EDITOR_PRIORITY) if editor else build_report_pdf
        task.enqueue(str(self.pk), self.attempt)

    def requester_can_edit(self) -> bool:
        from gpequity.web.orgs import access

        return self.requested_by_id is not None and access.can(
            self.requested_by, self.organisation, access.EDIT
        )
