"""Findings 1 and 2 of issue 22: text that starts like a formula is exported as text, never a
live formula (workbook and CSVs), and an export imported again gives back exactly what was
typed, for every free-text field and every leading character."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.spreadsheets import FORMULA_START, csv_value
from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.plans.models import Cycle, Measurement, PlanItem
from gpequity.web.reports import services, xlsx

from .conftest import edit_workbook
from .factories import filled_practice

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://example.com/x?"&A1,"Click for the minutes")'
NOTE = "=> agreed at the partners' meeting"


def _set_texts(org, third, texts: dict[str, str]) -> None:
    """Store the texts straight in the rows (as any path in, form or API, could leave them)."""
    first_key = AssessmentEntry.objects.filter(organisation=org).order_by("id").first().action_key
    AssessmentEntry.objects.filter(organisation=org, action_key=first_key).update(
        notes=texts["notes"]
    )
    PlanItem.objects.filter(organisation=org, action_key=third.key).update(
        title=texts["title"],
        objective=texts["objective"],
        measure_text=texts["measure_text"],
        unit=texts["unit"],
    )
    Cycle.objects.filter(plan_item__organisation=org).update(
        plan=texts["plan"], do=texts["do"], study=texts["study"], act=texts["act"]
    )
    Measurement.objects.filter(plan_item__organisation=org).update(note=texts["note"])


def _stored(org, third) -> dict[str, str]:
    entry = AssessmentEntry.objects.filter(organisation=org).order_by("id").first()
    item = PlanItem.objects.get(organisation=org, action_key=third.key)
    cycle = Cycle.objects.get(plan_item=item)
    return {
        "notes": entry.notes,
        "title": item.title,
        "objective": item.objective,
        "measure_text": item.measure_text,
        "unit": item.unit,
        "plan": cycle.plan,
        "do": cycle.do,
        "study": cycle.study,
        "act": cycle.act,
        "note": Measurement.objects.get(plan_item=item).note,
    }


def test_formula_text_is_written_as_text_not_a_formula():
    org, lead, _, (_, _, third) = filled_practice()
    _set_texts(
        org,
        third,
        {
            "notes": HYPERLINK,
            "title": "+44 20 7946 0000",
            "objective": "-1 fewer missed appointments",
            "measure_text": "@SUM(A1:A9)",
            "unit": "=1+1",
            "plan": "\tindented",
            "do": "\rcarriage",
            "study": "=cmd|' /C calc'!A0",
            "act": "'=already quoted",
            "note": NOTE,
        },
    )
    data = xlsx.export_workbook(org)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets)  # no formula at all
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "@"))]
    assert {c.value for c in risky} >= {HYPERLINK, NOTE, "+44 20 7946 0000", "@SUM(A1:A9)"}
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)  # text, shown as typed


def test_the_csv_exports_guard_formula_text():
    org, lead, _, (_, _, third) = filled_practice()
    _set_texts(
        org,
        third,
        dict.fromkeys(("plan", "do", "study", "act", "note"), "x")
        | {
            "notes": HYPERLINK,
            "title": "+44 20 7946 0000",
            "objective": "-1 fewer",
            "measure_text": "@SUM(A1:A9)",
            "unit": "=1+1",
        },
    )
    PlanItem.objects.filter(organisation=org).update(baseline=-5)
    assessment = services.assessment_csv(org).decode("utf-8-sig")
    plan = services.plan_csv(org).decode("utf-8-sig")
    cells = [c for text in (assessment, plan) for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + HYPERLINK in cells and HYPERLINK not in cells
    for typed in ("+44 20 7946 0000", "-1 fewer", "@SUM(A1:A9)", "=1+1"):
        assert "'" + typed in cells and typed not in cells
    assert "-5" in cells  # a number stays a number
    assert [c for c in cells if c.startswith(FORMULA_START)] == ["-5"]
    assert {csv_value(c) for c in cells} >= {HYPERLINK, "+44 20 7946 0000", "=1+1"}


def test_an_unchanged_export_imports_as_no_change_with_formula_text():
    org, lead, _, (_, _, third) = filled_practice()
    texts = dict.fromkeys(("plan", "do", "study", "act"), "=A1") | {
        "notes": NOTE,
        "title": HYPERLINK,
        "objective": "+ more staff",
        "measure_text": "-",
        "unit": "@%",
        "note": "=2",
    }
    _set_texts(org, third, texts)
    data = xlsx.export_workbook(org)
    preview = services.preview_import(org, data, actor=lead)
    assert preview.ok and preview.changes == [] and preview.warnings == [], preview.errors
    services.apply_import(actor=lead, organisation=org, data=data)
    assert _stored(org, third) == texts


def _legacy_workbook(org, third) -> bytes:
    """The workbook as main wrote it before the fix: the note stored as a live formula, never
    calculated (no worked-out value)."""
    data = xlsx.export_workbook(org)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheet = xlsx.tier_sheet_names(xlsx.selectors.load_pack_for(org))[third.tier]
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=3):
        if row[2].value == third.key:
            row[5].value = NOTE  # openpyxl stores text starting with = as a formula
            assert row[5].data_type == "f"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_old_export_with_a_formula_cell_keeps_the_typed_text():
    org, lead, _, (_, _, third) = filled_practice()
    AssessmentEntry.objects.create(organisation=org, action_key=third.key, notes=NOTE)
    preview = services.preview_import(org, _legacy_workbook(org, third), actor=lead)
    assert preview.ok and preview.changes == [], preview.errors  # not wiped to ""


def test_a_calculated_formula_is_named_not_read_as_its_value(tmp_path):
    """A formula a spreadsheet program worked out is refused with the cell named (its cached
    value is never taken as what was typed)."""
    org, lead, _, (first, _, third) = filled_practice()
    data = xlsx.export_workbook(org)
    sheet = xlsx.tier_sheet_names(xlsx.selectors.load_pack_for(org))[first.tier]
    edited = edit_workbook(data, [(sheet, first.key, "Notes", "=CONCAT(1,2)")])
    # Give the formula a worked-out value, as Excel or LibreOffice would on saving.
    with zipfile.ZipFile(io.BytesIO(edited)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    name = next(n for n, v in parts.items() if b"<f>CONCAT(1,2)</f>" in v)
    parts[name] = parts[name].replace(b"<f>CONCAT(1,2)</f><v></v>", b"<f>CONCAT(1,2)</f><v>12</v>")
    parts[name] = parts[name].replace(b"<f>CONCAT(1,2)</f><v />", b"<f>CONCAT(1,2)</f><v>12</v>")
    assert b"<v>12</v>" in parts[name]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, v in parts.items():
            zf.writestr(n, v)
    preview = services.preview_import(org, buf.getvalue(), actor=lead)
    assert not preview.ok
    (issue,) = preview.errors
    assert (issue.sheet, issue.column, issue.value) == (sheet, "Notes", "=CONCAT(1,2)")
    assert "formula" in issue.message
    assert AssessmentEntry.objects.get(organisation=org, action_key=first.key).notes == (
        "Done in March"
    )


LEADING = st.sampled_from([*FORMULA_START, "'", "''=", " ", "\n", "_x000D_", "a", "é", ""])
BODY = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)


@st.composite
def typed(draw, limit: int | None = None) -> str:
    text = draw(LEADING) + draw(BODY)
    return text[:limit] if limit else text


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.fixed_dictionaries(
        {
            "notes": typed(),
            "title": typed(300).filter(lambda t: t.strip()),
            "objective": typed(),
            "measure_text": typed(300),
            "unit": typed(20),
            "plan": typed(),
            "do": typed(),
            "study": typed(),
            "act": typed(),
            "note": typed(300),
        }
    )
)
def test_export_then_import_gives_back_exactly_what_was_typed(texts):
    org, lead, _, (_, _, third) = _practice()
    _set_texts(org, third, texts)
    data = xlsx.export_workbook(org)
    preview = services.preview_import(org, data, actor=lead)
    assert preview.ok, preview.errors
    assert preview.changes == [] and preview.warnings == []
    parsed = xlsx.read_workbook(data, org).data()
    assert parsed["plan"][third.key]["objective"] == texts["objective"]
    assert parsed["plan"][third.key]["title"] == texts["title"]
    assert parsed["plan"][third.key]["unit"] == texts["unit"]
    services.apply_import(actor=lead, organisation=org, data=data)
    assert _stored(org, third) == texts
    for export in (services.assessment_csv(org), services.plan_csv(org)):
        rows = list(csv.reader(io.StringIO(export.decode("utf-8-sig"), newline="")))
        raw = [c for row in rows for c in row]
        assert not [c for c in raw if c.startswith(FORMULA_START) and not _number(c)]
    plan_rows = list(
        csv.reader(io.StringIO(services.plan_csv(org).decode("utf-8-sig"), newline=""))
    )
    assert {csv_value(c) for c in plan_rows[1]} >= {texts["title"], texts["objective"]}


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_PRACTICES: list = []


def _practice():
    """One practice per test run (Hypothesis calls the test many times in one transaction)."""
    from gpequity.web.orgs.models import Organisation

    if not _PRACTICES or not Organisation.objects.filter(pk=_PRACTICES[0][0].pk).exists():
        _PRACTICES[:] = [filled_practice(name="Property Surgery", ods_code="P00001")]
    return _PRACTICES[0]


def test_dates_and_numbers_still_round_trip():
    org, lead, _, (_, _, third) = filled_practice()
    data = xlsx.export_workbook(org)
    parsed = xlsx.read_workbook(data, org).data()
    assert parsed["plan"][third.key]["due_date"] == date(2025, 6, 30)
