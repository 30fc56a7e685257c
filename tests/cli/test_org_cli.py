"""`gpequity org ...` against the test database (Django is already set up by pytest-django)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.audit.models import AuditEvent
from gpequity.web.reports import xlsx
from gpequity.web.reports.selectors import load_pack_for
from tests.web.reports.conftest import edit_workbook
from tests.web.reports.factories import filled_practice

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture
def filled():
    return filled_practice()


def _edited(org, action, status: str) -> bytes:
    sheet = xlsx.tier_sheet_names(load_pack_for(org))[action.tier]
    return edit_workbook(xlsx.export_workbook(org), [(sheet, action.key, "Status", status)])


def test_list_as_json_and_table(filled):
    org = filled[0]
    result = runner.invoke(app, ["org", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    mine = next(r for r in rows if r["ods_code"] == org.ods_code)
    assert mine == {
        "ods_code": "R12345",
        "name": "Riverside Surgery",
        "kind": "practice",
        "parent": org.parent.ods_code,
        "members": 2,
        "framework": "rcgp-fairer-practice",
    }
    table = runner.invoke(app, ["org", "list"])
    assert table.exit_code == 0 and "Riverside Surgery" in table.stdout


def test_names_are_printed_as_text_not_as_terminal_markup(filled):
    org = filled[0]
    org.name = "Riverside [bold]Surgery[/] [/]"
    org.save()
    table = runner.invoke(app, ["org", "list"])
    assert table.exit_code == 0, table.output
    assert "Riverside [bold]Surgery[/] [/]" in table.stdout


def test_export_json_and_xlsx(filled, tmp_path):
    org = filled[0]
    out = tmp_path / "org.json"
    result = runner.invoke(app, ["org", "export", "r12345", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["organisation"]["ods_code"] == "R12345"
    book = tmp_path / "org.xlsx"
    result = runner.invoke(app, ["org", "export", "R12345", "--format", "xlsx", "--out", str(book)])
    assert result.exit_code == 0
    assert xlsx.read_workbook(book.read_bytes(), org).issues == []


def test_export_unknown_org_fails(tmp_path):
    result = runner.invoke(
        app, ["org", "export", "NOPE1", "--format", "json", "--out", str(tmp_path / "x.json")]
    )
    assert result.exit_code == 2 and "No organisation" in result.output
    assert not (tmp_path / "x.json").exists()


def test_import_dry_run_then_for_real_as_a_user(filled, tmp_path):
    org, lead, helper, (first, second, third) = filled
    path = tmp_path / "edited.xlsx"
    path.write_bytes(_edited(org, second, "Embedded"))
    dry = runner.invoke(app, ["org", "import", "R12345", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{second.key} Assessment: status: 'In progress' -> 'Embedded'" in dry.stdout
    assert "Dry run" in dry.stdout
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "in_progress"
    )
    real = runner.invoke(app, ["org", "import", "R12345", str(path), "--as", lead.username])
    assert real.exit_code == 0, real.output
    assert "Imported 1 change" in real.stdout
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "embedded"
    )
    event = AuditEvent.objects.filter(organisation_id=org.pk, entity="assessment").latest("id")
    assert event.actor_id == lead.pk


def test_import_without_as_uses_the_system_actor(filled, tmp_path):
    org, lead, helper, (first, second, third) = filled
    path = tmp_path / "edited.xlsx"
    path.write_bytes(_edited(org, second, "Planned"))
    result = runner.invoke(app, ["org", "import", "R12345", str(path)])
    assert result.exit_code == 0, result.output
    event = AuditEvent.objects.filter(organisation_id=org.pk, entity="assessment").latest("id")
    assert event.actor_name == "gpequity system"


def test_import_with_errors_exits_non_zero_and_changes_nothing(filled, tmp_path):
    org, lead, helper, (first, second, third) = filled
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_edited(org, second, "Nearly"))
    before = AuditEvent.objects.count()
    result = runner.invoke(app, ["org", "import", "R12345", str(path), "--as", lead.username])
    assert result.exit_code == 1
    assert "column 'Status'" in result.stderr and "'Nearly'" in result.stderr
    assert "Nothing was imported" in result.stderr
    assert AuditEvent.objects.count() == before


def test_import_as_someone_without_edit_rights_is_refused(filled, tmp_path):
    org, lead, helper, (first, second, third) = filled
    path = tmp_path / "edited.xlsx"
    path.write_bytes(_edited(org, second, "Embedded"))
    result = runner.invoke(app, ["org", "import", "R12345", str(path), "--as", "nobody"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["org", "import", "R12345", str(path), "--as", helper.username])
    assert result.exit_code == 1 and "permission to edit" in result.stderr
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "in_progress"
    )
