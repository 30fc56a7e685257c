"""A system extract uploaded from the web by a PCN's network lead or an ICB's analyst
(ADR 28): streamed and run in the background like a practice's, then stored as each
practice's own run; refused whole when a practice code is not theirs; and only they may."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gpequity.web.hna.models import IndicatorResult, Run, RunKind, RunStatus
from gpequity.web.orgs.models import Role
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, member

from .extracts import _TMP, zipped

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 10, 1)


@cache
def system_zip() -> bytes:
    from gpequity.synth import generate

    out = _TMP / "system-800-2"
    generate(800, seed=3, as_of=AS_OF, out=out, appointments_per_patient=2.0, practices=2)
    return zipped({n: (out / n).read_bytes() for n in ("patients.csv", "appointments.csv")})


@pytest.fixture
def network():
    icb = ICBFactory(ods_code="QYY", name="Moor ICB")
    pcn = PCNFactory(ods_code="U33333", name="Moor North PCN", parent=icb)
    other = PCNFactory(ods_code="U44444", name="Moor South PCN", parent=icb)
    one = PracticeFactory(ods_code="Y90001", name="Fell Surgery", parent=pcn)
    two = PracticeFactory(ods_code="Y90002", name="Tarn Surgery", parent=pcn)
    return {
        "icb": icb,
        "pcn": pcn,
        "practices": (one, two),
        "network_lead": member(pcn, Role.NETWORK_LEAD, username="pcn-lead"),
        "pcn_viewer": member(pcn, Role.VIEWER, username="pcn-viewer"),
        "other_lead": member(other, Role.NETWORK_LEAD, username="other-lead"),
        "practice_lead": member(one, Role.EQUITY_LEAD, username="fell-lead"),
        "analyst": member(icb, Role.ANALYST, username="analyst"),
    }


def upload(client, org):
    return client.post(
        f"/orgs/{org.ods_code}/hna/runs/new/",
        {
            "extract": SimpleUploadedFile("system.zip", system_zip()),
            "as_of_day": str(AS_OF.day),
            "as_of_month": str(AS_OF.month),
            "as_of_year": str(AS_OF.year),
            "focus": "none",
        },
    )


def test_a_network_lead_uploads_a_system_extract_and_each_practice_gets_its_run(client, network):
    pcn = network["pcn"]
    client.force_login(network["network_lead"])
    page = client.get(f"/orgs/{pcn.ods_code}/hna/").content.decode()
    assert "Upload a system extract" in page and 'name="extract"' in page

    response = upload(client, pcn)
    system = Run.objects.get(organisation=pcn)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response["Location"].endswith(f"/runs/{system.pk}/")
    assert system.status == RunStatus.DONE and system.kind == RunKind.SYSTEM
    assert not IndicatorResult.objects.filter(run=system).exists()  # no figures at the PCN
    page = client.get(response["Location"]).content.decode()
    assert "Stored for 2 practices" in page
    assert "Fell Surgery (Y90001)" in page and "Tarn Surgery (Y90002)" in page
    assert "See the report" not in page
    assert client.get(f"/orgs/{pcn.ods_code}/hna/runs/{system.pk}/report/").status_code == 404

    for practice in network["practices"]:
        run = Run.objects.get(organisation=practice)
        assert run.kind == RunKind.SYSTEM and run.system_run_id == system.pk
        assert run.system_organisation == pcn and run.status == RunStatus.DONE
        assert IndicatorResult.objects.filter(run=run, grouping="overall").exists()

    # The practice reads it as its own upload: the list's latest report, the report pages.
    one = network["practices"][0]
    client.force_login(network["practice_lead"])
    run = Run.objects.get(organisation=one)
    page = client.get(f"/orgs/{one.ods_code}/hna/").content.decode()
    assert f"/orgs/{one.ods_code}/hna/runs/{run.pk}/report/" in page
    report = client.get(f"/orgs/{one.ods_code}/hna/runs/{run.pk}/report/")
    assert report.status_code == 200
    assert "a system extract of Moor North PCN run for each of its practices" in (
        report.content.decode()
    )


def test_a_practice_code_not_in_the_network_refuses_the_whole_extract(client, network):
    network["practices"][1].delete()
    client.force_login(network["network_lead"])
    upload(client, network["pcn"])
    system = Run.objects.get(organisation=network["pcn"])
    assert system.status == RunStatus.INVALID
    assert "not a practice of Moor North PCN (U33333): Y90002" in system.message
    assert "Nothing was stored" in system.message
    assert Run.objects.count() == 1  # nothing at the practices
    page = client.get(f"/orgs/U33333/hna/runs/{system.pk}/").content.decode()
    assert "Y90002" in page


@pytest.mark.parametrize(
    ("user", "org", "allowed"),
    [
        ("network_lead", "pcn", True),
        ("analyst", "icb", True),
        ("pcn_viewer", "pcn", False),
        ("other_lead", "pcn", False),
        ("practice_lead", "pcn", False),
        ("analyst", "pcn", False),  # an ICB's analyst reads a PCN; the PCN's lead runs it
        ("network_lead", "icb", False),
    ],
)
def test_who_may_upload_a_system_extract(client, network, user, org, allowed):
    client.force_login(network[user])
    response = upload(client, network[org])
    if allowed:
        assert response.status_code == 302
        assert Run.objects.filter(kind=RunKind.SYSTEM, status=RunStatus.DONE).count() == 3
    else:
        assert response.status_code in (403, 404)
        assert not Run.objects.exists()


def test_anonymous_cannot_upload(client, network):
    response = upload(client, network["pcn"])
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert not Run.objects.exists()
