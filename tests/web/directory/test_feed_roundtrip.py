"""One installation's open /oruk/ feed, served by a live server on loopback, imported into
another PCN's directory with `gpequity directory import http://...`: the records arrive with
their ids and content, and importing again changes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.web.directory import services
from gpequity.web.directory.models import Service
from tests.factories import PCNFactory, member

from .conftest import example, feed_service

pytestmark = pytest.mark.django_db(transaction=True)


def test_import_from_a_live_oruk_api(live_server):
    council = PCNFactory(name="Council feed PCN")
    lead = member(council, "network_lead")
    docs = [example("service_full"), feed_service(7), feed_service(8)]
    services.import_feed(actor=lead, owner=council, docs=docs, source="seed")
    Service.objects.filter(owner=council).exclude(name="Service 8").update(public=True)
    ours = PCNFactory(name="Our PCN")
    runner = CliRunner()
    url = f"{live_server.url}/oruk/"
    result = runner.invoke(app, ["directory", "import", url, "--org", ours.ods_code])
    assert result.exit_code == 0, result.output
    assert "2 new, 0 changed, 0 unchanged" in result.output
    mine = {s.oruk_id: s.document for s in Service.objects.filter(owner=ours)}
    theirs = {s.oruk_id: s.document for s in Service.objects.filter(owner=council, public=True)}
    assert mine == theirs
    again = runner.invoke(app, ["directory", "import", url, "--org", ours.ods_code])
    assert "0 new, 0 changed, 2 unchanged" in again.output
