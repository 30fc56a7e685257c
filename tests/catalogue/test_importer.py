"""The official-toolkit importer: layouts, quirks, matching and bad input."""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

from gpequity.catalogue.importer import (
    OfficialText,
    diff_imports,
    read_official,
)
from tests.io_meter import bytes_read


def _messages(result, needle: str):
    return [w for w in result.warnings if needle in w.message]


# Official layout --------------------------------------------------------------------------
def test_official_layout_matches_every_mini_action(tmp_path, mini_pack, xl):
    path = xl.official_workbook(mini_pack, tmp_path / "copy.xlsx")
    result = read_official(path, mini_pack)
    assert result.errors == []
    assert result.rows_read == len(mini_pack.actions)
    assert set(result.entries) == {a.key for a in mini_pack.actions}
    assert result.matched == len(mini_pack.actions)

    val = result.entries["val_00"]
    assert val.title == "Name a fairness champion"
    assert val.descriptor == xl.invented_descriptor("val_00")
    run = result.entries["min_08"]
    assert run.title == "Adapt remote consultations for everyone"
    assert run.descriptor == xl.invented_descriptor("min_08")
    assert result.entries["acc_17"].title == "Plan reasonable adjustments together"
    assert result.entries["acc_17b"].title == "Mark access needs on the record"
    assert result.entries["acc_01"].supporting_information == xl.invented_information("acc_01")
    assert result.entries["acc_01"].supporting_resources == "Example resource for acc_01"
    # Title row, blank row, header: the first action sits on spreadsheet row 4.
    assert result.entries["acc_01"].row == 4
    assert result.entries["acc_01"].sheet == "Tier 1"


def test_quirks_are_reported_with_sheet_and_row(tmp_path, mini_pack, xl):
    path = xl.official_workbook(mini_pack, tmp_path / "copy.xlsx")
    result = read_official(path, mini_pack)
    repeated = _messages(result, "repeated code")
    assert len(repeated) == 1
    second = result.entries["acc_17b"]
    assert (repeated[0].sheet, repeated[0].row, repeated[0].column) == (
        "Achieving",
        second.row,
        "Action Code",
    )
    assert "ACC_17" in repeated[0].message
    missing = _messages(result, "missing code")
    assert [(w.sheet, w.row) for w in missing] == [
        ("Achieving", result.entries["min_cultural_safety"].row)
    ]
    assert not _messages(result, "not found in the file")
    assert not _messages(result, "unmatched")
    assert not _messages(result, "tier mismatch")


def test_real_pack_official_layout_matches_all_116(tmp_path, real_pack, xl):
    path = xl.official_workbook(real_pack, tmp_path / "copy.xlsx")
    result = read_official(path, real_pack)
    assert result.errors == []
    assert len(real_pack.actions) == 116
    assert result.matched == 116
    assert result.rows_read == 116
    assert {"acc_17", "acc_17b", "min_cultural_safety"} <= set(result.entries)
    assert result.entries["val_00"].title == real_pack.action("val_00").title
    assert result.entries["min_08"].title == real_pack.action("min_08").title
    assert result.entries["min_08"].descriptor == xl.invented_descriptor("min_08")
    assert len(_messages(result, "repeated code")) == 1
    assert len(_messages(result, "missing code")) == 1
    assert not _messages(result, "unmatched")
    assert not _messages(result, "not found in the file")
    assert not _messages(result, "tier mismatch")


def test_real_tier_names_are_recorded(tmp_path, mini_pack, xl):
    names = {"tier-1": "First Steps", "tier-2": "Building Up"}
    path = xl.official_workbook(mini_pack, tmp_path / "copy.xlsx", sheet_names=names)
    result = read_official(path, mini_pack)
    assert result.errors == []
    assert result.tier_names == names
    assert result.matched == len(mini_pack.actions)


def test_sheet_names_match_tiers_case_insensitively(tmp_path, mini_pack, xl):
    names = {"tier-1": "TIER 1", "achieving": "achieving"}
    path = xl.official_workbook(mini_pack, tmp_path / "copy.xlsx", sheet_names=names)
    result = read_official(path, mini_pack)
    assert result.errors == []
    assert result.tier_names == {}


