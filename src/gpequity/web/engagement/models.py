"""Models of the engagement area: activities, their reach, what people said and what was done,
partners, and evaluation plans with their indicators and measurements.

No model holds a participant's name, contact details or any identifier (ADR 21): reach is
counts by group, and a schema test (tests/web/engagement/test_schema.py) keeps it so.
Multi-valued choices are JSON lists checked against the core's vocabularies in services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gpequity import engagement as eg
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import PlanItem


def _choices(vocab: dict[str, str]) -> list[tuple[str, str]]:
    return list(vocab.items())


class Partner(models.Model):
    """An organisation the practice works with (a partner list kept per organisation)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="engagement_partners"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=_choices(eg.PARTNER_KINDS))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="engagement_partner_name")
        ]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="engagement_activities"
    )
    title = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    purpose = models.TextField(blank=True)
    level = models.CharField(max_length=16, choices=_choices(eg.LEVELS))
    band = models.CharField(max_length=8, choices=_choices(eg.BANDS))
    band_override_reason = models.CharField(max_length=300, blank=True)
    stages = models.JSONField(default=list, blank=True)
    methods = models.JSONField(default=list, blank=True)
    method_other = models.CharField(max_length=200, blank=True)
    partners = models.ManyToManyField(Partner, blank=True, related_name="activities")
    accessibility = models.JSONField(default=list, blank=True)
    interpreter_languages = models.CharField(max_length=300, blank=True)
    accessibility_notes = models.CharField(max_length=300, blank=True)
    payment = models.CharField(max_length=16, choices=_choices(eg.PAYMENTS), default="none")
    payment_notes = models.CharField(max_length=300, blank=True)
    community_led = models.BooleanField(default=False)
    hours = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    action_keys = models.JSONField(default=list, blank=True)
    indicator_ids = models.JSONField(default=list, blank=True)
    plan_items = models.ManyToManyField(PlanItem, blank=True, related_name="engagement_activities")
    review_went_well = models.TextField(blank=True)
    review_do_differently = models.TextField(blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.title

    @property
    def band_overridden(self) -> bool:
        return self.band != eg.LEVEL_BAND.get(self.level)


class ReachCount(models.Model):
    """How many people of one group an activity reached (a count, never a person)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reach")
    grouping = models.CharField(max_length=20, choices=_choices(eg.GROUPINGS))
    group = models.CharField(max_length=60)
    count = models.PositiveIntegerField()
    target = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["activity", "grouping", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "grouping", "group"], name="engagement_reach_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} {eg.group_label(self.grouping, self.group)}"


class Insight(models.Model):
    """What people said ("you said"), the practice's response ("we did") and the closed loop."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="engagement_insights"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="insights"
    )
    theme = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    times_raised = models.PositiveIntegerField(default=1)
    raised_on = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engagement_insights",
    )
    due_date = models.DateField(null=True, blank=True)
    response = models.CharField(max_length=16, choices=_choices(eg.RESPONSES), blank=True)
    response_reason = models.TextField(blank=True)
    responded_on = models.DateField(null=True, blank=True)
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="insights"
    )
    action_taken = models.TextField(blank=True)
    difference_made = models.TextField(blank=True)
    loop_closed_on = models.DateField(null=True, blank=True)
    loop_methods = models.JSONField(default=list, blank=True)
    loop_notes = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_on", "-id"]

    def __str__(self) -> str:
        return self.theme


class EvaluationPlan(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="evaluation_plans"
    )
    title = models.CharField(max_length=200)
    activities = models.ManyToManyField(Activity, blank=True, related_name="evaluation_plans")
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inputs = models.TextField(blank=True)
    activities_text = models.TextField(blank=True)
    outputs = models.TextField(blank=True)
    outcomes_short = models.TextField(blank=True)
    outcomes_medium = models.TextField(blank=True)
    outcomes_long = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    assumptions = models.TextField(blank=True)
    external_factors = models.TextField(blank=True)
    community_involved = models.BooleanField(default=False)
    community_role = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class EvaluationIndicator(models.Model):
    plan = models.ForeignKey(EvaluationPlan, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=_choices(eg.INDICATOR_KINDS))
    source = models.CharField(max_length=8, choices=_choices(eg.INDICATOR_SOURCES))
    hna_indicator = models.CharField(max_length=64, blank=True)
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_notes = models.CharField(max_length=300, blank=True)
    baseline = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    target = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return self.name


class EvaluationMeasurement(models.Model):
    indicator = models.ForeignKey(
        EvaluationIndicator, on_delete=models.CASCADE, related_name="measurements"
    )
    measured_on = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=3)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "measured_on", "id"]

    def __str__(self) -> str:
        return f"{self.value} on {self.measured_on}"
