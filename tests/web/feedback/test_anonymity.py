"""The bars of issue 20: feedback cannot be traced back to the person who wrote it (ADR 22).

Each test fails if the property it names breaks.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, models
from django.test import Client

from gpequity.web.audit.models import AuditEvent
from gpequity.web.feedback import services
from gpequity.web.feedback.middleware import DropAnonymousZoneRecords
from gpequity.web.feedback.models import Feedback, HeldFeedback, Message
from tests.factories import PracticeFactory, member
from tests.web.feedback.helpers import channel, read_thread, send

pytestmark = pytest.mark.django_db

FORBIDDEN_WORDS = (
    "user",
    "session",
    "ip",
    "addr",
    "agent",
    "author",
    "created",
    "updated",
    "time",
    "browser",
    "cookie",
    "email",
    "actor",
)


def feedback_tables():
    config = apps.get_app_config("feedback")
    yield from config.get_models(include_auto_created=True)


def test_feedback_tables_have_no_identifying_columns():
    user_model = get_user_model()
    seen = []
    for model in feedback_tables():
        table = model._meta.db_table
        with connection.cursor() as cursor:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
        seen.append(table)
        for column in columns:
            parts = column.lower().split("_")
            bad = [w for w in FORBIDDEN_WORDS if w in parts or column.lower().startswith(w)]
            assert not bad, f"{table}.{column} looks like it records a person or a time"
        for field in model._meta.get_fields():
            assert not isinstance(field, models.DateTimeField | models.TimeField), (
                f"{table}.{field.name} keeps an exact time"
            )
            related = getattr(field, "related_model", None)
            assert related is not user_model, f"{table}.{field.name} points to a user"
            if isinstance(field, models.AutoField | models.BigAutoField) and model in (
                HeldFeedback,
                Feedback,
                Message,
            ):
                pytest.fail(f"{table} numbers its rows in the order they were written")
    assert {"feedback_heldfeedback", "feedback_feedback", "feedback_message"} <= set(seen)


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _dump() -> dict:
    out = io.StringIO()
    call_command("dumpdata", "--natural-foreign", stdout=out)
    return {(o["model"], str(o["pk"])): o for o in json.loads(out.getvalue())}


def _cache_keys() -> set:
    keys = set()
    for cache in caches.all(initialized_only=True):
        keys |= set(getattr(cache, "_cache", {}).keys())
    return keys


def test_a_signed_in_writer_leaves_no_trace():
    practice = PracticeFactory(name="Trace Surgery")
    lead = member(practice, "equity_lead")
    writer = member(practice, "member", username="writer-zq7")
    writer.email = "writer-zq7@example.org"
    writer.save()
    ch = channel(practice)
    ch.min_batch = 3
    ch.save()
    client = Client()
    client.force_login(writer)  # axes takes sign-ins through the sign-in page only
    session_key = client.cookies["sessionid"].value
    session_before = Session.objects.values().get(session_key=session_key)
    sessions_before = Session.objects.count()
    ip, agent = "203.0.113.77", "TraceBrowser/9.9 (unique-agent-xq)"
    extra = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": agent}
    last_login = get_user_model().objects.get(pk=writer.pk).last_login

    capture = Capture()
    loggers = [logging.getLogger(n) for n in ("", "django", "django.request", "django.server")]
    old_levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture) if lg.name == "root" else None
        lg.setLevel(logging.DEBUG)
    before, audit_before, keys_before = _dump(), AuditEvent.objects.count(), _cache_keys()
    try:
        codes = [
            send(client, ch.link_token, f"Point {i}: the hearing loop is off.", **extra)
            for i in range(3)
        ]
        thread = read_thread(client, codes[0], **extra)
        assert thread.status_code == 200
        for response in (thread,):
            assert not response.cookies, "a writer's page set a cookie"
    finally:
        for lg, level in zip(loggers, old_levels, strict=True):
            lg.setLevel(level)
        logging.getLogger().removeHandler(capture)
    # A released batch too, so released rows are searched as well.
    services.feedback_release_due(organisation=practice)
    assert Feedback.objects.filter(organisation=practice).count() == 3

    # No session row written or touched, no new one, the user's sign-in untouched.
    assert Session.objects.count() == sessions_before
    assert Session.objects.values().get(session_key=session_key) == session_before
    assert get_user_model().objects.get(pk=writer.pk).last_login == last_login
    # The audit trail: nothing from the writer (the release is the practice's, by nobody).
    new_audit = AuditEvent.objects.order_by("id")[audit_before:]
    assert all(e.actor_id is None and e.verb == "released" for e in new_audit)

    # Every row added or changed in the whole database, searched for the writer.
    after = _dump()
    changed = [o for k, o in after.items() if before.get(k) != o]
    assert changed, "the dump should include the new feedback"
    needles = ["writer-zq7", "writer-zq7@example.org", session_key, ip, agent, "unique-agent"]
    for obj in changed:
        text = json.dumps(obj)
        for needle in needles:
            assert needle not in text, f"{obj['model']} holds {needle!r}"
        for name, value in obj["fields"].items():
            if name.endswith(("user", "owner", "actor_id", "author")):
                assert value not in (writer.pk, str(writer.pk), [writer.username]), (obj, name)
    assert lead.pk != writer.pk

    # Logs: nothing at all about the writer's pages or the writer.
    for record in capture.records:
        message = record.getMessage()
        for needle in [*needles, "/staff-feedback/"]:
            assert needle not in message, f"log record names {needle!r}: {message}"
        assert getattr(getattr(record, "request", None), "path", "").find("staff-feedback") < 0

    # Cache keys: none added that name the writer.
    for key in _cache_keys() - keys_before:
        for needle in needles:
            assert needle not in str(key)


def test_anonymous_writer_gets_no_session_and_no_cookie():
    practice = PracticeFactory()
    ch = channel(practice)
    client = Client()
    responses = [client.get(f"/staff-feedback/{ch.link_token}/")]
    send(client, ch.link_token, "The lift is broken again.")
    responses.append(client.get("/staff-feedback/what-it-protects/"))
    responses.append(client.get("/staff-feedback/receipt/"))
    assert Session.objects.count() == 0
    assert not client.cookies
    for r in responses:
        assert "Set-Cookie" not in r.headers and not r.cookies


def test_the_views_never_see_the_session_or_the_user(client):
    """With a session cookie sent, the writer's views still get no user and no session."""
    practice = PracticeFactory()
    user = member(practice, "equity_lead", username="lead-zone")
    client.force_login(user)
    ch = channel(practice)
    page = client.get(f"/staff-feedback/{ch.link_token}/")
    request = page.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "user")
    assert request.COOKIES == {}
    assert "lead-zone" not in page.content.decode()
    assert "Sign out" not in page.content.decode()


