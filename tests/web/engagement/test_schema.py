"""No engagement model holds a field for a participant's name, contact details or identifier
(ADR 21): reach is counts by group, and people who appear are staff (owners, authors)."""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib.auth import get_user_model

from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import PlanItem

PERSONAL = re.compile(
    r"name|e_?mail|phone|mobile|address|postcode|contact|nhs_?number|birth|dob|patient"
    r"|participant|identifier|ident|person|surname|initials",
    re.IGNORECASE,
)
# (model, field) pairs allowed despite the pattern, with the reason.
ALLOWED = {
    ("Partner", "name"): "the name of a partner organisation, never of a person",
    ("EvaluationIndicator", "name"): "what the indicator measures",
}


def test_no_engagement_field_can_hold_a_participant_identity():
    models = list(apps.get_app_config("engagement").get_models())
    assert len(models) >= 7
    offenders = []
    for model in models:
        for f in model._meta.get_fields():
            if f.auto_created and not f.concrete:
                continue
            name = f.name
            if PERSONAL.search(name) and (model.__name__, name) not in ALLOWED:
                offenders.append(f"{model.__name__}.{name}")
            if f.is_relation and f.related_model is not None:
                target = f.related_model
                allowed = target in (Organisation, get_user_model(), PlanItem) or (
                    target._meta.app_label == "engagement"
                )
                if not allowed:
                    offenders.append(f"{model.__name__}.{name} -> {target.__name__}")
    assert not offenders, f"fields that could hold a participant's identity: {offenders}"


def test_user_links_are_staff_roles_only():
    """Links to user accounts are the team: who owns a response, who wrote a row."""
    User = get_user_model()
    links = sorted(
        f"{m.__name__}.{f.name}"
        for m in apps.get_app_config("engagement").get_models()
        for f in m._meta.get_fields()
        if f.concrete and f.is_relation and f.related_model is User
    )
    assert links == [
        "Activity.created_by",
        "EvaluationMeasurement.created_by",
        "EvaluationPlan.created_by",
        "Insight.created_by",
        "Insight.owner",
    ]
