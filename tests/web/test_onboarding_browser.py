"""Browser journeys of issue 21, by keyboard, axe-clean: a site admin creates a practice and
invites its lead; the lead accepts, signs in and follows the first steps; every page of a
demo-like workspace fits a 375 px phone without sideways scrolling."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urlparse

import pytest

from gpequity.web.orgs.models import Membership, Organisation
from tests.conftest import assert_accessible, sign_in
from tests.factories import PCNFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/gpequity-onboarding"


def press(page, locator) -> None:
    """Follow a link or press a button with the keyboard and wait for the next page."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_admin_creates_a_practice_then_its_lead_follows_the_first_steps(
    page, live_server, mailoutbox
):
    PCNFactory(ods_code="U12345", name="North PCN")
    UserFactory(username="admin", is_staff=True)
    sign_in(page, live_server, "admin")
    press(page, page.get_by_role("link", name="Site staff"))
    assert_accessible(page, context="staff area")
    press(page, page.get_by_role("link", name="Add an organisation"))
    assert_accessible(page, context="add organisation")
    # A mistake first: the error summary takes focus and the title says Error.
    page.get_by_label("ODS code", exact=True).fill("U1")
    press(page, page.get_by_role("button", name="Add organisation"))
    assert page.title().startswith("Error: Add an organisation")
    assert page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")
    assert_accessible(page, context="add organisation with errors")
    page.get_by_label("GP practice").focus()
    page.keyboard.press("Space")
    page.get_by_label("ODS code", exact=True).fill("A81001")
    page.get_by_label("Name", exact=True).fill("Hill Surgery")
    page.get_by_label("ODS code of the organisation above it").fill("U12345")
    page.get_by_label("Email address of its first lead").fill("sam.lead@example.org")
    press(page, page.get_by_role("button", name="Add organisation"))
    assert "Hill Surgery (A81001) created. Invitation sent to sam.lead@example.org." in (
        page.content()
    )
    assert_accessible(page, context="staff area after create")
    page.screenshot(path=f"{SHOTS}-staff-desktop.png", full_page=True)
    assert Organisation.objects.get(ods_code="A81001").parent.ods_code == "U12345"

    link = next(w for w in mailoutbox[-1].body.split() if "/orgs/invitations/" in w)
    press(page, page.get_by_role("button", name="Sign out"))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(link)
    assert_accessible(page, context="accept invitation")
    page.get_by_label("Your full name").fill("Sam Lead")
    page.get_by_label("Choose a password").fill("a-long-secret-2026")
    press(page, page.get_by_role("button", name="Accept invitation"))
    assert Membership.objects.get(user__username="sam.lead@example.org").role == "equity_lead"
    # Signed in on the new practice's dashboard, with the first steps to do.
    assert page.title() == "Dashboard - Hill Surgery - gpequity"
    steps = page.locator("#first-steps")
    assert steps.is_visible()
    assert steps.get_by_text("To do").count() >= 2
    assert_accessible(page, context="new practice dashboard")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=f"{SHOTS}-first-steps-phone.png", full_page=True)

    # Sign out and in again, as a returning lead would.
    press(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, live_server, "sam.lead@example.org", "a-long-secret-2026")
    page.goto(live_server.url + "/orgs/A81001/")
    press(page, page.get_by_role("link", name="Start your self-assessment"))
    assert_accessible(page, context="self-assessment from first steps")
    press(page, page.locator("a[href$='/assessment/actions/acc_01/']").first)
    page.get_by_label("In place").focus()
    page.keyboard.press("Space")
    press(page, page.get_by_role("button", name=re.compile("^Save")))
    press(page, page.get_by_role("link", name="Dashboard"))
    status = page.locator("#step-assessment-status")
    assert status.inner_text().strip() == "Done"
    assert page.locator("#step-focus-status").inner_text().strip() == "To do"
    press(page, page.get_by_role("link", name="Describe your Focus group"))
    assert "/orgs/A81001/focus/" in page.url
    assert_accessible(page, context="focus group from first steps")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/orgs/A81001/")
    page.screenshot(path=f"{SHOTS}-dashboard-desktop.png", full_page=True)


