"""Finding 3 of issue 22: repeated wrong passwords lock the account from that address, with a
clear page, a way back (time or staff) and an audit trail; the idle timeout of finding 7."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from gpequity.web.audit.models import AuditEvent
from tests.factories import PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db
LIMIT = 5


@pytest.fixture
def lead():
    return member(PracticeFactory(), "equity_lead", username="asha")


def _try(client, password: str, username: str = "asha", address: str = "10.0.0.1"):
    return client.post(
        "/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _verbs():
    return list(
        AuditEvent.objects.filter(entity="sign_in").order_by("id").values_list("verb", "actor_name")
    )


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, lead):
    for _ in range(30):
        response = _try(client, "wrong")
    assert response.status_code == 429
    response = _try(client, "password")
    assert response.status_code == 429 and not _signed_in(client)
    page = response.content.decode()
    assert "Sign-in is locked for now" in page and "try again in 15 minutes" in page
    assert "nhsuk-inset-text" in page and "<title>Sign-in locked for now" in page
    verbs = [v for v, _ in _verbs()]
    assert verbs[:LIMIT] == ["failed"] * LIMIT and "locked_out" in verbs
    assert "signed_in" not in verbs
    assert all(name == lead.get_full_name() or name == "asha" for _, name in _verbs())


def test_the_lock_is_for_that_account_from_that_address(client, lead):
    for _ in range(LIMIT):
        _try(client, "wrong")
    assert _try(client, "password").status_code == 429
    other = UserFactory(username="ben")
    assert _try(client, "password", username=other.username).status_code == 302  # other account
    client.logout()
    assert _try(client, "password", address="10.0.0.2").status_code == 302  # other address


def test_the_lock_ends_after_the_cool_off_time(client, lead):
    for _ in range(LIMIT):
        _try(client, "wrong")
    assert _try(client, "password").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _try(client, "password").status_code == 302 and _signed_in(client)


def test_staff_unlock_is_audited(client, lead, capsys):
    staff = UserFactory(username="helpdesk", is_staff=True)
    for _ in range(LIMIT):
        _try(client, "wrong")
    assert _try(client, "password").status_code == 429
    call_command("unlock_sign_in", "asha", "--as", "helpdesk")
    assert "Unlocked sign-in for asha" in capsys.readouterr().out
    event = AuditEvent.objects.get(entity="sign_in", verb="unlocked")
    assert event.actor_id == staff.pk and event.after == {"username": "asha", "locks": 1}
    assert _try(client, "password").status_code == 302 and _signed_in(client)


def test_a_right_password_clears_earlier_failures(client, lead):
    for _ in range(LIMIT - 1):
        _try(client, "wrong")
    assert _try(client, "password").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        _try(client, "wrong")
    assert _try(client, "password").status_code == 302  # the count started again


def test_sign_ins_and_failures_for_unknown_accounts_are_audited_without_what_was_typed(
    client, lead
):
    _try(client, "hunter2", username="hunter2-typed-in-the-wrong-box")
    _try(client, "password")
    client.post("/sign-out/")
    assert _verbs() == [
        ("failed", "unknown account"),
        ("signed_in", lead.get_full_name() or "asha"),
        ("signed_out", lead.get_full_name() or "asha"),
    ]
    assert not AuditEvent.objects.filter(note__contains="hunter2").exists()
    assert not AuditEvent.objects.filter(after__icontains="hunter2").exists()


@override_settings(SESSION_IDLE_SECONDS=30 * 60)
def test_an_idle_session_is_signed_out(client, lead):
    assert _try(client, "password").status_code == 302
    session = client.session
    session["gpequity_last_seen"] = int(timezone.now().timestamp()) - 31 * 60
    session.save()
    response = client.get("/orgs/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert not _signed_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page


@override_settings(SESSION_IDLE_SECONDS=30 * 60)
def test_an_active_session_stays_signed_in(client, lead):
    assert _try(client, "password").status_code == 302
    session = client.session
    session["gpequity_last_seen"] = int(timezone.now().timestamp()) - 29 * 60
    session.save()
    assert client.get("/orgs/").status_code == 200
    assert client.session["gpequity_last_seen"] >= int(timezone.now().timestamp()) - 5
