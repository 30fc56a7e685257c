"""Assessment services: audited changes, conflicts, evidence checks, soft delete, snapshots."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from gpequity.web.assessment import services
from gpequity.web.assessment.models import AssessmentEntry, Evidence, Snapshot
from gpequity.web.audit.models import AuditEvent
from tests.web.assessment.conftest import stored_files
from tests.web.assessment.factories import PDF, PNG, ooxml, upload

pytestmark = pytest.mark.django_db


def update(actor, org, status="planned", notes="", version=0, key="acc_01"):
    return services.assessment_update(
        actor=actor,
        organisation=org,
        action_key=key,
        status=status,
        notes=notes,
        expected_version=version,
    )


def test_status_change_is_audited_with_before_and_after(practice, teammate):
    entry = update(teammate, practice, "in_progress", "Reception briefed")
    assert (entry.status, entry.notes, entry.version) == ("in_progress", "Reception briefed", 1)
    assert entry.updated_by == teammate
    event = AuditEvent.objects.get(entity="assessment")
    assert event.before == {"status": "not_started", "notes": ""}
    assert event.after == {"status": "in_progress", "notes": "Reception briefed"}
    assert event.action_key == "acc_01"
    assert event.actor_id == teammate.pk
    assert event.organisation_id == practice.pk

    update(teammate, practice, "in_place", "Reception briefed", version=1)
    latest = AuditEvent.objects.filter(entity="assessment").first()
    assert latest.before["status"] == "in_progress"
    assert latest.after["status"] == "in_place"


def test_stale_version_raises_conflict_and_keeps_the_other_change(practice, lead, teammate):
    update(lead, practice, "in_place", "Done by the lead", version=0)
    with pytest.raises(services.ConflictError) as info:
        update(teammate, practice, "planned", "My older view", version=0)
    assert info.value.current.notes == "Done by the lead"
    assert info.value.current.updated_by == lead
    entry = AssessmentEntry.objects.get(organisation=practice, action_key="acc_01")
    assert (entry.status, entry.notes, entry.version) == ("in_place", "Done by the lead", 1)
    assert AuditEvent.objects.filter(entity="assessment").count() == 1


def test_saving_what_is_already_stored_is_not_a_conflict(practice, lead, teammate):
    update(lead, practice, "in_place", "Same", version=0)
    entry = update(teammate, practice, "in_place", "Same", version=0)
    assert entry.version == 1
    assert AuditEvent.objects.filter(entity="assessment").count() == 1


def test_unknown_action_or_status_is_refused(practice, lead):
    with pytest.raises(ValidationError):
        update(lead, practice, key="no_such_action")
    with pytest.raises(ValidationError):
        update(lead, practice, status="finished")
    assert not AssessmentEntry.objects.exists()


def test_viewer_cannot_write_through_the_service(practice, viewer):
    with pytest.raises(PermissionDenied):
        update(viewer, practice)
    assert not AssessmentEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("policy.pdf", PDF),
        ("photo.png", PNG),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
        ("minutes.docx", ooxml("word/")),
        ("audit.xlsx", ooxml("xl/")),
        ("slides.pptx", ooxml("ppt/")),
        ("notes.txt", "Agreed at the meeting – café".encode()),
        ("counts.csv", b"group,count\nhomeless,12\n"),
    ],
)
def test_allowed_files_are_stored_privately(practice, teammate, name, content, private_media):
    ev = services.evidence_add(
        actor=teammate,
        organisation=practice,
        action_key="acc_01",
        kind="file",
        upload=upload(name, content),
    )
    assert ev.original_name == name
    assert ev.size == len(content)
    assert ev.file.name.startswith(f"evidence/{practice.pk}/")
    assert name.rsplit(".", 1)[0] not in ev.file.name  # random stored name
    with ev.file.open("rb") as fh:
        assert fh.read() == content
    assert stored_files(private_media) == [private_media / ev.file.name]
    event = AuditEvent.objects.get(entity="evidence")
    assert event.after == {"kind": "file", "name": name, "size": len(content)}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "is not a file type we accept"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "does not look like a PDF"),
        ("zip.docx", ooxml("xl/"), "does not look like a Word document"),
        ("binary.txt", b"abc\x00\x01def", "does not look like a text file"),
        ("empty.csv", b"", "is empty"),
    ],
)
def test_bad_files_are_refused_with_their_name_and_nothing_stored(
    practice, teammate, name, content, message, private_media
):
    with pytest.raises(ValidationError) as info:
        services.evidence_add(
            actor=teammate,
            organisation=practice,
            action_key="acc_01",
            kind="file",
            upload=upload(name, content),
        )
    text = " ".join(info.value.messages)
    assert message in text and name in text
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert stored_files(private_media) == []


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_too_big_file_is_refused_naming_the_file_and_the_limit(practice, teammate):
    with pytest.raises(ValidationError) as info:
        services.evidence_add(
            actor=teammate,
            organisation=practice,
            action_key="acc_01",
            kind="file",
            upload=upload("big.pdf", PDF + b"x" * 2000),
        )
    message = info.value.messages[0].replace("\xa0", " ")
    assert "“big.pdf” is 2.0 KB. Files must be 1.0 KB or smaller." in message
    assert not Evidence.objects.exists()


def test_default_limit_is_ten_megabytes(settings):
    assert settings.UPLOAD_MAX_BYTES == 10 * 1024 * 1024


def test_text_and_link_evidence(practice, teammate):
    text = services.evidence_add(
        actor=teammate,
        organisation=practice,
        action_key="acc_01",
        kind="text",
        text="Registration form updated",
    )
    link = services.evidence_add(
        actor=teammate,
        organisation=practice,
        action_key="acc_01",
        kind="link",
        url="https://intranet.example.nhs.uk/registration",
    )
    assert text.text == "Registration form updated"
    assert link.url == "https://intranet.example.nhs.uk/registration"
    with pytest.raises(ValidationError):
        services.evidence_add(
            actor=teammate,
            organisation=practice,
            action_key="acc_01",
            kind="link",
            url="javascript:alert(1)",
        )
    with pytest.raises(ValidationError):
        services.evidence_add(
            actor=teammate, organisation=practice, action_key="acc_01", kind="text", text="  "
        )
    assert Evidence.objects.count() == 2


def test_removing_evidence_keeps_the_row_and_the_file(practice, teammate, lead):
    ev = services.evidence_add(
        actor=teammate,
        organisation=practice,
        action_key="acc_01",
        kind="file",
        upload=upload("policy.pdf", PDF),
    )
    services.evidence_remove(actor=lead, organisation=practice, evidence_id=ev.pk)
    ev.refresh_from_db()
    assert ev.removed_at is not None and ev.removed_by == lead
    assert ev.file.storage.exists(ev.file.name)
    event = AuditEvent.objects.filter(entity="evidence", verb="removed").get()
    assert event.before["name"] == "policy.pdf"
    assert "removed_at" in event.after


def test_restoring_evidence_undoes_the_removal_and_is_audited(practice, teammate, lead):
    ev = services.evidence_add(
        actor=teammate, organisation=practice, action_key="acc_01", kind="text", text="Rota"
    )
    services.evidence_remove(actor=lead, organisation=practice, evidence_id=ev.pk)
    services.evidence_restore(actor=teammate, organisation=practice, evidence_id=ev.pk)
    ev.refresh_from_db()
    assert ev.removed_at is None and ev.removed_by is None
    event = AuditEvent.objects.filter(entity="evidence", verb="restored").get()
    assert "removed_at" in event.before and "removed_at" not in event.after
    # Restoring what is not removed changes nothing and records nothing.
    services.evidence_restore(actor=teammate, organisation=practice, evidence_id=ev.pk)
    assert AuditEvent.objects.filter(entity="evidence", verb="restored").count() == 1


def test_evidence_of_another_practice_cannot_be_removed(practice, other_practice, outsider, lead):
    ev = services.evidence_add(
        actor=lead, organisation=practice, action_key="acc_01", kind="text", text="Ours"
    )
    with pytest.raises(Evidence.DoesNotExist):
        services.evidence_remove(actor=outsider, organisation=other_practice, evidence_id=ev.pk)
    ev.refresh_from_db()
    assert ev.removed_at is None


def test_save_with_bad_upload_changes_nothing(practice, teammate, private_media):
    with pytest.raises(ValidationError) as info:
        services.assessment_save(
            actor=teammate,
            organisation=practice,
            action_key="acc_01",
            status="in_place",
            notes="Done",
            expected_version=0,
            evidence_text="A note",
            upload=upload("run.exe", b"MZ"),
        )
    assert "upload" in info.value.message_dict
    assert not AssessmentEntry.objects.filter(status="in_place").exists()
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert stored_files(private_media) == []


def test_snapshots_and_compare(practice, lead):
    update(lead, practice, "in_progress", version=0, key="acc_01")
    first = services.snapshot_take(actor=lead, organisation=practice, name="Review 2024")
    update(lead, practice, "in_place", version=1, key="acc_01")
    update(lead, practice, "planned", version=0, key="acc_02")
    second = services.snapshot_take(actor=lead, organisation=practice, name="Review 2025")
    assert first.data["acc_01"] == {"status": "in_progress", "notes": ""}
    assert first.data["acc_02"] == {"status": "not_started", "notes": ""}
    assert len(first.data) == 116
    changes = services.snapshot_compare(first, second)
    assert [(c.action_key, c.before, c.after) for c in changes] == [
        ("acc_01", "in_progress", "in_place"),
        ("acc_02", "not_started", "planned"),
    ]
    assert services.snapshot_compare(second, second) == []
    assert AuditEvent.objects.filter(entity="snapshot").count() == 2


def test_only_edit_roles_take_snapshots(practice, teammate):
    with pytest.raises(PermissionDenied):
        services.snapshot_take(actor=teammate, organisation=practice, name="Mine")
    assert not Snapshot.objects.exists()
