"""Case studies, the reviewers' notes on them, and the reviewer role that staff grant.

The workflow itself (states and who may move between them) is data in
gpequity.casestudies.workflow; services are the only writers of ``state``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gpequity.casestudies import costs, workflow
from gpequity.web.orgs.models import Organisation


class Region(models.TextChoices):
    NORTH_EAST_YORKSHIRE = "north_east_yorkshire", "North East and Yorkshire"
    NORTH_WEST = "north_west", "North West"
    MIDLANDS = "midlands", "Midlands"
    EAST = "east", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"


class Setting(models.TextChoices):
    URBAN = "urban", "Urban"
    SUBURBAN = "suburban", "Suburban"
    RURAL = "rural", "Rural"
    COASTAL = "coastal", "Coastal"
    MIXED = "mixed", "Mixed urban and rural"


class Engagement(models.TextChoices):
    """The participation spectrum of the engagement log (PRODUCT.md, area 6)."""

    INFORM = "inform", "Inform: we told people"
    CONSULT = "consult", "Consult: we asked people"
    INVOLVE = "involve", "Involve: people took part in shaping it"
    COLLABORATE = "collaborate", "Collaborate: we decided together"
    CO_PRODUCE = "co_produce", "Co-produce: people designed and ran it with us"


STATE_CHOICES = [(s.value, workflow.LABELS[s]) for s in workflow.State]
COST_BAND_CHOICES = list(costs.BANDS.items())


class CaseStudy(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="case_studies"
    )
    state = models.CharField(max_length=20, choices=STATE_CHOICES, default="draft")
    version = models.PositiveIntegerField(default=1)

    title = models.CharField(max_length=200)
    framework = models.CharField(max_length=64, default="rcgp-fairer-practice")
    action_keys = models.JSONField(default=list, blank=True)
    themes = models.JSONField(default=list, blank=True)
    other_organisations = models.CharField(max_length=300, blank=True)
    region = models.CharField(max_length=32, choices=Region.choices, blank=True)
    icb_name = models.CharField("ICB", max_length=200, blank=True)
    setting = models.CharField(max_length=16, choices=Setting.choices, blank=True)
    groups = models.JSONField(default=list, blank=True)
    core20plus5 = models.JSONField(default=list, blank=True)

    problem = models.TextField(blank=True)
    what_was_done = models.TextField(blank=True)
    partners = models.TextField(blank=True)
    engagement_level = models.CharField(max_length=16, choices=Engagement.choices, blank=True)
    community_involvement = models.TextField(blank=True)
    cost_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cost_band = models.CharField(max_length=16, choices=COST_BAND_CHOICES, blank=True)
    funding = models.TextField(blank=True)
    staff_time = models.CharField(max_length=300, blank=True)
    duration = models.CharField(max_length=200, blank=True)

    measure = models.CharField(max_length=300, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    baseline_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    outcome_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    baseline = models.TextField(blank=True)
    outcomes = models.TextField(blank=True)
    cycles = models.TextField(blank=True)
    chart_svg = models.TextField(blank=True, help_text="Run chart drawn by gpequity, never typed")
    chart_points = models.JSONField(default=list, blank=True)
    source_plan_item_id = models.BigIntegerField(null=True, blank=True)

    evaluated = models.BooleanField(default=False)
    evaluation = models.TextField(blank=True)
    evaluated_by = models.CharField(max_length=200, blank=True)
    key_learning = models.TextField(blank=True)
    to_repeat = models.TextField(blank=True)

    contact_opt_in = models.BooleanField(default=False)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    consent_to_publish = models.BooleanField(default=False)
    sponsorship = models.TextField(blank=True)

    checklist = models.JSONField(default=dict, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)
    review_due_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "-updated_at", "-id"]
        indexes = [models.Index(fields=["state", "published_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def state_label(self) -> str:
        return workflow.LABELS[workflow.State(self.state)]


class ReviewNote(models.Model):
    """A reviewer's or author's note: seen by the organisation and reviewers, never public."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.case_study}"


class ReviewerGrant(models.Model):
    """The case-study reviewer role, granted to a user by site staff."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_study_reviewer"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Case-study reviewer: {self.user}"
