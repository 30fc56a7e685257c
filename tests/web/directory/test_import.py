"""Importing ORUK feeds into a directory (service layer and CLI): all or nothing, ids kept,
re-import changes nothing, an update changes only what changed; export reads back."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.oruk import service_problems
from gpequity.web.audit.models import AuditEvent
from gpequity.web.directory import services
from gpequity.web.directory.exports import oruk_page
from gpequity.web.directory.models import Service, TaxonomyTerm

from .conftest import EXAMPLES, example, feed_service

pytestmark = pytest.mark.django_db
runner = CliRunner()


def _state(owner) -> list:
    return sorted(Service.objects.filter(owner=owner).values_list("oruk_id", "version", "document"))


def test_import_keeps_ids_and_reimport_changes_nothing(pcn, network_lead):
    feed = [example("service_full"), feed_service(2)]
    plan = services.import_feed(actor=network_lead, owner=pcn, docs=feed, source="test")
    assert len(plan.added) == 2
    service = Service.objects.get(owner=pcn, oruk_id="ac148810-d857-441c-9679-408f346de14b")
    assert service.name == "Community Counselling"
    assert service.organisation_name == "Example Organization Inc."
    assert service.checked_on.isoformat() == "2005-01-01"
    assert service.postcodes_key == "|ABC1234|"  # not a UK postcode: kept whole
    assert TaxonomyTerm.objects.filter(oruk_id="3f7b145d-84af-42d7-8fae-eaca714b02b2").exists()
    before, events = _state(pcn), AuditEvent.objects.count()
    again = services.import_feed(actor=network_lead, owner=pcn, docs=feed, source="test")
    assert len(again.unchanged) == 2 and not again.added and not again.changed
    assert _state(pcn) == before and AuditEvent.objects.count() == events

    updated = [example("service_full") | {"alert": "Closed on bank holidays"}, feed_service(2)]
    plan = services.import_feed(actor=network_lead, owner=pcn, docs=updated, source="test")
    assert [(c.name, c.fields) for c in plan.changed] == [("Community Counselling", ["alert"])]
    after = {row[0]: row for row in _state(pcn)}
    old = {row[0]: row for row in before}
    assert after[feed[1]["id"]] == old[feed[1]["id"]]  # untouched
    assert after[feed[0]["id"]][1] == 2


def test_a_bad_record_refuses_the_whole_feed(pcn, network_lead):
    bad = feed_service(3, email="not-an-address")
    with pytest.raises(services.FeedRefused) as exc:
        services.import_feed(actor=network_lead, owner=pcn, docs=[feed_service(1), bad], source="t")
    (problem,) = exc.value.plan.problems
    assert (problem.record_id, problem.field, problem.value) == (
        bad["id"],
        "email",
        "not-an-address",
    )
    assert not Service.objects.exists()


def test_practice_member_cannot_import(practice, team_member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_feed(actor=team_member, owner=practice, docs=[feed_service(1)], source="t")
    assert not Service.objects.exists()


def test_cli_import_dry_run_then_import_then_export_reads_back(pcn, tmp_path):
    page = tmp_path / "feed.json"
    page.write_text(json.dumps({"contents": [example("service_full"), feed_service(5)]}))
    result = runner.invoke(
        app, ["directory", "import", str(page), "--org", pcn.ods_code, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "NEW ac148810-d857-441c-9679-408f346de14b Community Counselling" in result.output
    assert "2 new, 0 changed, 0 unchanged" in result.output
    assert not Service.objects.exists()

    result = runner.invoke(app, ["directory", "import", str(page), "--org", pcn.ods_code])
    assert result.exit_code == 0, result.output
    assert Service.objects.filter(owner=pcn).count() == 2

    out = tmp_path / "export.json"
    result = runner.invoke(app, ["directory", "export", "--org", pcn.ods_code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    assert exported["total_items"] == 2
    assert all(service_problems(doc) == [] for doc in exported["contents"])
    assert exported == oruk_page(pcn)
    result = runner.invoke(app, ["directory", "import", str(out), "--org", pcn.ods_code])
    assert "0 new, 0 changed, 2 unchanged" in result.output
    assert "Nothing to import." in result.output


def test_cli_import_of_the_csv_package_and_a_bad_feed(pcn, tmp_path):
    result = runner.invoke(
        app, ["directory", "import", str(EXAMPLES / "csv"), "--org", pcn.ods_code]
    )
    assert result.exit_code == 0, result.output
    assert Service.objects.get(owner=pcn).name == "Community Counselling"

    doc = example("service_full")
    doc["schedules"][0]["closes_at"] = "08:00:00"
    del doc["status"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    before = _state(pcn)
    result = runner.invoke(app, ["directory", "import", str(bad), "--org", pcn.ods_code])
    assert result.exit_code == 1
    assert (
        "ERROR service ac148810-d857-441c-9679-408f346de14b: schedules[0].closes_at = 08:00:00"
        in result.output
    )
    assert "status = (missing): is required" in result.output
    assert "Nothing was imported." in result.output
    assert _state(pcn) == before

    result = runner.invoke(
        app, ["directory", "import", str(tmp_path / "nope.json"), "--org", pcn.ods_code]
    )
    assert result.exit_code == 1 and "no such file" in result.output
