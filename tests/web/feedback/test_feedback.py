"""The writer's forms and the practice's side: scrubbing before storage, the form token,
the rate limit, the link, who may read, replies, status, plan links, you said we did."""

from __future__ import annotations

import pytest
from django.test import Client

from gpequity.web.audit.models import AuditEvent
from gpequity.web.feedback import services
from gpequity.web.feedback.models import Feedback, HeldFeedback
from gpequity.web.plans import services as plans
from tests.factories import PracticeFactory, member
from tests.web.feedback.helpers import channel, send, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice():
    return PracticeFactory(name="Riverside Surgery")


@pytest.fixture
def lead(practice):
    return member(practice, "equity_lead", username="lead")


def test_the_writer_sees_what_will_be_kept_and_only_that_is_stored(practice):
    colleague = member(practice, "member")
    colleague.first_name, colleague.last_name = "Oluwaseun", "Brightwater"
    colleague.save()
    ch = channel(practice)
    client = Client()
    url = f"/staff-feedback/{ch.link_token}/"
    page = client.get(url).content.decode()
    assert "leave out names, dates" in page and "What this protects and what it cannot" in page
    raw = "Brightwater told a patient on 12/11/2026 to ring 0161 496 0000, email a.b@nhs.net"
    preview = client.post(
        url,
        {"form_token": token_of(page), "topic": "care", "role": "", "text": raw},
    ).content.decode()
    assert "We removed" in preview
    assert "[name] told a patient on [date] to ring [phone number], email [email]" in preview
    assert not HeldFeedback.objects.exists()  # nothing stored before the writer confirms
    done = client.post(
        url,
        {
            "form_token": token_of(preview),
            "payload": token_of(preview, "payload"),
            "step": "confirm",
        },
    )
    assert "Keep your receipt code" in done.content.decode()
    held = HeldFeedback.objects.get()
    assert held.text == "[name] told a patient on [date] to ring [phone number], email [email]"


def test_change_brings_back_what_was_typed(practice):
    ch = channel(practice)
    client = Client()
    url = f"/staff-feedback/{ch.link_token}/"
    page = client.get(url).content.decode()
    preview = client.post(
        url, {"form_token": token_of(page), "topic": "care", "text": "Dr Patel was late"}
    ).content.decode()
    back = client.post(
        url,
        {
            "form_token": token_of(preview),
            "payload": token_of(preview, "payload"),
            "step": "change",
        },
    ).content.decode()
    assert "Dr Patel was late" in back and not HeldFeedback.objects.exists()


def test_a_form_without_its_token_or_from_another_site_changes_nothing(practice):
    ch = channel(practice)
    client = Client()
    url = f"/staff-feedback/{ch.link_token}/"
    data = {"topic": "care", "text": "Hello"}
    assert client.post(url, data).status_code == 403
    page = client.get(url).content.decode()
    cross = client.post(
        url, {**data, "form_token": token_of(page)}, HTTP_ORIGIN="https://evil.example"
    )
    assert cross.status_code == 403
    forged = client.post(
        url, {"step": "confirm", "form_token": token_of(page), "payload": "not-signed"}
    )
    assert forged.status_code == 403
    assert not HeldFeedback.objects.exists()


def test_a_confirmation_cannot_be_sent_twice(practice):
    ch = channel(practice)
    client = Client()
    url = f"/staff-feedback/{ch.link_token}/"
    page = client.get(url).content.decode()
    preview = client.post(
        url, {"form_token": token_of(page), "topic": "care", "text": "Once"}
    ).content.decode()
    confirm = {
        "form_token": token_of(preview),
        "payload": token_of(preview, "payload"),
        "step": "confirm",
    }
    assert client.post(url, confirm).status_code == 200
    assert client.post(url, confirm).status_code == 403
    assert HeldFeedback.objects.count() == 1


def test_the_rate_limit_stops_a_flood_and_stores_nothing_about_it(practice):
    ch = channel(practice)
    client = Client()
    for i in range(6):
        send(client, ch.link_token, f"Message {i}")
    url = f"/staff-feedback/{ch.link_token}/"
    page = client.get(url).content.decode()
    preview = client.post(
        url, {"form_token": token_of(page), "topic": "care", "text": "Seventh"}
    ).content.decode()
    over = client.post(
        url,
        {
            "form_token": token_of(preview),
            "payload": token_of(preview, "payload"),
            "step": "confirm",
        },
    )
    assert over.status_code == 429 and "Too many tries" in over.content.decode()
    assert HeldFeedback.objects.count() + Feedback.objects.count() == 6
    # Someone else (another address) is not held back.
    send(Client(REMOTE_ADDR="198.51.100.9"), ch.link_token, "From elsewhere")


def test_replacing_the_link_stops_the_old_one(practice, lead, client):
    ch = channel(practice)
    old = ch.link_token
    client.force_login(lead)
    page = client.get(f"/orgs/{practice.ods_code}/feedback/address/").content.decode()
    assert f"/staff-feedback/{old}/" in page and "<svg" in page
    client.post(f"/orgs/{practice.ods_code}/feedback/address/replace/")
    new = channel(practice).link_token
    assert new != old
    assert Client().get(f"/staff-feedback/{old}/").status_code == 404
    assert Client().get(f"/staff-feedback/{new}/").status_code == 200
    assert AuditEvent.objects.filter(verb="link_replaced", actor_id=lead.pk).exists()
    poster = client.get(f"/orgs/{practice.ods_code}/feedback/address/poster/").content.decode()
    assert f"/staff-feedback/{new}/" in poster and "Freedom to Speak Up guardian" in poster


