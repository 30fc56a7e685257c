"""Assessment pages: roles, scoping by organisation, conflicts, uploads, downloads."""

from __future__ import annotations

import pytest
from django.test import Client

from gpequity.web.assessment import services
from gpequity.web.assessment.models import AssessmentEntry, Evidence, Snapshot
from gpequity.web.audit.models import AuditEvent
from gpequity.web.network.models import SharingSettings
from tests.factories import PCNFactory, PracticeFactory, member
from tests.web.assessment.conftest import stored_files
from tests.web.assessment.factories import PDF, upload

pytestmark = pytest.mark.django_db

ACTION = "acc_01"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(org, tail: str = "") -> str:
    return f"/orgs/{org.ods_code}/assessment/{tail}"


def save(client, org, status="in_place", version=0, **extra):
    data = {"status": status, "notes": "", "version": version, **extra}
    return client.post(url(org, f"actions/{ACTION}/"), data)


def add_file(org, user, name="policy.pdf"):
    return services.evidence_add(
        actor=user, organisation=org, action_key=ACTION, kind="file", upload=upload(name, PDF)
    )


def test_member_updates_status_notes_and_evidence_in_one_save(practice, teammate):
    c = client_for(teammate)
    r = c.post(
        url(practice, f"actions/{ACTION}/"),
        {
            "status": "in_progress",
            "notes": "Forms changed",
            "version": 0,
            "evidence_text": "Agreed at team meeting",
            "evidence_url": "https://intranet.example.nhs.uk/reg",
            "upload": upload("policy.pdf", PDF),
        },
    )
    assert r.status_code == 302
    entry = AssessmentEntry.objects.get(organisation=practice, action_key=ACTION)
    assert (entry.status, entry.notes, entry.version) == ("in_progress", "Forms changed", 1)
    assert sorted(Evidence.objects.values_list("kind", flat=True)) == ["file", "link", "text"]
    page = c.get(r["Location"]).content.decode()
    assert "Saved" in page and "policy.pdf" in page and "Agreed at team meeting" in page
    assert "Status changed from Not started to In progress." in page


def test_viewer_sees_the_page_but_cannot_post(practice, viewer):
    c = client_for(viewer)
    page = c.get(url(practice, f"actions/{ACTION}/"))
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert save(c, practice).status_code == 403
    assert not AssessmentEntry.objects.exists()


def test_viewer_cannot_remove_evidence_or_take_snapshots(practice, viewer, lead):
    ev = add_file(practice, lead)
    c = client_for(viewer)
    assert c.post(url(practice, f"actions/{ACTION}/evidence/{ev.pk}/remove/")).status_code == 403
    assert c.post(url(practice, "snapshots/"), {"name": "x"}).status_code == 403
    ev.refresh_from_db()
    assert ev.removed_at is None and not Snapshot.objects.exists()


def test_member_cannot_take_snapshot_but_lead_can(practice, teammate, lead):
    assert client_for(teammate).post(url(practice, "snapshots/"), {"name": "x"}).status_code == 403
    r = client_for(lead).post(url(practice, "snapshots/"), {"name": "Review 2025"})
    assert r.status_code == 302
    assert Snapshot.objects.get().name == "Review 2025"


@pytest.mark.parametrize(
    "tail",
    ["", f"actions/{ACTION}/", "history/", "snapshots/", "snapshots/compare/?a=1&b=1"],
)
def test_other_practice_user_gets_404_on_every_page(practice, outsider, tail):
    assert client_for(outsider).get(url(practice, tail)).status_code == 404


def test_other_practice_user_gets_404_on_dashboard_and_writes(practice, outsider, lead):
    c = client_for(outsider)
    assert c.get(f"/orgs/{practice.ods_code}/").status_code == 404
    assert save(c, practice).status_code == 404
    ev = add_file(practice, lead)
    assert c.post(url(practice, f"actions/{ACTION}/evidence/{ev.pk}/remove/")).status_code == 404
    assert c.post(url(practice, "snapshots/"), {"name": "x"}).status_code == 404
    assert not AssessmentEntry.objects.filter(status="in_place").exists()


