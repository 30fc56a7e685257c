"""Reads of case studies. Public readers get only the public states, through ``published``;
an organisation's own list goes through the access layer; the queue is for reviewers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from gpequity.casestudies import workflow
from gpequity.catalogue import load_pack
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation

from .models import CaseStudy, ReviewerGrant, ReviewNote


def today() -> dt.date:
    return timezone.localdate()


def is_reviewer(user) -> bool:
    """Site staff, or a user staff granted the case-study reviewer role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff) or ReviewerGrant.objects.filter(user=user).exists()


def published() -> QuerySet[CaseStudy]:
    """Every case study the public may read (published, or published with a review due)."""
    return CaseStudy.objects.filter(state__in=workflow.PUBLIC_STATES).select_related(
        "organisation", "organisation__parent"
    )


def published_one(case_id: int) -> CaseStudy | None:
    return published().filter(pk=case_id).first()


def for_action(action_key: str, limit: int | None = None) -> list[CaseStudy]:
    """Published case studies that name this toolkit action."""
    rows = [c for c in published() if action_key in (c.action_keys or [])]
    return rows[:limit] if limit else rows


def of_organisation(organisation: Organisation) -> QuerySet[CaseStudy]:
    return CaseStudy.objects.filter(organisation=organisation).select_related("organisation")


def own(organisation: Organisation, case_id: int) -> CaseStudy | None:
    """One case study of this organisation; None for another organisation's id."""
    return of_organisation(organisation).filter(pk=case_id).first()


def visible_to(user, case_study: CaseStudy) -> bool:
    """Whether ``user`` may read this case study in whatever state it is in."""
    if case_study.state in workflow.PUBLIC_STATES:
        return True
    return is_reviewer(user) or access.can(user, case_study.organisation, access.VIEW)


def queue() -> QuerySet[CaseStudy]:
    """Case studies waiting for a reviewer, oldest first."""
    return (
        CaseStudy.objects.filter(state__in=workflow.QUEUE_STATES)
        .select_related("organisation", "reviewer")
        .order_by("submitted_at", "id")
    )


def for_review(case_id: int) -> CaseStudy | None:
    """A case study a reviewer may open: anything but a draft never sent."""
    return (
        CaseStudy.objects.exclude(state=workflow.State.DRAFT)
        .select_related("organisation", "organisation__parent")
        .filter(pk=case_id)
        .first()
    )


def notes(case_study: CaseStudy) -> QuerySet[ReviewNote]:
    return case_study.notes.select_related("author")


def reviewers():
    return ReviewerGrant.objects.select_related("user", "granted_by").order_by("user__username")


def tiers_of(case_study: CaseStudy) -> set[str]:
    pack = load_pack(case_study.framework)
    out = set()
    for key in case_study.action_keys or []:
        try:
            out.add(pack.action(key).tier)
        except KeyError:
            continue
    return out


@dataclass
class Filters:
    q: str = ""
    action: str = ""
    theme: str = ""
    tier: str = ""
    group: str = ""
    region: str = ""
    cost_band: str = ""
    evaluated: str = ""  # "yes", "no" or ""


def search(filters: Filters) -> list[CaseStudy]:
    """The library: published case studies matching every filter given."""
    qs = published()
    if filters.q:
        for word in filters.q.split()[:8]:
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(problem__icontains=word)
                | Q(what_was_done__icontains=word)
                | Q(outcomes__icontains=word)
                | Q(key_learning__icontains=word)
                | Q(organisation__name__icontains=word)
            )
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.cost_band:
        qs = qs.filter(cost_band=filters.cost_band)
    if filters.evaluated in ("yes", "no"):
        qs = qs.filter(evaluated=filters.evaluated == "yes")
    rows = list(qs)
    # Lists held as JSON are filtered here: the same on SQLite and PostgreSQL.
    if filters.action:
        rows = [c for c in rows if filters.action in (c.action_keys or [])]
    if filters.theme:
        rows = [c for c in rows if filters.theme in (c.themes or [])]
    if filters.group:
        rows = [c for c in rows if filters.group in (c.groups or [])]
    if filters.tier:
        rows = [c for c in rows if filters.tier in tiers_of(c)]
    return rows
