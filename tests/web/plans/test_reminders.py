"""Plan reminders: by each person's preference, sent by the background worker every morning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from gpequity.web.accounts.services import reminder_preference_set
from gpequity.web.plans import reminders
from gpequity.web.plans import services as plans
from tests.factories import PracticeFactory, member

pytestmark = pytest.mark.django_db(transaction=True)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def owned():
    practice = PracticeFactory(name="Hill Surgery")
    lead = member(practice, "equity_lead")
    today = timezone.localdate()
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_01")
    plans.plan_item_update(
        actor=lead,
        item=item,
        expected_version=item.version,
        changes={"owner": lead, "due_date": today - dt.timedelta(days=2)},
    )
    far = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_03")
    plans.plan_item_update(
        actor=lead,
        item=far,
        expected_version=far.version,
        changes={"owner": lead, "due_date": today + dt.timedelta(days=20)},
    )
    return lead, today


def test_weekly_by_default_daily_when_chosen_never_when_off(owned, mailoutbox):
    lead, today = owned
    assert reminders.send_due_reminders(today=today) == 1
    body = mailoutbox[-1].body
    assert "Overdue:" in body and "due in the next 14 days" not in body.lower()
    assert "/account/#reminders" in body
    assert reminders.send_due_reminders(today=today + dt.timedelta(days=1)) == 0  # weekly
    assert reminders.send_due_reminders(today=today + dt.timedelta(days=7)) == 1
    reminder_preference_set(actor=lead, frequency="daily", days_ahead=30)
    assert reminders.send_due_reminders(today=today + dt.timedelta(days=8)) == 1
    assert "Due in the next 30 days:" in mailoutbox[-1].body  # the far item counts now
    reminder_preference_set(actor=lead, frequency="never", days_ahead=30)
    assert reminders.send_due_reminders(today=today + dt.timedelta(days=9)) == 0
    assert len(mailoutbox) == 3


@override_settings(TASKS=DB_TASKS)
def test_the_worker_sends_them_on_a_schedule_and_queues_the_next_morning(owned, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    assert reminders.ensure_scheduled() is True
    assert reminders.ensure_scheduled() is False  # one waiting run at a time
    waiting = DBTaskResult.objects.get(status="READY")
    run_after = timezone.localtime(waiting.run_after)
    assert (run_after.hour, run_after.minute) == (7, 0) and waiting.run_after > timezone.now()
    # Seven o'clock comes: the worker runs it, sends the reminder and queues tomorrow's.
    DBTaskResult.objects.filter(pk=waiting.pk).update(
        run_after=timezone.now() - dt.timedelta(minutes=1)
    )
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert DBTaskResult.objects.get(pk=waiting.pk).status == "SUCCESSFUL"
    assert len(mailoutbox) == 1 and "Hill Surgery: 1 overdue" in mailoutbox[0].subject
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_next_run_is_the_next_seven_oclock():
    tz = timezone.get_current_timezone()
    before = dt.datetime(2026, 3, 1, 6, 59, tzinfo=tz)
    after = dt.datetime(2026, 3, 1, 7, 1, tzinfo=tz)
    assert reminders.next_run(before) == dt.datetime(2026, 3, 1, 7, 0, tzinfo=tz)
    assert reminders.next_run(after) == dt.datetime(2026, 3, 2, 7, 0, tzinfo=tz)
