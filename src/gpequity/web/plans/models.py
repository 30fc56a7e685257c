"""Models of the plans area: the practice's action plan, its PDSA cycles and measurements.

``PlanItem.version`` is bumped on every update so that two people editing the same item
cannot silently overwrite each other (optimistic concurrency, checked in services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gpequity.web.orgs.models import Organisation


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    STOPPED = "stopped", "Stopped"


OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)


class PlanItem(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="plan_items"
    )
    action_key = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_plan_items",
    )
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    objective = models.TextField(blank=True)
    measure_indicator = models.CharField(max_length=64, blank=True)
    measure_text = models.CharField(max_length=300, blank=True)
    # Set by "Add to plan" from an HNA finding (ADR 17): each later run of the practice adds
    # a measurement of this indicator in this group. Blank: not fed by runs.
    measure_grouping = models.CharField(max_length=64, blank=True)
    measure_group = models.CharField(max_length=64, blank=True)
    baseline = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    target = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class Cycle(models.Model):
    """One plan-do-study-act cycle: what we planned, did, learned and decided."""

    plan_item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="cycles")
    number = models.PositiveIntegerField()
    plan = models.TextField()
    do = models.TextField(blank=True)
    study = models.TextField(blank=True)
    act = models.TextField(blank=True)
    started_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan_item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan_item", "number"], name="plans_cycle_number")
        ]

    def __str__(self) -> str:
        return f"Cycle {self.number} of {self.plan_item}"


class Measurement(models.Model):
    plan_item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=3)
    note = models.CharField(max_length=300, blank=True)
    # The HNA run this value came from (ADR 17); cleared if the run is deleted.
    source_run = models.ForeignKey(
        "hna.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="measurements"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan_item", "measured_on", "id"]

    def __str__(self) -> str:
        return f"{self.value} on {self.measured_on}"