@pytest.mark.parametrize(
    "path",
    ["what-it-protects/", "receipt/", "{token}/", "not-a-real-link/", "receipt/answer/"],
)
def test_writer_pages_send_the_privacy_headers_and_load_nothing_from_elsewhere(path):
    practice = PracticeFactory()
    ch = channel(practice)
    client = Client()
    url = "/staff-feedback/" + path.format(token=ch.link_token)
    response = client.get(url)
    assert response.status_code in (200, 404, 405)
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    csp = response["Content-Security-Policy"]
    assert "http" not in csp and "default-src 'self'" in csp
    if response.status_code == 200:
        html = response.content.decode()
        import re

        for attr in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert attr.startswith(("/", "#")), f"{url} loads or links {attr}"


def test_log_filter_drops_the_access_log_line_of_a_writer_page():
    f = DropAnonymousZoneRecords()
    line = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        ("POST /staff-feedback/abc/ HTTP/1.1", "200", "512"),
        None,
    )
    other = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        ("GET /orgs/ HTTP/1.1", "200", "512"),
        None,
    )
    assert not f.filter(line) and f.filter(other)
    assert any(
        isinstance(x, DropAnonymousZoneRecords) for x in logging.getLogger("django.server").filters
    )


def test_nothing_is_visible_before_k(client):
    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    ch = channel(practice)
    writer = Client()
    send(writer, ch.link_token, "First: the signs are only in English.")
    send(writer, ch.link_token, "Second: the ramp is blocked by bins.")
    client.force_login(lead)
    page = client.get(f"/orgs/{practice.ods_code}/feedback/").content.decode()
    assert "First:" not in page and "Second:" not in page
    assert "2 waiting" not in page and "No feedback has been shown yet" in page
    report = client.get(f"/orgs/{practice.ods_code}/reports/equity-report/").content.decode()
    assert "No anonymous staff feedback has been shown" in report
    assert not Feedback.objects.exists()
    send(writer, ch.link_token, "Third: interpreters are booked too late.")
    page = client.get(f"/orgs/{practice.ods_code}/feedback/").content.decode()
    for word in ("First:", "Second:", "Third:"):
        assert word in page
    assert not HeldFeedback.objects.exists()