def test_who_may_read_is_a_setting_of_the_practice(practice, lead, client):
    team = member(practice, "member")
    viewer = member(practice, "viewer")
    ch = channel(practice)
    for i in range(3):
        services.feedback_submit(channel=ch, topic="care", role="", text=f"Readable {i}")
    inbox = f"/orgs/{practice.ods_code}/feedback/"
    client.force_login(team)
    assert client.get(inbox).status_code == 403
    client.force_login(lead)
    r = client.post(
        inbox + "settings/", {"readers": "team", "min_batch": "3", "max_wait_days": "28"}
    )
    assert r.status_code == 302
    client.force_login(team)
    assert "Readable 0" in client.get(inbox).content.decode()
    client.force_login(viewer)
    assert client.get(inbox).status_code == 403
    # k below 3 is refused with a clear message and nothing changes
    client.force_login(lead)
    r = client.post(
        inbox + "settings/", {"readers": "leads", "min_batch": "2", "max_wait_days": "28"}
    )
    assert r.status_code == 400 and "Enter a number of 3 or more" in r.content.decode()
    assert channel(practice).readers == "team"


def test_reply_status_plan_link_and_you_said_we_did(practice, lead, client):
    ch = channel(practice)
    writer = Client()
    codes = [send(writer, ch.link_token, t) for t in ("Signs only in English", "B", "C")]
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_01")
    client.force_login(lead)
    base = f"/orgs/{practice.ods_code}/feedback/"
    client.get(base)
    fb = Feedback.objects.get(text="Signs only in English")
    page = client.get(f"{base}{fb.pk}/").content.decode()
    assert "Signs only in English" in page
    r = client.post(f"{base}{fb.pk}/reply/", {"text": "Thank you. Which languages?"})
    assert r.status_code == 302
    r = client.post(
        f"{base}{fb.pk}/update/",
        {
            "status": "acted_on",
            "plan_items": [str(item.pk)],
            "we_did": "Signs in Polish and Urdu",
            "show_to_team": "on",
            "version": str(Feedback.objects.get(pk=fb.pk).version),
        },
    )
    assert r.status_code == 302
    fb.refresh_from_db()
    assert fb.status == "acted_on" and list(fb.plan_items.all()) == [item]
    # An edit from a stale page is refused and changes nothing.
    stale = client.post(
        f"{base}{fb.pk}/update/", {"status": "closed", "we_did": "x", "version": "1"}
    )
    assert stale.status_code == 400 and "Nothing was saved" in stale.content.decode()
    assert Feedback.objects.get(pk=fb.pk).status == "acted_on"
    # The whole team sees "you said, we did".
    client.force_login(member(practice, "viewer"))
    said = client.get(base + "you-said-we-did/").content.decode()
    assert "Signs in Polish and Urdu" in said and "Signs only in English" in said
    # The writer reads the reply with their code.
    thread = writer.post(
        "/staff-feedback/receipt/",
        {
            "form_token": token_of(writer.get("/staff-feedback/receipt/").content.decode()),
            "code": codes[0],
        },
    ).content.decode()
    assert "Which languages?" in thread and "Acted on" in thread
    # Counts in the practice equity report.
    report = client.get(f"/orgs/{practice.ods_code}/reports/equity-report/").content.decode()
    assert "3 pieces of anonymous staff feedback" in report
    assert AuditEvent.objects.filter(entity="feedback", verb="replied", actor_id=lead.pk).exists()


def test_origin_null_from_our_own_page_is_accepted_but_a_cross_site_post_is_not(practice):
    """Browsers send "Origin: null" under Referrer-Policy: no-referrer."""
    ch = channel(practice)
    client = Client()
    url = f"/staff-feedback/{ch.link_token}/"
    page = client.get(url).content.decode()
    data = {"form_token": token_of(page), "topic": "care", "text": "Hello"}
    ok = client.post(url, data, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert ok.status_code == 200 and "Check what will be kept" in ok.content.decode()
    bad = client.post(url, data, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="cross-site")
    assert bad.status_code == 403 and "Nothing was saved" in bad.content.decode()


def test_the_api_lists_released_feedback_only_for_readers(practice, lead, client):
    ch = channel(practice)
    for i in range(3):
        services.feedback_submit(channel=ch, topic="care", role="", text=f"Api {i}")
    services.feedback_release_due(organisation=practice)
    services.feedback_submit(channel=ch, topic="care", role="", text="Still held")
    client.force_login(lead)
    rows = client.get(f"/api/orgs/{practice.ods_code}/feedback").json()
    assert sorted(r["text"] for r in rows) == ["Api 0", "Api 1", "Api 2"]
    assert all(r["released_week"] and "receipt_hash" not in r for r in rows)
    client.force_login(member(practice, "member"))
    assert client.get(f"/api/orgs/{practice.ods_code}/feedback").status_code == 403
