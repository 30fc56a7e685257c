"""Writes of the feedback area.

Two kinds, on purpose (ADR 22):

- The writer's (``feedback_submit``, ``feedback_answer``): no actor, no audit event, no
  time but the week, nothing about the request.
- The practice's (replies, status, settings, the link, release): permission-checked through
  the access layer by the caller, audited like every other change in gpequity.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from gpequity.feedback import (
    ROLES,
    TOPICS,
    ReleaseRule,
    due_for_release,
    keep_roles,
    shuffled,
    week_of,
)
from gpequity.feedback import receipt as receipts
from gpequity.feedback.release import MIN_BATCH
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import PlanItem

from .models import Channel, Feedback, HeldFeedback, Message, Readers, Status, new_link_token

MAX_TEXT = 5000
MAX_BATCH = 50
MAX_WAIT = 91


class FeedbackConflict(Exception):
    """The feedback changed since the page was loaded; nothing was saved."""


def _today() -> dt.date:
    return dt.date.today()


def channel_get_or_create(*, organisation: Organisation) -> Channel:
    channel = Channel.objects.filter(organisation=organisation).first()
    if channel is None:
        with transaction.atomic():
            channel, created = Channel.objects.get_or_create(organisation=organisation)
            if created:
                audit_record(
                    actor=None,
                    organisation=organisation,
                    entity="feedback_channel",
                    entity_id=channel.pk,
                    verb="created",
                )
    return channel


def _check_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: "Enter what you want to say"})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {field: f"Keep it to {MAX_TEXT} characters or fewer (it has {len(text)})"}
        )
    return text


def _new_receipt() -> tuple[str, str, str]:
    code = receipts.new_code()
    lookup, secret = receipts.split(code)
    return code, lookup, receipts.hash_secret(secret)


def feedback_submit(
    *, channel: Channel, topic: str, role: str, text: str, today: dt.date | None = None
) -> str:
    """Hold a writer's (already scrubbed and confirmed) feedback; return the receipt code.

    No actor and no audit event: nothing here may point to the person writing."""
    if topic not in TOPICS:
        raise ValidationError({"topic": "Choose a topic from the list"})
    if role not in ("", *ROLES):
        raise ValidationError({"role": "Choose a role from the list, or none"})
    text = _check_text(text)
    week = week_of(today or _today())
    for _ in range(5):
        code, lookup, hashed = _new_receipt()
        if Feedback.objects.filter(receipt_lookup=lookup).exists():
            continue
        try:
            with transaction.atomic():
                HeldFeedback.objects.create(
                    organisation_id=channel.organisation_id,
                    topic=topic,
                    role=role,
                    text=text,
                    held_week=week,
                    receipt_lookup=lookup,
                    receipt_hash=hashed,
                )
            return code
        except IntegrityError:
            continue
    raise RuntimeError("could not draw an unused receipt code")  # pragma: no cover


def feedback_release_due(*, organisation: Organisation, today: dt.date | None = None) -> int:
    """Release the practice's held feedback if its rule says so; the number released."""
    today = today or _today()
    channel = channel_get_or_create(organisation=organisation)
    rule = ReleaseRule(min_batch=channel.min_batch, max_wait_days=channel.max_wait_days)
    with transaction.atomic():
        held = list(HeldFeedback.objects.select_for_update().filter(organisation=organisation))
        if not due_for_release([h.held_week for h in held], today=today, rule=rule):
            return 0
        keep = keep_roles([h.role for h in held])
        batch = uuid.uuid4()
        week = week_of(today)
        for h in shuffled(held):
            Feedback.objects.create(
                organisation=organisation,
                batch=batch,
                released_week=week,
                topic=h.topic,
                role=h.role if keep else "",
                text=h.text,
                receipt_lookup=h.receipt_lookup,
                receipt_hash=h.receipt_hash,
            )
        HeldFeedback.objects.filter(pk__in=[h.pk for h in held]).delete()
        audit_record(
            actor=None,
            organisation=organisation,
            entity="feedback_batch",
            entity_id=batch,
            verb="released",
            after={"count": len(held), "week": week.isoformat()},
        )
    return len(held)


def _add_message(feedback: Feedback, *, from_practice: bool, text: str, today: dt.date) -> Message:
    last = feedback.messages.aggregate(m=Max("position"))["m"] or 0
    return Message.objects.create(
        feedback=feedback,
        position=last + 1,
        from_practice=from_practice,
        text=text,
        week=week_of(today),
    )


