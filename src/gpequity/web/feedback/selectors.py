"""Reads of the feedback area. Who may read feedback is a setting of the practice."""

from __future__ import annotations

from collections import Counter

from django.db.models import QuerySet

from gpequity.feedback import receipt as receipts
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, Role

from .models import Channel, Feedback, HeldFeedback, Readers, Status

READER_ROLES = {
    Readers.LEADS: (),
    Readers.TEAM: (Role.MEMBER,),
    Readers.EVERYONE: (Role.MEMBER, Role.VIEWER),
}
_DUMMY_HASH = receipts.hash_secret("0" * receipts.SECRET_LEN)


def readers_setting(organisation: Organisation) -> str:
    channel = Channel.objects.filter(organisation=organisation).first()
    return channel.readers if channel else Readers.LEADS


def can_read(user, organisation: Organisation) -> bool:
    """Equity leads (and site staff) always; members or viewers of the practice itself when
    the practice's setting lets them. Roles held at a PCN or ICB never do."""
    if access.can(user, organisation, access.MANAGE):
        return True
    if not access.can(user, organisation, access.VIEW):
        return False
    return access.role_at(user, organisation) in READER_ROLES[readers_setting(organisation)]


def channel_by_token(token: str) -> Channel | None:
    if not token or len(token) > 64:
        return None
    return Channel.objects.select_related("organisation").filter(link_token=token).first()


def inbox(organisation: Organisation, *, topic: str = "", status: str = "") -> QuerySet[Feedback]:
    qs = Feedback.objects.filter(organisation=organisation).prefetch_related("messages")
    if topic:
        qs = qs.filter(topic=topic)
    if status:
        qs = qs.filter(status=status)
    return qs


def you_said_we_did(organisation: Organisation) -> QuerySet[Feedback]:
    return Feedback.objects.filter(organisation=organisation, show_to_team=True).exclude(we_did="")


def counts(organisation: Organisation) -> dict:
    """Released feedback by status and topic, and by coarse role where the batch kept roles
    (a property of each stored item, so no view can be subtracted from another)."""
    rows = list(
        Feedback.objects.filter(organisation=organisation).values("status", "topic", "role")
    )
    return {
        "total": len(rows),
        "by_status": Counter(r["status"] for r in rows),
        "by_topic": Counter(r["topic"] for r in rows),
        "by_role": Counter(r["role"] for r in rows if r["role"]),
        "acted_on": sum(1 for r in rows if r["status"] in (Status.ACTED_ON,)),
    }


def thread_for_code(code: str) -> Feedback | HeldFeedback | None:
    """The feedback (released or still held) whose receipt code this is, else None."""
    parts = receipts.split(code)
    if parts is None:
        receipts.check_secret("x", _DUMMY_HASH)  # the same slow work either way
        return None
    lookup, secret = parts
    found = (
        Feedback.objects.filter(receipt_lookup=lookup).first()
        or HeldFeedback.objects.filter(receipt_lookup=lookup).first()
    )
    if found is None:
        receipts.check_secret(secret, _DUMMY_HASH)
        return None
    return found if receipts.check_secret(secret, found.receipt_hash) else None


def known_names(organisation: Organisation) -> list[str]:
    """First and last names of the practice's gpequity users, for the scrubber."""
    from django.contrib.auth import get_user_model

    rows = (
        get_user_model()
        .objects.filter(memberships__organisation=organisation)
        .values_list("first_name", "last_name")
    )
    return [n for pair in rows for n in pair if n]
