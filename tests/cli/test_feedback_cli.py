"""`gpequity feedback link` and `gpequity feedback release` against the test database."""

from __future__ import annotations

import pytest
from django.test import Client
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.web.feedback import services
from gpequity.web.feedback.models import Feedback
from tests.factories import PracticeFactory, member

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_link_prints_a_working_address_and_follows_a_replacement():
    practice = PracticeFactory(ods_code="F12345")
    result = runner.invoke(app, ["feedback", "link", "F12345", "--base-url", "https://gp.test/"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("https://gp.test/staff-feedback/") and url.endswith("/")
    path = url.removeprefix("https://gp.test")
    assert Client().get(path).status_code == 200
    services.channel_replace_link(actor=member(practice, "equity_lead"), organisation=practice)
    again = runner.invoke(app, ["feedback", "link", "f12345", "--base-url", "https://gp.test"])
    assert again.stdout.strip() != url
    assert Client().get(path).status_code == 404


def test_link_refuses_an_unknown_code_or_a_pcn():
    pcn = PracticeFactory().parent
    assert runner.invoke(app, ["feedback", "link", "ZZZZZ"]).exit_code == 2
    result = runner.invoke(app, ["feedback", "link", pcn.ods_code])
    assert result.exit_code == 2 and "not a GP practice" in result.output


def test_release_sends_out_only_batches_that_are_due():
    due, waiting = PracticeFactory(), PracticeFactory()
    for org, n in ((due, 3), (waiting, 2)):
        channel = services.channel_get_or_create(organisation=org)
        for i in range(n):
            services.feedback_submit(channel=channel, topic="care", role="", text=f"x{i}")
    result = runner.invoke(app, ["feedback", "release"])
    assert result.exit_code == 0 and "1 batch released." in result.stdout
    assert Feedback.objects.filter(organisation=due).count() == 3
    assert not Feedback.objects.filter(organisation=waiting).exists()
