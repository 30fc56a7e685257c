"""The equity lead downloads the report and workbook, then imports an edited workbook."""

from __future__ import annotations

import pytest

from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.reports import xlsx
from gpequity.web.reports.selectors import load_pack_for
from tests.conftest import assert_accessible, sign_in

from .conftest import edit_workbook
from .factories import filled_practice, save_focus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_downloads_and_imports_by_keyboard(page, live_server, tmp_path):
    org, lead, helper, (first, second, third) = filled_practice()
    save_focus(org, lead)
    sign_in(page, live_server, lead.username)
    page.goto(f"{live_server.url}/orgs/{org.ods_code}/reports/")
    assert_accessible(page, context="reports page")

    with page.expect_download() as pdf_info:
        page.get_by_role("link", name="Download the report as a PDF").click()
    pdf = tmp_path / "report.pdf"
    pdf_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    with page.expect_download() as xlsx_info:
        page.get_by_role("link", name="Download the practice workbook (Excel .xlsx)").click()
    book = tmp_path / "book.xlsx"
    xlsx_info.value.save_as(book)
    assert xlsx_info.value.suggested_filename.endswith(".xlsx")

    sheet = xlsx.tier_sheet_names(load_pack_for(org))[second.tier]
    edited = tmp_path / "edited.xlsx"
    edited.write_bytes(
        edit_workbook(book.read_bytes(), [(sheet, second.key, "Status", "Embedded")])
    )
    page.get_by_label("Practice workbook (.xlsx)").set_input_files(str(edited))
    page.get_by_label("Practice workbook (.xlsx)").focus()
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Upload and preview changes")
    assert button.evaluate("b => b === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url("**/import/preview/")
    assert_accessible(page, context="import preview")
    table = page.get_by_role("table", name="Changes the import will make")
    assert second.key in table.inner_text() and "Embedded" in table.inner_text()

    page.get_by_role("button", name="Import these changes").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orgs/{org.ods_code}/reports/")
    assert "Workbook imported: 1 change saved." in page.content()
    assert_accessible(page, context="after import")
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "embedded"
    )

    page.get_by_role("link", name="View the practice equity report").click()
    page.wait_for_url("**/equity-report/")
    assert "Riverside Surgery" in page.content()
    assert_accessible(page, context="equity report")
    page.screenshot(path="/tmp/reports-report.png", full_page=True)


def test_bad_workbook_shows_the_problem_accessibly(page, live_server, tmp_path):
    org, lead, helper, (first, second, third) = filled_practice()
    sign_in(page, live_server, lead.username)
    page.goto(f"{live_server.url}/orgs/{org.ods_code}/reports/")
    sheet = xlsx.tier_sheet_names(load_pack_for(org))[second.tier]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        edit_workbook(xlsx.export_workbook(org), [(sheet, second.key, "Status", "Maybe")])
    )
    page.get_by_label("Practice workbook (.xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and preview changes").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    errors = page.get_by_role("table", name="Problems found in the workbook").inner_text()
    assert sheet in errors and "Maybe" in errors and "Status" in errors
    assert_accessible(page, context="import errors")
    page.screenshot(path="/tmp/reports-errors.png", full_page=True)
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "in_progress"
    )
