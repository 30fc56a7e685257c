"""Shortlists and problem reports travel in the organisation's JSON export (directory section,
version 2) and come back exactly: export, wipe, import gives every entry with its times, every
character of what was typed, who reported and closed what from where. Members of the exporting
organisation are named by username; anyone else only by the name the organisation already sees
and an opaque ref (ADR 30). Bad entries are refused naming the place and value, nothing is
written; a version 1 export (services only) still imports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.oruk.listings import read_directory
from gpequity.web.directory import services
from gpequity.web.directory.models import ProblemReport, Service, ShortlistEntry
from gpequity.web.reports.export_json import org_export, org_export_bytes
from tests.factories import PCNFactory, member

from .conftest import feed_service

pytestmark = pytest.mark.django_db
runner = CliRunner()

LONG = ("Große Straße — ") * 333  # 4,995 characters, near the 5,000 a report may hold
TYPED = {
    "formula": '=HYPERLINK("http://example.org","phone changed")',
    "plus": "+44 113 496 0000 is the new number\r\nand the old one rings out",
    "unicode": "Cymraeg: Gwasanaeth ar gau 🚑 — 日本語 — עברית",
    "spaces": "  -leading spaces and a minus kept\t",
}


def _name(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save()
    return user


@pytest.fixture
def directory(pcn, practice, network_lead, team_member):
    """A PCN directory with two of its services and one of its practice's, shortlists kept
    by a PCN lead and by a practice team member, and reports open and closed."""
    _name(network_lead, "Amara", "Okafor")
    _name(team_member, "Tom", "Reid")
    services.import_feed(
        actor=network_lead, owner=pcn, docs=[feed_service(1), feed_service(2)], source="council"
    )
    practice_lead = member(practice, "equity_lead")
    services.import_feed(
        actor=practice_lead, owner=practice, docs=[feed_service(3)], source="practice"
    )
    one, two = Service.objects.filter(owner=pcn).order_by("name")
    three = Service.objects.get(owner=practice)
    for user, service in ((network_lead, one), (network_lead, three), (team_member, two)):
        services.shortlist_toggle(actor=user, organisation=pcn, service=service)
    services.problem_report_add(
        actor=network_lead, service=one, reported_from=pcn, description=TYPED["formula"]
    )
    services.problem_report_add(
        actor=network_lead, service=one, reported_from=pcn, description=LONG
    )
    closed = services.problem_report_add(
        actor=team_member, service=two, reported_from=practice, description=TYPED["unicode"]
    )
    services.problem_report_close(actor=network_lead, report=closed, resolution=TYPED["plus"])
    # A report filed from the practice's own directory about the PCN's listing, whose
    # reporter has no name: the page shows the username, so the export does too.
    nameless = member(practice, "viewer", username="nameless-viewer")
    _name(nameless, "", "")
    services.problem_report_add(
        actor=nameless, service=two, reported_from=practice, description="Wrong postcode"
    )
    ProblemReport.objects.filter(description="Wrong postcode").update(description=TYPED["spaces"])
    return pcn


def rows(org) -> tuple[list, list]:
    """The shortlists and reports of ``org``'s directory, field by field, with people and
    services by name (ids differ after a wipe)."""
    lists = sorted(
        (e.user.username, e.service.owner.ods_code, e.service.oruk_id, e.added_at)
        for e in ShortlistEntry.objects.filter(organisation=org).select_related(
            "user", "service__owner"
        )
    )
    reports = sorted(
        (
            r.service.oruk_id,
            r.description,
            r.reported_at,
            getattr(r.reported_by, "username", None),
            getattr(r.reported_from, "ods_code", None),
            r.closed_at,
            getattr(r.closed_by, "username", None),
            r.resolution,
        )
        for r in ProblemReport.objects.filter(owner=org).select_related(
            "service", "reported_by", "reported_from", "closed_by"
        )
    )
    return lists, reports


def _wipe(org) -> None:
    ShortlistEntry.objects.filter(organisation=org).delete()
    Service.objects.filter(owner=org).delete()  # and their reports


def test_export_wipe_import_gives_back_every_shortlist_and_report_exactly(
    directory, team_member, tmp_path
):
    pcn = directory
    before_rows = rows(pcn)
    assert len(before_rows[0]) == 3 and len(before_rows[1]) == 4
    export = org_export_bytes(pcn)
    before = json.loads(export)["directory"]
    assert before["version"] == 2 and before["owner"] == pcn.ods_code

    # Who is named how: the PCN's own lead by username (its member list names her); the
    # practice's people by the name the PCN sees on its pages and an opaque ref only.
    people = [e["user"] for e in before["shortlists"]] + [
        r[k] for r in before["problem_reports"] for k in ("reported_by", "closed_by") if r[k]
    ]
    assert {"username": "netlead", "name": "Amara Okafor"} in people
    tom = [p for p in people if p.get("name") == "Tom Reid"]
    assert tom and all(set(p) == {"name", "ref"} for p in tom)
    assert len({p["ref"] for p in tom}) == 1
    nameless = next(r for r in before["problem_reports"] if r["description"] == TYPED["spaces"])
    assert nameless["reported_by"]["name"] == "nameless-viewer"  # as the page shows it
    assert "teammember" not in export.decode() and "teammember@" not in export.decode()
    practice_service = next(e for e in before["shortlists"] if "owner" in e["service"])
    assert practice_service["service"]["owner"] == "R12345"
    closed = next(r for r in before["problem_reports"] if r["closed_at"])
    assert (closed["resolution"], closed["reported_from"]["ods_code"]) == (TYPED["plus"], "R12345")

    path = tmp_path / "riverside.json"
    path.write_bytes(export)
    _wipe(pcn)
    assert rows(pcn) == ([], [])
    done = runner.invoke(app, ["directory", "import", str(path), "--org", pcn.ods_code])
    assert done.exit_code == 0, done.output
    assert "shortlist entries: 3 new, 0 changed, 0 unchanged" in done.output
    assert "problem reports: 4 new, 0 changed, 0 unchanged" in done.output
    assert rows(pcn) == before_rows
    assert json.loads(org_export_bytes(pcn))["directory"] == before

    again = runner.invoke(app, ["directory", "import", str(path), "--org", pcn.ods_code])
    assert "2 unchanged; shortlist entries: 0 new, 0 changed, 3 unchanged" in again.output
    assert "problem reports: 0 new, 0 changed, 4 unchanged" in again.output
    assert "Nothing to import." in again.output

    # Closing a report later is a change to that report, not a new one.
    data = json.loads(export)
    report = next(r for r in data["directory"]["problem_reports"] if not r["closed_at"])
    report["closed_at"] = "2099-01-02T03:04:05.678901+00:00"
    report["closed_by"] = {"username": "netlead"}
    report["resolution"] = "@fixed: ✓"
    path.write_text(json.dumps(data))
    later = runner.invoke(app, ["directory", "import", str(path), "--org", pcn.ods_code])
    assert "problem reports: 0 new, 1 changed, 3 unchanged" in later.output, later.output
    stored = ProblemReport.objects.get(owner=pcn, description=report["description"])
    assert (stored.closed_at, stored.closed_by.username, stored.resolution) == (
        dt.datetime(2099, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "netlead",
        "@fixed: ✓",
    )


def test_a_fresh_organisation_takes_the_reports_and_refuses_a_shortlist_of_an_outsider(
    directory, network_lead, tmp_path
):
    old = directory
    data = json.loads(org_export_bytes(old))
    fresh = PCNFactory(name="New home PCN")
    member_fresh = member(fresh, "network_lead")
    from tests.factories import MembershipFactory

    MembershipFactory(user=network_lead, organisation=fresh, role="network_lead")
    # The practice's service is not in the new PCN's directory and Tom cannot use it.
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    refused = runner.invoke(app, ["directory", "import", str(path), "--org", fresh.ods_code])
    assert refused.exit_code == 1
    tom = next(i for i, e in enumerate(data["directory"]["shortlists"]) if "ref" in e["user"])
    other = next(
        i for i, e in enumerate(data["directory"]["shortlists"]) if "owner" in e["service"]
    )
    out = refused.output
    assert f"directory.shortlists[{tom}].user = Tom Reid: cannot use New home PCN's directory" in (
        out
    )
    assert f"directory.shortlists[{other}].service = R12345 " in out
    assert "is not a service in New home PCN's directory" in out
    assert "Nothing was imported." in out
    assert not Service.objects.filter(owner=fresh).exists()
    assert rows(fresh) == ([], [])

    data["directory"]["shortlists"] = [
        e for n, e in enumerate(data["directory"]["shortlists"]) if n not in (tom, other)
    ]
    path.write_text(json.dumps(data))
    done = runner.invoke(
        app,
        ["directory", "import", str(path), "--org", fresh.ods_code, "--as", member_fresh.username],
    )
    assert done.exit_code == 0, done.output
    old_lists, old_reports = rows(old)
    new_lists, new_reports = rows(fresh)
    assert new_lists == [
        (x[0], fresh.ods_code, *x[2:]) for x in old_lists if x[:2] == ("netlead", old.ods_code)
    ]
    # Reports filed from the old PCN's own directory now come from the new PCN's.
    moved = [
        r[:4] + (fresh.ods_code if r[4] == old.ods_code else r[4],) + r[5:] for r in old_reports
    ]
    assert new_reports == sorted(moved)


def _counts(org) -> tuple:
    return (
        sorted(Service.objects.filter(owner=org).values_list("oruk_id", "version")),
        rows(org),
    )


def test_bad_shortlists_and_reports_are_refused_naming_place_and_value_and_nothing_changes(
    directory, tmp_path
):
    pcn = directory
    data = json.loads(org_export_bytes(pcn))
    section = data["directory"]
    good_list, good_report = section["shortlists"][0], section["problem_reports"][0]
    sid = good_report["service"]
    section["services"][0]["oruk"]["name"] = "A new name that must not be saved"
    section["shortlists"] = [
        {**good_list, "added_at": "yesterday"},
        {"service": {"id": sid}, "added_at": good_list["added_at"]},
        {**good_list, "user": "netlead"},
    ]
    section["problem_reports"] = [
        {**good_report, "description": "   "},
        {**good_report, "description": "x" * 5001},
        {**good_report, "reported_at": None},
        {**good_report, "closed_at": None, "resolution": "=done"},
        {**good_report, "closed_at": "2000-01-01T00:00:00+00:00"},
        good_report,
        {**good_report},
    ]
    before = _counts(pcn)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["directory", "import", str(path), "--org", pcn.ods_code])
    assert result.exit_code == 1
    out = result.output
    expected = [
        "directory.shortlists[0].added_at = yesterday: is not a date and time",
        "directory.shortlists[1].user = (missing): is required",
        'directory.shortlists[2].user = netlead: must be {"username": ...} or {"ref": ...}',
        f"service {sid}: directory.problem_reports[0].description =    : must say what is wrong",
        "directory.problem_reports[1].description = xxxxxxxx",
        "is over 5000 characters",
        "directory.problem_reports[2].reported_at = (missing): is required",
        "directory.problem_reports[3].resolution = =done: is set but closed_at is not",
        "directory.problem_reports[4].closed_at = 2000-01-01T00:00:00+00:00: is before",
        "directory.problem_reports[6]",
        "is the same report as directory.problem_reports[5]",
        "Nothing was imported.",
    ]
    for text in expected:
        assert text in out, text
    assert _counts(pcn) == before

    # References this installation cannot resolve are refused the same way.
    section["shortlists"] = [{**good_list, "service": {"id": "no-such-service"}}]
    section["problem_reports"] = [
        {**good_report, "reported_by": {"username": "nobody-here"}},
        {**good_report, "description": "b", "reported_from": {"ods_code": "Z00000"}},
        {
            **good_report,
            "description": "c",
            "closed_at": "2099-01-01T00:00:00+00:00",
            "closed_by": {"name": "Someone", "ref": "0" * 24},
        },
        {**good_report, "description": "d", "service": "not-ours"},
    ]
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["directory", "import", str(path), "--org", pcn.ods_code])
    assert result.exit_code == 1
    out = result.output
    for text in (
        "directory.shortlists[0].service.id = no-such-service: is not a service in the file",
        "directory.problem_reports[0].reported_by = nobody-here: has no account here",
        "directory.problem_reports[1].reported_from.ods_code = Z00000: is not an organisation",
        "directory.problem_reports[2].closed_by = Someone: has no account here",
        "service not-ours: directory.problem_reports[3].service = not-ours: is not a service",
    ):
        assert text in out, text
    assert _counts(pcn) == before


def test_a_version_1_export_without_shortlists_or_reports_still_imports(directory):
    data = json.loads(org_export_bytes(directory))["directory"]
    old = {"version": 1, "services": data["services"]}
    part, problems = read_directory(old)
    assert problems == [] and (part.shortlists, part.reports) == ([], [])
    fresh = PCNFactory()
    lead = member(fresh, "network_lead")
    plan = services.import_directory(actor=lead, owner=fresh, part=part, source="v1.json")
    assert plan.summary() == "2 new, 0 changed, 0 unchanged"
    assert Service.objects.filter(owner=fresh).count() == 2
    part, problems = read_directory({**old, "version": 3})
    assert [(p.field, p.value) for p in problems] == [("directory.version", "3")]


def test_web_import_previews_shortlists_and_reports_then_applies(client, directory, network_lead):
    pcn = directory
    before = rows(pcn)
    export = org_export_bytes(pcn)
    _wipe(pcn)
    client.force_login(network_lead)
    url = f"/orgs/{pcn.ods_code}/directory/import/"
    page = client.post(url, {"feed": SimpleUploadedFile("riverside.json", export)})
    html = page.content.decode()
    assert "Shortlist entries: 3 new, 0 changed, 0 unchanged." in html
    assert "Problem reports: 4 new, 0 changed, 0 unchanged." in html
    assert rows(pcn) == ([], [])
    client.post(url + "apply/")
    assert rows(pcn) == before


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    description=TEXT.filter(lambda t: t.strip() != ""),
    resolution=TEXT,
    closed=st.booleans(),
    lead=st.sampled_from(["", "=", "+", "-", "@", "\t", "'", " "]),
)
def test_what_people_type_in_a_report_comes_back_character_for_character(
    description, resolution, closed, lead
):
    pcn = PCNFactory()
    netlead = member(pcn, "network_lead")
    services.import_feed(actor=netlead, owner=pcn, docs=[feed_service(7)], source="c")
    service = Service.objects.get(owner=pcn)
    report = services.problem_report_add(
        actor=netlead, service=service, reported_from=pcn, description="placeholder"
    )
    values = {"description": lead + description}
    if closed:
        values.update(closed_at=report.reported_at, closed_by=netlead, resolution=lead + resolution)
    ProblemReport.objects.filter(pk=report.pk).update(**values)
    before = rows(pcn)
    export = org_export(pcn)["directory"]
    Service.objects.filter(owner=pcn).delete()
    part, problems = read_directory(json.loads(json.dumps(export)))
    assert problems == []
    services.import_directory(actor=netlead, owner=pcn, part=part, source="x.json")
    assert rows(pcn) == before
    assert org_export(pcn)["directory"] == export