def feedback_reply(
    *, actor, feedback: Feedback, text: str, today: dt.date | None = None
) -> Message:
    text = _check_text(text)
    with transaction.atomic():
        message = _add_message(feedback, from_practice=True, text=text, today=today or _today())
        if feedback.status == Status.NEW:
            feedback.status = Status.ACKNOWLEDGED
            feedback.version += 1
            feedback.save(update_fields=["status", "version"])
        audit_record(
            actor=actor,
            organisation=feedback.organisation,
            entity="feedback",
            entity_id=feedback.pk,
            verb="replied",
            after={"position": message.position, "text": text},
        )
    return message


def feedback_answer(*, feedback: Feedback, text: str, today: dt.date | None = None) -> Message:
    """The writer's answer to a reply, through their receipt code. Not audited (ADR 22)."""
    text = _check_text(text)
    if not feedback.messages.filter(from_practice=True).exists():
        raise ValidationError({"text": "You can answer once the practice has replied"})
    with transaction.atomic():
        return _add_message(feedback, from_practice=False, text=text, today=today or _today())


def _snapshot(feedback: Feedback) -> dict[str, Any]:
    return {
        "status": feedback.status,
        "we_did": feedback.we_did,
        "show_to_team": feedback.show_to_team,
        "plan_items": sorted(feedback.plan_items.values_list("pk", flat=True)),
        "version": feedback.version,
    }


def feedback_update(
    *,
    actor,
    feedback: Feedback,
    expected_version: int,
    status: str,
    we_did: str,
    show_to_team: bool,
    plan_item_ids: list[int],
) -> Feedback:
    if status not in Status.values:
        raise ValidationError({"status": "Choose a status from the list"})
    we_did = (we_did or "").strip()
    if show_to_team and not we_did:
        raise ValidationError(
            {"we_did": 'Say what you did before showing it on "you said, we did"'}
        )
    items = list(PlanItem.objects.filter(organisation=feedback.organisation, pk__in=plan_item_ids))
    if len(items) != len(set(plan_item_ids)):
        raise ValidationError({"plan_items": "Choose plan items of this practice"})
    with transaction.atomic():
        current = Feedback.objects.select_for_update().get(pk=feedback.pk)
        if current.version != expected_version:
            raise FeedbackConflict(
                "Someone else changed this feedback while you were editing. Nothing was saved."
            )
        before = _snapshot(current)
        current.status = status
        current.we_did = we_did
        current.show_to_team = show_to_team
        current.version += 1
        current.save(update_fields=["status", "we_did", "show_to_team", "version"])
        current.plan_items.set(items)
        audit_record(
            actor=actor,
            organisation=current.organisation,
            entity="feedback",
            entity_id=current.pk,
            verb="updated",
            before=before,
            after=_snapshot(current),
        )
    return current


def channel_update(
    *, actor, organisation: Organisation, min_batch: int, max_wait_days: int, readers: str
) -> Channel:
    errors = {}
    if not MIN_BATCH <= min_batch <= MAX_BATCH:
        errors["min_batch"] = f"Enter a number from {MIN_BATCH} to {MAX_BATCH}"
    if not 7 <= max_wait_days <= MAX_WAIT:
        errors["max_wait_days"] = f"Enter a number of days from 7 to {MAX_WAIT}"
    if readers not in Readers.values:
        errors["readers"] = "Choose who may read feedback"
    if errors:
        raise ValidationError(errors)
    channel = channel_get_or_create(organisation=organisation)
    with transaction.atomic():
        before = {
            "min_batch": channel.min_batch,
            "max_wait_days": channel.max_wait_days,
            "readers": channel.readers,
        }
        channel.min_batch, channel.max_wait_days, channel.readers = (
            min_batch,
            max_wait_days,
            readers,
        )
        channel.version += 1
        channel.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            entity="feedback_channel",
            entity_id=channel.pk,
            verb="updated",
            before=before,
            after={"min_batch": min_batch, "max_wait_days": max_wait_days, "readers": readers},
        )
    return channel


def channel_replace_link(*, actor, organisation: Organisation) -> Channel:
    """A new feedback address; the old one stops working at once."""
    channel = channel_get_or_create(organisation=organisation)
    with transaction.atomic():
        channel.link_token = new_link_token()
        channel.version += 1
        channel.save(update_fields=["link_token", "version"])
        audit_record(
            actor=actor,
            organisation=organisation,
            entity="feedback_channel",
            entity_id=channel.pk,
            verb="link_replaced",
            note="The old feedback address no longer works.",
        )
    return channel
