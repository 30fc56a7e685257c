"""Demo content for the engagement area: a year of made-up activities at every level of
participation, what people said and what the practice did, and one evaluation plan with
measurements. Everything goes through the services, as on the pages. Written for gpequity;
the people, places and groups are invented."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import services

PARTNERS = [
    ("Riverside Community Larder", "vcse"),
    ("Healthwatch Riverside", "healthwatch"),
    ("Eastgate Mosque", "faith"),
    ("St Anne's Primary School", "school"),
    ("Riverside Borough Council housing team", "council"),
    ("Polish Saturday Club", "vcse"),
]

# days ago, title, level, hours, methods, stages, partners, accessibility, payment,
# community-led, reach [(grouping, group, count, target)], purpose
ACTIVITIES = [
    (
        350,
        "Leaflet drop about the new phone system",
        "inform",
        "3",
        ["outreach"],
        ["deliver"],
        [],
        ["easy_read"],
        "none",
        False,
        [("core20", "Q1", 400, None)],
        "Tell patients in the estates about the new call-back option.",
    ),
    (
        320,
        "Patient survey on booking appointments",
        "consult",
        "6",
        ["survey"],
        ["plan"],
        ["Healthwatch Riverside"],
        ["interpreters", "easy_read"],
        "none",
        False,
        [
            ("focus_group", "in", 48, 80),
            ("language", "Polish", 14, None),
            ("age_band", "65-79", 31, None),
        ],
        "Find out what stops people getting an appointment.",
    ),
    (
        290,
        "Drop-in at the community larder",
        "involve",
        "4",
        ["event", "outreach"],
        ["plan", "design"],
        ["Riverside Community Larder"],
        ["venue"],
        "voucher",
        False,
        [("focus_group", "in", 22, 20), ("inclusion_health", "homeless", 6, 5)],
        "Hear from people using the larder about what would help them see a GP.",
    ),
    (
        260,
        "Patient participation group: annual plan",
        "involve",
        "2",
        ["ppg"],
        ["plan"],
        [],
        [],
        "expenses",
        False,
        [("age_band", "65-79", 7, None), ("age_band", "40-64", 4, None)],
        "Agree with the group what the practice should work on this year.",
    ),
    (
        230,
        "Health check sessions with the mosque",
        "collaborate",
        "12",
        ["event", "peer_champions"],
        ["design", "deliver"],
        ["Eastgate Mosque"],
        ["interpreters", "venue"],
        "none",
        False,
        [
            ("focus_group", "in", 36, 40),
            ("ethnic_group", "Asian", 52, 50),
            ("language", "Bengali", 18, None),
        ],
        "Plan and run blood pressure checks after Friday prayers together.",
    ),
    (
        200,
        "Co-designing the registration form",
        "co_produce",
        "10",
        ["co_design"],
        ["design", "evaluate"],
        ["Polish Saturday Club"],
        ["interpreters", "easy_read"],
        "payment",
        False,
        [("language", "Polish", 9, 8), ("inclusion_health", "asylum_seeker_or_refugee", 5, 6)],
        "Rewrite the registration form with people who found it hard to use.",
    ),
    (
        170,
        "Text message about flu clinics",
        "inform",
        "1",
        ["other"],
        ["deliver"],
        [],
        [],
        "none",
        False,
        [("age_band", "65-79", 240, None)],
        "Invite older patients to flu clinics.",
    ),
    (
        140,
        "Parents' coffee morning at St Anne's",
        "consult",
        "2",
        ["focus_group"],
        ["plan"],
        ["St Anne's Primary School"],
        ["venue"],
        "none",
        False,
        [("age_band", "18-39", 17, 15), ("core20", "Q1", 12, None)],
        "Ask parents about children's appointments after school.",
    ),
    (
        110,
        "Peer champions' walk-and-talk group",
        "co_produce",
        "16",
        ["peer_champions"],
        ["design", "deliver", "evaluate"],
        ["Riverside Community Larder"],
        ["venue"],
        "expenses",
        True,
        [("focus_group", "in", 19, 15), ("core20", "Q1", 21, 20)],
        "Local people lead weekly walks and bring health questions back to the practice.",
    ),
    (
        80,
        "Housing and health listening event",
        "collaborate",
        "5",
        ["event"],
        ["plan", "design"],
        ["Riverside Borough Council housing team", "Healthwatch Riverside"],
        ["bsl", "venue"],
        "voucher",
        False,
        [("inclusion_health", "homeless", 9, 10), ("focus_group", "in", 27, 30)],
        "Work out with tenants and the council how damp and mould reach the surgery.",
    ),
    (
        45,
        "Survey on the new online booking",
        "consult",
        "3",
        ["survey"],
        ["evaluate"],
        [],
        ["easy_read"],
        "none",
        False,
        [("focus_group", "in", 31, 60), ("age_band", "80+", 6, None)],
        "Check whether online booking works for people in the Focus group.",
    ),
    (
        95,
        "Newsletter: how to get a same-day appointment",
        "inform",
        "2",
        ["other"],
        ["deliver"],
        [],
        ["easy_read"],
        "none",
        False,
        [("core20", "Q1", 150, None)],
        "Explain the new triage system in plain words.",
    ),
    (
        30,
        "Website page on registering without ID",
        "inform",
        "1",
        ["other"],
        ["deliver"],
        [],
        [],
        "none",
        False,
        [],
        "Tell people they can register without proof of address.",
    ),
    (
        20,
        "Youth health panel first meeting",
        "involve",
        "3",
        ["co_design"],
        ["plan"],
        ["St Anne's Primary School"],
        [],
        "voucher",
        True,
        [("age_band", "0-17", 11, 12)],
        "Young people set up a panel to advise the practice.",
    ),
]

OTHER_METHODS = {6: "Text message", 11: "Printed newsletter", 12: "Practice website"}

# days ago raised, activity index, theme, times, response, days to respond, loop days, methods,
# reason, what was done, what changed, due in days (from raised)
INSIGHTS = [
    (
        318,
        1,
        "The 8am phone queue is too long",
        27,
        "will_act",
        20,
        40,
        ["noticeboard", "text"],
        "",
        "Added a call-back option and two more people on the phones from 8 to 10am.",
        "Average wait at 8am fell from 19 to 7 minutes.",
    ),
    (
        318,
        1,
        "Longer appointments for people with interpreters",
        9,
        "will_act",
        25,
        50,
        ["report", "meeting"],
        "",
        "Double appointments are booked automatically when an interpreter is needed.",
        "No interpreter appointments overran in the next quarter.",
    ),
    (
        288,
        2,
        "Registration asks for proof of address",
        6,
        "partly",
        14,
        30,
        ["meeting"],
        "We must check identity for some services, but not to register.",
        "Reception now registers people without proof of address.",
        "Six people registered at the larder.",
    ),
    (
        228,
        4,
        "Women prefer a female clinician for checks",
        11,
        "will_act",
        10,
        21,
        ["meeting", "website"],
        "",
        "A female nurse runs every mosque session.",
        "Twice as many women attended the second session.",
    ),
    (
        198,
        5,
        "Form uses words people do not understand",
        8,
        "will_act",
        7,
        45,
        ["report"],
        "",
        "The form was rewritten and tested with the group.",
        "",
    ),
    (
        138,
        7,
        "No appointments after school pick-up",
        12,
        "cannot_act",
        21,
        35,
        ["noticeboard"],
        "Our building closes at 6pm and the extended-hours service is run by the PCN; we passed "
        "this to them.",
        "",
        "",
    ),
    (
        78,
        9,
        "Damp in flats is making children's asthma worse",
        15,
        "will_act",
        30,
        None,
        [],
        "",
        "Agreed a referral route to the council's housing team.",
        "",
    ),
    (60, 9, "Nobody explains what happens after a referral", 5, None, None, None, [], "", "", ""),
    (
        43,
        10,
        "Online booking needs a phone number people do not have",
        7,
        None,
        None,
        None,
        [],
        "",
        "",
        "",
    ),
    (18, 13, "Young people want to book without a parent", 4, None, None, None, [], "", "", ""),
]


def build(*, organisation, lead, owners, today: dt.date) -> None:
    """Fill ``organisation``'s engagement log as ``lead``; insights are shared among ``owners``."""
    partners = {
        name: services.partner_add(actor=lead, organisation=organisation, name=name, kind=kind)
        for name, kind in PARTNERS
    }
    from gpequity.web.plans.models import PlanItem

    plan_items = {p.action_key: p for p in PlanItem.objects.filter(organisation=organisation)}
    acts = []
    for n, row in enumerate(ACTIVITIES):
        (
            ago,
            title,
            level,
            hours,
            methods,
            stages,
            pnames,
            access_,
            payment,
            led,
            reach,
            purpose,
        ) = row
        start = today - dt.timedelta(days=ago)
        data = {
            "title": title,
            "start_date": start,
            "end_date": start + dt.timedelta(days=56) if "walk" in title.lower() else None,
            "purpose": purpose,
            "level": level,
            "hours": Decimal(hours),
            "methods": methods,
            "method_other": OTHER_METHODS.get(n, ""),
            "stages": stages,
            "partners": [partners[p] for p in pnames],
            "accessibility": access_,
            "interpreter_languages": "Polish, Bengali" if "interpreters" in access_ else "",
            "payment": payment,
            "payment_notes": "£10 voucher each" if payment == "voucher" else "",
            "community_led": led,
            "action_keys": ["acc_01"]
            if "registration" in title.lower()
            else ["care_02"]
            if "health check" in title.lower()
            else [],
            "indicator_ids": ["bp_recorded_5y"] if "health check" in title.lower() else [],
            "plan_items": [plan_items["care_02"]]
            if "health check" in title.lower() and "care_02" in plan_items
            else [],
        }
        if n == 6:  # the flu text: inform, but people chose the clinic times in the survey
            data["band_override"] = "for"
            data["band_override_reason"] = "Clinic times were chosen from the booking survey."
        a = services.activity_create(actor=lead, organisation=organisation, data=data)
        for grouping, group, count, target in reach:
            services.reach_set(
                actor=lead, activity=a, grouping=grouping, group=group, count=count, target=target
            )
        if n in (2, 4, 5, 8):
            services.activity_review(
                actor=lead,
                activity=a,
                reviewed_on=start + dt.timedelta(days=14),
                went_well=[
                    "People came back the following week with friends.",
                    "Working with the mosque's volunteers made people feel at ease.",
                    "The group's own words made the form clearer.",
                    "The walkers ran it themselves from week three.",
                ][[2, 4, 5, 8].index(n)],
                do_differently=[
                    "Bring appointment slots to book on the spot.",
                    "Start earlier in the evening in winter.",
                    "Pay people on the day rather than by bank transfer.",
                    "Ask the council to join a walk.",
                ][[2, 4, 5, 8].index(n)],
            )
        acts.append(a)
    for k, row in enumerate(INSIGHTS):
        (
            ago,
            act_n,
            theme,
            times,
            response,
            respond_days,
            loop_days,
            methods,
            reason,
            done,
            changed,
        ) = row
        raised = today - dt.timedelta(days=ago)
        i = services.insight_create(
            actor=lead,
            organisation=organisation,
            theme=theme,
            raised_on=raised,
            times_raised=times,
            activity=acts[act_n],
            owner=owners[k % len(owners)],
            due_date=raised + dt.timedelta(days=28),
            detail="Summarised from what people said at the session; no one is named.",
        )
        if response:
            i = services.insight_respond(
                actor=lead,
                insight=i,
                response=response,
                responded_on=raised + dt.timedelta(days=respond_days),
                response_reason=reason,
                action_taken=done,
                difference_made=changed,
                plan_item=plan_items.get("miss_01") if "phone" in theme.lower() else None,
            )
        if loop_days:
            services.insight_close_loop(
                actor=lead,
                insight=i,
                loop_closed_on=raised + dt.timedelta(days=loop_days),
                loop_methods=methods,
                loop_notes="Shared back at the next session and on the practice noticeboard.",
            )
    plan = services.evaluation_plan_create(
        actor=lead,
        organisation=organisation,
        data={
            "title": "Blood pressure checks with the Eastgate community",
            "activities": [acts[4], acts[8]],
            "plan_item": plan_items.get("care_02"),
            "inputs": "A nurse for two hours a week, the mosque's hall, six volunteer champions.",
            "activities_text": "Monthly check sessions after Friday prayers; champions invite "
            "friends and family.",
            "outputs": "Sessions held, people checked, people referred to the practice.",
            "outcomes_short": "More adults aged 40+ have a recent blood pressure reading.",
            "outcomes_medium": "People with high readings are diagnosed and treated.",
            "outcomes_long": "Fewer strokes and heart attacks in the community.",
            "impact": "A smaller gap in blood pressure recording between Core20 patients and "
            "the rest of the practice.",
            "assumptions": "People trust checks held in a familiar place with people they know.",
            "external_factors": "Ramadan and winter weather change attendance.",
            "community_involved": True,
            "community_role": "Champions help design the feedback questions and discuss the "
            "results at a community meeting each quarter.",
        },
    )
    measures = [
        (
            {
                "name": "Blood pressure recorded in 5 years, Core20 adults 40+",
                "kind": "outcome",
                "source": "hna",
                "hna_indicator": "bp_recorded_5y",
                "baseline": Decimal("61"),
                "target": Decimal("75"),
                "unit": "%",
            },
            ["61", "62.5", "64", "66", "67.5", "69"],
        ),
        (
            {
                "name": "People checked at sessions",
                "kind": "process",
                "source": "count",
                "target": Decimal("40"),
                "unit": "people",
            },
            ["18", "26", "31", "35", "38", "44"],
        ),
        (
            {
                "name": "Felt the session was for people like them",
                "kind": "experience",
                "source": "survey",
                "source_notes": "Three-question card at the end of each session",
                "baseline": Decimal("70"),
                "target": Decimal("85"),
                "unit": "%",
            },
            ["72", "78", "81", "85"],
        ),
    ]
    for data, values in measures:
        ind = services.indicator_add(actor=lead, plan=plan, data=data)
        for m, value in enumerate(values):
            services.evaluation_measurement_add(
                actor=lead,
                indicator=ind,
                measured_on=today - dt.timedelta(days=30 * (len(values) - m)),
                value=Decimal(value),
            )


def demo_step(info) -> None:
    """Logging a year of community engagement, what people said and an evaluation plan ..."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gpequity.web.orgs.models import Organisation

    users = get_user_model().objects
    build(
        organisation=Organisation.objects.get(ods_code=info.practice_ods),
        lead=users.get(username="lead"),
        owners=[users.get(username=u) for u in ("lead", "manager", "nurse")],
        today=timezone.localdate(),
    )
