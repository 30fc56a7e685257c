"""Assessment API: reads, versioned writes, roles and CSRF."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gpequity.web.assessment import services
from gpequity.web.assessment.models import AssessmentEntry

pytestmark = pytest.mark.django_db


def client_for(user, **kwargs) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def put(client, org, key="acc_01", **body):
    return client.put(
        f"/api/orgs/{org.ods_code}/assessment/{key}",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_get_assessment_lists_every_action_with_progress(practice, viewer, lead):
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        status="in_place",
        notes="n",
        expected_version=0,
    )
    r = client_for(viewer).get(f"/api/orgs/{practice.ods_code}/assessment")
    assert r.status_code == 200
    body = r.json()
    assert len(body["entries"]) == 116
    acc = next(e for e in body["entries"] if e["action_key"] == "acc_01")
    assert (acc["status"], acc["notes"], acc["version"]) == ("in_place", "n", 1)
    tier1 = next(t for t in body["tiers"] if t["key"] == "tier-1")
    assert (tier1["total"], tier1["done"], tier1["percent"], tier1["reached"]) == (5, 1, 20, False)
    assert body["reached_tier"] is None and body["next_tier"] == "tier-1"
    assert body["overall"]["done"] == 1


def test_put_with_version_then_conflict(practice, teammate):
    c = client_for(teammate)
    r = put(c, practice, status="planned", notes="First", expected_version=0)
    assert r.status_code == 200 and r.json()["version"] == 1
    r = put(c, practice, status="in_place", notes="Stale", expected_version=0)
    assert r.status_code == 409
    assert r.json()["current"]["notes"] == "First"
    assert AssessmentEntry.objects.get().notes == "First"
    got = c.get(f"/api/orgs/{practice.ods_code}/assessment/acc_01").json()
    assert (got["status"], got["version"]) == ("planned", 1)


def test_put_rejects_unknown_status(practice, teammate):
    r = put(client_for(teammate), practice, status="done", expected_version=0)
    assert r.status_code == 422
    assert not AssessmentEntry.objects.exists()


def test_viewer_gets_403_and_outsider_404(practice, viewer, outsider):
    assert (
        put(client_for(viewer), practice, status="planned", expected_version=0).status_code == 403
    )
    o = client_for(outsider)
    assert put(o, practice, status="planned", expected_version=0).status_code == 404
    for tail in ("assessment", "assessment/acc_01", "assessment/history"):
        assert o.get(f"/api/orgs/{practice.ods_code}/{tail}").status_code == 404
    assert not AssessmentEntry.objects.exists()


def test_anonymous_is_refused(practice):
    assert Client().get(f"/api/orgs/{practice.ods_code}/assessment").status_code == 401


def test_writes_need_csrf_token(practice, teammate):
    c = client_for(teammate, enforce_csrf_checks=True)
    r = put(c, practice, status="planned", expected_version=0)
    assert r.status_code == 403
    assert not AssessmentEntry.objects.exists()


def test_unknown_action_is_404(practice, teammate):
    c = client_for(teammate)
    assert c.get(f"/api/orgs/{practice.ods_code}/assessment/nope").status_code == 404
    assert put(c, practice, key="nope", status="planned", expected_version=0).status_code == 404


def test_history_endpoint(practice, lead):
    c = client_for(lead)
    put(c, practice, status="planned", expected_version=0)
    put(c, practice, key="hna_01", status="in_progress", expected_version=0)
    events = c.get(f"/api/orgs/{practice.ods_code}/assessment/history").json()
    assert [(e["action_key"], e["after"]["status"]) for e in events] == [
        ("hna_01", "in_progress"),
        ("acc_01", "planned"),
    ]
    assert events[1]["before"] == {"status": "not_started", "notes": ""}
    assert events[0]["actor"]
    only = c.get(f"/api/orgs/{practice.ods_code}/assessment/history?action_key=acc_01").json()
    assert [e["action_key"] for e in only] == ["acc_01"]
    page = c.get(f"/api/orgs/{practice.ods_code}/assessment/history?limit=1&offset=1").json()
    assert [e["action_key"] for e in page] == ["acc_01"]
