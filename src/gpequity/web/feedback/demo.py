"""The demo's anonymous staff feedback: a released batch with a reply, and one still held.

The demo fixes one receipt code so that someone trying the demo can read the reply; real
codes are random and shown once (ADR 22).
"""

from __future__ import annotations

import datetime as dt

from gpequity.feedback import receipt, week_of

DEMO_RECEIPT = "DEM0-C0DE-READ-REP1"

RELEASED = [
    (
        "access",
        "People who ring at 8am for an interpreter are told to call back, and most give up. "
        "Could interpreter bookings be taken at any time of day?",
    ),
    (
        "reception",
        "The check-in screen only offers English. Several patients ask the desk to read it "
        "for them, which means saying their business out loud in a full waiting room.",
    ),
    (
        "unfair",
        "Patients from the hostel are often asked for proof of address even though we do not "
        "need it to register them. It puts people off coming back.",
    ),
    (
        "team",
        "New reception staff are not shown the no-ID registration script until their second "
        "month. A short handover on day one would help.",
    ),
]
HELD = (
    "communication",
    "Text reminders go out only in English; a short version in Polish would help a lot of our "
    "patients.",
)


def demo_feedback(info) -> None:
    """Collecting anonymous staff feedback (demo receipt code DEM0-C0DE-READ-REP1) ..."""
    from django.contrib.auth import get_user_model

    from gpequity.web.orgs.models import Organisation
    from gpequity.web.plans.models import PlanItem

    from . import services
    from .models import Feedback

    practice = Organisation.objects.get(ods_code=info.practice_ods)
    lead = get_user_model().objects.get(username="lead")
    channel = services.channel_get_or_create(organisation=practice)
    released_on = dt.date.today() - dt.timedelta(days=14)
    codes = [
        services.feedback_submit(
            channel=channel, topic=topic, role="", text=text, today=released_on
        )
        for topic, text in RELEASED
    ]
    services.feedback_release_due(organisation=practice, today=released_on)
    lookup, _ = receipt.split(codes[1])
    first = Feedback.objects.get(receipt_lookup=lookup)
    demo_lookup, demo_secret = receipt.split(DEMO_RECEIPT)
    first.receipt_lookup, first.receipt_hash = demo_lookup, receipt.hash_secret(demo_secret)
    first.save(update_fields=["receipt_lookup", "receipt_hash"])
    services.feedback_reply(
        actor=lead,
        feedback=first,
        text="Thank you for raising this. We have asked the supplier to add Polish, Bengali and "
        "Urdu, and until then reception will offer to check people in at the side desk. "
        "Which other languages would help most?",
        today=week_of(dt.date.today()),
    )
    plan_item = PlanItem.objects.filter(organisation=practice).first()
    hostel = Feedback.objects.get(organisation=practice, topic="unfair")
    services.feedback_update(
        actor=lead,
        feedback=hostel,
        expected_version=hostel.version,
        status="acted_on",
        we_did="Reception were reminded that no proof of address is needed, and the hostel "
        "now has a registration card with our no-ID policy on it.",
        show_to_team=True,
        plan_item_ids=[plan_item.pk] if plan_item else [],
    )
    services.feedback_submit(channel=channel, topic=HELD[0], role="", text=HELD[1])
