"""Role x endpoint matrix for the assessment area: who may see and change what."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gpequity.web.assessment import services
from gpequity.web.assessment.models import AssessmentEntry, Evidence, Snapshot
from tests.factories import PCNFactory, PracticeFactory, UserFactory, member
from tests.web.assessment.factories import PDF, upload

pytestmark = [pytest.mark.django_db, pytest.mark.authz]

ROLES = ["equity_lead", "member", "viewer", "network_lead", "outsider", "staff", "anonymous"]
# Expected status per role, in ROLES order.
# The network lead sees nothing of the practice's workspace (ADR 0026): 404 like an outsider.
READ = [200, 200, 200, 404, 404, 200, 302]
CONTRIBUTE = [302, 302, 403, 404, 404, 302, 302]
EDIT = [302, 403, 403, 404, 404, 302, 302]
API_READ = [200, 200, 200, 404, 404, 200, 401]
API_WRITE = [200, 200, 403, 404, 404, 200, 401]


@pytest.fixture
def world():
    pcn = PCNFactory()
    practice = PracticeFactory(parent=pcn, ods_code="M11111")
    lead = member(practice, "equity_lead")
    users = {
        "equity_lead": lead,
        "member": member(practice, "member"),
        "viewer": member(practice, "viewer"),
        "network_lead": member(pcn, "network_lead"),
        "outsider": member(PracticeFactory(), "equity_lead"),
        "staff": UserFactory(is_staff=True),
        "anonymous": None,
    }
    evidence = services.evidence_add(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        kind="file",
        upload=upload("a.pdf", PDF),
    )
    snap = services.snapshot_take(actor=lead, organisation=practice, name="One")
    return practice, users, evidence, snap


def client(users, role) -> Client:
    c = Client()
    if users[role] is not None:
        c.force_login(users[role])
    return c


def _pages(org, ev, snap):
    base = f"/orgs/{org.ods_code}/assessment/"
    return [
        f"/orgs/{org.ods_code}/",
        base,
        base + "actions/acc_01/",
        base + "history/",
        base + "snapshots/",
        base + f"snapshots/compare/?a={snap.pk}&b={snap.pk}",
        base + f"evidence/{ev.pk}/download/",
    ]


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, READ, strict=True)))
def test_pages(world, role, expected):
    org, users, ev, snap = world
    c = client(users, role)
    for path in _pages(org, ev, snap):
        assert c.get(path).status_code == expected, path


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, CONTRIBUTE, strict=True)))
def test_save_action(world, role, expected):
    org, users, _, _ = world
    r = client(users, role).post(
        f"/orgs/{org.ods_code}/assessment/actions/acc_01/",
        {"status": "in_place", "notes": "", "version": 0},
    )
    assert r.status_code == expected
    saved = AssessmentEntry.objects.filter(status="in_place").exists()
    assert saved == (expected == 302 and role != "anonymous")


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, CONTRIBUTE, strict=True)))
def test_remove_evidence(world, role, expected):
    org, users, ev, _ = world
    r = client(users, role).post(
        f"/orgs/{org.ods_code}/assessment/actions/acc_01/evidence/{ev.pk}/remove/"
    )
    assert r.status_code == expected
    removed = Evidence.objects.get(pk=ev.pk).removed_at is not None
    assert removed == (expected == 302 and role != "anonymous")


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, EDIT, strict=True)))
def test_take_snapshot(world, role, expected):
    org, users, _, _ = world
    r = client(users, role).post(f"/orgs/{org.ods_code}/assessment/snapshots/", {"name": "Two"})
    assert r.status_code == expected
    taken = Snapshot.objects.filter(name="Two").exists()
    assert taken == (expected == 302 and role != "anonymous")


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, API_READ, strict=True)))
def test_api_reads(world, role, expected):
    org, users, _, _ = world
    c = client(users, role)
    for tail in ("assessment", "assessment/acc_01", "assessment/history"):
        assert c.get(f"/api/orgs/{org.ods_code}/{tail}").status_code == expected, tail


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, API_WRITE, strict=True)))
def test_api_write(world, role, expected):
    org, users, _, _ = world
    r = client(users, role).put(
        f"/api/orgs/{org.ods_code}/assessment/acc_01",
        data=json.dumps({"status": "planned", "notes": "", "expected_version": 0}),
        content_type="application/json",
    )
    assert r.status_code == expected
    assert AssessmentEntry.objects.filter(status="planned").exists() == (expected == 200)