def test_a_practice_can_raise_k_and_one_is_never_released_alone(client):
    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    services.channel_update(
        actor=lead, organisation=practice, min_batch=5, max_wait_days=28, readers="leads"
    )
    ch = channel(practice)
    for i in range(4):
        send(Client(), ch.link_token, f"Item {i}")
    assert services.feedback_release_due(organisation=practice) == 0
    assert (
        services.feedback_release_due(
            organisation=practice, today=dt.date.today() + dt.timedelta(days=40)
        )
        == 4
    )
    send(Client(), ch.link_token, "Alone")
    assert (
        services.feedback_release_due(
            organisation=practice, today=dt.date.today() + dt.timedelta(days=400)
        )
        == 0
    )


def test_stored_dates_are_the_monday_of_the_week():
    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    ch = channel(practice)
    thursday = dt.date(2026, 11, 5)
    for i in range(3):
        services.feedback_submit(channel=ch, topic="care", role="", text=f"T{i}", today=thursday)
    assert set(HeldFeedback.objects.values_list("held_week", flat=True)) == {dt.date(2026, 11, 2)}
    services.feedback_release_due(organisation=practice, today=dt.date(2026, 11, 8))
    fb = Feedback.objects.first()
    services.feedback_reply(actor=lead, feedback=fb, text="Thanks", today=dt.date(2026, 11, 12))
    assert set(Feedback.objects.values_list("released_week", flat=True)) == {dt.date(2026, 11, 2)}
    assert Message.objects.get().week == dt.date(2026, 11, 9)
    for model in (HeldFeedback, Feedback, Message):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField):
                for value in model.objects.values_list(field.attname, flat=True):
                    assert type(value) is dt.date and value.weekday() == 0


def _release(practice, roles):
    ch = channel(practice)
    for i, role in enumerate(roles):
        services.feedback_submit(
            channel=ch, topic="access" if i % 2 else "care", role=role, text=f"Batch item {i}"
        )
    assert services.feedback_release_due(organisation=practice) == len(roles)


def _all_views(client, practice) -> str:
    base = f"/orgs/{practice.ods_code}/feedback/"
    pages = [base, base + "you-said-we-did/", f"/orgs/{practice.ods_code}/reports/equity-report/"]
    for topic in ("", "access", "care"):
        for status in ("", "new", "acted_on"):
            pages.append(f"{base}?topic={topic}&status={status}")
    pages += [f"{base}{pk}/" for pk in Feedback.objects.values_list("pk", flat=True)]
    return "\n".join(client.get(p).content.decode() for p in pages)


def test_overlapping_views_cannot_reveal_a_role_group_smaller_than_five(client):
    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    client.force_login(lead)
    # Five clinical and one admin: showing any role would single out the admin (or, by
    # difference, show that the sixth is not clinical). Every view shows no role at all.
    _release(practice, ["clinical"] * 5 + ["admin"])
    for fb in Feedback.objects.all()[:3]:
        services.feedback_update(
            actor=lead,
            feedback=fb,
            expected_version=fb.version,
            status="acted_on",
            we_did="Fixed",
            show_to_team=True,
            plan_item_ids=[],
        )
    html = _all_views(client, practice)
    assert "Role:" not in html and "Admin or reception" not in html
    assert set(Feedback.objects.values_list("role", flat=True)) == {""}
    # A batch where every role group has five keeps its roles, the same in every view.
    _release(practice, ["clinical"] * 5 + ["admin"] * 5)
    html = _all_views(client, practice)
    assert "Role: Admin or reception" in html and "Role: Clinical" in html
    assert Feedback.objects.exclude(role="").count() == 10


