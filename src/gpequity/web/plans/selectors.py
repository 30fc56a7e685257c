"""Reads of the action plan, always scoped by organisation."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from gpequity.web.orgs.models import Organisation

from .models import OPEN_STATUSES, PlanItem

DUE_SOON_DAYS = 14


def today() -> dt.date:
    return timezone.localdate()


def plan_items(organisation: Organisation) -> QuerySet[PlanItem]:
    return PlanItem.objects.filter(organisation=organisation).select_related("owner")


def plan_item(organisation: Organisation, item_id: int) -> PlanItem | None:
    """One item of this organisation; None for another organisation's id (never leak it)."""
    return plan_items(organisation).filter(pk=item_id).first()


def overdue(items: QuerySet[PlanItem], on: dt.date | None = None) -> QuerySet[PlanItem]:
    """Open items whose due date has passed."""
    return items.filter(status__in=OPEN_STATUSES, due_date__lt=on or today())


def due_soon(
    items: QuerySet[PlanItem], days: int = DUE_SOON_DAYS, on: dt.date | None = None
) -> QuerySet[PlanItem]:
    """Open items due from today up to ``days`` days ahead."""
    start = on or today()
    return items.filter(
        status__in=OPEN_STATUSES,
        due_date__gte=start,
        due_date__lte=start + dt.timedelta(days=days),
    )


def filter_items(
    items: QuerySet[PlanItem], *, status: str = "", owner: str = "", when: str = ""
) -> QuerySet[PlanItem]:
    """The list page's filters: status, owner id (or "none"), and overdue / due soon."""
    if status:
        items = items.filter(status=status)
    if owner == "none":
        items = items.filter(owner__isnull=True)
    elif owner.isdigit():
        items = items.filter(owner_id=int(owner))
    if when == "overdue":
        items = overdue(items)
    elif when == "due_soon":
        items = due_soon(items)
    return items
