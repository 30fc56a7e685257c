"""Browser tests: the catalogue and the import flow in Chromium, checked with axe-core."""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_accessible, sign_in
from tests.factories import UserFactory
from tests.web.catalogue.factories import toolkit_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_catalogue_filtered_by_keyboard(page, live_server):
    page.goto(live_server.url + "/toolkit/")
    assert_accessible(page, context="catalogue index")
    assert page.locator("#result-count").inner_text() == "Showing all 116 actions."

    tier = page.locator("#id_tier")
    tier.focus()
    # Keyboard only: choose "Leading" in the select, then Tab through to the button.
    page.keyboard.type("Leading")
    assert tier.input_value() == "leading"
    page.locator("#id_effort").focus()
    page.keyboard.type("High")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Apply filters"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"tier=leading"))
    count = page.locator("#result-count").inner_text()
    assert re.fullmatch(r"\d+ actions? match(es)? your search\.", count), count
    assert page.locator(".app-results li").count() == int(count.split()[0])
    assert_accessible(page, context="catalogue filtered")

    page.locator("#id_q").fill("xyzzy-not-there")
    page.locator("#id_q").press("Enter")
    page.wait_for_url(re.compile(r"q=xyzzy"))
    assert "No actions match" in page.content()
    assert_accessible(page, context="catalogue no results")


def test_action_page_with_official_text(page, live_server, imported):
    page.goto(live_server.url + "/toolkit/actions/acc_01/")
    assert page.locator("h1").count() == 1
    assert page.get_by_text("Invented wording for acc_01, edition 1.").is_visible()
    assert page.locator("#official-attribution").inner_text().startswith("Fairer Practice")
    assert_accessible(page, context="action page")
    page.get_by_role("link", name=re.compile("^Next")).click()
    page.wait_for_url(re.compile(r"/toolkit/actions/(?!acc_01/)"))
    assert_accessible(page, context="next action page")


def test_import_page_and_preview(page, live_server, tmp_path):
    UserFactory(username="staffer", is_staff=True)
    sign_in(page, live_server, "staffer")
    page.goto(live_server.url + "/toolkit/import/")
    assert_accessible(page, context="import page")

    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a workbook at all")
    page.get_by_label("Your copy of the toolkit spreadsheet").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert "There is a problem with broken.xlsx" in page.content()
    assert_accessible(page, context="import error")

    good = tmp_path / "my-copy.xlsx"
    good.write_bytes(toolkit_workbook())
    page.get_by_label("Your copy of the toolkit spreadsheet").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").press("Enter")
    page.wait_for_url(re.compile(r"/toolkit/import/preview/$"))
    assert page.locator("#matched").inner_text() == "116 of 116"
    assert_accessible(page, context="import preview")

    page.get_by_role("button", name="Apply this import").press("Enter")
    page.wait_for_url(re.compile(r"/toolkit/import/history/"))
    assert page.get_by_text("Version 1 (current)").is_visible()
    assert_accessible(page, context="import history")
