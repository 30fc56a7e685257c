"""Browser check: define the Focus Patient group with the form builder, by keyboard, without
typing JSON; every page axe-clean."""

from __future__ import annotations

import pytest

from gpequity.web.focus.models import FocusGroupVersion
from tests.conftest import assert_accessible, sign_in
from tests.factories import PracticeFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def activate(page, control) -> None:
    """Focus a link or button and press Enter, as a keyboard user would."""
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_define_focus_group_by_keyboard(page, live_server):
    practice = PracticeFactory(name="Focus Surgery")
    member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/focus/")
    assert_accessible(page, context="focus (empty)")
    activate(page, page.get_by_role("link", name="Define the Focus group"))
    assert_accessible(page, context="focus builder")

    # "Any of these" is chosen already; fill the first row by keyboard.
    page.get_by_label("Characteristic").focus()
    page.keyboard.press("Tab")  # onto Comparison
    page.get_by_label("Characteristic").select_option("imd_decile")
    page.get_by_label("Comparison").select_option("le")
    page.get_by_label("Value").fill("2")
    # Quick-add the homeless condition; the page redraws with a second row filled in.
    activate(page, page.get_by_role("button", name="Add Homeless"))
    assert page.locator("#id_cond-1-column").input_value() == "homeless"
    assert page.locator("#id_cond-0-value").input_value() == "2"
    # Add an empty row, then give it a bad value to see the error.
    activate(page, page.get_by_role("button", name="Add another condition"))
    page.locator("#id_cond-2-column").select_option("imd_decile")
    page.locator("#id_cond-2-op").select_option("ge")
    page.locator("#id_cond-2-value").fill("12")
    page.get_by_label("Why this group").fill("Most of our patients live in deprived areas.")
    activate(page, page.get_by_role("button", name="Save the Focus group"))
    assert "There is a problem" in page.content()
    assert_accessible(page, context="focus builder with errors")
    assert not FocusGroupVersion.objects.exists()
    # Remove the bad row with the keyboard and save.
    page.get_by_label("Remove this condition").nth(2).focus()
    page.keyboard.press("Space")
    page.locator("#id_cond-2-value").press("Enter")  # Enter in a field saves (default button)
    page.wait_for_url(f"**/orgs/{practice.ods_code}/focus/")
    saved = FocusGroupVersion.objects.get(organisation=practice)
    assert saved.criteria == {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}
    assert page.get_by_text(saved.description_text).first.is_visible()
    assert_accessible(page, context="focus detail")
    page.screenshot(path="/tmp/focus_detail.png", full_page=True)
    activate(page, page.locator(f"a[href='/orgs/{practice.ods_code}/focus/versions/1/']"))
    assert_accessible(page, context="focus version")