def test_evidence_ids_cannot_be_guessed_across_practices(practice, other_practice, lead, outsider):
    ev = add_file(practice, lead)
    c = client_for(outsider)
    # Their own organisation in the URL, our evidence id: still not found.
    own = f"/orgs/{other_practice.ods_code}/assessment/evidence/{ev.pk}/download/"
    assert c.get(own).status_code == 404
    remove = f"/orgs/{other_practice.ods_code}/assessment/actions/{ACTION}/evidence/{ev.pk}/remove/"
    assert c.post(remove).status_code == 404
    assert c.get(url(practice, f"evidence/{ev.pk}/download/")).status_code == 404
    ev.refresh_from_db()
    assert ev.removed_at is None


def test_snapshot_ids_cannot_be_guessed_across_practices(practice, other_practice, lead, outsider):
    a = services.snapshot_take(actor=lead, organisation=practice, name="Ours A")
    b = services.snapshot_take(actor=lead, organisation=practice, name="Ours B")
    c = client_for(outsider)
    r = c.get(f"/orgs/{other_practice.ods_code}/assessment/snapshots/compare/?a={a.pk}&b={b.pk}")
    assert r.status_code == 302
    assert "Ours A" not in c.get(r["Location"]).content.decode()


def test_download_is_an_access_checked_attachment(practice, viewer, lead):
    ev = add_file(practice, lead, name="policy.pdf")
    r = client_for(viewer).get(url(practice, f"evidence/{ev.pk}/download/"))
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment")
    assert 'filename="policy.pdf"' in r["Content-Disposition"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content) == PDF
    r.close()
    anonymous = Client().get(url(practice, f"evidence/{ev.pk}/download/"))
    assert anonymous.status_code == 302 and "/sign-in/" in anonymous["Location"]


def test_stored_files_are_not_reachable_by_any_public_url(practice, lead):
    ev = add_file(practice, lead)
    c = client_for(lead)
    for path in (ev.file.url, ev.file.name, f"media/{ev.file.name}", f"static/{ev.file.name}"):
        assert c.get("/" + path.lstrip("/")).status_code == 404


def test_conflict_reshows_the_form_with_both_changes(practice, lead, teammate):
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key=ACTION,
        status="in_place",
        notes="Lead's wording",
        expected_version=0,
    )
    r = client_for(teammate).post(
        url(practice, f"actions/{ACTION}/"),
        {"status": "planned", "notes": "My unsaved wording", "version": 0},
    )
    assert r.status_code == 409
    page = r.content.decode()
    assert "Someone else saved this action while you were editing" in page
    assert "Lead&#x27;s wording" in page  # what the other person saved
    assert "My unsaved wording" in page  # what this user typed, kept
    assert 'name="version" value="1"' in page
    entry = AssessmentEntry.objects.get()
    assert (entry.status, entry.notes) == ("in_place", "Lead's wording")
    # Saving again after seeing the other change is a deliberate overwrite.
    r = client_for(teammate).post(
        url(practice, f"actions/{ACTION}/"),
        {"status": "planned", "notes": "My unsaved wording", "version": 1},
    )
    assert r.status_code == 302
    assert AssessmentEntry.objects.get().notes == "My unsaved wording"


def test_bad_upload_shows_message_and_changes_nothing(practice, teammate, private_media):
    r = client_for(teammate).post(
        url(practice, f"actions/{ACTION}/"),
        {
            "status": "in_place",
            "notes": "Done",
            "version": 0,
            "evidence_text": "note",
            "upload": upload("tool.exe", b"MZ\x90"),
        },
    )
    assert r.status_code == 400
    page = r.content.decode()
    assert "There is a problem" in page and "“tool.exe” is not a file type we accept" in page
    assert not AssessmentEntry.objects.filter(status="in_place").exists()
    assert not Evidence.objects.exists() and not AuditEvent.objects.exists()
    assert stored_files(private_media) == []


