"""The network pages in Chromium: axe-core clean, usable by keyboard, no sideways scroll at
375 px: the practice lead's sharing settings, the PCN and ICB dashboards, a funnel plot page
and the combined needs assessment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpequity.web.network.models import SharingSettings
from tests.conftest import assert_accessible, phone_width, sign_in

from .world import network_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("GPEQUITY_SCREENSHOTS")


def _no_sideways_scroll(page, context: str) -> None:
    width = phone_width(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{context}-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{context}-1280.png"), full_page=True)
    assert width <= 375, f"{context} scrolls sideways at 375 px ({width} px wide)"


def _check(page, url: str, context: str) -> None:
    page.goto(url)
    assert_accessible(page, context=context)
    _no_sideways_scroll(page, context)


def test_sharing_dashboards_and_funnel_pages(page, live_server):
    w = network_world()
    hill = w["Hill Surgery"]
    lead = w["leads"]["Hill Surgery"]
    sign_in(page, live_server, lead.username)
    _check(page, f"{live_server.url}/orgs/{hill.ods_code}/sharing/", "sharing")
    # By keyboard: withdraw progress from the ICB and save.
    box = page.locator("#id_icb_progress")
    assert box.is_checked()
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save sharing settings").press("Enter")
    page.wait_for_load_state()
    assert "Sharing settings saved" in page.content()
    assert SharingSettings.objects.get(organisation=hill).progress_to_icb is False
    assert_accessible(page, context="sharing saved")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, w["network_lead"].username)
    pcn = w["pcn"].ods_code
    _check(page, f"{live_server.url}/orgs/{pcn}/network/", "pcn-dashboard")
    page.get_by_role("link", name="Compare practices on each indicator").press("Enter")
    page.wait_for_url("**/network/benchmarks/")
    assert_accessible(page, context="benchmarks")
    page.get_by_role("link", name="Ethnicity recorded").first.press("Enter")
    page.wait_for_url("**/benchmarks/ethnicity_recorded/")
    assert_accessible(page, context="funnel")
    _no_sideways_scroll(page, "funnel")
    page.get_by_role("link", name="Most deprived fifth (IMD Q1)").press("Enter")
    page.wait_for_url("**view=q1")
    assert_accessible(page, context="funnel q1")
    _check(page, f"{live_server.url}/orgs/{pcn}/network/needs/", "needs")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, w["analyst"].username)
    _check(page, f"{live_server.url}/orgs/{w['icb'].ods_code}/network/", "icb-dashboard")
    # Hill withdrew its progress from the ICB a moment ago: it shows as not shared at once.
    row = page.locator("#progress ~ table tr", has_text="Hill Surgery").first
    assert "Not shared" in row.inner_text()
