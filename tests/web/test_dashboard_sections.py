"""The practice dashboard answers "what now" with sections other areas add (issue 21):
the latest HNA findings for the practice's own members, and feedback waiting for an answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from gpequity.findings import find
from gpequity.web.engagement import services as engagement
from gpequity.web.hna import presenters as hna_presenters
from gpequity.web.hna import selectors as hna_selectors
from tests.factories import PCNFactory, PracticeFactory, member
from tests.web.hna.world import hna_world

pytestmark = pytest.mark.django_db


def _dashboard(client, user, org) -> str:
    client.force_login(user)
    response = client.get(reverse("orgs:dashboard", args=[org.ods_code]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_latest_findings_show_to_the_practice_and_not_to_its_network(client):
    pcn = PCNFactory()
    practice = PracticeFactory(parent=pcn)
    lead = member(practice, "equity_lead")
    network_lead = member(pcn, "network_lead")

    page = _dashboard(client, lead, practice)
    assert "Largest gaps in your latest health needs assessment" not in page  # no run yet

    hna_world(practice, lead)
    run = hna_selectors.latest_done(practice)
    page = _dashboard(client, lead, practice)
    assert "Largest gaps in your latest health needs assessment" in page
    assert reverse("hna:report", args=[practice.ods_code, run.pk]) in page
    first = find(hna_selectors.indicator_rows(run), definitions=hna_presenters.definitions(run))[0]
    assert escape(first.sentence) in page

    # Exact figures never reach organisations above the practice: not even the page.
    client.force_login(network_lead)
    assert client.get(f"/orgs/{practice.ods_code}/").status_code == 404


def test_feedback_past_its_due_date_waits_on_the_dashboard(client, practice, lead):
    today = dt.date.today()
    engagement.insight_create(
        actor=lead,
        organisation=practice,
        theme="The car park is full by nine",
        raised_on=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=5),
    )
    engagement.insight_create(
        actor=lead,
        organisation=practice,
        theme="Not due yet",
        raised_on=today,
        due_date=today + dt.timedelta(days=20),
    )
    page = _dashboard(client, lead, practice)
    assert "Feedback waiting for a response" in page
    assert "The car park is full by nine" in page
    assert "Not due yet" not in page


def test_open_problem_reports_show_on_the_owning_networks_dashboard(client):
    from gpequity.oruk.records import Organisation as Provider
    from gpequity.oruk.records import ServiceRecord
    from gpequity.web.directory import services as directory

    pcn = PCNFactory()
    practice = PracticeFactory(parent=pcn)
    network_lead = member(pcn, "network_lead")
    nurse = member(practice, "member")
    record = ServiceRecord(
        name="Walk and talk",
        status="active",
        description="Weekly walks",
        organization=Provider(name="Park friends", description="A charity"),
    )
    service = directory.service_save(actor=network_lead, owner=pcn, record=record, public=True)

    page = _dashboard(client, network_lead, pcn)
    assert "Problems reported with your directory listings" not in page

    directory.problem_report_add(
        actor=nurse, service=service, reported_from=practice, description="The phone number is old"
    )
    page = _dashboard(client, network_lead, pcn)
    assert "Problems reported with your directory listings (1)" in page
    assert "The phone number is old" in page
    # The practice that reported it does not own the listing: nothing to fix on its dashboard.
    page = _dashboard(client, member(practice, "equity_lead"), practice)
    assert "Problems reported with your directory listings" not in page
