"""The directory comes back from the organisation's JSON export: export, import into a fresh
organisation, export again gives the same directory (every ORUK field, published or not, last
checked and by whom apart from last changed and by whom, the source); a bad file is refused
naming the place and value, and nothing changes. Service layer, CLI and web page."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.oruk.listings import read_section
from gpequity.oruk.records import LANGUAGES
from gpequity.oruk.sync import normalise
from gpequity.web.directory import services
from gpequity.web.directory.models import Service
from gpequity.web.reports.export_json import org_export, org_export_bytes
from tests.factories import PCNFactory, member

from .conftest import example, feed_service

pytestmark = pytest.mark.django_db
runner = CliRunner()

# What people type: any text a database keeps (not NUL, not lone surrogates).
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)
WORDS = TEXT.filter(lambda t: t.strip() != "")
WHEN = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda d: d.replace(tzinfo=dt.UTC)
)
DAY = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@st.composite
def listing(draw, n: int) -> dict:
    doc = feed_service(
        n,
        id=str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        name=draw(WORDS),
        description=draw(TEXT),
        email=draw(st.sampled_from(["", "help@example.org", "a.b+c@example.co.uk"])),
    )
    lo = draw(st.none() | st.integers(0, 99))
    hi = draw(st.none() | st.integers(lo or 0, 120))
    for key, value in (("minimum_age", lo), ("maximum_age", hi)):
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    codes = draw(st.lists(st.sampled_from(sorted(LANGUAGES)), unique=True, max_size=3))
    doc["languages"] = [
        {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{n}/{c}")), "code": c} for c in codes
    ]
    checked = draw(st.none() | DAY)
    if checked:
        doc["assured_date"] = checked.isoformat()
    else:
        doc.pop("assured_date", None)
        doc.pop("assurer_email", None)
    return {
        "oruk": normalise(doc),
        "public": draw(st.booleans()),
        "checked_on": checked.isoformat() if checked else None,
        "checked_by": draw(WORDS) if checked else "",
        "changed_at": draw(WHEN).isoformat(),
        "changed_by": draw(TEXT),
        "source": draw(TEXT),
    }


@st.composite
def directories(draw) -> dict:
    size = draw(st.integers(0, 4))
    items = [draw(listing(n)) for n in range(size)]
    seen, unique = set(), []
    for item in items:
        if item["oruk"]["id"] not in seen:
            seen.add(item["oruk"]["id"])
            unique.append(item)
    return {"version": 1, "services": unique}


def _part(org) -> dict:
    """The directory section, less the exporting organisation's own code."""
    part = org_export(org)["directory"]
    assert part.pop("owner") == org.ods_code
    return part


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=directories())
def test_export_then_import_into_a_fresh_organisation_gives_the_same_directory(typed):
    source = PCNFactory()
    lead = member(source, "network_lead")
    listings, problems = read_section(typed)
    assert problems == []
    services.import_listings(actor=lead, owner=source, listings=listings, source="typed.json")
    exported = _part(source)
    assert {s["oruk"]["id"]: s for s in exported["services"]} == {
        s["oruk"]["id"]: s for s in typed["services"]
    }

    fresh = PCNFactory()
    fresh_lead = member(fresh, "network_lead")
    again, problems = read_section(json.loads(org_export_bytes(source))["directory"])
    assert problems == []
    services.import_listings(actor=fresh_lead, owner=fresh, listings=again, source="x.json")
    assert _part(fresh) == exported
    plan = services.import_listings(actor=fresh_lead, owner=fresh, listings=again, source="x")
    assert (len(plan.added), len(plan.changed)) == (0, 0)


