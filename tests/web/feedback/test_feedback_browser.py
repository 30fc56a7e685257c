"""Browser checks of staff feedback: writing, receiving the code, reading the reply and
answering it; the lead's inbox, reply, status, address, poster, settings and "you said, we
did". Every page axe-clean, driven by keyboard, and without sideways scroll at 375 px."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session

from gpequity.web.feedback import services
from gpequity.web.feedback.models import Feedback, HeldFeedback
from gpequity.web.plans import services as plans
from tests.conftest import assert_accessible, phone_width, sign_in
from tests.factories import PracticeFactory, member
from tests.web.feedback.helpers import reset_limits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/feedback-{}-{}.png"


def check(page, name: str) -> None:
    """axe-core clean at desktop width, and no sideways scroll at 375 px; screenshots of both."""
    assert_accessible(page, context=name)
    page.screenshot(path=SHOTS.format(name, "desktop"), full_page=True)
    size = page.viewport_size
    width = phone_width(page)
    assert width <= 375, f"{name}: {width} px wide at a 375 px screen"
    page.screenshot(path=SHOTS.format(name, "phone"), full_page=True)
    page.set_viewport_size(size)


def activate(page, control) -> None:
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, control, text: str) -> None:
    control.focus()
    page.keyboard.type(text)


def test_a_signed_in_member_writes_gets_a_code_and_reads_the_reply(page, live_server, browser):
    reset_limits()
    practice = PracticeFactory(name="Browser Surgery")
    lead = member(practice, "equity_lead", username="lead")
    member(practice, "member", username="writer")
    channel = services.channel_get_or_create(organisation=practice)
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_06")

    # A member of staff, signed in to gpequity, writes feedback: the page does not know them.
    sign_in(page, live_server, "writer")
    session = Session.objects.values().get()
    page.goto(f"{live_server.url}/staff-feedback/{channel.link_token}/")
    assert "Sign out" not in page.content()
    check(page, "write")
    topic = page.get_by_label("What is it about?")
    topic.focus()
    page.keyboard.type("Communication")
    type_into(
        page,
        page.get_by_label("What have you noticed?"),
        "Dr Brown told a patient on 3 November that we have no leaflets in Polish. "
        "Call me on 0161 496 0000.",
    )
    page.get_by_label("Clinical").focus()
    page.keyboard.press("Space")
    activate(page, page.get_by_role("button", name="Check what will be kept"))
    check(page, "preview")
    body = page.locator("main").inner_text()
    assert "[name] told a patient on [date]" in body and "Call me on [phone number]" in body
    assert "0161" not in body and "Brown" not in body
    activate(page, page.get_by_role("button", name="Send this feedback"))
    check(page, "code")
    code = page.get_by_test_id("receipt-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    held = HeldFeedback.objects.get()
    assert held.text.startswith("[name] told a patient on [date]")
    assert Session.objects.values().get() == session  # the session row was not touched

    # Two more come in, so the batch can be shown.
    for text in ("The hearing loop in room 2 is broken.", "Reception is too loud to talk."):
        services.feedback_submit(channel=channel, topic="building", role="", text=text)

    # The lead reads, replies and links it to the plan.
    lead_context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    lead_page = lead_context.new_page()
    lead_page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(live_server.url) else r.abort(),
    )
    sign_in(lead_page, live_server, "lead")
    lead_page.goto(f"{live_server.url}/orgs/{practice.ods_code}/feedback/")
    check(lead_page, "inbox")
    activate(lead_page, lead_page.get_by_role("link", name="Communication and information"))
    check(lead_page, "item")
    type_into(lead_page, lead_page.get_by_label("Your reply"), "Thank you. Which languages?")
    activate(lead_page, lead_page.get_by_role("button", name="Send reply"))
    assert "Reply sent" in lead_page.content()
    lead_page.get_by_label("Acted on").focus()
    lead_page.keyboard.press("Space")
    lead_page.get_by_label(item.title).focus()
    lead_page.keyboard.press("Space")
    type_into(lead_page, lead_page.get_by_label("What we did"), "Leaflets now in Polish.")
    lead_page.get_by_label('Show on "you said, we did"', exact=False).focus()
    lead_page.keyboard.press("Space")
    activate(lead_page, lead_page.get_by_role("button", name="Save status"))
    assert "Feedback updated" in lead_page.content()
    check(lead_page, "item-updated")
    fb = Feedback.objects.get(topic="communication")
    assert fb.status == "acted_on" and fb.plan_items.count() == 1
    lead_page.goto(f"{live_server.url}/orgs/{practice.ods_code}/feedback/you-said-we-did/")
    assert "Leaflets now in Polish." in lead_page.content()
    check(lead_page, "you-said")
    lead_page.goto(f"{live_server.url}/orgs/{practice.ods_code}/feedback/address/")
    assert lead_page.locator(".feedback-qr svg").count() == 1
    check(lead_page, "address")
    activate(lead_page, lead_page.get_by_role("link", name="Printable poster with the QR code"))
    check(lead_page, "poster")
    lead_page.goto(f"{live_server.url}/orgs/{practice.ods_code}/feedback/settings/")
    check(lead_page, "settings")
    lead_context.close()

    # The writer, on another device with no cookies, reads the reply and answers.
    writer_context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    writer = writer_context.new_page()
    writer.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(live_server.url) else r.abort(),
    )
    writer.goto(f"{live_server.url}/staff-feedback/receipt/")
    check(writer, "receipt")
    type_into(writer, writer.get_by_label("Your receipt code"), code.lower())
    activate(writer, writer.get_by_role("button", name="Show my feedback"))
    assert "Thank you. Which languages?" in writer.content()
    assert "Leaflets now in Polish." in writer.content()
    check(writer, "thread")
    type_into(writer, writer.get_by_label("Your answer"), "Polish and Romanian, please.")
    activate(writer, writer.get_by_role("button", name="Check what will be kept"))
    check(writer, "answer-preview")
    activate(writer, writer.get_by_role("button", name="Send this answer"))
    assert "Your answer was sent" in writer.content()
    check(writer, "answered")
    assert fb.messages.filter(from_practice=False).get().text == "Polish and Romanian, please."
    assert writer_context.cookies() == []
    writer.goto(f"{live_server.url}/staff-feedback/what-it-protects/")
    check(writer, "protects")
    writer_context.close()
