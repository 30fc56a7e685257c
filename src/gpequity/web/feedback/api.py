"""REST endpoint of staff feedback (mounted on /api/orgs/): released feedback for the roles
the practice lets read it. Nothing still held is ever returned (ADR 22)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema
from ninja.security import django_auth

from gpequity.web.orgs import access

from . import selectors

router = Router(tags=["feedback"], auth=django_auth)


class MessageOut(Schema):
    from_practice: bool
    text: str
    week: dt.date


class FeedbackOut(Schema):
    id: uuid.UUID
    batch: uuid.UUID
    released_week: dt.date
    topic: str
    role: str
    text: str
    status: str
    we_did: str
    show_to_team: bool
    plan_items: list[int]
    messages: list[MessageOut]


@router.get("/{ods_code}/feedback", response=list[FeedbackOut], summary="Released staff feedback")
def list_feedback(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not selectors.can_read(request.user, org):
        raise PermissionDenied("Only the roles your practice chose may read staff feedback")
    return [
        {
            "id": f.pk,
            "batch": f.batch,
            "released_week": f.released_week,
            "topic": f.topic,
            "role": f.role,
            "text": f.text,
            "status": f.status,
            "we_did": f.we_did,
            "show_to_team": f.show_to_team,
            "plan_items": [p.pk for p in f.plan_items.all()],
            "messages": [
                {"from_practice": m.from_practice, "text": m.text, "week": m.week}
                for m in f.messages.all()
            ],
        }
        for f in selectors.inbox(org).prefetch_related("plan_items")
    ]
