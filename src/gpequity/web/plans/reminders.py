"""Reminders of overdue and due-soon plan actions, by each person's preferences.

Each person chooses on their account settings page how often (every day, once a week or
never) and how far ahead counts as "due soon". ``send_due_reminders`` sends what is due
today; the background worker runs it every morning (``tasks.send_reminders`` schedules its
own next run, ADR 23). ``gpequity manage send_plan_digest`` still sends a one-off digest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from .models import OPEN_STATUSES, PlanItem

RUN_AT = dt.time(7, 0)  # local time, before the working day
WEEK = dt.timedelta(days=7)


def _due_today(pref, today: dt.date) -> bool:
    if pref.frequency == "never":
        return False
    if pref.last_sent_on is None:
        return True
    if pref.frequency == "daily":
        return pref.last_sent_on < today
    return pref.last_sent_on <= today - WEEK


def send_due_reminders(*, today: dt.date, base_url: str = "") -> int:
    """Email everyone whose reminder is due today and who has something overdue or due
    within their horizon; returns the number of messages sent."""
    from gpequity.web.accounts.models import ReminderPreference
    from gpequity.web.accounts.services import reminder_preference

    from .management.commands.send_plan_digest import _body

    base_url = base_url or getattr(settings, "GPEQUITY_BASE_URL", "")
    items = (
        PlanItem.objects.filter(
            status__in=OPEN_STATUSES,
            owner__isnull=False,
            owner__is_active=True,
            due_date__isnull=False,
            due_date__lte=today + dt.timedelta(days=90),
        )
        .exclude(owner__email="")
        .select_related("owner", "organisation")
        .order_by("organisation__name", "owner_id", "due_date", "id")
    )
    by_owner: dict[int, list[PlanItem]] = defaultdict(list)
    for item in items:
        by_owner[item.owner_id].append(item)
    prefs = {p.user_id: p for p in ReminderPreference.objects.filter(user_id__in=by_owner)}
    mails, sent_to = [], []
    for owner_id, owned in by_owner.items():
        pref = prefs.get(owner_id) or reminder_preference(owned[0].owner)
        if not _due_today(pref, today):
            continue
        horizon = today + dt.timedelta(days=pref.days_ahead)
        grouped: dict[int, list[PlanItem]] = defaultdict(list)
        for item in owned:
            if item.due_date <= horizon:
                grouped[item.organisation_id].append(item)
        for group in grouped.values():
            owner, org = group[0].owner, group[0].organisation
            overdue = [i for i in group if i.due_date < today]
            soon = [i for i in group if i.due_date >= today]
            mails.append(
                EmailMessage(
                    subject=f"{org.name}: {len(overdue)} overdue, {len(soon)} due soon in your "
                    "action plan",
                    body=_body(owner, org, overdue, soon, pref.days_ahead, base_url)
                    + "\nChange how often you get these: "
                    f"{base_url.rstrip('/')}/account/#reminders\n",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[owner.email],
                )
            )
        if grouped:
            sent_to.append(pref)
    if mails:
        with get_connection() as connection:
            connection.send_messages(mails)
    with transaction.atomic():
        for pref in sent_to:
            pref.last_sent_on = today
            pref.save(update_fields=["last_sent_on"])
    return len(mails)


def next_run(now: dt.datetime) -> dt.datetime:
    """The next 07:00 local time after ``now``."""
    from django.utils import timezone

    local = timezone.localtime(now)
    candidate = local.replace(hour=RUN_AT.hour, minute=RUN_AT.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def ensure_scheduled() -> bool:
    """Queue the next morning's reminder run unless one is already waiting. Returns True
    when it queued one. Does nothing on a backend that cannot run tasks later."""
    from django.utils import timezone

    from .tasks import send_reminders

    backend = send_reminders.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=send_reminders.module_path, status="READY"
    ).exists()
    if waiting:
        return False
    send_reminders.using(run_after=next_run(timezone.now())).enqueue()
    return True
