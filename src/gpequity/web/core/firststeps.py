"""The first-steps checklist on a new practice's dashboard: it ticks itself from the data.

Each step is done when the practice's own records show it (a Focus group saved, an action
given a status, an HNA recorded in the audit trail by the HNA area). The HNA step is shown
only when that area is installed (its URL name ``hna:list`` resolves).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


def url_or_none(name: str, args: tuple = ()) -> str | None:
    """The URL of ``name``, or None while that area is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    hint: str
    url: str
    done: bool


def first_steps(org) -> list[Step]:
    from gpequity.web.assessment.models import AssessmentEntry, Status
    from gpequity.web.audit.models import AuditEvent
    from gpequity.web.focus.models import FocusGroupVersion

    code = (org.ods_code,)
    steps = [
        Step(
            "focus",
            "Describe your Focus group",
            "Who in your practice faces the greatest barriers to care.",
            reverse("focus:detail", args=code),
            FocusGroupVersion.objects.filter(organisation=org).exists(),
        ),
        Step(
            "assessment",
            "Start your self-assessment",
            "Give at least one toolkit action a status.",
            reverse("assessment:overview", args=code),
            AssessmentEntry.objects.filter(organisation=org)
            .exclude(status=Status.NOT_STARTED)
            .exists(),
        ),
    ]
    hna = url_or_none("hna:list", code)
    if hna:
        steps.append(
            Step(
                "hna",
                "Run your first health needs assessment",
                "Upload a pseudonymised extract and see where the gaps are.",
                hna,
                AuditEvent.objects.filter(
                    organisation_id=org.pk, entity__startswith="hna"
                ).exists(),
            )
        )
    return steps
