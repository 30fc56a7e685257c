"""`gpequity org create`, `org add-member` and `org load`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.web.audit.models import AuditEvent
from gpequity.web.orgs.models import Invitation, Membership, Organisation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_create_a_network_then_a_practice_and_its_lead(
    mailoutbox, django_capture_on_commit_callbacks
):
    assert (
        runner.invoke(
            app, ["org", "create", "QHG", "--name", "Dale ICB", "--kind", "icb"]
        ).exit_code
        == 0
    )
    r = runner.invoke(
        app, ["org", "create", "U12345", "--name", "North PCN", "--kind", "pcn", "--parent", "QHG"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "org",
            "create",
            "a81001",
            "--name",
            "Hill Surgery",
            "--kind",
            "practice",
            "--parent",
            "U12345",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Created GP practice Hill Surgery (A81001)" in r.output
    assert ".venv/bin/gpequity org add-member A81001 EMAIL --role equity_lead" in r.output
    assert Organisation.objects.get(ods_code="A81001").parent.ods_code == "U12345"
    assert AuditEvent.objects.filter(entity="organisation", verb="created").count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        r = runner.invoke(
            app, ["org", "add-member", "A81001", "new@example.org", "--role", "equity_lead"]
        )
    assert r.exit_code == 0, r.output
    assert "Invitation emailed to new@example.org" in r.output
    assert Invitation.objects.get().role == "equity_lead"
    assert len(mailoutbox) == 1

    user = UserFactory(username="kim", email="kim@example.org")
    r = runner.invoke(app, ["org", "add-member", "A81001", "KIM@example.org", "--role", "viewer"])
    assert r.exit_code == 0, r.output
    assert Membership.objects.get(user=user).role == "viewer"


def test_bad_code_duplicate_and_bad_role_are_refused():
    r = runner.invoke(app, ["org", "create", "A8100", "--name", "X", "--kind", "practice"])
    assert (
        r.exit_code == 1
        and "ods_code: A GP practice's ODS code is one letter (not Q or U)" in r.output
    )
    runner.invoke(app, ["org", "create", "A81001", "--name", "X", "--kind", "practice"])
    r = runner.invoke(app, ["org", "create", "A81001", "--name", "Y", "--kind", "practice"])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(app, ["org", "add-member", "A81001", "a@example.org", "--role", "analyst"])
    assert r.exit_code == 1 and "not a role at a GP practice" in r.output
    assert Organisation.objects.count() == 1 and Invitation.objects.count() == 0


def test_load_is_all_or_nothing(tmp_path):
    bad = tmp_path / "orgs.csv"
    bad.write_text("ods_code,name,kind,parent_ods_code\nQHG,Dale ICB,icb,\nU1,X,pcn,QHG\n")
    r = runner.invoke(app, ["org", "load", str(bad)])
    assert r.exit_code == 1
    assert "ERROR orgs.csv line 3, column ods_code ('U1')" in r.output
    assert Organisation.objects.count() == 0
    bad.write_text("ods_code,name,kind,parent_ods_code\nQHG,Dale ICB,icb,\nU00001,X,pcn,QHG\n")
    r = runner.invoke(app, ["org", "load", str(bad)])
    assert r.exit_code == 0, r.output
    assert Organisation.objects.get(ods_code="U00001").parent.ods_code == "QHG"
