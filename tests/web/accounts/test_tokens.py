"""Personal API tokens: a script uses the API with a token, with its user's permissions only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.web.accounts.models import ApiToken
from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.audit.models import AuditEvent
from tests.factories import PracticeFactory, member

pytestmark = pytest.mark.django_db


def _token_via_settings_page(user, name="Nightly script", **extra) -> str:
    c = Client()
    c.force_login(user)
    response = c.post("/account/tokens/new/", {"name": name, **extra})
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    assert "We will not show it again" in html
    return html.split('id="new-token">')[1].split("<")[0]


def _api(token: str) -> Client:
    # CSRF is enforced, as in a real browser: a bearer request must not need it.
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")


def _put(client: Client, ods: str, status: str = "in_place"):
    version = AssessmentEntry.objects.filter(action_key="acc_02").values_list("version", flat=True)
    body = {"status": status, "notes": "From a script", "expected_version": next(iter(version), 0)}
    return client.put(
        f"/api/orgs/{ods}/assessment/acc_02", json.dumps(body), content_type="application/json"
    )


def test_a_script_reads_and_writes_with_a_token_then_is_refused_after_revoking(practice):
    lead = member(practice, "equity_lead")
    viewer = member(practice, "viewer")
    other = PracticeFactory(name="Elsewhere Surgery")
    raw = _token_via_settings_page(lead)
    stored = ApiToken.objects.get(user=lead)
    assert raw.startswith("gpe_") and raw not in stored.token_hash and stored.prefix == raw[:10]

    api = _api(raw)
    orgs = api.get("/api/orgs/").json()
    assert [o["ods_code"] for o in orgs] == [practice.ods_code]
    assert api.get(f"/api/orgs/{practice.ods_code}/assessment").status_code == 200
    assert api.get(f"/api/orgs/{other.ods_code}").status_code == 404  # not theirs
    response = _put(api, practice.ods_code)
    assert response.status_code == 200, response.content
    assert (
        AssessmentEntry.objects.get(organisation=practice, action_key="acc_02").status == "in_place"
    )
    used = AuditEvent.objects.filter(entity="api_token", verb="used", actor_id=lead.pk)
    assert (
        used.count() == 4
        and used.first().note == f"PUT /api/orgs/{practice.ods_code}/assessment/acc_02"
    )
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    # A viewer's token reads but may not write.
    viewer_api = _api(_token_via_settings_page(viewer))
    assert viewer_api.get(f"/api/orgs/{practice.ods_code}/plan").status_code == 200
    assert _put(viewer_api, practice.ods_code, "embedded").status_code == 403
    assert AssessmentEntry.objects.get(action_key="acc_02").status == "in_place"

    # Revoked on the settings page: refused from then on.
    c = Client()
    c.force_login(lead)
    assert c.post(f"/account/tokens/{stored.pk}/revoke/").status_code == 302
    assert api.get("/api/orgs/").status_code == 401
    assert _put(api, practice.ods_code, "planned").status_code == 401
    assert AuditEvent.objects.filter(entity="api_token", verb="revoked").count() == 1


def test_an_expired_token_is_refused(practice):
    lead = member(practice, "equity_lead")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    raw = _token_via_settings_page(
        lead,
        **{
            "expires_on-day": str(tomorrow.day),
            "expires_on-month": str(tomorrow.month),
            "expires_on-year": str(tomorrow.year),
        },
    )
    token = ApiToken.objects.get(user=lead)
    assert timezone.localtime(token.expires_at).date() == tomorrow
    assert _api(raw).get("/api/orgs/").status_code == 200
    # The day comes: the stored expiry is now in the past.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _api(raw).get("/api/orgs/").status_code == 401


def test_session_writes_keep_their_csrf_check(practice):
    lead = member(practice, "equity_lead")
    c = Client(enforce_csrf_checks=True)
    c.force_login(lead)
    assert c.get("/api/orgs/").status_code == 200
    assert _put(c, practice.ods_code).status_code == 403  # no CSRF token
    assert not AssessmentEntry.objects.filter(action_key="acc_02").exists()


def test_nonsense_and_other_peoples_tokens(practice):
    lead = member(practice, "equity_lead")
    assert _api("gpe_not-a-real-token").get("/api/orgs/").status_code == 401
    assert _api("").get("/api/orgs/").status_code == 401
    other = member(PracticeFactory(), "equity_lead")
    _token_via_settings_page(other)
    c = Client()
    c.force_login(lead)
    token = ApiToken.objects.get(user=other)
    assert c.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    page = c.get("/account/").content.decode()
    assert token.name not in page


def test_a_token_for_an_inactive_user_stops_working(practice):
    lead = member(practice, "equity_lead")
    raw = _token_via_settings_page(lead)
    lead.is_active = False
    lead.save()
    assert _api(raw).get("/api/orgs/").status_code == 401


def test_settings_page_refuses_a_past_expiry_and_an_empty_name(practice):
    lead = member(practice, "equity_lead")
    c = Client()
    c.force_login(lead)
    response = c.post(
        "/account/tokens/new/",
        {"name": "", "expires_on-day": "31", "expires_on-month": "2", "expires_on-year": "2026"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: Account settings" in html
    assert "Give the token a name" in html and "Enter a real date" in html
    assert 'value="31"' in html  # what was typed is kept
    response = c.post(
        "/account/tokens/new/",
        {"name": "x", "expires_on-day": "1", "expires_on-month": "1", "expires_on-year": "2020"},
    )
    assert "The expiry date must be in the future" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_cli_prints_a_token_once():
    practice = PracticeFactory()
    member(practice, "equity_lead", username="robot")
    result = CliRunner().invoke(app, ["token", "create", "robot", "--name", "Nightly export"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[0]
    assert raw.startswith("gpe_")
    assert _api(raw).get(f"/api/orgs/{practice.ods_code}").json()["ods_code"] == practice.ods_code
    bad = CliRunner().invoke(app, ["token", "create", "nobody", "--name", "x"])
    assert bad.exit_code == 2


def test_reminder_preferences_are_saved_and_audited(practice):
    lead = member(practice, "equity_lead")
    c = Client()
    c.force_login(lead)
    assert (
        c.post("/account/reminders/", {"frequency": "daily", "days_ahead": "7"}).status_code == 302
    )
    pref = lead.reminder_preference
    assert (pref.frequency, pref.days_ahead) == ("daily", 7)
    assert AuditEvent.objects.filter(entity="reminder_preference").count() == 1
    response = c.post("/account/reminders/", {"frequency": "daily", "days_ahead": "0"})
    assert response.status_code == 400
