"""Factories for the plans area's models."""

from __future__ import annotations

import factory

from gpequity.web.plans.models import PlanItem
from tests.factories import PracticeFactory


class PlanItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanItem

    organisation = factory.SubFactory(PracticeFactory)
    action_key = "acc_01"
    title = factory.Sequence(lambda n: f"Plan item {n}")
