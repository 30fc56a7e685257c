"""Reads of the engagement area, always scoped by organisation, and the rows-to-facts step
that feeds the core figures (gpequity.engagement)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet
from django.utils import timezone

from gpequity import engagement as eg
from gpequity.web.focus.models import FocusGroupVersion
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import PlanItem

from .models import Activity, EvaluationIndicator, EvaluationPlan, Insight, Partner, ReachCount


def today() -> dt.date:
    return timezone.localdate()


def activities(org: Organisation) -> QuerySet[Activity]:
    return Activity.objects.filter(organisation=org)


def activity(org: Organisation, activity_id: int) -> Activity | None:
    return activities(org).filter(pk=activity_id).first()


def partners(org: Organisation) -> QuerySet[Partner]:
    return Partner.objects.filter(organisation=org)


def plan_items(org: Organisation) -> QuerySet[PlanItem]:
    return PlanItem.objects.filter(organisation=org).order_by("title", "id")


def insights(org: Organisation) -> QuerySet[Insight]:
    return Insight.objects.filter(organisation=org).select_related("owner", "activity", "plan_item")


def insight(org: Organisation, insight_id: int) -> Insight | None:
    return insights(org).filter(pk=insight_id).first()


def overdue_insights(org: Organisation, on: dt.date | None = None) -> QuerySet[Insight]:
    """Waiting for a response past their due date (the core's ``is_overdue`` as a query)."""
    return insights(org).filter(response="", due_date__lt=on or today()).order_by("due_date", "id")


def reach(org: Organisation) -> QuerySet[ReachCount]:
    return ReachCount.objects.filter(activity__organisation=org).select_related("activity")


def evaluation_plans(org: Organisation) -> QuerySet[EvaluationPlan]:
    return EvaluationPlan.objects.filter(organisation=org).annotate(
        n_indicators=Count("indicators", distinct=True)
    )


def evaluation_plan(org: Organisation, plan_id: int) -> EvaluationPlan | None:
    return EvaluationPlan.objects.filter(organisation=org, pk=plan_id).first()


def indicator(plan: EvaluationPlan, indicator_id: int) -> EvaluationIndicator | None:
    return plan.indicators.filter(pk=indicator_id).first()


def focus_criteria(org: Organisation):
    return (
        FocusGroupVersion.objects.filter(organisation=org)
        .order_by("-version")
        .values_list("criteria", flat=True)
        .first()
    )


def in_period(qs: QuerySet[Activity], start: dt.date | None, end: dt.date | None):
    if start:
        qs = qs.filter(start_date__gte=start)
    if end:
        qs = qs.filter(start_date__lte=end)
    return qs


def activity_facts(qs: QuerySet[Activity]) -> list[eg.ActivityFact]:
    evaluated = set(
        EvaluationPlan.activities.through.objects.filter(activity__in=qs).values_list(
            "activity_id", flat=True
        )
    )
    return [
        eg.ActivityFact(
            id=a["id"],
            start=a["start_date"],
            level=a["level"],
            band=a["band"],
            hours=a["hours"],
            community_led=a["community_led"],
            evaluated=a["id"] in evaluated,
            reviewed=a["reviewed_on"] is not None,
        )
        for a in qs.values(
            "id", "start_date", "level", "band", "hours", "community_led", "reviewed_on"
        ).order_by("start_date", "id")
    ]


def reach_facts(qs: QuerySet[Activity]) -> list[eg.ReachFact]:
    return [
        eg.ReachFact(r["activity_id"], r["grouping"], r["group"], r["count"], r["target"])
        for r in ReachCount.objects.filter(activity__in=qs)
        .values("activity_id", "grouping", "group", "count", "target")
        .order_by("activity_id", "grouping", "group")
    ]


def insight_facts(org: Organisation) -> list[eg.InsightFact]:
    return [
        eg.InsightFact(i["id"], i["raised_on"], i["due_date"], i["response"], i["loop_closed_on"])
        for i in Insight.objects.filter(organisation=org)
        .values("id", "raised_on", "due_date", "response", "loop_closed_on")
        .order_by("id")
    ]
