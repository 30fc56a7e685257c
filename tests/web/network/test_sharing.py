"""Sharing by consent (ADR 0026): the practice lead decides what its PCN and ICB see; the
access layer answers it in one place, and oversight roles see no practice workspace."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gpequity.web.audit.models import AuditEvent
from gpequity.web.network import services
from gpequity.web.network.models import SharingSettings
from gpequity.web.orgs import access
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    icb = ICBFactory(name="Vale ICB")
    pcn = PCNFactory(parent=icb, name="North PCN")
    other_pcn = PCNFactory(parent=icb, name="South PCN")
    practice = PracticeFactory(parent=pcn, name="Hill Surgery", ods_code="H10001")
    sibling = PracticeFactory(parent=pcn, name="Dale Surgery")
    southern = PracticeFactory(parent=other_pcn, name="Moor Surgery")
    return {
        "icb": icb,
        "pcn": pcn,
        "other_pcn": other_pcn,
        "practice": practice,
        "sibling": sibling,
        "southern": southern,
        "lead": member(practice, "equity_lead"),
        "viewer": member(practice, "viewer"),
        "network_lead": member(pcn, "network_lead"),
        "pcn_viewer": member(pcn, "viewer"),
        "analyst": member(icb, "analyst"),
    }


def _shared(user, org, what):
    return set(access.shared_practices(user, org, what).values_list("name", flat=True))


def test_defaults_share_progress_and_engagement_but_not_hna(tree):
    pcn, icb = tree["pcn"], tree["icb"]
    for user in (tree["network_lead"], tree["pcn_viewer"]):
        assert _shared(user, pcn, access.PROGRESS) == {"Hill Surgery", "Dale Surgery"}
        assert _shared(user, pcn, access.ENGAGEMENT) == {"Hill Surgery", "Dale Surgery"}
        assert _shared(user, pcn, access.HNA) == set()
    everyone = {"Hill Surgery", "Dale Surgery", "Moor Surgery"}
    assert _shared(tree["analyst"], icb, access.PROGRESS) == everyone
    assert _shared(tree["analyst"], icb, access.HNA) == set()
    # Nobody outside the network learns anything through it.
    assert _shared(tree["network_lead"], icb, access.PROGRESS) == set()
    assert _shared(tree["network_lead"], tree["other_pcn"], access.PROGRESS) == set()
    assert _shared(tree["lead"], pcn, access.PROGRESS) == set()
    with pytest.raises(ValueError):
        access.shared_practices(tree["analyst"], icb, "notes")


def test_pcn_and_icb_choices_are_separate_and_apply_at_once(tree):
    practice, pcn, icb = tree["practice"], tree["pcn"], tree["icb"]
    services.sharing_update(
        actor=tree["lead"],
        organisation=practice,
        settings={"hna_to_pcn": True, "progress_to_icb": False},
    )
    assert "Hill Surgery" in _shared(tree["network_lead"], pcn, access.HNA)
    assert "Hill Surgery" not in _shared(tree["analyst"], icb, access.HNA)
    assert "Hill Surgery" in _shared(tree["network_lead"], pcn, access.PROGRESS)
    assert "Hill Surgery" not in _shared(tree["analyst"], icb, access.PROGRESS)
    # The ICB's analyst on the PCN's pages sees what is shared with the ICB, not the PCN.
    assert "Hill Surgery" not in _shared(tree["analyst"], pcn, access.HNA)
    assert "Hill Surgery" not in _shared(tree["analyst"], pcn, access.PROGRESS)
    # Staff see a PCN as its PCN does.
    staff = UserFactory(is_staff=True)
    assert "Hill Surgery" in _shared(staff, pcn, access.HNA)


def test_only_the_lead_changes_it_and_every_change_is_audited(tree):
    practice = tree["practice"]
    for who in ("viewer", "network_lead", "analyst"):
        with pytest.raises(services.PermissionDenied):
            services.sharing_update(
                actor=tree[who], organisation=practice, settings={"hna_to_pcn": True}
            )
    assert not SharingSettings.objects.exists()
    row = services.sharing_update(
        actor=tree["lead"], organisation=practice, settings={"hna_to_icb": True}
    )
    event = AuditEvent.objects.get(entity="sharing")
    assert (event.before, event.after) == ({"hna_to_icb": False}, {"hna_to_icb": True})
    assert event.organisation_id == practice.pk
    with pytest.raises(services.SharingConflict):
        services.sharing_update(
            actor=tree["lead"],
            organisation=practice,
            settings={"hna_to_pcn": True},
            expected_version=0,
        )
    with pytest.raises(services.ValidationError):
        services.sharing_update(
            actor=tree["lead"], organisation=practice, settings={"notes_to_pcn": True}
        )
    row.refresh_from_db()
    assert (row.version, row.hna_to_pcn) == (1, False)
    assert AuditEvent.objects.filter(entity="sharing").count() == 1


def test_oversight_roles_see_no_practice_workspace(tree):
    c = Client()
    practice = tree["practice"]
    for who in ("network_lead", "analyst", "pcn_viewer"):
        c.force_login(tree[who])
        for path in ("", "assessment/", "plan/", "focus/", "sharing/", "reports/export.json"):
            assert c.get(f"/orgs/{practice.ods_code}/{path}").status_code == 404, (who, path)
        assert c.get(f"/api/orgs/{practice.ods_code}/sharing").status_code == 404
    c.force_login(tree["analyst"])
    assert c.get(f"/orgs/{tree['pcn'].ods_code}/").status_code == 200  # the networks remain


def test_settings_page_saves_ticked_boxes_and_says_what_is_never_shared(tree):
    c = Client()
    c.force_login(tree["lead"])
    url = f"/orgs/{tree['practice'].ods_code}/sharing/"
    page = c.get(url).content.decode()
    assert "What North PCN may see" in page and "What Vale ICB may see" in page
    for never in ("notes", "evidence files", "Focus group", "exact figures"):
        assert never in page
    response = c.post(url, {"pcn": ["progress", "hna"], "icb": ["engagement"], "version": "0"})
    assert response.status_code == 302
    row = SharingSettings.objects.get()
    assert row.as_dict() == {
        "progress_to_pcn": True,
        "progress_to_icb": False,
        "engagement_to_pcn": False,
        "engagement_to_icb": True,
        "hna_to_pcn": True,
        "hna_to_icb": False,
    }
    # A stale form changes nothing and says why.
    stale = c.post(url, {"pcn": [], "icb": [], "version": "0"})
    assert stale.status_code == 400 and "Someone else changed" in stale.content.decode()
    assert SharingSettings.objects.get().version == 1
    # A viewer reads the settings but has no form.
    c.force_login(tree["viewer"])
    page = c.get(url).content.decode()
    assert '<form method="post"' not in page.split("<main")[1]
    assert "Not shared" in page and "Only your practice" in page
    assert c.post(url, {"pcn": [], "icb": [], "version": "1"}).status_code == 404
    assert SharingSettings.objects.get().version == 1


def test_api_reads_and_writes_sharing(tree):
    c = Client()
    url = f"/api/orgs/{tree['practice'].ods_code}/sharing"
    c.force_login(tree["lead"])
    body = c.get(url).json()
    assert body == {
        "progress_to_pcn": True,
        "progress_to_icb": True,
        "engagement_to_pcn": True,
        "engagement_to_icb": True,
        "hna_to_pcn": False,
        "hna_to_icb": False,
        "version": 0,
    }
    put = c.put(url, json.dumps({"hna_to_pcn": True, "expected_version": 0}), "application/json")
    assert put.status_code == 200 and put.json()["hna_to_pcn"] is True
    again = c.put(url, json.dumps({"hna_to_pcn": False, "expected_version": 0}), "application/json")
    assert again.status_code == 409
    c.force_login(tree["viewer"])
    assert c.get(url).json()["version"] == 1
    refused = c.put(url, json.dumps({"hna_to_icb": True}), "application/json")
    assert refused.status_code == 403
    assert SharingSettings.objects.get().hna_to_icb is False
    # A network has no sharing settings of its own.
    c.force_login(tree["network_lead"])
    assert c.get(f"/api/orgs/{tree['pcn'].ods_code}/sharing").status_code == 404
