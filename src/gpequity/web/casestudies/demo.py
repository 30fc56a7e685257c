"""Demo case studies for `gpequity demo`: seven published ones from fictional practices
across tiers and themes (one of them old enough to be due for review), one waiting for a
reviewer, and one draft written up from the demo practice's own plan. All text is
invented for the demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from gpequity.casestudies import checklist
from gpequity.web.orgs import services as org_services
from gpequity.web.orgs.models import Organisation, OrgKind

from . import services

ALL_CHECKS = dict.fromkeys(checklist.KEYS, True)

# (ODS code, practice name, PCN ODS, PCN name, ICB ODS, ICB name)
PLACES = {
    "north": ("Y98101", "Millbrook Lane Practice", "U98101", "Tyneside West PCN",
              "QZY", "Demo North Integrated Care Board"),
    "coast": ("Y98102", "Seagate Medical Group", "U98102", "East Coast Towns PCN",
              "QZX", "Demo Coastal Integrated Care Board"),
    "city": ("Y98103", "Canal Street Health Centre", "U98103", "Canal and Docks PCN",
             "QZW", "Demo City Integrated Care Board"),
}  # fmt: skip

STORIES = [
    {
        "place": "north",
        "months_ago": 3,
        "title": "Registering people without proof of address",
        "action_keys": ["acc_01"],
        "region": "north_east_yorkshire",
        "setting": "urban",
        "groups": ["homeless", "asylum_seeker_or_refugee"],
        "problem": (
            "Reception turned away about one person a week who could not show a utility "
            "bill or passport. Most were sofa-surfing or newly arrived, and many then went "
            "to the emergency department for things a GP could have handled."
        ),
        "what_was_done": (
            "- Rewrote the registration script so reception never asks for proof of "
            "address or identity\n- Put the practice address on the form for people with "
            "no fixed address\n- Ran a 40-minute team huddle with role play of the hard "
            "conversations"
        ),
        "partners": "The local homelessness day centre checked the new script.",
        "engagement_level": "consult",
        "community_involvement": (
            "Six day-centre visitors read the new leaflet and told us which words put them off."
        ),
        "cost_amount": Decimal("0"),
        "funding": "None needed: staff time only.",
        "staff_time": "About 6 hours of the practice manager's time, plus one team huddle",
        "duration": "2 months",
        "measure": "People turned away at registration each month",
        "unit": "people",
        "baseline_value": Decimal("4"),
        "outcome_value": Decimal("0"),
        "baseline": "Reception's own log showed four people turned away in the month before.",
        "outcomes": (
            "No one has been turned away in the five months since. 23 people registered "
            "using the practice address."
        ),
        "evaluated": True,
        "evaluation": "A monthly count from the reception log, checked by the practice manager.",
        "evaluated_by": "The practice team",
        "key_learning": (
            "The script mattered more than the policy. Staff were already willing; they "
            "needed words to use."
        ),
        "to_repeat": "A team huddle, a printed script at each desk and a simple monthly count.",
    },
    {
        "place": "coast",
        "months_ago": 7,
        "title": "Text reminders in the languages patients read",
        "action_keys": ["acc_08", "acc_06"],
        "region": "east",
        "setting": "coastal",
        "groups": ["interpreter_needed", "minoritised_ethnic"],
        "problem": (
            "One in nine registered patients has a main language other than English, but "
            "every reminder went out in English. Missed appointments in this group were "
            "nearly double the practice rate."
        ),
        "what_was_done": (
            "We recorded main language at every contact for three months, then sent "
            "appointment reminders in Polish, Lithuanian and Portuguese using "
            "templates checked by community volunteers."
        ),
        "partners": "A local community interpreting charity checked every template.",
        "engagement_level": "involve",
        "community_involvement": (
            "Volunteers from two community groups rewrote the templates in everyday "
            "language and tested them on their phones."
        ),
        "cost_amount": Decimal("350"),
        "funding": "PCN inequalities budget.",
        "staff_time": "A care navigator for half a day a week during setup",
        "duration": "6 months",
        "measure": "Did-not-attend rate, patients whose main language is not English",
        "unit": "%",
        "baseline_value": Decimal("11.8"),
        "outcome_value": Decimal("7.9"),
        "outcomes": "The missed-appointment rate in the group fell by about a third.",
        "evaluated": True,
        "evaluation": (
            "Monthly did-not-attend rate from the clinical system, compared with the "
            "six months before."
        ),
        "evaluated_by": "The PCN data analyst",
        "key_learning": "Recording language first made everything after it possible.",
        "to_repeat": "Language recorded for most patients, and someone to check translations.",
    },
    {
        "place": "city",
        "months_ago": 10,
        "title": "Saturday blood pressure checks at the mosque and the community centre",
        "action_keys": ["care_02"],
        "region": "midlands",
        "setting": "urban",
        "groups": ["core20", "minoritised_ethnic"],
        "core20plus5": ["hypertension"],
        "problem": (
            "Fewer than six in ten patients over 40 in our most deprived streets had a "
            "blood pressure reading in the last five years."
        ),
        "what_was_done": (
            "A healthcare assistant and a volunteer ran drop-in checks after Saturday "
            "prayers and at a community centre lunch club, with readings entered into "
            "the record the same day."
        ),
        "partners": "The mosque's welfare committee and the community centre.",
        "engagement_level": "collaborate",
        "community_involvement": "Both venues chose the times and spread the word themselves.",
        "cost_amount": Decimal("2400"),
        "funding": "Two blood pressure monitors and overtime, from the ICB's Core20PLUS5 fund.",
        "staff_time": "A healthcare assistant for 3 hours on 12 Saturdays",
        "duration": "3 months",
        "measure": "Blood pressure recorded in 5 years (age 40+), Core20 patients",
        "unit": "%",
        "baseline_value": Decimal("58"),
        "outcome_value": Decimal("71"),
        "outcomes": "312 checks; 41 people with a high reading were booked for follow-up.",
        "evaluated": True,
        "evaluation": "Before-and-after audit of the practice's own figures.",
        "evaluated_by": "The practice and the ICB population health team",
        "key_learning": "Going where people already are beat any number of invitation letters.",
        "to_repeat": "A trusted venue, a portable monitor and same-day follow-up bookings.",
    },
    {
        "place": "north",
        "months_ago": 14,
        "title": "A named GP for patients with the most complex needs",
        "action_keys": ["acc_14", "cont_06"],
        "region": "north_east_yorkshire",
        "setting": "urban",
        "groups": ["multiple_complex_needs", "drug_alcohol_dependence"],
        "problem": (
            "Patients with several long-term conditions and addiction saw a different "
            "clinician almost every time and often gave up on the practice."
        ),
        "what_was_done": (
            "Each of 60 patients was given a named GP and a double appointment whenever "
            "they asked. A weekly ten-minute huddle reviewed anyone who had not been seen."
        ),
        "partners": "The community drug and alcohol service joined the huddle monthly.",
        "engagement_level": "involve",
        "cost_amount": Decimal("0"),
        "staff_time": "Ten minutes a week for the huddle; longer appointments",
        "duration": "12 months",
        "measure": "Continuity of GP care (UPC)",
        "baseline_value": Decimal("0.31"),
        "outcome_value": Decimal("0.58"),
        "outcomes": "Continuity nearly doubled and emergency admissions in the group fell.",
        "evaluated": False,
        "key_learning": "Protecting the named GP's time was harder than setting it up.",
        "to_repeat": "Agreement from the partners to hold appointments back each week.",
    },
    {
        "place": "coast",
        "months_ago": 18,
        "title": "Finding patients who cannot get online",
        "action_keys": ["dig_01"],
        "region": "east",
        "setting": "rural",
        "groups": ["digitally_excluded"],
        "problem": (
            "After online booking opened, phone queues grew and older patients in "
            "outlying villages told us they felt shut out."
        ),
        "what_was_done": (
            "We searched for patients with two or more appointments and no online "
            "booking, then phoned them to ask what would help. Those who wanted it got a "
            "one-to-one session with the library's digital champion."
        ),
        "partners": "The county library service.",
        "engagement_level": "consult",
        "cost_amount": Decimal("600"),
        "funding": "Small grant from the district council.",
        "staff_time": "A receptionist for 2 hours a week",
        "duration": "4 months",
        "outcomes": (
            "Of 140 patients called, 52 took up a session and 30 now book online. The rest "
            "have a flag so reception keeps phone slots for them."
        ),
        "evaluated": True,
        "evaluation": "A short phone survey before and after.",
        "evaluated_by": "The practice manager",
        "key_learning": "Asking first avoided pushing people who simply preferred the phone.",
        "to_repeat": "A clinical-system search and a local digital skills partner.",
    },
    {
        "place": "city",
        "months_ago": 4,
        "title": "A wellbeing check-in that the team actually uses",
        "action_keys": ["well_01"],
        "region": "midlands",
        "setting": "urban",
        "groups": ["staff"],
        "problem": "Sickness absence in the reception team had doubled in a year.",
        "what_was_done": (
            "A fortnightly 15-minute check-in, chaired in turn by team members, with one "
            "question: what got in the way of good work this fortnight?"
        ),
        "engagement_level": "co_produce",
        "community_involvement": "The reception team designed the format and run it.",
        "cost_amount": Decimal("0"),
        "staff_time": "15 minutes a fortnight for the whole team",
        "duration": "Ongoing; first reviewed after 6 months",
        "outcomes": "Sickness absence fell back to its earlier level within six months.",
        "evaluated": False,
        "key_learning": "The team owning it mattered more than any wellbeing offer from outside.",
        "to_repeat": "Protected time and a manager willing to act on what is said.",
    },
    {
        "place": "north",
        "months_ago": 26,  # published over two years ago: due for review
        "title": "Cervical screening walk-in evenings",
        "action_keys": ["acc_19", "care_16"],
        "region": "north_east_yorkshire",
        "setting": "urban",
        "groups": ["core20", "minoritised_ethnic"],
        "problem": "Screening uptake among women in the most deprived postcodes lagged badly.",
        "what_was_done": "Monthly walk-in screening evenings run by female nurses.",
        "engagement_level": "consult",
        "cost_amount": Decimal("5200"),
        "funding": "ICB health inequalities fund.",
        "duration": "12 months",
        "measure": "Cervical screening coverage, Core20 women",
        "unit": "%",
        "baseline_value": Decimal("61"),
        "outcome_value": Decimal("69"),
        "outcomes": "Coverage rose eight points over the year.",
        "evaluated": True,
        "evaluation": "Quarterly coverage from the practice's own extract.",
        "evaluated_by": "The practice's nurse lead",
        "key_learning": "Evening times and female staff mattered most to the women we asked.",
        "to_repeat": "Nurse time in the evening and a room that feels private.",
    },
]

IN_REVIEW = {
    "title": "Proxy addresses for people living on boats",
    "action_keys": ["acc_13"],
    "region": "east",
    "setting": "rural",
    "groups": ["gypsy_roma_traveller"],
    "problem": "Boat dwellers on the river could not register without a postal address.",
    "what_was_done": "We agreed a proxy address with the marina office.",
    "outcomes": "Nine people registered in the first two months.",
    "cost_amount": Decimal("0"),
}


def _org(kind, ods, name, parent=None) -> Organisation:
    found = Organisation.objects.filter(ods_code=ods).first()
    return found or org_services.organisation_create(
        kind=kind, ods_code=ods, name=name, parent=parent
    )


def _place(key: str) -> Organisation:
    ods, name, pcn_ods, pcn_name, icb_ods, icb_name = PLACES[key]
    icb = _org(OrgKind.ICB, icb_ods, icb_name)
    pcn = _org(OrgKind.PCN, pcn_ods, pcn_name, icb)
    return _org(OrgKind.PRACTICE, ods, name, pcn)


def case_studies(info) -> None:
    """Writing the case-study library ..."""
    from gpequity.web.plans.models import PlanItem

    User = get_user_model()
    admin = User.objects.get(username="admin")
    reviewer = User.objects.create_user(
        username="reviewer",
        email="reviewer@demo.gpequity.invalid",
        password="demo-equity-2026",
        first_name="Mo",
        last_name="Reid",
    )
    services.reviewer_grant(actor=admin, user=reviewer)
    info.users.append(("reviewer", "case-study reviewer"))
    today = dt.date.today()
    common = {"sponsorship": "None", "consent_to_publish": True}
    for story in STORIES:
        fields = {k: v for k, v in story.items() if k not in ("place", "months_ago")}
        org = _place(story["place"])
        case = services.case_study_create(actor=admin, organisation=org, fields=fields | common)
        for action in ("submit", "start_review"):
            actor = admin if action == "submit" else reviewer
            case = services.case_study_transition(actor=actor, case_study=case, action=action)
        services.case_study_transition(
            actor=reviewer,
            case_study=case,
            action="publish",
            checks=ALL_CHECKS,
            on=today - dt.timedelta(days=round(30.4 * story["months_ago"])),
        )
    services.mark_reviews_due(on=today)

    hillview = Organisation.objects.get(ods_code="Y99002")
    waiting = services.case_study_create(
        actor=admin, organisation=hillview, fields=IN_REVIEW | common
    )
    waiting = services.case_study_transition(actor=admin, case_study=waiting, action="submit")
    waiting = services.case_study_transition(
        actor=reviewer, case_study=waiting, action="start_review"
    )
    services.review_note_add(
        actor=reviewer,
        case_study=waiting,
        text="Thanks: this is clear. Could you say how the marina office forwards post?",
    )

    practice = Organisation.objects.get(ods_code=info.practice_ods)
    lead = User.objects.get(username="lead")
    item = PlanItem.objects.get(organisation=practice, action_key="miss_01")
    services.case_study_from_plan_item(actor=lead, item=item)
