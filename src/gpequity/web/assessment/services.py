"""Writes for the assessment area. Each runs in one transaction and records an audit event.

Callers (views, API, imports) have already fetched the organisation through the access
layer; the services check the permission again so no future caller can skip it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access

from . import uploads
from .models import AssessmentEntry, Evidence, EvidenceKind, Snapshot, Status
from .selectors import pack_for

TEXT_MAX = 5000
NOTES_MAX = 10000


class ConflictError(Exception):
    """Someone else saved the action after the form was opened; nothing was overwritten."""

    def __init__(self, current: AssessmentEntry):
        super().__init__(f"{current.action_key} changed since version you edited")
        self.current = current


@dataclass(frozen=True)
class StatusChange:
    action_key: str
    before: str
    after: str


def _require(actor, organisation, perm: str) -> None:
    if not access.can(actor, organisation, perm):
        raise PermissionDenied(f"You need {perm} permission at {organisation.ods_code}.")


def _check_action(organisation, action_key: str) -> None:
    try:
        pack_for(organisation).action(action_key)
    except KeyError:
        raise ValidationError(f"No action {action_key!r} in this framework.") from None


def _entry(organisation, action_key: str) -> AssessmentEntry:
    entry, _ = AssessmentEntry.objects.get_or_create(
        organisation=organisation, action_key=action_key
    )
    return entry


def _state(entry: AssessmentEntry) -> dict[str, Any]:
    return {"status": entry.status, "notes": entry.notes}


@transaction.atomic
def assessment_update(
    *, actor, organisation, action_key: str, status: str, notes: str, expected_version: int
) -> AssessmentEntry:
    """Record the status and notes of one action, unless someone saved it in the meantime.

    ``expected_version`` is the version the user's form showed. The update is a single
    compare-and-set on (pk, version), so two people saving at once cannot both win: the
    second gets ``ConflictError`` carrying the entry as it now stands. Saving exactly what
    is already stored is a no-op, never a conflict.
    """
    _require(actor, organisation, access.CONTRIBUTE)
    _check_action(organisation, action_key)
    if status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError(f"Notes must be {NOTES_MAX} characters or fewer.")
    entry = _entry(organisation, action_key)
    before = _state(entry)
    if before == {"status": status, "notes": notes}:
        # Nothing would change, so nothing can be overwritten, whatever the version.
        return entry
    if entry.version != expected_version:
        raise ConflictError(_reload(entry))
    now = timezone.now()
    updated = AssessmentEntry.objects.filter(pk=entry.pk, version=expected_version).update(
        status=status, notes=notes, version=F("version") + 1, updated_by=actor, updated_at=now
    )
    if not updated:
        raise ConflictError(_reload(entry))
    entry = _reload(entry)
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="assessment",
        entity_id=entry.pk,
        verb="updated",
        before=before,
        after=_state(entry),
        action_key=action_key,
    )
    return entry


def _reload(entry: AssessmentEntry) -> AssessmentEntry:
    return AssessmentEntry.objects.select_related("updated_by").get(pk=entry.pk)


@transaction.atomic
def evidence_add(
    *,
    actor,
    organisation,
    action_key: str,
    kind: str,
    text: str = "",
    url: str = "",
    upload=None,
) -> Evidence:
    """Attach a note, a link or a file to an action. Invalid input stores nothing."""
    _require(actor, organisation, access.CONTRIBUTE)
    _check_action(organisation, action_key)
    fields: dict[str, Any] = {"kind": kind, "added_by": actor}
    if kind == EvidenceKind.TEXT:
        text = (text or "").strip()
        if not text:
            raise ValidationError("Write the evidence in the box.", code="required")
        if len(text) > TEXT_MAX:
            raise ValidationError(f"Evidence text must be {TEXT_MAX} characters or fewer.")
        fields["text"] = text
    elif kind == EvidenceKind.LINK:
        fields["url"] = _clean_url(url)
        fields["text"] = (text or "").strip()[:TEXT_MAX]
    elif kind == EvidenceKind.FILE:
        if upload is None:
            raise ValidationError("Choose a file to upload.", code="required")
        checked = uploads.check_upload(upload)
        fields.update(
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            text=(text or "").strip()[:TEXT_MAX],
        )
    else:
        raise ValidationError(f"Unknown kind of evidence {kind!r}.")
    evidence = Evidence(entry=_entry(organisation, action_key), **fields)
    try:
        if kind == EvidenceKind.FILE:
            # Written only after every check passed, so a refused file leaves nothing on disk.
            evidence.file.save(checked.original_name, upload, save=False)
        evidence.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            entity="evidence",
            entity_id=evidence.pk,
            verb="added",
            after=_evidence_state(evidence),
            action_key=action_key,
        )
    except Exception:
        if evidence.file:
            evidence.file.delete(save=False)
        raise
    return evidence


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the web address of the evidence.", code="required")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            "Enter a full web address starting with https:// or http://", code="invalid"
        ) from None
    if len(url) > 500:
        raise ValidationError("Web addresses must be 500 characters or fewer.")
    return url


def _evidence_state(evidence: Evidence) -> dict[str, Any]:
    state: dict[str, Any] = {"kind": evidence.kind}
    if evidence.text:
        state["text"] = evidence.text
    if evidence.url:
        state["url"] = evidence.url
    if evidence.kind == EvidenceKind.FILE:
        state.update(name=evidence.original_name, size=evidence.size)
    if evidence.removed_at:
        state["removed_at"] = evidence.removed_at.isoformat()
    return state


@transaction.atomic
def evidence_remove(*, actor, organisation, evidence_id: int) -> Evidence:
    """Hide evidence from the action page; the row and any file are kept (nothing is lost)."""
    return _set_removed(actor, organisation, evidence_id, removed=True)


@transaction.atomic
def evidence_restore(*, actor, organisation, evidence_id: int) -> Evidence:
    """Put removed evidence back on the action page (the reverse of ``evidence_remove``)."""
    return _set_removed(actor, organisation, evidence_id, removed=False)


def _set_removed(actor, organisation, evidence_id: int, *, removed: bool) -> Evidence:
    """Remove or restore evidence, audited; a no-op (nothing recorded) when already so."""
    _require(actor, organisation, access.CONTRIBUTE)
    evidence = (
        Evidence.objects.select_for_update()
        .select_related("entry")
        .get(pk=evidence_id, entry__organisation=organisation)
    )
    if (evidence.removed_at is not None) == removed:
        return evidence
    before = _evidence_state(evidence)
    evidence.removed_at = timezone.now() if removed else None
    evidence.removed_by = actor if removed else None
    evidence.save(update_fields=["removed_at", "removed_by"])
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="evidence",
        entity_id=evidence.pk,
        verb="removed" if removed else "restored",
        before=before,
        after=_evidence_state(evidence),
        action_key=evidence.entry.action_key,
    )
    return evidence


@transaction.atomic
def snapshot_take(*, actor, organisation, name: str) -> Snapshot:
    """Freeze the status and notes of every action of the organisation's framework."""
    _require(actor, organisation, access.EDIT)
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the snapshot a name, for example “Review 2025”.")
    pack = pack_for(organisation)
    saved = {
        e.action_key: {"status": e.status, "notes": e.notes}
        for e in AssessmentEntry.objects.filter(organisation=organisation)
    }
    blank = {"status": Status.NOT_STARTED.value, "notes": ""}
    data = {a.key: saved.get(a.key, blank) for a in pack.actions}
    # Keep anything recorded against keys a newer pack no longer has.
    data.update({k: v for k, v in saved.items() if k not in data})
    snapshot = Snapshot.objects.create(
        organisation=organisation,
        name=name[:120],
        taken_by=actor,
        framework=organisation.framework,
        data=data,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="snapshot",
        entity_id=snapshot.pk,
        verb="created",
        after={"name": snapshot.name, "actions": len(data)},
    )
    return snapshot