def test_remove_evidence_is_soft(practice, teammate):
    ev = add_file(practice, teammate)
    r = client_for(teammate).post(url(practice, f"actions/{ACTION}/evidence/{ev.pk}/remove/"))
    assert r.status_code == 302
    ev.refresh_from_db()
    assert ev.removed_at is not None
    page = client_for(teammate).get(url(practice, f"actions/{ACTION}/")).content.decode()
    assert "Removed evidence (1)" in page


def test_removed_evidence_can_be_restored_by_a_contributor_not_a_viewer(practice, teammate, viewer):
    ev = add_file(practice, teammate)
    c = client_for(teammate)
    c.post(url(practice, f"actions/{ACTION}/evidence/{ev.pk}/remove/"))
    restore = url(practice, f"actions/{ACTION}/evidence/{ev.pk}/restore/")
    viewer_page = client_for(viewer).get(url(practice, f"actions/{ACTION}/")).content.decode()
    assert restore not in viewer_page  # no button for someone who may not use it
    assert client_for(viewer).post(restore).status_code == 403
    ev.refresh_from_db()
    assert ev.removed_at is not None

    page = c.get(url(practice, f"actions/{ACTION}/")).content.decode()
    assert restore in page
    r = c.post(restore, follow=True)
    assert r.status_code == 200 and "Restored “policy.pdf”." in r.content.decode()
    ev.refresh_from_db()
    assert ev.removed_at is None and ev.removed_by is None
    assert "Removed evidence" not in r.content.decode()
    assert "File restored: policy.pdf" in c.get(url(practice, "history/")).content.decode()


def test_unknown_action_is_404(practice, lead):
    assert client_for(lead).get(url(practice, "actions/nope/")).status_code == 404


def test_dashboard_shows_tier_position_and_what_is_left(practice, lead):
    for key in ("acc_01", "hna_01"):
        services.assessment_update(
            actor=lead,
            organisation=practice,
            action_key=key,
            status="in_place",
            notes="",
            expected_version=0,
        )
    page = client_for(lead).get(f"/orgs/{practice.ods_code}/").content.decode()
    assert "No tier reached yet" in page
    assert "Tier 1: 3 actions left" in page
    assert "2 of 5 in place or embedded (40%)" in page
    assert (
        f'href="/orgs/{practice.ods_code}/assessment/actions/acc_01/"'
        not in page.split("Next steps to")[1].split("Progress by tier")[0]
    )
    for link in ("focus/", "plan/", "reports/", "members/"):
        assert f'href="/orgs/{practice.ods_code}/{link}"' in page


def test_dashboard_when_tier_one_is_reached(practice, lead):
    from gpequity.catalogue import load_pack

    for a in load_pack(practice.framework).actions_in(tier="tier-1"):
        services.assessment_update(
            actor=lead,
            organisation=practice,
            action_key=a.key,
            status="embedded",
            notes="",
            expected_version=0,
        )
    page = client_for(lead).get(f"/orgs/{practice.ods_code}/").content.decode()
    assert "Tier reached</dt>" in page and ">Tier 1</dd>" in page
    assert "Tier 2: 40 actions left" in page


def test_pcn_dashboard_lists_member_practices_tier(lead):
    pcn = PCNFactory(name="North PCN")
    one = PracticeFactory(parent=pcn, name="Alpha Surgery")
    PracticeFactory(name="Elsewhere Surgery")
    hidden = PracticeFactory(parent=pcn, name="Beta Surgery")
    SharingSettings.objects.create(organisation=hidden, progress_to_pcn=False)
    network_lead = member(pcn, "network_lead")
    page = client_for(network_lead).get(f"/orgs/{pcn.ods_code}/").content.decode()
    assert "Alpha Surgery" in page and "Elsewhere Surgery" not in page
    # No link into the practice's workspace: the network sees only what is shared.
    assert f"/orgs/{one.ods_code}/" not in page
    assert "None yet" in page
    beta = page.split("Beta Surgery")[1].split("</tr>")[0]
    assert "Not shared" in beta and "None yet" not in beta


