"""Denials, exports and downloads go into the audit trail (issue 22): who, which
organisation, what; never a query string or patient data."""

from __future__ import annotations

import pytest

from gpequity.web.audit.models import AuditEvent
from gpequity.web.orgs.models import Role
from tests.factories import PracticeFactory, member
from tests.web.reports.factories import filled_practice, save_focus

pytestmark = pytest.mark.django_db

EXPORTS = [
    ("reports/workbook.xlsx", "reports:xlsx", "workbook"),
    ("reports/assessment.csv", "reports:assessment_csv", "assessment"),
    ("reports/plan.csv", "reports:plan_csv", "plan"),
    ("reports/export.json", "reports:json", "export"),
    ("focus/criteria.json", "focus:download", "criteria.json"),
    ("directory/export.csv", "directory:export_csv", ".csv"),
    ("directory/export.xlsx", "directory:export_xlsx", ".xlsx"),
    ("engagement/activities.csv", "engagement:activities_csv", ".csv"),
]


@pytest.fixture
def practice():
    org, lead, helper, _ = filled_practice()
    save_focus(org, lead)
    return org, lead, member(org, Role.VIEWER, username="viewer-r12345")


def test_every_export_is_audited_with_who_which_organisation_and_what(client, practice):
    org, lead, viewer = practice
    client.force_login(viewer)
    for tail, view_name, file_part in EXPORTS:
        before = AuditEvent.objects.count()
        response = client.get(f"/orgs/{org.ods_code}/{tail}?secret=nhs-9434765919")
        assert response.status_code == 200, tail
        assert response["Content-Disposition"].startswith("attachment"), tail
        event = AuditEvent.objects.exclude(entity="sign_in").first()
        assert AuditEvent.objects.count() == before + 1, tail
        assert (event.entity, event.verb, event.entity_id) == ("download", "downloaded", view_name)
        assert event.actor_id == viewer.pk and event.organisation_id == org.pk
        assert file_part in event.note and f"/orgs/{org.ods_code}/{tail}" in event.note
        assert "secret" not in event.note and "9434765919" not in event.note


def test_a_pdf_download_is_audited(client, practice):
    org, lead, _ = practice
    client.force_login(lead)
    location = client.post(f"/orgs/{org.ods_code}/reports/pdf-builds/")["Location"]
    client.get(location + "download/")
    event = AuditEvent.objects.get(entity="download")
    assert event.entity_id == "reports:pdf_build_download" and ".pdf from" in event.note


def test_a_denial_is_audited_for_a_signed_in_person_only(client, practice):
    org, lead, viewer = practice
    other = PracticeFactory(ods_code="Z99999")
    client.force_login(viewer)
    assert client.get(f"/orgs/{other.ods_code}/reports/plan.csv?q=x").status_code == 404
    assert client.post(f"/orgs/{org.ods_code}/reports/import/").status_code in (403, 404)
    denied = list(AuditEvent.objects.filter(verb="denied").order_by("id"))
    assert [(e.entity, e.actor_id) for e in denied] == [("access", viewer.pk)] * 2
    assert denied[0].organisation_id == other.pk and denied[0].entity_id == "reports:plan_csv"
    assert denied[0].note == f"404 GET /orgs/{other.ods_code}/reports/plan.csv"
    assert denied[1].organisation_id == org.pk and denied[1].note.endswith(
        f"POST /orgs/{org.ods_code}/reports/import/"
    )
    assert AuditEvent.objects.filter(entity="download").count() == 0  # refused: no file

    client.get("/no-such-page/")  # no route: a typo, not a denial
    client.logout()
    client.get(f"/orgs/{other.ods_code}/reports/plan.csv")  # signed out: sent to sign in
    assert AuditEvent.objects.filter(verb="denied").count() == 2


def test_an_api_token_denial_is_audited(client, practice):
    from gpequity.web.accounts.services import token_create

    org, lead, viewer = practice
    other = PracticeFactory(ods_code="Z99999")
    _, secret = token_create(actor=viewer, name="script")
    response = client.get(f"/api/orgs/{other.ods_code}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 404
    event = AuditEvent.objects.get(verb="denied")
    assert event.actor_id == viewer.pk and event.organisation_id == other.pk


def test_security_records_stay_out_of_the_practices_history_and_export(client, practice):
    from gpequity.web.audit.services import audit_for

    org, lead, viewer = practice
    client.force_login(viewer)
    client.get(f"/orgs/{org.ods_code}/reports/plan.csv")
    client.post(f"/orgs/{org.ods_code}/reports/import/")
    assert AuditEvent.objects.filter(entity__in=("access", "download")).count() == 2
    assert not audit_for(org).filter(entity__in=("access", "download")).exists()
    assert audit_for(org, entity="download").count() == 1  # staff can still ask for them
    client.force_login(lead)
    exported = client.get(f"/orgs/{org.ods_code}/reports/export.json").json()
    assert {e["entity"] for e in exported["audit_events"]}.isdisjoint({"access", "download"})


def test_an_api_export_by_token_is_audited_once_without_the_query(client, practice):
    from gpequity.web.accounts.services import token_create

    org, lead, viewer = practice
    _, secret = token_create(actor=viewer, name="script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    response = client.get(f"/api/orgs/{org.ods_code}/export.json?nhs=9434765919", **auth)
    assert response.status_code == 200 and "Content-Disposition" not in response
    event = AuditEvent.objects.get(entity="download")
    assert (event.verb, event.entity_id) == ("downloaded", "api:export_json")
    assert event.actor_id == viewer.pk and event.organisation_id == org.pk
    assert event.note == f"export.json from /api/orgs/{org.ods_code}/export.json"
    # a plain read by the same script is not an export
    assert client.get(f"/api/orgs/{org.ods_code}/plan", **auth).status_code == 200
    assert AuditEvent.objects.filter(entity="download").count() == 1