SKIP = re.compile(
    r"(\.pdf|\.xlsx|\.csv|\.json|/sign-out/|/api/openapi|/download/|/assets/|/static/)"
)


def _shape(path: str) -> str:
    """One page per kind: ids and action keys collapse, so the walk stays short."""
    path = re.sub(r"/\d+/", "/N/", path)
    path = re.sub(r"/actions/[^/]+/", "/actions/X/", path)
    path = re.sub(r"/(tiers|themes)/[^/]+/", r"/\1/X/", path)
    return path


def _walk(page, live_server, start: list[str], limit: int = 80) -> dict[str, int]:
    origin = live_server.url
    seen, queue, widths = set(), list(start), {}
    while queue and len(widths) < limit:
        path = queue.pop(0)
        if _shape(path) in seen:
            continue
        seen.add(_shape(path))
        response = page.goto(origin + path)
        if (
            response is None
            or response.status != 200
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urldefrag(href)[0])
            if href.startswith(origin) and not SKIP.search(url.path):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return widths


def test_every_page_fits_a_375_px_phone(page, live_server):
    from gpequity.web.demo import build_demo

    build_demo(reset=False, echo=lambda _: None)
    page.set_viewport_size({"width": 375, "height": 800})
    too_wide = {}
    walked = 0
    for username, start in (
        ("lead", ["/", "/orgs/Y99001/", "/account/", "/help/", "/toolkit/", "/api/docs"]),
        ("pcnlead", ["/orgs/U99001/", "/orgs/Y99001/"]),
        ("admin", ["/staff/", "/staff/organisations/new/", "/staff/organisations/load/"]),
    ):
        sign_in(page, live_server, username, "demo-equity-2026")
        widths = _walk(page, live_server, start)
        walked += len(widths)
        too_wide.update({f"{username} {p}": w for p, w in widths.items() if w > 375})
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    assert walked >= 40, walked
    assert not too_wide, f"pages wider than 375 px: {too_wide}"


def test_focus_builder_keeps_keyboard_focus_when_adding_a_condition(page, live_server):
    from tests.factories import PracticeFactory, member

    practice = PracticeFactory(name="Focus Surgery")
    member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/focus/edit/")
    before = page.locator(".gpequity-condition").count()
    press(page, page.get_by_role("button", name="Add another condition"))
    assert page.locator(".gpequity-condition").count() == before + 1
    focused = page.evaluate(
        "() => { const c = [...document.querySelectorAll('.gpequity-condition')].pop();"
        " return c.contains(document.activeElement) && document.activeElement.tagName; }"
    )
    assert focused in ("SELECT", "INPUT"), focused
    assert_accessible(page, context="focus builder after adding a condition")


def test_file_upload_uses_the_design_systems_component(page, live_server):
    UserFactory(username="admin", is_staff=True)
    sign_in(page, live_server, "admin")
    page.goto(live_server.url + "/staff/organisations/load/")
    # The design system's file input (its drag-and-drop enhancement names the control in a
    # way axe-core rejects, so the plain styled input is used).
    assert page.locator(".nhsuk-file-upload input.nhsuk-file-upload__input").count() == 1
    assert_accessible(page, context="bulk load page")
    page.screenshot(path=f"{SHOTS}-file-upload-desktop.png")
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[{"name": "orgs.csv", "mimeType": "text/csv", "buffer": b"ods_code,name\n"}]
    )
    press(page, page.get_by_role("button", name="Upload and check"))
    assert page.title().startswith("Error: Load organisations")
    assert "missing column(s): kind, parent_ods_code" in page.content()
    assert_accessible(page, context="bulk load with errors")