def test_tier_mismatch_is_a_warning(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    rows = {
        "Tier 1": [header, *xl.official_rows(mini_pack, "tier-1", header)],
        "Tier 2": [
            header,
            *xl.official_rows(mini_pack, "tier-2", header),
            *xl.official_rows(mini_pack, "leading", header),
        ],
        "Achieving": [header, *xl.official_rows(mini_pack, "achieving", header)],
    }
    result = read_official(xl.write_workbook(tmp_path / "t.xlsx", rows), mini_pack)
    assert result.errors == []
    mismatch = _messages(result, "tier mismatch")
    assert [(w.sheet, w.row) for w in mismatch] == [("Tier 2", 3)]
    assert "acc_19" in mismatch[0].message


def test_title_on_the_line_after_the_code_in_the_code_cell(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    row = ["Values and Behaviours", "VAL_00\n\nName a fairness champion", "Some made-up text."]
    path = xl.write_workbook(tmp_path / "v.xlsx", {"Tier 1": [header, row]})
    result = read_official(path, mini_pack)
    assert result.errors == []
    entry = result.entries["val_00"]
    assert (entry.code, entry.title, entry.descriptor) == (
        "VAL_00",
        "Name a fairness champion",
        "Some made-up text.",
    )


# Single sheet with a tier column -----------------------------------------------------------
def test_single_sheet_with_tier_column(tmp_path, mini_pack, xl):
    header = ["Tier", *reversed(xl.BASE_COLUMNS)]
    rows = [header]
    for tier in mini_pack.tiers:
        rows += xl.official_rows(mini_pack, tier.key, header)
    result = read_official(xl.write_workbook(tmp_path / "one.xlsx", {"Toolkit": rows}), mini_pack)
    assert result.errors == []
    assert result.matched == len(mini_pack.actions)
    assert result.tier_names == {}
    assert result.entries["acc_19"].sheet == "Toolkit"


def test_single_sheet_tier_column_with_real_names(tmp_path, mini_pack, xl):
    header = ["Action Tier", *xl.BASE_COLUMNS]
    rows = [header]
    rows += xl.official_rows(mini_pack, "tier-1", header, tier_label="Getting Going")
    rows += xl.official_rows(mini_pack, "tier-2", header)
    rows += xl.official_rows(mini_pack, "achieving", header)
    result = read_official(xl.write_workbook(tmp_path / "one.xlsx", {"S": rows}), mini_pack)
    assert result.errors == []
    assert result.tier_names == {"tier-1": "Getting Going"}


# CSV -----------------------------------------------------------------------------------------
def _write_csv(path: Path, rows, *, bom: bool = True) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_csv_with_tier_column_and_bom(tmp_path, mini_pack, xl):
    header = [*xl.BASE_COLUMNS, "Action Tier"]
    rows = [["A made-up title line"], header]
    for tier in mini_pack.tiers:
        rows += xl.official_rows(mini_pack, tier.key, header)
    result = read_official(_write_csv(tmp_path / "copy.csv", rows), mini_pack)
    assert result.errors == []
    assert result.matched == len(mini_pack.actions)
    val = result.entries["val_00"]
    assert val.title == "Name a fairness champion"
    assert val.sheet == "copy.csv"
    # Multi-line cells: the row number is the line where the record starts.
    assert result.entries["acc_01"].row == 3
    assert result.entries["acc_01"].supporting_information == xl.invented_information("acc_01")


def test_csv_needs_a_tier_column_or_a_default(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    rows = [header, *xl.official_rows(mini_pack, "achieving", header)]
    path = _write_csv(tmp_path / "achieving.csv", rows, bom=False)
    bad = read_official(path, mini_pack)
    assert bad.entries == {}
    assert "Action Tier" in bad.errors[0].message
    good = read_official(path, mini_pack, default_tier="Achieving")
    assert good.errors == []
    assert {"acc_17", "acc_17b", "min_08", "min_cultural_safety"} == set(good.entries)
    assert len(_messages(good, "not found in the file")) == 4


def test_semicolon_csv_from_european_excel(tmp_path, mini_pack, xl):
    header = [*xl.BASE_COLUMNS, "Tier"]
    rows = [header]
    for tier in mini_pack.tiers:
        rows += xl.official_rows(mini_pack, tier.key, header)
    path = tmp_path / "semi.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    result = read_official(path, mini_pack)
    assert result.errors == []
    assert result.matched == len(mini_pack.actions)


def test_unknown_default_tier_is_an_error(tmp_path, mini_pack, xl):
    path = xl.official_workbook(mini_pack, tmp_path / "c.xlsx")
    _assert_fails(read_official(path, mini_pack, default_tier="Gold"), "c.xlsx", "'Gold'", "Tier 1")


def test_csv_wrong_encoding_names_the_line(tmp_path, mini_pack, xl):
    path = tmp_path / "latin.csv"
    text = "Theme,Action Code,Action Descriptor,Action Tier\nAccess and Flexibility,ACC_01,"
    path.write_bytes(text.encode() + "Caf\u00e9 title\n".encode("latin-1"))
    result = read_official(path, mini_pack)
    assert result.entries == {}
    err = result.errors[0]
    assert err.sheet == "latin.csv" and err.row == 2
    assert "UTF-8" in err.message and "line 2" in err.message


# Matching ------------------------------------------------------------------------------------
def test_fuzzy_title_match_for_uncoded_rows(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    rows = [
        header,
        ["Minoritised Ethnic Communities", "", "Run cultural-safety session\nMade-up text."],
        ["Access and Flexibility", "", "Open a drop in clinic for focus patient\nMore text."],
    ]
    result = read_official(
        xl.write_workbook(tmp_path / "f.xlsx", {"Achieving": rows}),
        mini_pack,
    )
    assert result.errors == []
    assert set(result.entries) == {"min_cultural_safety", "acc_19"}
    assert len(_messages(result, "tier mismatch")) == 1


def test_each_pack_action_is_matched_once(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    row = ["Access and Flexibility", "ACC_01", "Welcome every new registration\nText."]
    rows = [header, row, ["Access and Flexibility", "", row[2]]]
    result = read_official(xl.write_workbook(tmp_path / "d.xlsx", {"Tier 1": rows}), mini_pack)
    assert list(result.entries) == ["acc_01"]
    assert result.entries["acc_01"].row == 2
    unmatched = _messages(result, "unmatched row")
    assert [(w.sheet, w.row) for w in unmatched] == [("Tier 1", 3)]


def test_unknown_theme_unknown_code_and_empty_descriptor(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    rows = [
        header,
        ["Made Up Theme", "ACC_01", "Welcome every new registration\nText."],
        ["Access and Flexibility", "ZZZ_99", "Offer several booking routes"],
        ["Access and Flexibility", "QQQ_01", "Something nobody wrote\nText."],
    ]
    result = read_official(xl.write_workbook(tmp_path / "q.xlsx", {"Tier 1": rows}), mini_pack)
    assert result.errors == []
    theme = _messages(result, "unknown theme")
    assert [(w.row, w.column) for w in theme] == [(2, "Theme")]
    assert "Made Up Theme" in theme[0].message
    assert [w.row for w in _messages(result, "not in the pack; matched")] == [3]
    assert [w.row for w in _messages(result, "empty descriptor")] == [3]
    assert [w.row for w in _messages(result, "unmatched row")] == [4]
    assert "acc_03" in result.entries


def test_continuation_rows_join_the_action_above(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    rows = [
        header,
        ["Access and Flexibility", "ACC_01", "Welcome every new registration\nText.", "", "R1"],
        [None, None, None, None, "R2"],
    ]
    result = read_official(xl.write_workbook(tmp_path / "c.xlsx", {"Tier 1": rows}), mini_pack)
    assert result.entries["acc_01"].supporting_resources == "R1\nR2"
    assert result.rows_read == 1
    assert [w.row for w in _messages(result, "only supporting text")] == [3]


def test_hyperlinks_in_resources_are_kept(tmp_path, mini_pack, xl):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tier 1"
    ws.append(xl.BASE_COLUMNS)
    ws.append(["Access and Flexibility", "ACC_01", "Welcome every new registration\nT.", "", "Go"])
    ws["E2"].hyperlink = "https://example.org/made-up"
    wb.save(tmp_path / "h.xlsx")
    result = read_official(tmp_path / "h.xlsx", mini_pack)
    assert result.entries["acc_01"].links == ("https://example.org/made-up",)


# Bad input -------------------------------------------------------------------------------------
def _assert_fails(result, *needles: str):
    assert result.errors, "expected an error"
    assert result.entries == {}
    assert result.matched == 0
    text = " ".join(str(e) for e in result.errors)
    for needle in needles:
        assert needle in text, text


def test_wrong_headers_name_sheet_and_columns_found(tmp_path, mini_pack, xl):
    rows = [["Theme", "Code Number", "What to do"], ["Access and Flexibility", "ACC_01", "x"]]
    path = xl.write_workbook(tmp_path / "w.xlsx", {"Tier 1": rows})
    result = read_official(path, mini_pack)
    _assert_fails(
        result, "w.xlsx", "Tier 1", "row 1", "Action Code", "Action Descriptor", "Code Number"
    )


def test_no_header_at_all(tmp_path, mini_pack, xl):
    rows = [["just", "some", "numbers"], [1, 2, 3]]
    result = read_official(xl.write_workbook(tmp_path / "n.xlsx", {"Data": rows}), mini_pack)
    _assert_fails(result, "Data", "no header row", "just")


def test_empty_sheet(tmp_path, mini_pack, xl):
    result = read_official(xl.write_workbook(tmp_path / "e.xlsx", {"Tier 1": []}), mini_pack)
    _assert_fails(result, "Tier 1", "empty")


def test_empty_tier_sheet_among_full_ones(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    sheets = {
        "Tier 1": [header, *xl.official_rows(mini_pack, "tier-1", header)],
        "Tier 2": [],
        "Notes": [],
    }
    path = xl.write_workbook(tmp_path / "e.xlsx", sheets)
    _assert_fails(read_official(path, mini_pack), "Tier 2", "empty")
    del sheets["Tier 2"]
    result = read_official(xl.write_workbook(tmp_path / "ok.xlsx", sheets), mini_pack)
    assert result.errors == [] and set(result.entries) == {"acc_01", "val_00"}
    assert [w.sheet for w in _messages(result, "sheet skipped")] == ["Notes"]


def test_header_without_rows(tmp_path, mini_pack, xl):
    path = xl.write_workbook(tmp_path / "h.xlsx", {"Tier 1": [["Title"], xl.BASE_COLUMNS]})
    _assert_fails(read_official(path, mini_pack), "Tier 1", "row 2", "no action rows")


def test_one_bad_sheet_spoils_the_whole_import(tmp_path, mini_pack, xl):
    header = xl.BASE_COLUMNS
    sheets = {
        "Tier 1": [header, *xl.official_rows(mini_pack, "tier-1", header)],
        "Tier 2": [["Theme", "Action Code"], ["Access and Flexibility", "ACC_03"]],
    }
    result = read_official(xl.write_workbook(tmp_path / "b.xlsx", sheets), mini_pack)
    _assert_fails(result, "Tier 2", "Action Descriptor")


def test_empty_file(tmp_path, mini_pack):
    path = tmp_path / "nothing.csv"
    path.write_bytes(b"")
    _assert_fails(read_official(path, mini_pack), "nothing.csv", "empty")


def test_text_renamed_xlsx_is_refused(tmp_path, mini_pack):
    path = tmp_path / "notes.xlsx"
    path.write_text("Theme,Action Code\nhello,world\n")
    _assert_fails(read_official(path, mini_pack), "notes.xlsx", "not an Excel workbook")


def test_binary_junk_is_not_a_spreadsheet(tmp_path, mini_pack):
    path = tmp_path / "junk.bin"
    path.write_bytes(os.urandom(4096) + b"\x00")
    _assert_fails(read_official(path, mini_pack), "junk.bin", "not a spreadsheet")


def test_fifty_megabytes_of_junk_fails_fast(tmp_path, mini_pack):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as fh:
        for _ in range(50):
            fh.write(os.urandom(1024 * 1024))
    with bytes_read() as meter:
        result = read_official(path, mini_pack)
    _assert_fails(result, "big.xlsx", "over the")
    assert result.sha256 == ""
    assert meter.read < 4 << 20, f"read {meter.read:,} bytes of a 50 MB file before refusing it"


def test_truncated_xlsx(tmp_path, mini_pack, xl):
    full = xl.official_workbook(mini_pack, tmp_path / "full.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(full[: len(full) // 2])
    _assert_fails(read_official(path, mini_pack), "cut.xlsx", "truncated or corrupt")


def test_corrupt_member_in_xlsx(tmp_path, mini_pack, xl):
    good = xl.official_workbook(mini_pack, tmp_path / "good.xlsx")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    data = bytearray(bad.read_bytes())
    marker = data.find(b"Invented descriptor")
    data[marker : marker + 8] = b"XXXXXXXX"  # same length, wrong checksum
    bad.write_bytes(bytes(data))
    _assert_fails(read_official(bad, mini_pack), "bad.xlsx", "corrupt")


def test_zip_bomb_is_refused(tmp_path, mini_pack):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    assert path.stat().st_size < 50_000
    result = read_official(path, mini_pack, max_bytes=100_000)
    _assert_fails(result, "bomb.xlsx", "unpacks to")


def test_zip_that_is_not_a_workbook(tmp_path, mini_pack):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "made-up")
    _assert_fails(read_official(path, mini_pack), "archive.xlsx", "not an Excel workbook")


def test_password_protected_workbook(tmp_path, mini_pack):
    # Encrypted Office files are OLE compound documents, not zips.
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    _assert_fails(read_official(path, mini_pack), "locked.xlsx", "password")


def test_missing_file(tmp_path, mini_pack):
    _assert_fails(read_official(tmp_path / "gone.xlsx", mini_pack), "gone.xlsx", "cannot be read")


def test_issue_text_names_where():
    from gpequity.catalogue.importer import Issue

    assert str(Issue("Tier 1", 4, "Theme", "unknown theme")) == (
        "Tier 1, row 4, column 'Theme': unknown theme"
    )
    assert str(Issue("", None, None, "pack action missing")) == "pack action missing"


def test_result_json_shape(tmp_path, mini_pack, xl):
    result = read_official(xl.official_workbook(mini_pack, tmp_path / "c.xlsx"), mini_pack)
    data = result.to_json()
    assert data["actions"] == 8 and data["matched"] == 8 and data["errors"] == []
    assert set(data["warnings"][0]) == {"sheet", "row", "column", "message"}
    assert len(data["sha256"]) == 64


# Diff ------------------------------------------------------------------------------------------
def test_diff_between_two_imports(tmp_path, mini_pack, xl):
    first = read_official(xl.official_workbook(mini_pack, tmp_path / "a.xlsx"), mini_pack)
    header = xl.BASE_COLUMNS
    rows = {}
    for tier in mini_pack.tiers:
        tier_rows = xl.official_rows(mini_pack, tier.key, header)
        rows[tier.name] = [header, *tier_rows]
    # Change one descriptor, drop one action, reorder nothing else.
    rows["Tier 2"][1][2] = "Offer several booking routes\nA revised made-up descriptor."
    rows["Leading"] = rows["Leading"][:1] + [["Access and Flexibility", "", ""]]
    rows["Leading"][1] = ["Access and Flexibility", "QQQ_01", "Unrelated made-up row\nx"]
    second = read_official(xl.write_workbook(tmp_path / "b.xlsx", rows), mini_pack)
    assert second.errors == []
    diff = diff_imports(first.entries, second.entries)
    assert diff.removed == ["acc_19"]
    assert diff.added == []
    assert diff.changed == [("acc_03", ["descriptor"])]
    # Stored dicts compare the same as live entries; a re-import of the same file is empty.
    assert diff_imports(first.entries_json(), first.entries).empty
    back = diff_imports(second.entries, first.entries)
    assert back.added == ["acc_19"]


def test_official_text_round_trips_as_dict():
    text = OfficialText("T", "D", "I", "R", "S", 3, "ACC_01", ("https://example.org",))
    assert OfficialText.from_dict(text.to_dict()) == text
