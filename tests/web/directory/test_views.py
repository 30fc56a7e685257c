"""Directory pages as a user meets them: finding a service with each filter, a practice
reading its PCN's shared directory, editing with validation, checking kept apart from
changing, stale flags, problem reports routed to the owner, shortlists, import and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from gpequity.oruk import service_problems
from gpequity.oruk.records import (
    Address,
    Language,
    Location,
    Organisation,
    Schedule,
    ServiceAtLocation,
    ServiceRecord,
)
from gpequity.web.directory import selectors, services
from gpequity.web.directory.categories import term_id
from gpequity.web.directory.models import ProblemReport, Service
from tests.factories import PracticeFactory, member

from .conftest import feed_service

pytestmark = pytest.mark.django_db


def _record(name, **kw) -> ServiceRecord:
    r = ServiceRecord(
        name=name,
        status="active",
        description=f"{name} helps people",
        organization=Organisation(name="Helpers", description="A charity"),
    )
    for k, v in kw.items():
        setattr(r, k, v)
    return r


@pytest.fixture
def directory(pcn, practice, network_lead, lead):
    services.ensure_categories()
    from gpequity.oruk.records import Attribute, TaxonomyTerm

    money = TaxonomyTerm(
        id=term_id("Money, benefits and debt"), name="Money, benefits and debt", description="Money"
    )
    debt = services.service_save(
        actor=network_lead,
        owner=pcn,
        public=True,
        record=_record(
            "Debt advice line",
            access_routes=["self_referral"],
            languages=[Language(id="7c9e6679-7425-40de-944b-e07fc1f90ae7", code="pa")],
            attributes=[Attribute(id="1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed", taxonomy_term=money)],
            service_at_locations=[
                ServiceAtLocation(
                    id="6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
                    location=Location(
                        id="a8098c1a-f86e-11da-bd1a-00112444be1e",
                        location_type="physical",
                        addresses=[
                            Address(
                                id="2c1e8c80-8d4b-4b0e-8c3a-7c2f8e3b9d11",
                                address_1="1 High Street",
                                city="Leeds",
                                state_province="England",
                                postal_code="LS6 2AB",
                                country="GB",
                                address_type="physical",
                            )
                        ],
                    ),
                )
            ],
            schedules=[
                Schedule(
                    id="3f2b8f0e-1d2c-4b5a-9e8f-7a6b5c4d3e21",
                    freq="WEEKLY",
                    byday="MO,TU,WE,TH,FR",
                    opens_at="09:00:00",
                    closes_at="17:00:00",
                )
            ],
        ),
    )
    walk = services.service_save(
        actor=lead,
        owner=practice,
        public=False,
        record=_record(
            "Carers walking group",
            groups=["carer"],
            access_routes=["professional_referral"],
            fees="£2 a walk",
        ),
    )
    return debt, walk


def _names(response) -> list[str]:
    html = response.content.decode()
    return sorted(s.name for s in Service.objects.all() if f">{s.name}</a>" in html)


def test_search_and_each_filter(client, directory, lead, practice):
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/directory/"
    page = client.get(url)
    assert page.status_code == 200
    assert _names(page) == ["Carers walking group", "Debt advice line"]
    assert "Listed by Riverside PCN" in page.content.decode()
    checks = {
        "q=DEBT": ["Debt advice line"],
        f"need={term_id('Money, benefits and debt')}": ["Debt advice line"],
        "group=carer": ["Carers walking group"],
        "language=pa": ["Debt advice line"],
        "free=on": ["Debt advice line"],
        "route=professional_referral": ["Carers walking group"],
        "postcode=LS6": ["Debt advice line"],
        "postcode=ls6+2ab": ["Debt advice line"],
        "postcode=M1": [],
    }
    for query, expected in checks.items():
        assert _names(client.get(f"{url}?{query}")) == expected, query


def test_open_now(directory, practice):
    monday_morning = timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0))
    sunday = monday_morning + dt.timedelta(days=6)
    found = selectors.search(practice, selectors.Search(open_now=True), now=monday_morning)
    assert [s.name for s in found] == ["Debt advice line"]
    assert list(selectors.search(practice, selectors.Search(open_now=True), now=sunday)) == []
    # The search page's one-query ids agree with the queryset, open now or not.
    for when in (monday_morning, sunday):
        for s in (selectors.Search(open_now=True), selectors.Search()):
            expected = [x.pk for x in selectors.search(practice, s, now=when)]
            assert selectors.search_ids(practice, s, now=when) == expected


def test_practice_team_reads_the_pcn_directory_but_cannot_edit_it(directory, pcn, team_member):
    debt, walk = directory
    client = Client()
    client.force_login(team_member)
    page = client.get(f"/orgs/{pcn.ods_code}/directory/")
    assert page.status_code == 200 and "Debt advice line" in page.content.decode()
    detail = client.get(f"/orgs/{pcn.ods_code}/directory/services/{debt.pk}/")
    assert detail.status_code == 200 and "Change listing" not in detail.content.decode()
    edit = client.get(f"/orgs/{pcn.ods_code}/directory/services/{debt.pk}/edit/")
    assert edit.status_code in (403, 404)
    outsider = member(PracticeFactory(), "equity_lead")
    client.force_login(outsider)
    assert client.get(f"/orgs/{pcn.ods_code}/directory/").status_code == 404


def _form(service, **changes) -> dict:
    data = {
        "name": "Carers walking group",
        "provider": "Helpers",
        "description": "Walks for carers",
        "status": "active",
        "free": "no",
        "fees": "£2 a walk",
        "routes": ["self_referral"],
        "groups": ["carer"],
        "languages": "en, pl",
        "email": "walks@example.org",
        "phone": "0113 496 0000",
        "postcode": "ls7 3hb",
        "address_1": "Park gates",
        "city": "Leeds",
        "opens_SA": "10:00",
        "closes_SA": "12:00",
        "terms": [term_id("Physical activity")],
        "version": str(service.version),
        "public": "on",
    }
    data.update(changes)
    return data


def test_edit_saves_an_oruk_valid_listing_and_refuses_bad_input(client, directory, lead, practice):
    _, walk = directory
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/directory/services/{walk.pk}/edit/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url, _form(walk, email="nope", opens_SA="10:00", closes_SA="09:00", languages="Polish!")
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "There is a problem" in html
    assert "Saturday must close after it opens" in html
    assert "is not a language code" in html
    assert Service.objects.get(pk=walk.pk).version == walk.version  # nothing saved
    ok = client.post(url, _form(walk))
    assert ok.status_code == 302
    saved = Service.objects.get(pk=walk.pk)
    assert saved.version == walk.version + 1 and saved.public
    doc = saved.document
    assert service_problems(doc) == []
    assert doc["schedules"][0]["byday"] == "SA" and doc["schedules"][0]["opens_at"] == "10:00:00"
    assert [lang["code"] for lang in doc["languages"]] == ["en", "pl"]
    assert saved.postcodes_key == "|LS|LS7|"
    assert doc["id"] == walk.oruk_id  # the ORUK id is kept
    stale = client.post(url, _form(walk, name="Old copy"))  # an out-of-date version
    assert "Someone else saved this listing" in stale.content.decode()
    assert Service.objects.get(pk=walk.pk).name == "Carers walking group"


def test_new_service(client, practice, lead):
    client.force_login(lead)
    services.ensure_categories()
    url = f"/orgs/{practice.ods_code}/directory/services/new/"
    response = client.post(
        url,
        {
            "name": "Food bank",
            "provider": "Church hall",
            "description": "Food parcels",
            "status": "active",
            "free": "yes",
            "routes": ["signposting"],
        },
    )
    assert response.status_code == 302
    s = Service.objects.get(owner=practice)
    assert s.name == "Food bank" and s.is_free and s.routes_key == "|signposting|"
    assert service_problems(s.document) == []


def test_checking_is_kept_apart_from_changing(client, directory, lead, practice):
    _, walk = directory
    changed_at = walk.changed_at
    client.force_login(lead)
    client.post(f"/orgs/{practice.ods_code}/directory/services/{walk.pk}/checked/")
    s = Service.objects.get(pk=walk.pk)
    assert s.checked_on == timezone.localdate() and s.checked_by == lead.get_full_name()
    assert s.changed_at == changed_at and s.version == walk.version
    assert s.document["assured_date"] == timezone.localdate().isoformat()
    page = client.get(f"/orgs/{practice.ods_code}/directory/services/{walk.pk}/").content.decode()
    assert f"by {lead.get_full_name()}" in page and "Checked recently" in page


@override_settings(DIRECTORY_STALE_MONTHS=(6, 12))
def test_stale_flags(directory, practice):
    debt, walk = directory
    today = dt.date(2026, 12, 1)
    Service.objects.filter(pk=debt.pk).update(checked_on=dt.date(2026, 5, 1))
    Service.objects.filter(pk=walk.pk).update(checked_on=dt.date(2025, 11, 30))
    debt.refresh_from_db()
    walk.refresh_from_db()
    assert selectors.stale_level(debt, today) == "due"
    assert selectors.stale_level(walk, today) == "stale"
    now = timezone.make_aware(dt.datetime(2026, 12, 1, 12))
    assert [
        s.name for s in selectors.search(practice, selectors.Search(stale="stale"), now=now)
    ] == ["Carers walking group"]
    assert len(selectors.search(practice, selectors.Search(stale="due"), now=now)) == 2
    with override_settings(DIRECTORY_STALE_MONTHS=(24, 36)):
        assert selectors.stale_level(walk, today) == "current"


def test_problem_report_goes_to_the_owner(client, directory, pcn, practice, lead, network_lead):
    debt, _ = directory
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/directory/services/{debt.pk}/report/"
    empty = client.post(url, {"description": "  "})
    assert "There is a problem" in empty.content.decode()
    client.post(url, {"description": "The phone line closed"})
    report = ProblemReport.objects.get()
    assert report.owner == pcn and report.reported_from == practice
    net = Client()
    net.force_login(network_lead)
    inbox = net.get(f"/orgs/{pcn.ods_code}/directory/problems/").content.decode()
    assert "The phone line closed" in inbox
    assert "1 open" in net.get(f"/orgs/{pcn.ods_code}/directory/").content.decode()
    net.post(
        f"/orgs/{pcn.ods_code}/directory/problems/{report.pk}/close/",
        {"resolution": "New number added"},
    )
    report.refresh_from_db()
    assert report.closed_at and report.resolution == "New number added"
    # The practice cannot close the PCN's reports.
    assert (
        client.post(f"/orgs/{pcn.ods_code}/directory/problems/{report.pk}/close/").status_code
        == 404
    )


def test_shortlist_and_print(client, directory, lead, practice):
    debt, _ = directory
    client.force_login(lead)
    base = f"/orgs/{practice.ods_code}/directory/"
    client.post(f"{base}services/{debt.pk}/shortlist/", {"next": base})
    page = client.get(f"{base}shortlist/").content.decode()
    assert "Debt advice line" in page
    printed = client.get(f"{base}services/{debt.pk}/print/").content.decode()
    assert "You can contact them yourself." in printed
    assert "Monday to Friday, 9am to 5pm" in printed and "Punjabi" in printed
    # The same summary can be sent: a mailto link with the plain text, and no address.
    from urllib.parse import unquote

    link = re.search(r'href="(mailto:[^"]+)"', printed).group(1)
    assert link.startswith("mailto:?subject=Debt%20advice%20line")
    body = unquote(link.split("&amp;body=")[1])
    assert "When: Monday to Friday, 9am to 5pm" in body and "Languages: Punjabi" in body
    client.post(f"{base}services/{debt.pk}/shortlist/")
    assert selectors.shortlist(lead, practice) == []
    assert "Your shortlist is empty" in client.get(f"{base}shortlist/").content.decode()


def test_web_import_previews_then_applies(client, practice, lead):
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/directory/import/"
    feed = json.dumps({"contents": [feed_service(1), feed_service(2, email="bad")]}).encode()
    refused = client.post(url, {"feed": SimpleUploadedFile("council.json", feed)})
    html = refused.content.decode()
    assert "nothing was imported" in html and 'email is "bad"' in html
    good = json.dumps({"contents": [feed_service(1), feed_service(2)]}).encode()
    preview = client.post(url, {"feed": SimpleUploadedFile("council.json", good)})
    assert "2 new, 0 changed, 0 unchanged" in preview.content.decode()
    assert not Service.objects.exists()
    client.post(url + "apply/")
    assert Service.objects.filter(owner=practice).count() == 2


def test_exports(client, directory, lead, network_lead, pcn):
    client.force_login(network_lead)
    base = f"/orgs/{pcn.ods_code}/directory/"
    page = json.loads(client.get(base + "export.json").content)
    assert [s["name"] for s in page["contents"]] == ["Debt advice line"]
    text = client.get(base + "export.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["Name"] == "Debt advice line" and rows[0]["Languages"] == "Punjabi"
    wb = openpyxl.load_workbook(io.BytesIO(client.get(base + "export.xlsx").content))
    assert wb["Directory"]["B2"].value == "Debt advice line"


def test_the_organisation_json_export_holds_its_directory(
    client, directory, pcn, practice, network_lead
):
    from gpequity.web.reports.export_json import org_export

    debt, walk = directory
    services.service_mark_checked(actor=network_lead, service=debt)
    part = org_export(pcn)["directory"]["services"]
    assert [s["oruk"]["name"] for s in part] == ["Debt advice line"]
    assert part[0]["oruk"] == Service.objects.get(pk=debt.pk).document
    assert part[0]["public"] is True and part[0]["checked_by"] == network_lead.get_full_name()
    assert [s["oruk"]["name"] for s in org_export(practice)["directory"]["services"]] == [
        "Carers walking group"
    ]
