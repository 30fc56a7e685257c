"""The site staff area: create organisations and their first lead, or load many from CSV."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gpequity.web.audit.models import AuditEvent
from gpequity.web.orgs.models import Invitation, Membership, Organisation
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True))
    return client


def test_only_staff_see_the_area(client, practice):
    assert client.get("/staff/").status_code == 302
    client.force_login(member(practice, "equity_lead"))
    assert client.get("/staff/").status_code == 404
    assert client.get("/staff/organisations/new/").status_code == 404


def test_create_a_practice_and_invite_its_lead(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    pcn = PCNFactory(ods_code="U12345")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/staff/organisations/new/",
            {
                "kind": "practice",
                "ods_code": " a81001 ",
                "name": "Hill Surgery",
                "parent": "u12345",
                "lead_email": "Lead@Example.org",
            },
        )
    assert response.status_code == 302
    org = Organisation.objects.get(ods_code="A81001")
    assert (org.name, org.kind, org.parent) == ("Hill Surgery", "practice", pcn)
    inv = Invitation.objects.get(organisation=org)
    assert (inv.email, inv.role) == ("lead@example.org", "equity_lead")
    assert "/orgs/invitations/" in mailoutbox[-1].body
    assert AuditEvent.objects.filter(entity="organisation", organisation_id=org.pk).exists()
    page = staff_client.get("/staff/").content.decode()
    assert "Hill Surgery (A81001) created. Invitation sent to Lead@Example.org." in page


def test_an_existing_account_becomes_the_lead_at_once(staff_client):
    ICBFactory(ods_code="QHG")
    user = UserFactory(username="sam", email="sam@example.org")
    staff_client.post(
        "/staff/organisations/new/",
        {
            "kind": "pcn",
            "ods_code": "U22222",
            "name": "Dale PCN",
            "parent": "QHG",
            "lead_email": "sam@example.org",
        },
    )
    m = Membership.objects.get(user=user)
    assert (m.organisation.ods_code, m.role) == ("U22222", "network_lead")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "practice", "ods_code": "U12345"}, "ods_code", "one letter (not Q or U)"),
        ({"kind": "practice", "ods_code": "T00001"}, "ods_code", "already exists"),
        ({"kind": "practice", "parent": "QHG"}, "parent", "must be a Primary Care Network"),
        ({"kind": "practice", "parent": "U99999"}, "parent", "No organisation has"),
        ({"kind": "practice", "name": ""}, "name", "required"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(staff_client, data, field, message):
    ICBFactory(ods_code="QHG")
    PracticeFactory(ods_code="T00001")
    before = Organisation.objects.count()
    payload = {"kind": "practice", "ods_code": "A81009", "name": "Hill", "parent": "", **data}
    response = staff_client.post("/staff/organisations/new/", payload)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: Add an organisation" in html
    assert f'href="#id_{field}"' in html and message in html
    assert Organisation.objects.count() == before


def _upload(client, text: str, name="orgs.csv"):
    f = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post("/staff/organisations/load/", {"file": f})


GOOD = (
    "ods_code,name,kind,parent_ods_code\n"
    "A81001,Hill Surgery,practice,U12345\n"
    "U12345,North PCN,pcn,QHG\n"
    "QHG,Dale ICB,icb,\n"
)


def test_bulk_load_previews_then_applies_everything(staff_client):
    response = _upload(staff_client, GOOD)
    assert response.status_code == 302
    assert Organisation.objects.count() == 0
    preview = staff_client.get("/staff/organisations/load/check/").content.decode()
    assert "3 organisations will be created" in preview and "Hill Surgery" in preview
    fp = preview.split('name="fingerprint" value="')[1].split('"')[0]
    response = staff_client.post("/staff/organisations/load/apply/", {"fingerprint": fp})
    assert response.status_code == 302
    hill = Organisation.objects.get(ods_code="A81001")
    assert hill.parent.ods_code == "U12345" and hill.parent.parent.ods_code == "QHG"
    assert AuditEvent.objects.filter(entity="organisation").count() == 3


def test_bulk_load_with_one_bad_line_loads_nothing(staff_client):
    response = _upload(staff_client, GOOD + "B8100X,Bad,practice,U12345\n")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 5, column ods_code (“B8100X”)" in html
    assert "Nothing was loaded" in html
    assert Organisation.objects.count() == 0
    assert (
        staff_client.post("/staff/organisations/load/apply/", {"fingerprint": "x"}).status_code
        == 302
    )
    assert Organisation.objects.count() == 0


def test_bulk_load_cancel(staff_client):
    _upload(staff_client, GOOD)
    staff_client.post("/staff/organisations/load/cancel/")
    assert staff_client.get("/staff/organisations/load/check/").status_code == 302
    assert Organisation.objects.count() == 0
