"""The lockout page: NHS.UK design, axe-clean, no sideways scroll at 375 px."""

from __future__ import annotations

import pytest

from tests.conftest import assert_accessible, sign_in
from tests.factories import PracticeFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lockout_page_is_accessible_at_phone_width(page, live_server):
    member(PracticeFactory(), "equity_lead", username="asha")
    page.set_viewport_size({"width": 375, "height": 800})
    for _ in range(6):
        sign_in(page, live_server, "asha", password="wrong")
    assert page.title().startswith("Sign-in locked for now")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign-in is locked for now"
    assert_accessible(page, context="locked out")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="/tmp/locked-375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path="/tmp/locked-desktop.png", full_page=True)
