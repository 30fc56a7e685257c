"""Browser checks of the directory: search, a service page, reporting a problem, editing a
listing, the patient print-out, shortlist and import; every page axe-clean, driven by
keyboard, and without sideways scrolling at 375 px."""

from __future__ import annotations

import re

import pytest

from gpequity.web import demo
from gpequity.web.directory.demo import build
from gpequity.web.directory.models import ProblemReport, Service
from tests.conftest import assert_accessible, phone_width, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/directory"


def activate(page, control) -> None:
    """Move focus to a link or button and press Enter, as a keyboard user would."""
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def no_sideways_scroll(page, context: str) -> None:
    wide = phone_width(page)
    assert wide <= 375, f"{context}: {wide} px wide at 375 px"
    page.screenshot(path=f"{SHOTS}-{context}-375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_find_report_edit_print(page, live_server):
    info = demo._organisations_and_people()
    build(info)
    # The demo's people have the demo password.
    sign_in(page, live_server, "lead", demo.DEMO_PASSWORD)
    base = f"{live_server.url}/orgs/{info.practice_ods}/directory/"

    page.goto(base)
    assert_accessible(page, context="directory search")
    page.screenshot(path=f"{SHOTS}-search.png", full_page=True)
    no_sideways_scroll(page, "search")
    page.get_by_label("Search").fill("debt")
    with page.expect_navigation():
        page.get_by_label("Search").press("Enter")
    assert page.get_by_role("heading", name="Money worries drop-in").is_visible()
    assert "Community food pantry" not in page.content()
    page.get_by_label("Language").select_option("pl")
    page.get_by_label("Free only").check()
    activate(page, page.get_by_role("button", name="Search", exact=True))
    assert_accessible(page, context="directory search with filters")
    assert page.get_by_role("link", name="Money worries drop-in").is_visible()

    activate(page, page.get_by_role("link", name="Money worries drop-in"))
    assert_accessible(page, context="service page")
    assert page.get_by_text("Polish").first.is_visible()
    page.screenshot(path=f"{SHOTS}-service.png", full_page=True)
    no_sideways_scroll(page, "service")

    activate(page, page.get_by_role("link", name="Report a problem with this listing"))
    assert_accessible(page, context="report a problem")
    activate(page, page.get_by_role("button", name="Send report"))
    assert_accessible(page, context="report a problem, empty")
    assert "Error:" in page.title()
    page.get_by_label("What is wrong with this listing?").fill("The email address bounces.")
    activate(page, page.get_by_role("button", name="Send report"))
    assert "will look at your report" in page.content()
    assert ProblemReport.objects.filter(description="The email address bounces.").exists()

    activate(page, page.get_by_role("link", name="Print for a patient"))
    assert_accessible(page, context="patient print-out")
    page.screenshot(path=f"{SHOTS}-print.png", full_page=True)
    no_sideways_scroll(page, "print")

    # The practice's own listing: the lead can change it.
    own = Service.objects.get(owner__ods_code=info.practice_ods)
    page.goto(f"{base}services/{own.pk}/")
    assert_accessible(page, context="own service")
    activate(page, page.get_by_role("link", name="Change listing"))
    assert_accessible(page, context="edit listing")
    no_sideways_scroll(page, "edit")
    page.get_by_label("Typical wait").fill("About two weeks")
    page.get_by_label("Friday opens").fill("09:00")
    page.get_by_label("Friday closes").fill("08:00")
    activate(page, page.get_by_role("button", name="Save", exact=True))
    assert_accessible(page, context="edit listing with errors")
    assert "Friday must close after it opens" in page.content()
    page.get_by_label("Friday closes").fill("12:30")
    page.get_by_label("Stopping smoking").check()
    activate(page, page.get_by_role("button", name="Save", exact=True))
    assert "Listing saved" in page.content()
    own.refresh_from_db()
    assert own.document["wait_time"] == "About two weeks"
    assert "FR" in {d for s in own.document["schedules"] for d in s["byday"].split(",")}
    assert_accessible(page, context="own service after edit")

    for path, context in (
        ("shortlist/", "shortlist"),
        ("import/", "import"),
        ("problems/", "problems"),
        ("services/new/", "new service"),
    ):
        page.goto(base + path)
        assert_accessible(page, context=context)
        no_sideways_scroll(page, context.replace(" ", "-"))


def test_network_lead_sees_and_closes_the_report(page, live_server):
    info = demo._organisations_and_people()
    build(info)
    sign_in(page, live_server, "pcnlead", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/orgs/U99001/directory/")
    assert page.get_by_text("1 open").is_visible()
    activate(page, page.get_by_role("link", name="Problems reported with your listings"))
    assert_accessible(page, context="problem reports")
    page.get_by_label("What did you do? (optional)").fill("Updated the day")
    activate(page, page.get_by_role("button", name=re.compile(r"^Close this report")))
    assert "No open reports" in page.content()
    assert ProblemReport.objects.get().resolution == "Updated the day"


def test_import_the_directory_from_an_organisation_export(page, live_server, tmp_path):
    """The PCN gets back a listing it lost from its own organisation export: the preview
    names it, the import keeps its checked and changed dates and the problem a practice
    reported with it, by keyboard, axe-clean."""
    from gpequity.web.reports.export_json import org_export_bytes

    info = demo._organisations_and_people()
    build(info)
    pcn = Service.objects.filter(owner__ods_code="U99001").order_by("name")
    lost = pcn.get(problems__isnull=False)
    report = lost.problems.get()
    told = (report.description, report.reported_at, report.reported_by, report.reported_from)
    saved = (lost.oruk_id, lost.checked_on, lost.changed_at, lost.document)
    export = tmp_path / "U99001-export.json"
    export.write_bytes(org_export_bytes(lost.owner))
    lost.delete()
    sign_in(page, live_server, "pcnlead", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/orgs/U99001/directory/import/")
    page.get_by_label("ORUK file or organisation export").set_input_files(str(export))
    activate(page, page.get_by_role("button", name="Check the file"))
    assert f"1 new, 0 changed, {pcn.count()} unchanged" in page.content()
    assert "Problem reports: 1 new, 0 changed, 0 unchanged." in page.content()
    assert_accessible(page, context="import preview of an organisation export")
    no_sideways_scroll(page, "import-export-preview")
    page.screenshot(path=f"{SHOTS}-import-export-preview.png", full_page=True)
    activate(page, page.get_by_role("button", name="Import these changes"))
    back = Service.objects.get(owner__ods_code="U99001", oruk_id=saved[0])
    assert (back.oruk_id, back.checked_on, back.changed_at, back.document) == saved
    again = back.problems.get()
    assert (again.description, again.reported_at, again.reported_by, again.reported_from) == told