def test_a_directory_typed_on_the_pages_comes_back_through_the_cli(tmp_path):
    pcn = PCNFactory(name="Northgate PCN")
    lead = member(pcn, "network_lead")
    checker = member(pcn, "network_lead")
    for user, (first, last) in ((lead, ("Amara", "Okafor")), (checker, ("Tom", "Reid"))):
        user.first_name, user.last_name = first, last
        user.save()
    from gpequity.oruk import from_oruk

    saved = services.service_save(
        actor=lead, owner=pcn, record=from_oruk(example("service_full")), public=True
    )
    services.service_mark_checked(actor=checker, service=saved, on=dt.date(2026, 3, 4))
    services.service_save(actor=lead, owner=pcn, record=from_oruk(feed_service(3)), public=False)
    before = _part(pcn)
    checked = next(s for s in before["services"] if s["public"])
    assert (checked["checked_on"], checked["checked_by"], checked["changed_by"]) == (
        "2026-03-04",
        "Tom Reid",
        "Amara Okafor",
    )
    path = tmp_path / "northgate.json"
    path.write_bytes(org_export_bytes(pcn))

    fresh = PCNFactory(name="New home PCN")
    dry = runner.invoke(
        app, ["directory", "import", str(path), "--org", fresh.ods_code, "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "the directory of an organisation export" in dry.output
    assert "2 new, 0 changed, 0 unchanged" in dry.output
    assert not Service.objects.filter(owner=fresh).exists()
    done = runner.invoke(app, ["directory", "import", str(path), "--org", fresh.ods_code])
    assert done.exit_code == 0, done.output
    assert _part(fresh) == before
    again = runner.invoke(app, ["directory", "import", str(path), "--org", fresh.ods_code])
    assert "0 new, 0 changed, 2 unchanged" in again.output

    # Checking again later is told apart from changing: only the checked fields differ.
    data = json.loads(path.read_text())
    entry = next(s for s in data["directory"]["services"] if s["public"])
    entry["checked_on"] = entry["oruk"]["assured_date"] = "2026-06-30"
    path.write_text(json.dumps(data))
    later = runner.invoke(app, ["directory", "import", str(path), "--org", fresh.ods_code])
    assert f"CHANGE {entry['oruk']['id']} Community Counselling: assured_date, checked_on" in (
        later.output
    )
    assert "0 new, 1 changed, 1 unchanged" in later.output


def _state(owner) -> list:
    return sorted(
        Service.objects.filter(owner=owner).values_list(
            "oruk_id", "version", "document", "public", "checked_on", "changed_at", "source"
        )
    )


def test_a_bad_export_is_refused_naming_the_place_and_value_and_nothing_changes(tmp_path):
    pcn = PCNFactory()
    lead = member(pcn, "network_lead")
    services.import_feed(actor=lead, owner=pcn, docs=[feed_service(1)], source="seed")
    data = json.loads(org_export_bytes(pcn))
    good = data["directory"]["services"][0]
    rid = good["oruk"]["id"]
    data["directory"]["services"] = [
        {**good, "public": "yes"},
        {**good, "oruk": {**feed_service(2), "email": "not-an-address"}, "checked_on": "4/3/26"},
        {**good, "oruk": feed_service(3), "changed_at": "2026-01-31 09:30"},
    ]
    target = PCNFactory()
    target_lead = member(target, "network_lead")
    services.import_feed(actor=target_lead, owner=target, docs=[feed_service(9)], source="x")
    before = _state(target)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["directory", "import", str(path), "--org", target.ods_code])
    assert result.exit_code == 1
    out = result.output
    assert f"service {rid}: directory.services[0].public = yes: must be true or false" in out
    id2 = feed_service(2)["id"]
    assert f"service {id2}: directory.services[1].oruk.email = not-an-address" in out
    assert f"service {id2}: directory.services[1].checked_on = 4/3/26: is not a date" in out
    assert "directory.services[2].changed_at = 2026-01-31 09:30: is not a date and time" in out
    assert "Nothing was imported." in out
    assert _state(target) == before

    # A checked date that disagrees with the ORUK document's assured date is refused too.
    listings, problems = read_section(
        {"services": [{**good, "checked_on": "2026-01-01", "changed_at": good["changed_at"]}]}
    )
    assert listings == [] and [p.field for p in problems] == ["directory.services[0].checked_on"]


def test_web_import_of_an_organisation_export_previews_then_applies(client, pcn, network_lead):
    source = PCNFactory(name="Old PCN")
    old_lead = member(source, "network_lead")
    services.import_feed(
        actor=old_lead, owner=source, docs=[feed_service(1), feed_service(2)], source="c"
    )
    Service.objects.filter(owner=source, name="Service 1").update(public=True)
    export = org_export_bytes(source)
    client.force_login(network_lead)
    url = f"/orgs/{pcn.ods_code}/directory/import/"
    preview = client.post(url, {"feed": SimpleUploadedFile("old-pcn.json", export)})
    html = preview.content.decode()
    assert "2 new, 0 changed, 0 unchanged" in html and "Service 1" in html
    assert not Service.objects.filter(owner=pcn).exists()
    client.post(url + "apply/")
    assert _part(pcn) == _part(source)

    broken = json.loads(export)
    broken["directory"]["services"][1]["checked_by"] = 7
    refused = client.post(
        url, {"feed": SimpleUploadedFile("old-pcn.json", json.dumps(broken).encode())}
    )
    page = refused.content.decode()
    assert "nothing was imported" in page
    assert 'directory.services[1].checked_by is "7": must be text' in page
    assert client.post(url + "apply/").status_code == 302
    assert _part(pcn) == _part(source)
