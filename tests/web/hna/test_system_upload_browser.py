"""A PCN's network lead uploads a system extract in Chromium, by keyboard, with axe-core on
the pages (ADR 28), and no sideways scrolling at 375 px."""

from __future__ import annotations

import os

import pytest

from gpequity.web.orgs.models import Role
from tests.conftest import assert_accessible, sign_in
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, member

from .test_hna_browser import _no_sideways_scroll, _press, _upload
from .test_system_upload import AS_OF, system_zip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("GPEQUITY_SCREENSHOTS")  # a folder: keep screenshots to look at


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-desktop.png", full_page=True)
        page.set_viewport_size({"width": 375, "height": 800})
        page.screenshot(path=f"{SHOTS}/{name}-375.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_a_network_lead_stores_a_system_run_for_the_practices_by_keyboard(
    page, live_server, tmp_path
):
    icb = ICBFactory(ods_code="QZZ", name="Fen ICB")
    pcn = PCNFactory(ods_code="U55555", name="Fen Central PCN", parent=icb)
    PracticeFactory(ods_code="Y90001", name="Dyke Surgery", parent=pcn)
    PracticeFactory(ods_code="Y90002", name="Mere Surgery", parent=pcn)
    member(pcn, Role.NETWORK_LEAD, username="pcn-lead")
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in(page, live_server, "pcn-lead")
    page.goto(f"{live_server.url}/orgs/{pcn.ods_code}/hna/")
    assert page.get_by_text("Upload a system extract").is_visible()
    assert_accessible(page, context="PCN HNA page")
    _no_sideways_scroll(page, "PCN HNA page")
    _shot(page, "system-upload")

    page.get_by_label("Day").fill(str(AS_OF.day))
    page.get_by_label("Month").fill(str(AS_OF.month))
    page.get_by_label("Year").fill(str(AS_OF.year))
    page.get_by_label("No Focus group for this run").check()
    _upload(page, tmp_path, "system.zip", system_zip())
    page.wait_for_url("**/runs/*/")
    assert page.get_by_role("heading", name="Stored for 2 practices").is_visible()
    assert page.get_by_text("Dyke Surgery (Y90001)").is_visible()
    assert_accessible(page, context="system run stored")
    _no_sideways_scroll(page, "system run stored")
    _shot(page, "system-stored")
    _press(page, page.get_by_role("link", name="Back to the health needs assessment"))
    assert page.get_by_role("heading", name="Health needs assessment").is_visible()