def test_a_receipt_code_reads_its_own_thread_and_no_other(client):
    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    ch = channel(practice)
    writer = Client()
    code_a = send(writer, ch.link_token, "Alpha: the check-in screen is too high.")
    code_b = send(writer, ch.link_token, "Bravo: no quiet room for distressed patients.")
    send(writer, ch.link_token, "Charlie: leaflets only in small print.")
    services.feedback_release_due(organisation=practice)
    a = Feedback.objects.get(text__startswith="Alpha")
    b = Feedback.objects.get(text__startswith="Bravo")
    services.feedback_reply(actor=lead, feedback=a, text="Reply to alpha")
    services.feedback_reply(actor=lead, feedback=b, text="Reply to bravo")

    page = read_thread(writer, code_a).content.decode()
    assert "Alpha" in page and "Reply to alpha" in page
    assert "Bravo" not in page and "Reply to bravo" not in page and "Charlie" not in page
    page = read_thread(writer, code_b).content.decode()
    assert "Bravo" in page and "Alpha" not in page
    # One character changed in the secret part reads nothing.
    wrong = code_a[:-1] + ("0" if code_a[-1] != "0" else "1")
    page = read_thread(writer, wrong).content.decode()
    assert "could not find feedback" in page and "Alpha" not in page
    # The code is never stored; only its salted hash is.
    stored = json.dumps(list(Feedback.objects.values("receipt_lookup", "receipt_hash")))
    assert code_a.replace("-", "")[4:] not in stored


def test_an_answer_goes_only_to_the_thread_of_its_code():
    from tests.web.feedback.helpers import token_of

    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    ch = channel(practice)
    writer = Client()
    code_a = send(writer, ch.link_token, "Alpha text")
    code_b = send(writer, ch.link_token, "Bravo text")
    send(writer, ch.link_token, "Charlie text")
    services.feedback_release_due(organisation=practice)
    a = Feedback.objects.get(text="Alpha text")
    b = Feedback.objects.get(text="Bravo text")
    services.feedback_reply(actor=lead, feedback=a, text="Reply A")
    services.feedback_reply(actor=lead, feedback=b, text="Reply B")
    thread = read_thread(writer, code_a).content.decode()
    preview = writer.post(
        "/staff-feedback/receipt/answer/",
        {
            "form_token": token_of(thread),
            "code": code_a,
            "step": "preview",
            "text": "Thanks, call me on 0161 496 0000",
        },
    ).content.decode()
    assert "[phone number]" in preview and "0161 496 0000" not in preview.split("payload")[0]
    payload = token_of(preview, "payload")
    # The same signed answer sent with the other thread's code is refused.
    refused = writer.post(
        "/staff-feedback/receipt/answer/",
        {
            "form_token": token_of(preview),
            "code": code_b,
            "step": "confirm",
            "payload": payload,
        },
    )
    assert refused.status_code == 403
    # A confirmation form is good once; send a fresh preview's.
    preview = writer.post(
        "/staff-feedback/receipt/answer/",
        {
            "form_token": token_of(thread),
            "code": code_a,
            "step": "preview",
            "text": "Thanks, call me on 0161 496 0000",
        },
    ).content.decode()
    payload = token_of(preview, "payload")
    ok = writer.post(
        "/staff-feedback/receipt/answer/",
        {
            "form_token": token_of(preview),
            "code": code_a,
            "step": "confirm",
            "payload": payload,
        },
    )
    assert ok.status_code == 200 and "Your answer was sent" in ok.content.decode()
    assert a.messages.filter(from_practice=False).get().text == "Thanks, call me on [phone number]"
    assert not b.messages.filter(from_practice=False).exists()


def test_https_rules_still_hold_outside_the_security_middleware(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    ch = channel(PracticeFactory())
    client = Client()
    plain = client.get(f"/staff-feedback/{ch.link_token}/")
    assert plain.status_code == 301
    assert plain["Location"] == f"https://testserver/staff-feedback/{ch.link_token}/"
    assert plain["Referrer-Policy"] == "no-referrer"
    secure = client.get(f"/staff-feedback/{ch.link_token}/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")
