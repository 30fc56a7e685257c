"""Report PDF builds under pressure (issue 22): limits per person and per organisation that
a viewer's flood cannot use to starve the lead, and recovery of a build whose worker died."""

from __future__ import annotations

import datetime as dt
import io
import os
import time

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gpequity.web.orgs.models import Role
from gpequity.web.reports import builds, uploads
from gpequity.web.reports.models import ReportBuild
from tests.factories import MembershipFactory, member

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LIMITS = {"REPORT_BUILDS_PER_USER": 2, "REPORT_BUILDS_PER_ORGANISATION": 3}


def _ask(client, org):
    return client.post(f"/orgs/{org.ods_code}/reports/pdf-builds/")


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@override_settings(TASKS=DB_TASKS, **LIMITS)
def test_a_viewers_flood_is_refused_with_a_message_and_the_leads_build_goes_first(client, filled):
    org, lead, helper, _ = filled
    viewers = [member(org, Role.VIEWER, username=f"viewer-{i}") for i in range(2)]
    client.force_login(viewers[0])
    for _ in range(2):
        assert _ask(client, org).status_code == 302
    refused = _ask(client, org)
    assert refused["Location"] == f"/orgs/{org.ods_code}/reports/"
    assert _said(refused) == [
        "You already have 2 reports waiting or being built, the most you can have at once. "
        "Wait for one to finish, then ask again."
    ]
    page = client.get(refused["Location"]).content.decode()
    assert "You already have 2 reports waiting" in page
    client.force_login(viewers[1])
    _ask(client, org)
    refused = _ask(client, org)  # the organisation's viewers have 3 going: its limit
    assert _said(refused) == [
        "Riverside Surgery already has 3 reports waiting or being built. "
        "Wait for one to finish, then ask again."
    ]
    assert ReportBuild.objects.filter(organisation=org).count() == 3

    client.force_login(lead)  # the lead is not held by the viewers' count
    lead_build = ReportBuild.objects.get(pk=_ask(client, org)["Location"].split("/")[-2])
    assert lead_build.status == "queued" and lead_build.requested_by == lead
    queue = DBTaskResult.objects.ready()  # the worker's order
    assert queue.first().args_kwargs["args"] == [str(lead_build.pk), 1]
    assert queue.count() == 4

    # A finished build frees its place.
    ReportBuild.objects.filter(requested_by=viewers[0]).update(status="done")
    client.force_login(viewers[0])
    assert _ask(client, org)["Location"].startswith(f"/orgs/{org.ods_code}/reports/pdf-builds/")


@override_settings(TASKS=DB_TASKS, REPORT_BUILDS_PER_USER=1)
def test_the_limit_per_person_counts_every_organisation(client, filled):
    from .factories import filled_practice

    org, lead, _, _ = filled
    other, other_lead, _, _ = filled_practice("Hillside", "R54321")
    MembershipFactory(user=lead, organisation=other, role=Role.EQUITY_LEAD)
    client.force_login(lead)
    _ask(client, org)
    assert "You already have 1 report waiting" in _said(_ask(client, other))[0]


def _killed_mid_build(org, lead, attempt: int = 1) -> ReportBuild:
    """A build as a worker SIGKILLed half way leaves it: running, its lease run out."""
    long_ago = timezone.now() - dt.timedelta(seconds=301)
    return ReportBuild.objects.create(
        organisation=org, requested_by=lead, status="running", step=1, stage=builds.STAGES[1],
        attempt=attempt, started_at=long_ago, heartbeat_at=long_ago,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_a_build_whose_worker_died_is_queued_again_and_built_by_the_next_worker(client):
    from .factories import filled_practice

    org, lead, _, _ = filled_practice()
    dead = _killed_mid_build(org, lead)
    fresh = ReportBuild.objects.create(
        organisation=org, requested_by=lead, status="running", heartbeat_at=timezone.now()
    )
    client.force_login(lead)
    status = client.get(f"/orgs/{org.ods_code}/reports/pdf-builds/{dead.pk}/status/").json()
    assert status["status"] == "queued" and status["percent"] == 0
    dead.refresh_from_db()
    assert dead.attempt == 2 and dead.started_at is None
    fresh.refresh_from_db()
    assert fresh.status == "running"  # its lease holds: left alone
    assert DBTaskResult.objects.get().args_kwargs["args"] == [str(dead.pk), 2]

    builds.run_build(str(dead.pk), 1)  # the first worker's task, come back late: ignored
    dead.refresh_from_db()
    assert dead.status == "queued" and dead.attempt == 2
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    dead.refresh_from_db()
    assert dead.status == "done" and dead.size > 0 and bytes(dead.pdf).startswith(b"%PDF")


def test_a_build_whose_worker_died_twice_fails_with_a_clear_message(client, filled):
    org, lead, _, _ = filled
    dead = _killed_mid_build(org, lead, attempt=builds.MAX_ATTEMPTS)
    client.force_login(lead)
    page = client.get(f"/orgs/{org.ods_code}/reports/pdf-builds/{dead.pk}/").content.decode()
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.error == builds.DIED_MESSAGE
    assert "The report was not built" in page and "background worker stopped" in page


@override_settings(TASKS=DB_TASKS, REPORT_BUILDS_PER_USER=1)
def test_a_dead_build_does_not_count_against_the_limit(client, filled):
    org, lead, _, _ = filled
    _killed_mid_build(org, lead, attempt=builds.MAX_ATTEMPTS)
    client.force_login(lead)
    response = _ask(client, org)
    assert "/pdf-builds/" in response["Location"] and not _said(response)


def _stored(name: str, age_hours: float) -> str:
    path = default_storage.save(name, ContentFile(b"PK\x03\x04 not really"))
    when = time.time() - age_hours * 3600
    os.utime(default_storage.path(path), (when, when))
    return path


@override_settings(IMPORT_KEEP_HOURS=24)
def test_abandoned_workbook_uploads_are_purged_by_age(client, filled):
    org, lead, _, _ = filled
    old = _stored(uploads.pending_path(org.pk, "abandoned"), 25)
    recent = _stored(uploads.pending_path(org.pk, "in-use"), 23)
    toolkit_old = _stored("catalogue-imports/left.xlsx", 30)
    out = io.StringIO()
    call_command("purge_uploads", stdout=out)
    assert out.getvalue().strip() == "Deleted 2 abandoned uploads."
    assert not default_storage.exists(old) and not default_storage.exists(toolkit_old)
    assert default_storage.exists(recent)
    call_command("purge_uploads", "--hours", "1", stdout=io.StringIO())
    assert not default_storage.exists(recent)


@override_settings(IMPORT_KEEP_HOURS=1)
def test_the_worker_and_a_new_upload_purge_abandoned_workbooks(client, filled):
    org, lead, _, _ = filled
    old = _stored(uploads.pending_path(org.pk, "before-build"), 2)
    client.force_login(lead)
    _ask(client, org)  # the (immediate) worker builds it, purging first
    assert ReportBuild.objects.get(organisation=org).status == "done"
    assert not default_storage.exists(old)
    old = _stored(uploads.pending_path(org.pk, "before-upload"), 2)
    from gpequity.web.reports import xlsx

    data = xlsx.export_workbook(org)
    response = client.post(
        f"/orgs/{org.ods_code}/reports/import/",
        {"workbook": ContentFile(data, name="book.xlsx")},
    )
    assert response.status_code == 302
    assert not default_storage.exists(old)
