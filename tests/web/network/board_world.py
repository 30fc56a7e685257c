"""A PCN whose practices share different things, for the board report tests.

- Alder Surgery shares everything, HNA results included: 15 monthly results (an XmR chart),
  an overdue plan item, work done with people and a published case study.
- Birch Practice is small and shares everything: 3 results, the first before Alder's and so
  tiny on its own that the network's counts at that date are suppressed.
- Cedar Health Centre shares nothing: its plan item, case study and results must not appear.
- Damson Medical Centre shares its progress and engagement but not its HNA results.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from gpequity.hna.results import GroupCount
from gpequity.web.casestudies.models import CaseStudy
from gpequity.web.engagement import services as engagement
from gpequity.web.network import board_demo, services
from gpequity.web.orgs.models import Role
from gpequity.web.plans.models import PlanItem
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, member

TODAY = dt.date(2026, 11, 20)
ALDER_ITEM = "Phone patients who missed screening"
CEDAR_ITEM = "Cedar private plan item about interpreters"
CEDAR_CASE = "Cedar case study about pop-up clinics"
ALDER_CASE = "Alder case study about reception training"


@dataclass
class BoardWorld:
    icb: object
    pcn: object
    lead: object
    analyst: object
    practices: dict
    leads: dict


def tiny_counts() -> list[GroupCount]:
    """A handful of patients per fifth: every count from 1 to 7 once suppressed."""
    out = [GroupCount("ethnicity_recorded", "imd_quintile", q, 3, 6) for q in ("Q2", "Q3")]
    out.append(GroupCount("ethnicity_recorded", "imd_quintile", "Q1", 1, 5))
    out.append(GroupCount("ethnicity_recorded", "overall", "all", 7, 17))
    return out


def board_world(*, alder_months: int = 15) -> BoardWorld:
    icb = ICBFactory(name="Riverbend ICB")
    pcn = PCNFactory(parent=icb, name="Willow PCN")
    names = {
        "alder": "Alder Surgery",
        "birch": "Birch Practice",
        "cedar": "Cedar Health Centre",
        "damson": "Damson Medical Centre",
    }
    # Fixed ODS codes: the demo's monthly results are drawn from a generator seeded with the
    # practice's code, so a code from the factory's sequence (which depends on what ran
    # before in the process) gave different results, and a different largest gap, by order.
    codes = {"alder": "B81001", "birch": "B81002", "cedar": "B81003", "damson": "B81004"}
    practices = {
        k: PracticeFactory(parent=pcn, name=v, ods_code=codes[k]) for k, v in names.items()
    }
    leads = {k: member(p, Role.EQUITY_LEAD) for k, p in practices.items()}
    for key in ("alder", "birch"):
        services.sharing_update(
            actor=leads[key],
            organisation=practices[key],
            settings={"hna_to_pcn": True, "hna_to_icb": True},
        )
    services.sharing_update(
        actor=leads["cedar"],
        organisation=practices["cedar"],
        settings={k: False for k in services.FIELDS},
    )
    board_demo.monthly_runs(practices["alder"], today=TODAY, months=alder_months)
    first = board_demo.months_back(TODAY, alder_months + 1)
    board_demo.store_run(practices["birch"], first, tiny_counts())
    rng = random.Random(5)
    for i in (2, 1):
        board_demo.store_run(
            practices["birch"],
            board_demo.months_back(TODAY, i),
            board_demo.recording_counts(patients=200, q1_gap=0.1, rng=rng),
        )
    for key in ("cedar", "damson"):
        board_demo.monthly_runs(practices[key], today=TODAY, months=3, seed=99)
    PlanItem.objects.create(
        organisation=practices["alder"],
        action_key="acc_01",
        title=ALDER_ITEM,
        due_date=TODAY - dt.timedelta(days=30),
        status="in_progress",
    )
    PlanItem.objects.create(
        organisation=practices["cedar"],
        action_key="acc_01",
        title=CEDAR_ITEM,
        due_date=TODAY - dt.timedelta(days=60),
        status="not_started",
    )
    for key, title in (("alder", ALDER_CASE), ("cedar", CEDAR_CASE)):
        CaseStudy.objects.create(
            organisation=practices[key],
            title=title,
            state="published",
            published_on=TODAY - dt.timedelta(days=10),
        )
    engagement.activity_create(
        actor=leads["alder"],
        organisation=practices["alder"],
        data={
            "title": "Residents' panel on booking",
            "start_date": TODAY - dt.timedelta(days=40),
            "level": "co_produce",
            "hours": 3,
        },
    )
    return BoardWorld(
        icb=icb,
        pcn=pcn,
        lead=member(pcn, Role.NETWORK_LEAD),
        analyst=member(icb, Role.ANALYST),
        practices=practices,
        leads=leads,
    )
