"""Background builds of the report PDF (ADR 9): stages, the progress page and its status feed,
downloads, failures, stale builds, pruning, organisation scoping, and the real database worker."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from gpequity.web.orgs.models import Role
from gpequity.web.reports import builds
from gpequity.web.reports.models import ReportBuild
from tests.factories import PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _pdf_text(data: bytes) -> str:
    """The PDF's text with whitespace collapsed (table cells wrap over lines)."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _base(org) -> str:
    return f"/orgs/{org.ods_code}/reports/"


def test_asking_for_a_pdf_builds_it_through_each_stage_and_serves_it(client, filled, monkeypatch):
    org, lead, helper, _ = filled
    seen = []
    real_advance = builds._advance

    def spy(model, build_id, attempt, **fields):  # records each stage, then does the update
        seen.append({k: v for k, v in fields.items() if k in ("status", "step", "stage")})
        return real_advance(model, build_id, attempt, **fields)

    monkeypatch.setattr(builds, "_advance", spy)
    client.force_login(helper)  # a member may build the report too (view permission)
    response = client.post(_base(org) + "pdf-builds/")
    build = ReportBuild.objects.get(organisation=org)
    assert response.status_code == 302
    assert response["Location"] == _base(org) + f"pdf-builds/{build.pk}/"
    assert [s.get("step") for s in seen] == [0, 1, 2, 3]
    assert seen[0]["status"] == "running" and seen[-1]["status"] == "done"
    assert seen[1]["stage"] == "Laying out the pages"
    assert seen[2]["stage"].startswith("Writing the PDF (") and "page" in seen[2]["stage"]
    assert build.status == "done" and build.requested_by == helper and build.percent == 100
    assert build.started_at <= build.finished_at

    page = client.get(response["Location"]).content.decode()
    assert "The report is ready" in page and "Download the report PDF" in page
    assert "report-build.js" not in page  # nothing left to poll
    status = client.get(_base(org) + f"pdf-builds/{build.pk}/status/").json()
    assert status["finished"] is True and status["percent"] == 100
    assert "Download the report PDF" in status["html"]

    pdf = client.get(_base(org) + f"pdf-builds/{build.pk}/download/")
    assert pdf["Content-Type"] == "application/pdf"
    assert f"{org.ods_code}-equity-report-" in pdf["Content-Disposition"]
    assert pdf.content == bytes(build.pdf) and len(pdf.content) == build.size
    text = _pdf_text(pdf.content)
    assert "Riverside Surgery" in text and "Record ethnicity for more patients" in text

    index = client.get(_base(org)).content.decode()
    assert "Recent PDFs" in index and f"pdf-builds/{build.pk}/" in index


def test_a_failed_build_says_so_without_internals_and_offers_to_try_again(
    client, filled, monkeypatch
):
    org, lead, _, _ = filled
    import weasyprint

    def broken(self, *args, **kwargs):
        raise OSError("font cache at /var/secret is corrupt")

    monkeypatch.setattr(weasyprint.HTML, "render", broken)
    client.force_login(lead)
    response = client.post(_base(org) + "pdf-builds/")
    build = ReportBuild.objects.get(organisation=org)
    assert build.status == "failed" and build.pdf is None and build.finished_at
    page = client.get(response["Location"]).content.decode()
    assert "The report was not built" in page and builds.FAILED_MESSAGE in page
    assert "font cache" not in page and "/var/secret" not in page
    assert "Try again" in page
    assert client.get(_base(org) + f"pdf-builds/{build.pk}/download/").status_code == 404
    monkeypatch.undo()
    again = client.post(_base(org) + "pdf-builds/")
    newest = ReportBuild.objects.filter(organisation=org).first()
    assert again["Location"].endswith(f"{newest.pk}/") and newest.status == "done"


@override_settings(TASKS=DB_TASKS)
def test_a_waiting_build_shows_progress_and_warns_when_no_worker_picks_it_up(client, filled):
    org, lead, _, _ = filled
    client.force_login(lead)
    response = client.post(_base(org) + "pdf-builds/")
    build = ReportBuild.objects.get(organisation=org)
    assert build.status == "queued"
    assert DBTaskResult.objects.filter(args_kwargs__args=[str(build.pk), 1]).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Waiting to start" in page and 'role="status"' in page
    assert '<progress class="app-progress" id="build-progress" max="100" value="0">' in page
    assert "report-build.js" in page and "Taking longer than expected" not in page
    assert client.get(_base(org) + f"pdf-builds/{build.pk}/download/").status_code == 404
    status = client.get(_base(org) + f"pdf-builds/{build.pk}/status/")
    assert status["Cache-Control"] == "no-store"
    assert json.loads(status.content)["finished"] is False

    ReportBuild.objects.filter(pk=build.pk).update(
        created_at=timezone.now() - builds.STALE_AFTER - dt.timedelta(seconds=1)
    )
    page = client.get(response["Location"]).content.decode()
    assert "Taking longer than expected" in page and "Start the build again" in page


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_the_database_worker_builds_a_queued_report(client):
    from .factories import filled_practice

    org, lead, _, _ = filled_practice()
    client.force_login(lead)
    client.post(_base(org) + "pdf-builds/")
    build = ReportBuild.objects.get(organisation=org)
    assert build.status == "queued"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    build.refresh_from_db()
    assert build.status == "done" and build.step == build.steps == 3
    assert "Riverside Surgery" in _pdf_text(bytes(build.pdf))
    result = DBTaskResult.objects.get(args_kwargs__args=[str(build.pk), 1])
    assert result.status == "SUCCESSFUL" and result.return_value == build.size


def test_builds_older_than_a_week_are_deleted_when_a_new_one_is_asked_for(client, filled):
    org, lead, _, _ = filled
    other = PracticeFactory()
    old = ReportBuild.objects.create(organisation=org, requested_by=lead)
    week_old = ReportBuild.objects.create(organisation=org, requested_by=lead)
    elsewhere = ReportBuild.objects.create(organisation=other)
    long_ago = timezone.now() - builds.KEEP_FOR - dt.timedelta(minutes=1)
    ReportBuild.objects.filter(pk__in=[old.pk, elsewhere.pk]).update(created_at=long_ago)
    client.force_login(lead)
    client.post(_base(org) + "pdf-builds/")
    left = set(ReportBuild.objects.values_list("pk", flat=True))
    assert old.pk not in left and week_old.pk in left and elsewhere.pk in left
    assert ReportBuild.objects.filter(organisation=org).count() == 2


def test_a_build_is_only_found_within_its_own_organisation(client, filled):
    org, lead, _, _ = filled
    build = ReportBuild.objects.create(
        organisation=org, requested_by=lead, status="done", pdf=b"%PDF-1.4", size=8,
        finished_at=timezone.now(),
    )  # fmt: skip
    other = PracticeFactory(ods_code="Z99999")
    outsider = member(other, Role.EQUITY_LEAD)
    staff = UserFactory(is_staff=True)  # can see both practices
    for user, expected in ((outsider, 404), (staff, 404)):
        client.force_login(user)
        for tail in ("", "status/", "download/"):
            url = _base(other) + f"pdf-builds/{build.pk}/{tail}"
            assert client.get(url).status_code == expected, (user, tail)
    client.force_login(outsider)
    assert client.get(_base(org) + f"pdf-builds/{build.pk}/download/").status_code == 404
    client.force_login(staff)
    assert client.get(_base(org) + f"pdf-builds/{build.pk}/download/").content == b"%PDF-1.4"
    assert client.get(_base(org) + "pdf-builds/").status_code == 405  # asking is a POST
