"""The demo: a fresh SQLite database with the toolkit, a synthetic PCN and a worked example
of every capability, built through the same services the pages use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, transaction

from gpequity.web.hna.demo import hna_runs
from gpequity.web.orgs import services as org_services
from gpequity.web.orgs.models import OrgKind, Role

DEMO_PASSWORD = "demo-equity-2026"
PRACTICE_ODS = "Y99001"


@dataclass
class DemoInfo:
    practice_ods: str = PRACTICE_ODS
    users: list[tuple[str, str]] = field(default_factory=list)  # (username, what they are)
    extract_dir: str = ""
    hna_dir: str = ""
    as_of: str = ""

    def sign_in_lines(self) -> list[str]:
        lines = [f"Password for every demo account: {DEMO_PASSWORD}"]
        lines += [f"Sign in as {u:<22} ({what})" for u, what in self.users]
        if self.extract_dir:
            lines.append(f"Synthetic extract: {self.extract_dir}")
            lines.append(f"Its health needs assessment: {self.hna_dir}")
            lines.append(
                f"Try: .venv/bin/gpequity hna run {self.extract_dir} --as-of {self.as_of} "
                "--out results/"
            )
        return lines


def _reset_database() -> None:
    db = settings.DATABASES["default"]
    connections.close_all()
    if db["ENGINE"].endswith("sqlite3"):
        from pathlib import Path

        path = Path(db["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        call_command("flush", interactive=False, verbosity=0)


def build_demo(*, reset: bool = True, echo: Callable[[str], None] = print) -> DemoInfo:
    if reset:
        _reset_database()
    echo("Creating the database ...")
    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        info = _organisations_and_people()
    for step in DEMO_STEPS:
        echo(step.__doc__.strip().splitlines()[0])
        with transaction.atomic():
            step(info)
    return info


def _organisations_and_people() -> DemoInfo:
    User = get_user_model()
    icb = org_services.organisation_create(
        kind=OrgKind.ICB, ods_code="QZZ", name="Demo Integrated Care Board"
    )
    pcn = org_services.organisation_create(
        kind=OrgKind.PCN, ods_code="U99001", name="Riverside Primary Care Network", parent=icb
    )
    practice = org_services.organisation_create(
        kind=OrgKind.PRACTICE, ods_code=PRACTICE_ODS, name="Riverside Health Centre", parent=pcn
    )
    org_services.organisation_create(
        kind=OrgKind.PRACTICE, ods_code="Y99002", name="Hillview Surgery", parent=pcn
    )
    info = DemoInfo()
    people = [
        ("lead", "Asha", "Patel", practice, Role.EQUITY_LEAD, "equity lead, Riverside"),
        ("nurse", "Tom", "Okafor", practice, Role.MEMBER, "team member, Riverside"),
        ("manager", "Gill", "Evans", practice, Role.MEMBER, "team member, Riverside"),
        ("partner", "Ruth", "Hughes", practice, Role.VIEWER, "viewer, Riverside"),
        ("pcnlead", "Sam", "Byrne", pcn, Role.NETWORK_LEAD, "network lead, Riverside PCN"),
        ("analyst", "Lee", "Chen", icb, Role.ANALYST, "analyst, Demo ICB"),
    ]
    for username, first, last, org, role, what in people:
        user = User.objects.create_user(
            username=username,
            email=f"{username}@demo.gpequity.invalid",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
        )
        org_services.membership_set(user=user, organisation=org, role=role)
        info.users.append((username, what))
    User.objects.create_user(
        username="admin",
        email="admin@demo.gpequity.invalid",
        password=DEMO_PASSWORD,
        first_name="Site",
        last_name="Admin",
        is_staff=True,
    )
    info.users.append(("admin", "site staff: can import the official toolkit"))
    return info


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _practice():
    from gpequity.web.orgs.models import Organisation

    return Organisation.objects.get(ods_code=PRACTICE_ODS)


# Where the practice stands: Tier 1 done, Tier 2 under way, a start on Achieving.
DEMO_ASSESSMENT = {
    "acc_01": ("embedded", "Reception use the no-ID registration script; audited in March."),
    "hna_01": ("in_place", "Focus group agreed at the partners' meeting, criteria recorded."),
    "well_01": ("in_place", "Fortnightly wellbeing huddle on Tuesday lunchtimes."),
    "acc_02": ("in_place", "Safe Surgeries pledge signed; poster in reception."),
    "val_00": ("embedded", "Dr Patel is the practice lead, with two protected hours a week."),
    "acc_03": ("in_progress", "Online and phone booking open at 8am; walk-in slot being tested."),
    "acc_04": ("in_place", "Face-to-face offered on request at every booking."),
    "acc_06": ("in_progress", "Registration leaflet translated into Polish and Bengali."),
    "acc_08": ("planned", "Language and interpreter fields to be added to new-patient form."),
    "care_01": ("in_progress", "Running the health needs assessment on our extract."),
    "care_02": ("planned", "Targeted BP checks for Core20 patients over 40 from spring."),
    "cont_01": ("in_progress", "Continuity figures shared at the monthly clinical meeting."),
    "miss_01": ("in_progress", "Patients with 3+ missed appointments reviewed weekly."),
    "dig_01": ("not_started", ""),
    "min_01": ("in_place", "Ethnicity recording campaign at every contact since June."),
    "val_01": ("in_place", "Team values session held in September."),
    "acc_09": ("planned", "Double appointments for patients flagged with complex needs."),
}

DEMO_FOCUS = {
    "any": [
        {"imd_decile": {"le": 2}},
        {"homeless": True},
        {"asylum_seeker_or_refugee": True},
        {"interpreter_needed": True},
    ]
}


def _assessment(info: DemoInfo) -> None:
    """Recording a partly completed self-assessment ..."""
    from gpequity.web.assessment import services as assessment

    practice, lead, nurse = _practice(), _user("lead"), _user("nurse")
    for key, (status, notes) in DEMO_ASSESSMENT.items():
        actor = nurse if status in ("in_progress", "planned") else lead
        assessment.assessment_update(
            actor=actor,
            organisation=practice,
            action_key=key,
            status=status,
            notes=notes,
            expected_version=0,
        )
    assessment.evidence_add(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        kind="text",
        text="Mystery-shopper test in March: registered without ID at the first attempt.",
    )
    assessment.evidence_add(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        kind="link",
        url="https://www.nhs.uk/nhs-services/gps/how-to-register-with-a-gp-surgery/",
    )
    assessment.snapshot_take(actor=lead, organisation=practice, name="Baseline, autumn 2026")


def _focus(info: DemoInfo) -> None:
    """Defining the Focus Patient group ..."""
    from gpequity.web.focus import services as focus

    focus.focus_group_save(
        actor=_user("lead"),
        organisation=_practice(),
        criteria=DEMO_FOCUS,
        rationale=(
            "Our practice serves two of the most deprived neighbourhoods in the town and a "
            "hostel; our own data show lower screening and more missed appointments there."
        ),
        data_sources="Practice extract (October 2026), IMD 2019 by LSOA, hostel liaison notes.",
        based_on=0,
    )


def _plan(info: DemoInfo) -> None:
    """Building an action plan with cycles and measurements ..."""
    import datetime as dt
    from decimal import Decimal

    from gpequity.web.plans import services as plans

    practice, lead, nurse, manager = _practice(), _user("lead"), _user("nurse"), _user("manager")
    today = dt.date.today()
    items = [
        (
            "miss_01",
            nurse,
            "Cut repeated missed appointments among Focus patients from 9% to 6% by March.",
            "missingness_high",
            ["9.1", "8.6", "8.0", "7.4", "7.7", "6.9"],
        ),
        (
            "care_02",
            nurse,
            "Record blood pressure for 80% of Core20 patients aged 40+ within 12 months.",
            "bp_recorded_5y",
            ["61", "63", "66", "68"],
        ),
        (
            "acc_08",
            manager,
            "Record main language for 90% of registered patients by next summer.",
            "language_recorded",
            [],
        ),
    ]
    for n, (key, owner, objective, indicator, values) in enumerate(items):
        item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key=key)
        item = plans.plan_item_update(
            actor=lead,
            item=item,
            expected_version=item.version,
            changes={
                "owner": owner,
                "start_date": today - dt.timedelta(days=120),
                "due_date": today + dt.timedelta(days=[90, 10, -5][n]),
                "objective": objective,
                "measure_indicator": indicator,
                "baseline": Decimal(values[0]) if values else None,
                "target": Decimal(["6", "80", "90"][n]),
                "unit": "%",
                "status": "in_progress",
            },
        )
        for i, value in enumerate(values):
            plans.measurement_add(
                actor=owner,
                item=item,
                measured_on=today - dt.timedelta(days=28 * (len(values) - i)),
                value=Decimal(value),
            )
    from gpequity.web.plans.models import PlanItem

    first = PlanItem.objects.get(organisation=practice, action_key="miss_01")
    plans.cycle_add(
        actor=nurse,
        item=first,
        plan="Phone every patient with 2 missed appointments before their next booking.",
        do="Called 34 patients over four weeks; reached 26.",
        study="Missed appointments in this group fell; evening calls reached more people.",
        act="Adopt: move calls to 5-7pm and add a text reminder the day before.",
        started_on=today - dt.timedelta(days=90),
        completed_on=today - dt.timedelta(days=60),
    )
    plans.cycle_add(
        actor=nurse,
        item=first,
        plan="Offer a named clinician to patients who missed 3 or more appointments.",
        started_on=today - dt.timedelta(days=30),
    )


def _extract(info: DemoInfo) -> None:
    """Writing a synthetic practice extract and running the health needs assessment ..."""
    import datetime as dt

    from gpequity import hna
    from gpequity.synth import generate

    demo_dir = settings.VAR_DIR / "demo"
    extract = demo_dir / "extract"
    as_of = dt.date.today()
    generate(9_500, seed=2026, as_of=as_of, out=extract)
    result = hna.run(extract, as_of=as_of, focus=DEMO_FOCUS)
    result.write(demo_dir / "hna")
    info.extract_dir = str(extract)
    info.hna_dir = str(demo_dir / "hna")
    info.as_of = as_of.isoformat()


# Each docstring's first line is printed as progress.
DEMO_STEPS: list[Callable[[DemoInfo], None]] = [_assessment, _focus, _plan, _extract, hna_runs]
DEMO_STEPS.append(__import__("gpequity.web.feedback.demo", fromlist=["x"]).demo_feedback)
DEMO_STEPS.append(__import__("gpequity.web.casestudies.demo", fromlist=["_"]).case_studies)

# The directory of local services (issue 17).
DEMO_STEPS.append(__import__("gpequity.web.directory.demo", fromlist=["build"]).build)
DEMO_STEPS.append(__import__("gpequity.web.engagement.demo", fromlist=["demo_step"]).demo_step)
DEMO_STEPS.append(__import__("gpequity.web.network.demo", fromlist=["_"]).network_demo)
DEMO_STEPS.append(__import__("gpequity.web.network.board_demo", fromlist=["_"]).demo_step)
