"""Data for the reports tests: a practice with an assessment, a plan, cycles, measurements,
a Focus group and a snapshot, all created through the areas' own services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gpequity.web.assessment import services as assessment_services
from gpequity.web.focus.models import FocusGroupVersion
from gpequity.web.orgs.models import Role
from gpequity.web.plans import services as plan_services
from tests.factories import PracticeFactory, member

FOCUS_CRITERIA = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}
FOCUS_TEXT = "Patients living in the two most deprived tenths of areas, or who are homeless"


def filled_practice(name: str = "Riverside Surgery", ods_code: str = "R12345"):
    """A practice with one of everything; returns (org, lead, member_user, pack actions used)."""
    from gpequity.web.reports.selectors import load_pack_for

    org = PracticeFactory(name=name, ods_code=ods_code)
    lead = member(org, Role.EQUITY_LEAD, username=f"lead-{ods_code.lower()}")
    lead.first_name, lead.last_name = "Asha", "Patel"
    lead.save()
    helper = member(org, Role.MEMBER, username=f"helper-{ods_code.lower()}")
    pack = load_pack_for(org)
    first, second, third = pack.actions[0], pack.actions[1], pack.actions[2]
    common = {"actor": lead, "organisation": org}
    assessment_services.snapshot_take(**common, name="Baseline 2024")
    assessment_services.assessment_update(
        **common, action_key=first.key, status="in_place", notes="Done in March", expected_version=0
    )
    assessment_services.assessment_update(
        **common, action_key=second.key, status="in_progress", notes="", expected_version=0
    )
    item = plan_services.plan_item_adopt(**common, action_key=third.key)
    item = plan_services.plan_item_update(
        actor=lead,
        item=item,
        expected_version=item.version,
        changes={
            "owner": helper,
            "start_date": date(2025, 1, 6),
            "due_date": date(2025, 6, 30),
            "objective": "Record ethnicity for more patients",
            "measure_text": "Share of patients with ethnicity recorded",
            "baseline": Decimal("41.5"),
            "target": Decimal("60"),
            "status": "in_progress",
        },
    )
    plan_services.cycle_add(actor=lead, item=item, plan="Ask at every contact", do="Asked")
    plan_services.measurement_add(
        actor=lead, item=item, measured_on=date(2025, 3, 1), value=Decimal("47.25"), note="Q1"
    )
    return org, lead, helper, (first, second, third)


def save_focus(org, lead):
    """A saved Focus group version (made directly: the reports only read it)."""
    return FocusGroupVersion.objects.create(
        organisation=org,
        version=1,
        criteria=FOCUS_CRITERIA,
        description_text=FOCUS_TEXT,
        rationale="Our health needs assessment showed the widest gaps for these patients.",
        data_sources="Practice register with IMD 2019 deciles by postcode",
        created_by=lead,
    )