def test_overview_filters_by_status_and_theme(practice, lead):
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        status="planned",
        notes="",
        expected_version=0,
    )
    c = client_for(lead)
    page = c.get(url(practice, "?status=planned")).content.decode()
    assert "Showing 1 action." in page and "Inclusive registration" in page
    page = c.get(url(practice, "?theme=access-and-flexibility")).content.decode()
    assert "Inclusive registration" in page
    assert "Showing 116 actions." in c.get(url(practice)).content.decode()


def test_history_page_lists_and_filters_events(practice, lead):
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        status="planned",
        notes="",
        expected_version=0,
    )
    services.snapshot_take(actor=lead, organisation=practice, name="Review 2025")
    c = client_for(lead)
    page = c.get(url(practice, "history/")).content.decode()
    assert "Status changed from Not started to Planned." in page and "Review 2025" in page
    page = c.get(url(practice, "history/?entity=snapshot")).content.decode()
    assert "Review 2025" in page and "Status changed" not in page


def test_history_is_paginated(practice, lead):
    for i in range(30):
        services.assessment_update(
            actor=lead,
            organisation=practice,
            action_key="acc_01",
            status="planned" if i % 2 == 0 else "in_progress",
            notes="",
            expected_version=i,
        )
    c = client_for(lead)
    first = c.get(url(practice, "history/")).content.decode()
    assert first.count("Status changed") == 25 and "Page 2 of 2" in first
    second = c.get(url(practice, "history/?page=2")).content.decode()
    assert second.count("Status changed") == 5


def test_compare_page_lists_changed_actions(practice, lead):
    a = services.snapshot_take(actor=lead, organisation=practice, name="Before")
    services.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        status="embedded",
        notes="",
        expected_version=0,
    )
    b = services.snapshot_take(actor=lead, organisation=practice, name="After")
    page = client_for(lead).get(url(practice, f"snapshots/compare/?a={a.pk}&b={b.pk}"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "1 action changed status" in text and "Inclusive registration" in text
    assert "Not started" in text and "Embedded" in text


def test_action_page_offers_add_to_plan_to_editors_and_links_once_adopted(practice, lead, teammate):
    url = f"/orgs/{practice.ods_code}/assessment/actions/acc_01/"
    lead_page = client_for(lead).get(url).content.decode()
    assert f'action="/orgs/{practice.ods_code}/plan/adopt/acc_01/"' in lead_page
    # A team member may record progress but not add to the plan.
    assert "plan/adopt/acc_01/" not in client_for(teammate).get(url).content.decode()
    response = client_for(lead).post(f"/orgs/{practice.ods_code}/plan/adopt/acc_01/")
    assert response.status_code == 302
    page = client_for(teammate).get(url).content.decode()
    assert "This action is in the practice's plan" in page and "plan/adopt/acc_01/" not in page


def test_dashboard_answers_what_now_overdue_first_then_a_few_next_actions(practice, lead):
    import datetime as dt

    from django.utils import timezone

    from gpequity.web.plans import services as plans

    today = timezone.localdate()
    late = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_01")
    plans.plan_item_update(
        actor=lead,
        item=late,
        expected_version=late.version,
        changes={"due_date": today - dt.timedelta(days=3), "title": "Ring the missed patients"},
    )
    page = client_for(lead).get(f"/orgs/{practice.ods_code}/").content.decode()
    attention = page.split('id="plan-due"')[1].split('id="next-actions"')[0]
    assert "Overdue (1)" in attention and "Ring the missed patients" in attention
    assert page.index('id="plan-due"') < page.index('id="next-actions"')
    # No more than five next actions, with a link to the rest.
    nxt = page.split('id="next-actions"')[1].split("Where you are")[0]
    assert 0 < nxt.count('<li class="nhsuk-task-list__item') <= 5


def test_oversight_users_do_not_see_the_practice_dashboard(practice):
    from tests.factories import member as make_member

    network_lead = make_member(practice.parent, "network_lead")
    response = client_for(network_lead).get(f"/orgs/{practice.ods_code}/")
    assert response.status_code == 404
    assert practice.name not in response.content.decode()
