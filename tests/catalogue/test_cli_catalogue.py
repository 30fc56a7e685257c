"""`gpequity catalogue ...` through Typer's test runner, on the shipped RCGP pack."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from typer.testing import CliRunner

from gpequity.cli.catalogue import app

runner = CliRunner()


@pytest.fixture
def pack(real_pack):
    return real_pack


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_list_json_filters_by_tier_name_and_theme_key(pack):
    theme = pack.themes[0]
    result = _run("list", "--tier", "ACHIEVING", "--theme", theme.key, "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    expected = [a.key for a in pack.actions_in(tier="achieving", theme=theme.key)]
    assert [r["key"] for r in records] == expected
    assert records and {"key", "code", "title", "theme", "tier"} <= set(records[0])
    assert {r["tier"] for r in records} == {"Achieving"}


def test_list_tier_by_key_and_csv(pack):
    result = _run("list", "--tier", "tier-1", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["key"] for r in rows] == [a.key for a in pack.actions_in(tier="tier-1")]


def test_list_table_shows_all_actions(pack):
    result = _run("list")
    assert result.exit_code == 0, result.output
    assert f"{len(pack.actions)} action(s)" in result.stdout
    assert "min_cultural_safety" in result.stdout


def test_list_unknown_tier_explains_choices(pack):
    result = _run("list", "--tier", "Platinum")
    assert result.exit_code == 2
    assert "unknown tier 'Platinum'" in result.stderr and "Achieving" in result.stderr


def test_show_text_and_json(pack):
    result = _run("show", "acc_17b")
    assert result.exit_code == 0, result.output
    assert pack.action("acc_17b").title in result.stdout
    assert "also used by acc_17" in result.stdout
    as_json = json.loads(_run("show", "min_cultural_safety", "--format", "json").stdout)
    assert as_json["key"] == "min_cultural_safety" and as_json["code"] == ""


def test_show_by_unique_code_and_ambiguous_code(pack):
    result = _run("show", "HNA-01", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == "hna_01"
    ambiguous = _run("show", "acc-17")
    assert ambiguous.exit_code == 2
    assert "acc_17, acc_17b" in ambiguous.stderr
    assert _run("show", "nope_99").exit_code == 2


def test_import_dry_run_text_report(tmp_path, pack, xl):
    path = xl.official_workbook(pack, tmp_path / "copy.xlsx", sheet_names={"tier-1": "Start"})
    result = _run("import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Matched 116 of 116 actions" in result.stdout
    assert "called 'Start'" in result.stdout
    assert "repeated code 'ACC_17'" in result.stdout
    assert "Achieving, row" in result.stdout


def test_import_dry_run_json(tmp_path, pack, xl):
    path = xl.official_workbook(pack, tmp_path / "copy.xlsx")
    result = _run("import", str(path), "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["actions"] == 116 and data["matched"] == 116 and data["errors"] == []
    missing = [w for w in data["warnings"] if w["message"] == "missing code"]
    assert missing and missing[0]["sheet"] == "Achieving" and missing[0]["column"] == "Action Code"


def test_import_bad_file_exits_1(tmp_path, pack):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a workbook")
    result = _run("import", str(path), "--dry-run", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["matched"] == 0 and "fake.xlsx" in data["errors"][0]["sheet"]
    text = _run("import", str(path), "--dry-run")
    assert text.exit_code == 1 and "nothing was imported" in text.stdout


def test_import_csv_with_tier_option(tmp_path, pack, xl):
    header = xl.BASE_COLUMNS
    rows = [header, *xl.official_rows(pack, "leading", header)]
    path = tmp_path / "leading.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert _run("import", str(path), "--dry-run").exit_code == 1
    result = _run("import", str(path), "--dry-run", "--tier", "leading", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["matched"] == len(pack.actions_in(tier="leading"))


def test_export_json_and_csv_to_stdout(pack):
    result = _run("export", "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 116
    rows = list(csv.DictReader(io.StringIO(_run("export", "--format", "csv").stdout)))
    assert len(rows) == 116 and rows[0]["key"] == pack.actions[0].key


def test_export_xlsx_needs_out_and_writes_workbook(tmp_path, pack, xl):
    assert _run("export", "--format", "xlsx").exit_code == 2
    copy = xl.official_workbook(pack, tmp_path / "copy.xlsx")
    out = tmp_path / "out.xlsx"
    result = _run("export", "--format", "xlsx", "--out", str(out), "--official", str(copy))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [t.name for t in pack.tiers]
    assert "Action Descriptor" in [c.value for c in wb["Leading"][3]]


def test_packs_lists_the_shipped_pack(pack):
    result = _run("packs")
    assert result.exit_code == 0
    assert "rcgp-fairer-practice" in result.stdout and "116" in result.stdout


@pytest.mark.django_db
def test_import_without_dry_run_stores_a_version_in_the_database(tmp_path, pack, xl):
    from gpequity.web.catalogue.models import OfficialText, OfficialTextImport

    path = xl.official_workbook(pack, tmp_path / "copy.xlsx")
    result = _run("import", str(path))
    assert result.exit_code == 0, result.output
    assert "Stored: version 1 of rcgp-fairer-practice" in result.stdout
    stored = OfficialTextImport.objects.get()
    assert OfficialText.objects.filter(official_import=stored).count() == 116
    # A second import of the same file becomes version 2, with nothing changed.
    assert "version 2" in _run("import", str(path)).stdout


@pytest.mark.django_db
def test_dry_run_stores_nothing(tmp_path, pack, xl):
    from gpequity.web.catalogue.models import OfficialTextImport

    path = xl.official_workbook(pack, tmp_path / "copy.xlsx")
    assert _run("import", str(path), "--dry-run").exit_code == 0
    assert not OfficialTextImport.objects.exists()
