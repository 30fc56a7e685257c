"""Audit events: who changed what, when, with before and after. No foreign keys on purpose,
so the trail outlives the rows it describes and cannot be cascaded away."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150, blank=True)
    organisation_id = models.BigIntegerField(null=True, db_index=True)
    entity = models.CharField(max_length=64, help_text="e.g. assessment, plan_item, focus_group")
    entity_id = models.CharField(max_length=64, blank=True)
    action_key = models.CharField(max_length=64, blank=True, db_index=True)
    verb = models.CharField(max_length=32, help_text="created, updated, deleted, imported ...")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation_id", "entity", "entity_id"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.verb} {self.entity} {self.entity_id}".strip()
