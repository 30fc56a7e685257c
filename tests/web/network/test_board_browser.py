"""The network lead reads the board report and builds its PDF by keyboard alone; the page has
no axe-core violations and fits a 375 px phone."""

from __future__ import annotations

import pytest

from tests.conftest import assert_accessible, sign_in

from .board_world import board_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_network_lead_reads_the_board_report_and_builds_its_pdf_by_keyboard(
    page, live_server, tmp_path
):
    world = board_world()
    sign_in(page, live_server, world.lead.username)
    page.goto(f"{live_server.url}/orgs/{world.pcn.ods_code}/network/board/")
    assert page.get_by_role("heading", name="The largest gaps").is_visible()
    assert page.get_by_role("img", name="XmR chart. Gap in ethnicity recorded").count() == 1
    assert_accessible(page, context="board report")
    page.screenshot(path=str(tmp_path / "board-desktop.png"), full_page=True)

    # Every scrolling table is reachable by keyboard (it is a focusable region).
    regions = page.locator(".app-table-scroll")
    assert regions.count() >= 4
    assert all(regions.nth(i).get_attribute("tabindex") == "0" for i in range(regions.count()))

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the board report scrolls sideways at 375 px ({width} px)"
    page.screenshot(path=str(tmp_path / "board-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    button = page.get_by_role("button", name="Build the board report as a PDF")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/pdf-builds/*/", timeout=120_000)  # built in the request in tests
    assert page.get_by_role("heading", name="The report is ready").is_visible()
    assert_accessible(page, context="board report PDF ready")
    page.get_by_role("link", name="Download the report PDF").focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    pdf = tmp_path / "board.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and "board-report" in info.value.suggested_filename
    page.get_by_role("link", name="Back to the board assurance report").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orgs/{world.pcn.ods_code}/network/board/")
    assert page.get_by_role("link", name="Board report PDF requested").count() == 1
