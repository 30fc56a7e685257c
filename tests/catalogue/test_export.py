"""Exporting a pack: JSON, CSV and a toolkit-shaped workbook that imports again."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from gpequity.catalogue.export import FIELDS, export_pack, sheet_title
from gpequity.catalogue.importer import diff_imports, read_official


def test_json_lists_every_action_with_names_and_keys(tmp_path, mini_pack):
    out = tmp_path / "pack.json"
    export_pack(mini_pack, "json", out)
    records = json.loads(out.read_text(encoding="utf-8"))
    assert [r["key"] for r in records] == [a.key for a in mini_pack.actions]
    first = records[0]
    assert tuple(first) == FIELDS
    assert first["theme"] == "Access and Flexibility" and first["theme_key"] == "access"
    assert first["tier"] == "Tier 1" and first["tier_key"] == "tier-1"
    val = next(r for r in records if r["key"] == "val_00")
    assert val["groups"] == ["staff"]


def test_csv_joins_lists_with_semicolons_to_a_stream(mini_pack):
    buf = io.BytesIO()
    export_pack(mini_pack, "csv", buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8-sig"))))
    assert len(rows) == len(mini_pack.actions)
    assert tuple(rows[0]) == FIELDS
    row = next(r for r in rows if r["key"] == "min_08")
    assert row["indicators"] == "ethnicity_recorded"
    assert row["code"] == "MIN_08" and row["tier"] == "Achieving"


def test_xlsx_has_one_sheet_per_tier_in_toolkit_order(tmp_path, mini_pack):
    out = tmp_path / "pack.xlsx"
    export_pack(mini_pack, "xlsx", out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tier 1", "Tier 2", "Achieving", "Leading"]
    ws = wb["Achieving"]
    header = [c.value for c in ws[3]]
    assert header[:3] == ["Theme", "Action Code", "Action Title"]
    assert "Action Descriptor" not in header
    codes = [ws.cell(row=r, column=2).value for r in range(4, ws.max_row + 1)]
    assert codes == ["ACC_17", "ACC_17", None, "MIN_08"]


def test_official_text_in_every_format_and_xlsx_round_trip(tmp_path, mini_pack, xl):
    imported = read_official(xl.official_workbook(mini_pack, tmp_path / "copy.xlsx"), mini_pack)
    assert imported.errors == []
    official = dict(imported.entries)
    del official["acc_03"]

    records = json.loads(_export(mini_pack, "json", official))
    val = next(r for r in records if r["key"] == "val_00")
    assert val["official_descriptor"] == xl.invented_descriptor("val_00")
    assert next(r for r in records if r["key"] == "acc_03")["official_descriptor"] == ""
    rows = list(
        csv.DictReader(io.StringIO(_export(mini_pack, "csv", official).decode("utf-8-sig")))
    )
    assert rows[0]["official_supporting_information"] == xl.invented_information("acc_01")

    out = tmp_path / "with-text.xlsx"
    stored = {key: text.to_dict() for key, text in official.items()}
    export_pack(mini_pack, "xlsx", out, official=stored)
    again = read_official(out, mini_pack)
    assert again.errors == []
    assert again.matched == len(mini_pack.actions)
    # acc_03 had no official text: its row comes back empty and is reported.
    assert (again.entries["acc_03"].title, again.entries["acc_03"].descriptor) == ("", "")
    empty = [w for w in again.warnings if w.message == "empty descriptor"]
    assert [(w.sheet, w.row) for w in empty] == [("Tier 2", 4)]
    # Everything else comes back with the same wording.
    diff = diff_imports(official, again.entries)
    assert (diff.added, diff.removed, diff.changed) == (["acc_03"], [], [])


def test_real_pack_exports(tmp_path, real_pack):
    records = json.loads(_export(real_pack, "json", None))
    assert len(records) == 116
    assert len({r["key"] for r in records}) == 116
    wb = openpyxl.load_workbook(io.BytesIO(_export(real_pack, "xlsx", None)))
    assert sum(ws.max_row - 3 for ws in wb.worksheets) == 116


def test_unknown_format_is_refused(tmp_path, mini_pack):
    with pytest.raises(ValueError, match="pdf"):
        export_pack(mini_pack, "pdf", tmp_path / "x")  # type: ignore[arg-type]


def test_sheet_titles_are_excel_safe_and_unique():
    used: set[str] = set()
    assert sheet_title("Tier 1: start/first?", used) == "Tier 1  start first"
    long = "A very long tier name that Excel would refuse"
    first = sheet_title(long, used)
    second = sheet_title(long, used)
    assert len(first) == 31 and len(second) == 31 and first != second


def _export(pack, fmt, official) -> bytes:
    buf = io.BytesIO()
    export_pack(pack, fmt, buf, official=official)
    return buf.getvalue()
