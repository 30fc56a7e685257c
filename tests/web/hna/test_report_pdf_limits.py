"""HNA report PDF builds under pressure (issue 22, ADR 29): the same limits per person and
per practice as the practice report's, counted together with them (they share the worker),
and a build whose worker died is queued again and built, or failed, never "running" for ever.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gpequity.web.hna import report_pdf
from gpequity.web.hna.models import ReportPdf, Run
from gpequity.web.orgs.models import Role
from gpequity.web.reports import builds
from gpequity.web.reports.models import ReportBuild
from tests.factories import member

from .extracts import AS_OF
from .test_runs import base

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LIMITS = {"REPORT_BUILDS_PER_USER": 2, "REPORT_BUILDS_PER_ORGANISATION": 3}


@pytest.fixture
def run(practice, lead) -> Run:
    """A finished run (its figures are never rendered by the limit tests: no worker runs)."""
    return Run.objects.create(
        organisation=practice, as_of=AS_OF, status="done", created_by=lead, upload_names="x.zip"
    )


def _ask(client, run):
    return client.post(base(run.organisation) + f"runs/{run.pk}/pdf-builds/")


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@override_settings(TASKS=DB_TASKS, **LIMITS)
def test_a_viewers_flood_of_hna_pdfs_is_refused_on_the_report_and_the_lead_goes_first(
    client, practice, lead, run
):
    viewers = [member(practice, Role.VIEWER, username=f"viewer-{i}") for i in range(2)]
    report = base(practice) + f"runs/{run.pk}/report/"
    client.force_login(viewers[0])
    for _ in range(2):
        assert "/pdf-builds/" in _ask(client, run)["Location"]
    refused = _ask(client, run)
    assert refused.status_code == 302 and refused["Location"] == report
    assert _said(refused) == [
        "You already have 2 reports waiting or being built, the most you can have at once. "
        "Wait for one to finish, then ask again."
    ]
    page = client.get(report).content.decode()
    assert "You already have 2 reports waiting" in page and "nhsuk-notification-banner" in page
    client.force_login(viewers[1])
    _ask(client, run)
    refused = _ask(client, run)  # the practice's viewers have 3 going: its limit
    assert _said(refused) == [
        "Riverside Surgery already has 3 reports waiting or being built. "
        "Wait for one to finish, then ask again."
    ]
    assert ReportPdf.objects.filter(run=run).count() == 3

    client.force_login(lead)  # the lead is not held by the viewers' count, and goes first
    lead_build = ReportPdf.objects.get(pk=_ask(client, run)["Location"].split("/")[-2])
    assert lead_build.status == "queued" and lead_build.requested_by == lead
    queue = DBTaskResult.objects.ready()  # the worker's order
    assert queue.first().args_kwargs["args"] == [str(lead_build.pk), 1]
    assert queue.count() == 4

    # A finished build frees its place.
    ReportPdf.objects.filter(requested_by=viewers[0]).update(status="done")
    client.force_login(viewers[0])
    assert "/pdf-builds/" in _ask(client, run)["Location"]


@override_settings(TASKS=DB_TASKS, **LIMITS)
def test_hna_and_practice_report_builds_count_against_one_limit(client, practice, lead, run):
    """They share the one worker queue, so a person cannot have 2 of each going."""
    viewer = member(practice, Role.VIEWER)
    client.force_login(viewer)
    assert client.post(f"/orgs/{practice.ods_code}/reports/pdf-builds/").status_code == 302
    _ask(client, run)
    assert "You already have 2 reports waiting" in _said(_ask(client, run))[0]
    refused = client.post(f"/orgs/{practice.ods_code}/reports/pdf-builds/")
    assert "You already have 2 reports waiting" in _said(refused)[0]
    assert ReportBuild.objects.count() == 1 and ReportPdf.objects.count() == 1


def _killed_mid_build(run, lead, attempt: int = 1) -> ReportPdf:
    """A build as a worker SIGKILLed half way leaves it: running, its lease run out."""
    long_ago = timezone.now() - dt.timedelta(seconds=301)
    return ReportPdf.objects.create(
        run=run, requested_by=lead, status="running", step=1, stage=report_pdf.STAGES[1],
        attempt=attempt, started_at=long_ago, heartbeat_at=long_ago,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_an_hna_pdf_whose_worker_died_is_queued_again_and_built_by_the_next_worker(
    practice, lead, run
):
    dead = _killed_mid_build(run, lead)
    fresh = ReportPdf.objects.create(
        run=run, requested_by=lead, status="running", heartbeat_at=timezone.now()
    )
    # Another build's worker starting (here the practice report's) looks for dead builds.
    other = ReportBuild.objects.create(organisation=practice, requested_by=lead, status="done")
    builds.run_build(str(other.pk), 1)
    dead.refresh_from_db()
    assert (dead.status, dead.attempt, dead.step, dead.started_at) == ("queued", 2, 0, None)
    assert dead.stage == report_pdf.STAGES[0]
    fresh.refresh_from_db()
    assert fresh.status == "running"  # its lease holds: left alone
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [str(dead.pk), 2]
    assert task.priority == builds.EDITOR_PRIORITY  # the lead asked for it

    report_pdf.run_build(str(dead.pk), 1)  # the first worker's task, come back late: ignored
    dead.refresh_from_db()
    assert dead.status == "queued" and dead.attempt == 2
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    dead.refresh_from_db()
    assert dead.status == "done" and dead.size > 0 and bytes(dead.pdf).startswith(b"%PDF")
    assert dead.heartbeat_at is not None and dead.attempt == 2


def test_an_hna_pdf_whose_worker_died_twice_fails_with_a_clear_message(client, practice, lead, run):
    dead = _killed_mid_build(run, lead, attempt=builds.MAX_ATTEMPTS)
    client.force_login(lead)
    url = base(practice) + f"runs/{run.pk}/pdf-builds/{dead.pk}/"
    status = client.get(url + "status/").json()  # the progress page's poll finds it
    assert status["status"] == "failed" and status["finished"] is True
    assert "background worker stopped" in status["html"]
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.error == builds.DIED_MESSAGE
    assert "background worker stopped" in client.get(url).content.decode()


@override_settings(TASKS=DB_TASKS)
def test_a_build_running_from_before_leases_existed_is_recovered(practice, lead, run):
    """A build left running by a worker killed before the upgrade has no heartbeat."""
    long_ago = timezone.now() - dt.timedelta(hours=1)
    old = ReportPdf.objects.create(run=run, requested_by=lead, status="running")
    ReportPdf.objects.filter(pk=old.pk).update(started_at=long_ago, created_at=long_ago)
    assert builds.recover_dead_builds() == 1
    old.refresh_from_db()
    assert old.status == "queued" and old.attempt == 2


@override_settings(TASKS=DB_TASKS, REPORT_BUILDS_PER_USER=1)
def test_a_dead_hna_build_does_not_count_against_the_limit(client, practice, lead, run):
    _killed_mid_build(run, lead, attempt=builds.MAX_ATTEMPTS)
    client.force_login(lead)
    response = _ask(client, run)
    assert "/pdf-builds/" in response["Location"] and not _said(response)
