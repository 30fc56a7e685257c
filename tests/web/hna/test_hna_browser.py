"""The equity lead's whole HNA journey in Chromium, by keyboard, with axe-core on every page:
upload an extract with problems, read the problems, leave the bad rows out, watch it finish,
read the report and an indicator page, add a finding to the plan, and see a second run add a
measurement to its run chart. Pages are also checked for sideways scrolling at 375 px."""

from __future__ import annotations

import pytest

from gpequity.web.focus import services as focus_services
from gpequity.web.orgs.models import Role
from tests.conftest import assert_accessible, phone_width, sign_in
from tests.factories import PracticeFactory, member

from .conftest import FOCUS
from .extracts import broken_patients, extract_zip, files, zipped

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _press(page, locator) -> None:
    """Focus a link or button and press Enter: the keyboard's way, waiting for the next page."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def _no_sideways_scroll(page, context: str) -> None:
    width = phone_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 375, f"{context} scrolls sideways at 375 px ({width} px wide)"


def _upload(page, tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    page.get_by_label("Extract", exact=True).set_input_files(str(path))
    _press(page, page.get_by_role("button", name="Upload and check the extract"))


def test_the_lead_runs_an_hna_and_plans_from_a_finding_by_keyboard(page, live_server, tmp_path):
    practice = PracticeFactory(name="Riverside Surgery", ods_code="B12345")
    lead = member(practice, Role.EQUITY_LEAD, username="lead")
    focus_services.focus_group_save(actor=lead, organisation=practice, criteria=FOCUS, based_on=0)
    # Runs execute inside the upload request here (immediate task backend), and the shared
    # 2-core machine can be slow: allow a minute per navigation.
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/hna/")
    assert_accessible(page, context="HNA landing page")
    _no_sideways_scroll(page, "HNA landing page")

    # An extract with two bad rows: the problems, by line, without patient identifiers.
    bad = broken_patients({3: {"age": "old"}, 7: {"sex": "robot"}}, n=1500)
    _upload(
        page,
        tmp_path,
        "bad.zip",
        zipped({"patients.csv": bad, "appointments.csv": files(1500)["appointments.csv"]}),
    )
    page.wait_for_url("**/runs/*/")
    assert page.get_by_role(
        "heading", name="The extract has 2 problems: nothing was run"
    ).is_visible()
    problems = page.get_by_role("table", name="Problems 1 to 2 of 2")
    assert "robot" in problems.inner_text() and "P0000006" not in page.content()
    assert_accessible(page, context="validation report")
    _no_sideways_scroll(page, "validation report")

    _press(page, page.get_by_role("button", name="Leave out the rows with problems and run"))
    assert page.get_by_role("heading", name="The assessment is finished").is_visible()
    assert_accessible(page, context="finished run")
    _press(page, page.get_by_role("link", name="See the report"))
    assert page.get_by_role("heading", name="The largest gaps").is_visible()
    assert_accessible(page, context="HNA report")
    _no_sideways_scroll(page, "HNA report")

    _press(page, page.get_by_role("link", name="Missed appointments (DNA rate)", exact=True))
    assert page.get_by_role("heading", name="Gradient across deprivation deciles").is_visible()
    assert page.locator(".app-chart svg[role=img]").count() >= 5
    assert_accessible(page, context="indicator page")
    _no_sideways_scroll(page, "indicator page")
    page.go_back()

    add = page.get_by_role("button", name="Add to plan").first
    _press(page, add)
    page.wait_for_url("**/plan/*/edit/")
    assert_accessible(page, context="plan item editor after Add to plan")
    _press(page, page.get_by_role("button", name="Save", exact=True))
    page.wait_for_url("**/plan/*/")
    assert page.locator("table tbody tr").count() == 1
    item_url = page.url

    # A second run of a later extract adds the next measurement by itself.
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/hna/")
    _upload(page, tmp_path, "second.zip", extract_zip(n=1500, seed=9))
    assert page.get_by_role("heading", name="The assessment is finished").is_visible()
    page.goto(item_url)
    assert page.locator("table tbody tr").count() == 2
    assert page.locator(".app-chart svg[role=img]").count() == 1
    assert_accessible(page, context="plan item with two run-fed measurements")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/hna/trends/")
    assert page.get_by_role("heading", name="Trends across assessments").is_visible()
    assert_accessible(page, context="trends")
    _no_sideways_scroll(page, "trends")
