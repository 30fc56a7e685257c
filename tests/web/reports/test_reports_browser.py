"""The equity lead downloads the report and workbook, then imports an edited workbook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.reports import builds, xlsx
from gpequity.web.reports.models import ReportBuild
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

    build = page.get_by_role("button", name="Build the report as a PDF")
    build.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/pdf-builds/*/")
    assert page.get_by_role("heading", name="The report is ready").is_visible()
    assert_accessible(page, context="report PDF ready")
    page.get_by_role("link", name="Download the report PDF").focus()
    with page.expect_download() as pdf_info:
        page.keyboard.press("Enter")
    pdf = tmp_path / "report.pdf"
    pdf_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Back to reports and exports").click()
    page.wait_for_url(f"**/orgs/{org.ods_code}/reports/")

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


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_progress_page_follows_the_real_worker_until_the_pdf_is_ready(page, live_server):
    """Queued on the database backend; the page polls while the worker builds the PDF."""
    org, lead, helper, _ = filled_practice()
    sign_in(page, live_server, helper.username)
    page.goto(f"{live_server.url}/orgs/{org.ods_code}/reports/equity-report/")
    page.get_by_role("button", name="Build the report as a PDF").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/pdf-builds/*/")
    status = page.get_by_role("status")
    assert "Waiting to start" in status.inner_text()
    assert page.get_by_label("Progress: 0%").is_visible()  # the labelled progress bar
    assert not page.get_by_text("Refresh to see progress").is_visible()  # scripts run
    assert_accessible(page, context="report PDF waiting")
    page.screenshot(path="/tmp/reports-build-waiting.png", full_page=True)

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert ReportBuild.objects.get(organisation=org).status == "done"
    # No reload: the poller swaps in the finished state and moves focus to the download.
    ready = page.get_by_role("link", name="Download the report PDF")
    ready.wait_for(timeout=10_000)
    assert ready.evaluate("a => a === document.activeElement")
    assert "The report is ready" in status.inner_text()
    assert_accessible(page, context="report PDF ready after polling")
    page.screenshot(path="/tmp/reports-build-ready.png", full_page=True)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename.startswith(f"{org.ods_code}-equity-report-")


def test_failed_and_stalled_builds_are_accessible_and_can_be_restarted(page, live_server):
    org, lead, helper, _ = filled_practice()
    failed = ReportBuild.objects.create(
        organisation=org, requested_by=lead, status="failed", error=builds.FAILED_MESSAGE
    )
    stalled = ReportBuild.objects.create(organisation=org, requested_by=lead)
    ReportBuild.objects.filter(pk=stalled.pk).update(
        created_at=timezone.now() - builds.STALE_AFTER - dt.timedelta(minutes=1)
    )
    sign_in(page, live_server, lead.username)
    base = f"{live_server.url}/orgs/{org.ods_code}/reports/pdf-builds/"

    page.goto(base + f"{failed.pk}/")
    assert page.get_by_role("heading", name="The report was not built").is_visible()
    assert_accessible(page, context="report PDF failed")

    page.goto(base + f"{stalled.pk}/")
    assert page.get_by_text("Taking longer than expected").is_visible()
    assert_accessible(page, context="report PDF stalled")
    page.screenshot(path="/tmp/reports-build-stalled.png", full_page=True)
    page.get_by_role("button", name="Start the build again").focus()
    page.keyboard.press("Enter")  # the test settings run tasks at once
    page.wait_for_url(lambda url: str(stalled.pk) not in url)
    assert page.get_by_role("heading", name="The report is ready").is_visible()
    assert ReportBuild.objects.filter(organisation=org, status="done").count() == 1
