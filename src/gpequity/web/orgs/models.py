"""One organisation model for practice, PCN and ICB; memberships carry the role."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OrgKind(models.TextChoices):
    PRACTICE = "practice", "GP practice"
    PCN = "pcn", "Primary Care Network"
    ICB = "icb", "Integrated Care Board"


class Role(models.TextChoices):
    EQUITY_LEAD = "equity_lead", "Equity lead"
    MEMBER = "member", "Team member"
    VIEWER = "viewer", "Viewer"
    NETWORK_LEAD = "network_lead", "Network health inequalities lead"
    ANALYST = "analyst", "System analyst"


# Which roles make sense for which kind of organisation.
ROLES_FOR_KIND = {
    OrgKind.PRACTICE: (Role.EQUITY_LEAD, Role.MEMBER, Role.VIEWER),
    OrgKind.PCN: (Role.NETWORK_LEAD, Role.VIEWER),
    OrgKind.ICB: (Role.ANALYST, Role.VIEWER),
}


class Organisation(models.Model):
    kind = models.CharField(max_length=16, choices=OrgKind.choices)
    ods_code = models.CharField("ODS code", max_length=12, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    framework = models.CharField(max_length=64, default="rcgp-fairer-practice")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    def ancestors(self) -> list[Organisation]:
        out, node = [], self.parent
        while node is not None and len(out) < 10:
            out.append(node)
            node = node.parent
        return out


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_role_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.organisation}"


class Invitation(models.Model):
    """An e-mailed link that lets someone join an organisation with a role."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation to {self.organisation} as {self.get_role_display()}"
