"""Browser journey: the equity lead assesses an action with evidence, by keyboard."""

from __future__ import annotations

import pytest

from gpequity.web.assessment import services
from gpequity.web.assessment.models import AssessmentEntry, Evidence
from tests.conftest import assert_accessible, sign_in
from tests.factories import PracticeFactory, member
from tests.web.assessment.factories import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_assesses_an_action_with_text_and_file_evidence(page, live_server, tmp_path):
    practice = PracticeFactory(name="Keyboard Surgery", ods_code="K12345")
    lead = member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")

    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/")
    assert page.get_by_role("heading", level=1).inner_text().endswith("Keyboard Surgery")
    assert "No tier reached yet" in page.content()
    assert_accessible(page, context="dashboard")

    # "What next" lists the Tier 1 actions; follow the first by keyboard.
    link = page.get_by_role("link", name="Inclusive registration")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/assessment/actions/acc_01/")
    assert_accessible(page, context="action page")

    # Status by keyboard: focus the first radio, arrow down to "In place".
    page.get_by_label("Not started").focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert page.get_by_label("In place").is_checked()
    page.get_by_label("Notes").focus()
    page.keyboard.type("Reception no longer asks for proof of address.")
    page.get_by_label("Written evidence").focus()
    page.keyboard.type("Registration policy agreed at the March team meeting.")
    evidence_file = tmp_path / "registration-policy.pdf"
    evidence_file.write_bytes(PDF)
    page.get_by_label("Upload a file").set_input_files(str(evidence_file))
    page.get_by_role("button", name="Save").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()

    assert "Saved" in page.content()
    assert page.get_by_role("link", name="registration-policy.pdf").is_visible()
    history = page.get_by_role("table", name="Changes to this action, newest first")
    assert "Status changed from Not started to In place." in history.inner_text()
    assert "File added: registration-policy.pdf" in history.inner_text()
    assert "Written evidence added" in history.inner_text()
    assert_accessible(page, context="action page after save")

    entry = AssessmentEntry.objects.get(organisation=practice, action_key="acc_01")
    assert (entry.status, entry.updated_by_id) == ("in_place", lead.pk)
    assert Evidence.objects.filter(entry=entry).count() == 2

    # The file downloads through the access-checked view.
    with page.expect_download() as info:
        page.get_by_role("link", name="registration-policy.pdf").click()
    assert info.value.suggested_filename == "registration-policy.pdf"
    assert open(info.value.path(), "rb").read() == PDF

    # Remove the file by keyboard; it moves to "Removed evidence", from where it comes back.
    page.get_by_role("button", name="Remove registration-policy.pdf").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Removed “registration-policy.pdf”" in page.content()
    summary = page.locator("summary", has_text="Removed evidence (1)")
    summary.focus()
    page.keyboard.press("Enter")  # open the details panel
    restore = page.get_by_role("button", name="Restore registration-policy.pdf")
    assert restore.is_visible()
    assert_accessible(page, context="action page with removed evidence open")
    restore.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Restored “registration-policy.pdf”." in page.content()
    assert page.get_by_role("link", name="registration-policy.pdf").is_visible()
    assert "Removed evidence" not in page.content()
    assert Evidence.objects.filter(entry=entry, removed_at__isnull=True).count() == 2


def test_other_assessment_pages_are_accessible(page, live_server):
    practice = PracticeFactory(name="Axe Surgery", ods_code="X12345")
    lead = member(practice, "equity_lead", username="axelead")
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        status="in_place",
        notes="Done",
        expected_version=0,
    )
    a = services.snapshot_take(actor=lead, organisation=practice, name="Spring")
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="hna_01",
        status="planned",
        notes="",
        expected_version=0,
    )
    b = services.snapshot_take(actor=lead, organisation=practice, name="Summer")
    sign_in(page, live_server, "axelead")
    base = f"{live_server.url}/orgs/{practice.ods_code}/assessment/"
    for tail, context in [
        ("", "overview"),
        ("?status=in_place", "overview filtered"),
        ("history/", "history"),
        ("snapshots/", "snapshots"),
        (f"snapshots/compare/?a={a.pk}&b={b.pk}", "compare"),
    ]:
        page.goto(base + tail)
        assert page.get_by_role("heading", level=1).count() == 1
        assert_accessible(page, context=context)
    assert "1 action changed status" in page.content()


def test_conflict_and_bad_upload_messages_are_accessible(page, live_server, tmp_path):
    practice = PracticeFactory(name="Clash Surgery", ods_code="C12345")
    member(practice, "equity_lead", username="clashlead")
    other = member(practice, "member", username="colleague")
    sign_in(page, live_server, "clashlead")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/assessment/actions/acc_01/")
    bad = tmp_path / "script.exe"
    bad.write_bytes(b"MZ\x90\x00")
    page.get_by_label("Upload a file").set_input_files(str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "“script.exe” is not a file type we accept" in page.content()
    assert_accessible(page, context="upload error")

    services.assessment_update(
        actor=other,
        organisation=practice,
        action_key="acc_01",
        status="embedded",
        notes="Colleague's notes",
        expected_version=0,
    )
    page.get_by_label("Notes").fill("My own notes")
    page.get_by_label("Planned").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Someone else saved this action while you were editing" in page.content()
    assert page.get_by_label("Notes").input_value() == "My own notes"
    assert_accessible(page, context="conflict")
