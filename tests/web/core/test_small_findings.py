"""Issue 22 finding 7: numbers too large for the database in addresses give 400, and a
viewer cannot read pending invitations' e-mail addresses from the history."""

from __future__ import annotations

import pytest

from gpequity.web.focus.models import FocusGroupVersion
from gpequity.web.orgs import services as org_services
from tests.factories import PracticeFactory, member

pytestmark = pytest.mark.django_db
HUGE = "9" * 30


@pytest.fixture
def practice():
    org = PracticeFactory()
    lead = member(org, "equity_lead", username="lead")
    viewer = member(org, "viewer", username="viewer")
    FocusGroupVersion.objects.create(
        organisation=org, version=1, criteria={"any": [{"homeless": True}]}, created_by=lead
    )
    return org, lead, viewer


def test_oversized_numbers_in_addresses_are_bad_requests(client, practice):
    org, lead, _ = practice
    client.force_login(lead)
    base = f"/orgs/{org.ods_code}"
    for url in (
        f"{base}/focus/versions/{HUGE}/",
        f"{base}/focus/versions/1/?with={HUGE}",
        f"{base}/focus/criteria.json?version={HUGE}",
        f"/api/orgs/{org.ods_code}/assessment/history?offset={HUGE}",
        f"{base}/plan/{HUGE}/",
    ):
        response = client.get(url)
        # 500 on PostgreSQL before the fix ("integer out of range"); never a server error now.
        assert response.status_code in (200, 400, 404, 422), (url, response.status_code)


def test_a_viewer_cannot_read_invitation_addresses_in_the_history(client, practice):
    org, lead, viewer = practice
    org_services.invitation_create(
        actor=lead,
        organisation=org,
        email="new.gp@example.org",
        role="member",
        base_url="http://testserver",
    )
    client.force_login(viewer)
    api = client.get(f"/api/orgs/{org.ods_code}/assessment/history").content.decode()
    page = client.get(f"/orgs/{org.ods_code}/assessment/history/").content.decode()
    assert "new.gp@example.org" not in api and "new.gp@example.org" not in page
    assert "invitation" in api
    client.force_login(lead)
    api = client.get(f"/api/orgs/{org.ods_code}/assessment/history").content.decode()
    assert "new.gp@example.org" in api  # the lead, who manages members, still sees it
