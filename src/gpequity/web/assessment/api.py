"""REST endpoints of the assessment area (mounted at /api/orgs/ by gpequity.web.api).

A personal API token (Authorization: Bearer) or the browser session with CSRF on writes
(gpequity.web.core.apiauth.ORG_AUTH). Every endpoint starts with the access layer: no view
permission means 404, view without contribute means 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from gpequity.web.core.apiauth import ORG_AUTH
from gpequity.web.orgs import access

from . import selectors, services
from .models import AssessmentEntry
from .selectors import Position, ProgressRow

router = Router(tags=["assessment"], auth=ORG_AUTH)
HISTORY_MAX = 200


class EntryOut(Schema):
    action_key: str
    title: str
    tier: str
    theme: str
    status: str
    notes: str
    version: int
    updated_at: datetime | None
    updated_by: str | None
    evidence: int


class ProgressOut(Schema):
    key: str
    name: str
    total: int
    done: int
    percent: int
    reached: bool
    counts: dict[str, int]


class AssessmentOut(Schema):
    ods_code: str
    framework: str
    reached_tier: str | None
    next_tier: str | None
    overall: ProgressOut
    tiers: list[ProgressOut]
    themes: list[ProgressOut]
    entries: list[EntryOut]


class EntryIn(Schema):
    status: str
    notes: str = ""
    expected_version: int


class ConflictOut(Schema):
    detail: str
    current: EntryOut


class MessageOut(Schema):
    detail: str


class EventOut(Schema):
    at: datetime
    actor: str
    entity: str
    entity_id: str
    verb: str
    action_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _progress(row: ProgressRow) -> ProgressOut:
    return ProgressOut(
        key=row.key,
        name=row.name,
        total=row.total,
        done=row.done,
        percent=row.percent,
        reached=row.reached,
        counts=dict(row.counts),
    )


def _entry(position: Position, key: str, entry: AssessmentEntry | None, evidence: int) -> EntryOut:
    action = position.pack.action(key)
    who = entry.updated_by if entry else None
    return EntryOut(
        action_key=key,
        title=action.title,
        tier=action.tier,
        theme=action.theme,
        status=entry.status if entry else "not_started",
        notes=entry.notes if entry else "",
        version=entry.version if entry else 0,
        updated_at=entry.updated_at if entry else None,
        updated_by=(who.get_full_name() or who.get_username()) if who else None,
        evidence=evidence,
    )


def _action_or_404(org, action_key: str) -> None:
    try:
        selectors.pack_for(org).action(action_key)
    except KeyError:
        raise Http404("No such action") from None


@router.get("/{ods_code}/assessment", response=AssessmentOut, summary="Assessment and progress")
def get_assessment(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    position = selectors.position_for(org)
    entries = {
        e.action_key: e
        for e in AssessmentEntry.objects.filter(organisation=org).select_related("updated_by")
    }
    counts = selectors.evidence_counts(org)
    return AssessmentOut(
        ods_code=org.ods_code,
        framework=org.framework,
        reached_tier=position.reached_tier.key if position.reached_tier else None,
        next_tier=position.next_tier.key if position.next_tier else None,
        overall=_progress(position.overall),
        tiers=[_progress(r) for r in position.by_tier],
        themes=[_progress(r) for r in position.by_theme],
        entries=[
            _entry(position, a.key, entries.get(a.key), counts.get(a.key, 0))
            for a in position.pack.actions
        ],
    )


HISTORY_MAX_OFFSET = 10**9  # larger offsets overflow the database's integers (issue 22)


@router.get(
    "/{ods_code}/assessment/history",
    response=list[EventOut],
    summary="Changes to the assessment, newest first",
)
def get_history(
    request, ods_code: str, action_key: str = "", entity: str = "", limit: int = 50, offset: int = 0
):
    org = access.get_org(request.user, ods_code, access.VIEW)
    limit = max(1, min(limit, HISTORY_MAX))
    offset = max(0, min(offset, HISTORY_MAX_OFFSET))
    qs = selectors.org_history(org, entity=entity)
    if action_key:
        qs = qs.filter(action_key=action_key)
    return [
        EventOut(
            at=e.created_at,
            actor=e.actor_name,
            entity=e.entity,
            entity_id=e.entity_id,
            verb=e.verb,
            action_key=e.action_key,
            before=e.before,
            after=e.after,
        )
        for e in selectors.without_private_fields(
            qs[offset : offset + limit], user=request.user, org=org
        )
    ]


@router.get("/{ods_code}/assessment/{action_key}", response=EntryOut, summary="One action")
def get_entry(request, ods_code: str, action_key: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    _action_or_404(org, action_key)
    entry = selectors.entry_for(org, action_key)
    count = selectors.evidence_for(org, action_key).count()
    return _entry(selectors.position_for(org), action_key, entry if entry.pk else None, count)


@router.put(
    "/{ods_code}/assessment/{action_key}",
    response={200: EntryOut, 403: MessageOut, 409: ConflictOut, 422: MessageOut},
    summary="Record status and notes (send the version you read as expected_version)",
)
def put_entry(request, ods_code: str, action_key: str, payload: EntryIn):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.CONTRIBUTE):
        raise HttpError(403, "You can view this organisation but not change it.")
    _action_or_404(org, action_key)
    try:
        entry = services.assessment_update(
            actor=request.user,
            organisation=org,
            action_key=action_key,
            status=payload.status,
            notes=payload.notes,
            expected_version=payload.expected_version,
        )
    except services.ConflictError as exc:
        current = _entry(
            selectors.position_for(org),
            action_key,
            exc.current,
            selectors.evidence_for(org, action_key).count(),
        )
        return Status(
            409,
            ConflictOut(
                detail="Someone else changed this action since you read it. Nothing was saved.",
                current=current,
            ),
        )
    except ValidationError as exc:
        return Status(422, MessageOut(detail=" ".join(exc.messages)))
    count = selectors.evidence_for(org, action_key).count()
    return Status(200, _entry(selectors.position_for(org), action_key, entry, count))