def snapshot_compare(a: Snapshot, b: Snapshot) -> list[StatusChange]:
    """Actions whose status differs from snapshot ``a`` to snapshot ``b``, in framework order."""
    blank = Status.NOT_STARTED.value
    keys = list(dict.fromkeys([*a.data, *b.data]))
    changes = []
    for key in keys:
        before = (a.data.get(key) or {}).get("status", blank)
        after = (b.data.get(key) or {}).get("status", blank)
        if before != after:
            changes.append(StatusChange(action_key=key, before=before, after=after))
    return changes


@transaction.atomic
def assessment_save(
    *,
    actor,
    organisation,
    action_key: str,
    status: str,
    notes: str,
    expected_version: int,
    evidence_text: str = "",
    evidence_url: str = "",
    upload=None,
) -> AssessmentEntry:
    """The action page's one Save: status, notes and any new evidence, all or nothing.

    The file is checked before anything is written, so a refused upload changes nothing.
    """
    if upload is not None:
        with _field("upload"):
            uploads.check_upload(upload)
    with _field("notes"):
        entry = assessment_update(
            actor=actor,
            organisation=organisation,
            action_key=action_key,
            status=status,
            notes=notes,
            expected_version=expected_version,
        )
    common = {"actor": actor, "organisation": organisation, "action_key": action_key}
    if (evidence_text or "").strip():
        with _field("evidence_text"):
            evidence_add(**common, kind=EvidenceKind.TEXT, text=evidence_text)
    if (evidence_url or "").strip():
        with _field("evidence_url"):
            evidence_add(**common, kind=EvidenceKind.LINK, url=evidence_url)
    if upload is not None:
        with _field("upload"):
            evidence_add(**common, kind=EvidenceKind.FILE, upload=upload)
    return entry


@contextmanager
def _field(name: str) -> Iterator[None]:
    """Tag a plain ValidationError with the form field it belongs to."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({name: exc.error_list}) from None
