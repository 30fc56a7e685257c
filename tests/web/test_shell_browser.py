"""Browser checks of the shell: axe-clean and usable by keyboard."""

from __future__ import annotations

import pytest

from tests.conftest import assert_accessible, sign_in
from tests.factories import PracticeFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_and_sign_in_are_accessible_and_keyboard_usable(page, live_server):
    practice = PracticeFactory(name="Keyboard Surgery")
    member(practice, "equity_lead", username="lead")
    page.goto(live_server.url + "/")
    assert_accessible(page, context="home")
    # The first Tab lands on the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className").startswith("nhsuk-skip-link")
    page.goto(live_server.url + "/sign-in/")
    assert_accessible(page, context="sign in")
    sign_in(page, live_server, "lead")
    assert "Keyboard Surgery" in page.content()
    assert_accessible(page, context="home signed in")
