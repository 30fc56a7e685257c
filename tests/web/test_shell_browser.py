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


def test_shell_pages_are_accessible(page, live_server):
    practice = PracticeFactory(name="Axe Surgery")
    member(practice, "equity_lead", username="lead")
    for path in ("/about/", "/accessibility/", "/api/docs", "/password-reset/", "/no-such-page/"):
        page.goto(live_server.url + path)
        assert_accessible(page, context=path)
    sign_in(page, live_server, "lead")
    for path in ("/orgs/", f"/orgs/{practice.ods_code}/members/", "/toolkit/actions/acc_01/"):
        page.goto(live_server.url + path)
        assert_accessible(page, context=path)


def test_invite_by_keyboard_then_accept_the_invitation(page, live_server, mailoutbox):
    practice = PracticeFactory(name="Invite Surgery")
    member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")
    page.goto(live_server.url + f"/orgs/{practice.ods_code}/members/")
    page.get_by_role("link", name="Invite someone").click()
    page.wait_for_url("**/members/invite/")
    page.wait_for_load_state()
    assert_accessible(page, context="invite")
    page.get_by_label("Email address").fill("new.gp@example.org")
    page.get_by_label("Team member").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Send invitation").press("Enter")
    page.wait_for_url("**/members/")
    assert "Invitation sent to new.gp@example.org" in page.content()
    assert_accessible(page, context="members after invite")

    link = next(w for w in mailoutbox[-1].body.split() if "/orgs/invitations/" in w)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(link)
    assert_accessible(page, context="accept invitation")
    page.get_by_label("Your full name").fill("Ola New")
    page.get_by_label("Choose a password").fill("an-unusual-passphrase")
    page.get_by_role("button", name="Accept invitation").press("Enter")
    page.wait_for_url(f"**/orgs/{practice.ods_code}/")
    assert "Welcome to Invite Surgery" in page.content()
