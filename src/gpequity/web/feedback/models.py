"""Models of anonymous staff feedback (ADR 22).

By design no table here has a user, session, IP address, user agent or exact time: dates
are the Monday of a week, order inside a thread is a position, and primary keys are random
UUIDs so row numbers do not record the order of writing. tests/web/feedback checks every
column of every model in this module.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from gpequity.feedback import MIN_BATCH, ROLES, TOPICS
from gpequity.feedback.release import DEFAULT_MAX_WAIT_DAYS
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import PlanItem

TOPIC_CHOICES = list(TOPICS.items())
ROLE_CHOICES = [("", "Not given"), *ROLES.items()]


def new_link_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


class Readers(models.TextChoices):
    LEADS = "leads", "Equity leads only"
    TEAM = "team", "Equity leads and team members"
    EVERYONE = "everyone", "Everyone in the practice, viewers too"


class Status(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ACTED_ON = "acted_on", "Acted on"
    CLOSED = "closed", "Closed"


class Channel(models.Model):
    """A practice's feedback address and its settings."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="feedback_channel"
    )
    link_token = models.CharField(max_length=64, unique=True, default=new_link_token)
    min_batch = models.PositiveSmallIntegerField(
        default=MIN_BATCH, help_text="Feedback is shown only when at least this many are waiting"
    )
    max_wait_days = models.PositiveSmallIntegerField(default=DEFAULT_MAX_WAIT_DAYS)
    readers = models.CharField(max_length=16, choices=Readers.choices, default=Readers.LEADS)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Feedback channel of {self.organisation}"


class HeldFeedback(models.Model):
    """A submission in the holding queue, not yet visible to the practice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=16, choices=TOPIC_CHOICES)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, blank=True)
    text = models.TextField()
    held_week = models.DateField(help_text="Monday of the week it was written")
    receipt_lookup = models.CharField(max_length=8, unique=True)
    receipt_hash = models.CharField(max_length=160)

    class Meta:
        ordering = ["id"]  # random, never the order of writing

    def __str__(self) -> str:
        return f"Held feedback about {self.get_topic_display()}"


class Feedback(models.Model):
    """Released feedback: part of a batch, visible to the practice's readers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="feedback_items"
    )
    batch = models.UUIDField(db_index=True, help_text="The release this item came out in")
    released_week = models.DateField(help_text="Monday of the week it was released")
    topic = models.CharField(max_length=16, choices=TOPIC_CHOICES)
    role = models.CharField(
        max_length=16,
        choices=ROLE_CHOICES,
        blank=True,
        help_text="Kept only when every role group in the batch had at least five",
    )
    text = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    we_did = models.TextField(blank=True, help_text='What was done, for "you said, we did"')
    show_to_team = models.BooleanField(default=False)
    plan_items = models.ManyToManyField(PlanItem, blank=True, related_name="feedback_items")
    receipt_lookup = models.CharField(max_length=8, unique=True)
    receipt_hash = models.CharField(max_length=160)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-released_week", "batch", "id"]

    def __str__(self) -> str:
        return f"Feedback about {self.get_topic_display()}, week of {self.released_week}"


class Message(models.Model):
    """A reply from the practice or an answer from the writer, in one feedback's thread."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="messages")
    position = models.PositiveIntegerField()
    from_practice = models.BooleanField()
    text = models.TextField()
    week = models.DateField(help_text="Monday of the week it was written")

    class Meta:
        ordering = ["feedback", "position"]
        constraints = [
            models.UniqueConstraint(fields=["feedback", "position"], name="one_message_per_place")
        ]

    def __str__(self) -> str:
        return (
            f"{'Reply' if self.from_practice else 'Answer'} {self.position} on {self.feedback_id}"
        )
