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


def choose(page, select, label: str) -> None:
    """Pick an option of a focused select by typing its label, as a keyboard user does."""
    select.focus()
    page.keyboard.type(label)


def test_add_a_sub_group_by_keyboard(page, live_server):
    practice = PracticeFactory(name="Nested Surgery")
    member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/focus/edit/")

    choose(page, page.locator("#id_cond-0-column"), "Homeless")
    page.keyboard.press("Tab")  # onto Comparison
    page.keyboard.type("is recorded as yes")
    assert page.locator("#id_cond-0-op").input_value() == "true"
    activate(page, page.get_by_role("button", name="Add a group of conditions"))
    group = page.get_by_role("group", name="Group 1: all of")
    assert group.is_visible()  # the top level is "any", so a new group starts as "all"
    assert page.locator("#id_cond-0-column").input_value() == "homeless"  # kept on redraw
    # Arrow keys move between the group's any/all radios; the legend follows (builder.js).
    page.locator("#id_group-0-mode_1").focus()
    page.keyboard.press("ArrowLeft")
    assert page.locator("#id_group-0-mode_0").is_checked()
    assert page.get_by_role("group", name="Group 1: any of").is_visible()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("group", name="Group 1: all of").is_visible()

    choose(page, page.locator("#id_group-0-cond-0-column"), "Age in years")
    page.keyboard.press("Tab")
    page.keyboard.type("is at least")
    page.keyboard.press("Tab")
    page.keyboard.type("65")
    activate(page, page.get_by_role("button", name="Add a condition to group 1"))
    assert page.locator("#id_group-0-cond-0-value").input_value() == "65"
    condition = page.get_by_role("group", name="Group 1, condition 2")
    choose(page, condition.get_by_label("Characteristic"), "Diabetes")
    page.keyboard.press("Tab")
    page.keyboard.type("is recorded as yes")
    assert_accessible(page, context="focus builder with a sub-group")
    page.screenshot(path="/tmp/focus_nested_builder.png", full_page=True)

    page.locator("#id_group-0-cond-1-value").press("Enter")  # Enter saves (default button)
    page.wait_for_url(f"**/orgs/{practice.ods_code}/focus/")
    saved = FocusGroupVersion.objects.get(organisation=practice)
    assert saved.criteria == {
        "any": [{"homeless": True}, {"all": [{"age": {"ge": 65}}, {"diabetes": True}]}]
    }
    assert_accessible(page, context="focus detail, nested")
    # Back in the builder the sub-group is drawn again, ready to edit.
    activate(page, page.get_by_role("link", name="Change the Focus group"))
    assert page.get_by_role("group", name="Group 1: all of").is_visible()
    assert page.locator("#id_group-0-cond-1-column").input_value() == "diabetes"
    assert_accessible(page, context="focus builder, nested version loaded")
