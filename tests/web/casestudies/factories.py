"""Case studies made through the real services (so every state is reached the real way)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from gpequity.casestudies import checklist
from gpequity.web.casestudies import services
from gpequity.web.casestudies.models import CaseStudy
from tests.factories import UserFactory

ALL_CHECKS = dict.fromkeys(checklist.KEYS, True)


class CaseStudyFactory(factory.django.DjangoModelFactory):
    """A bare row for tests that need one in a given state without the workflow."""

    class Meta:
        model = CaseStudy

    title = factory.Sequence(lambda n: f"Case study {n}")
    action_keys = factory.LazyFunction(lambda: ["acc_01"])


def ready_fields(**extra) -> dict:
    """Everything a case study needs before it can be sent for review."""
    return {
        "title": "Evening clinics for shift workers",
        "action_keys": ["acc_01"],
        "problem": "People on night shifts could not get appointments.",
        "what_was_done": "We opened two evening clinics a week.",
        "outcomes": "Attendance rose from 61% to 78%.",
        "baseline": "61% attended in the quarter before.",
        "sponsorship": "None",
        "consent_to_publish": True,
        "evaluated": True,
        "evaluation": "Audit of the appointment book.",
        "region": "north_west",
        "groups": ["core20"],
        "cost_amount": Decimal("800"),
        **extra,
    }


def staff() -> object:
    return UserFactory(is_staff=True, username="casestudy-staff")


def make(org, author, state: str = "draft", *, reviewer=None, **fields) -> CaseStudy:
    """A case study of ``org`` taken through the workflow to ``state``."""
    case = services.case_study_create(actor=author, organisation=org, fields=ready_fields(**fields))
    if state == "draft":
        return case
    case = services.case_study_transition(actor=author, case_study=case, action="submit")
    if state == "submitted":
        return case
    reviewer = reviewer or staff()
    case = services.case_study_transition(actor=reviewer, case_study=case, action="start_review")
    if state == "in_review":
        return case
    if state == "changes_requested":
        return services.case_study_transition(
            actor=reviewer, case_study=case, action="request_changes", note="Add the costs."
        )
    case = services.case_study_transition(
        actor=reviewer,
        case_study=case,
        action="publish",
        checks=ALL_CHECKS,
        on=dt.date(2026, 6, 1),
    )
    if state == "published":
        return case
    raise ValueError(state)
