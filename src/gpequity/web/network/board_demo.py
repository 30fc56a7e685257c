"""Demo content for the board report (ADR 27): monthly needs-assessment results for the demo
network's practices, so the board report's gap trends have 15 or more points and show an
XmR chart on first sign-in.

Running the engine over a fresh synthetic extract every month would take minutes; instead
each month's counts (patients with ethnicity recorded, by deprivation fifth) are drawn from
a seeded random process in which a recording campaign slowly narrows the most deprived
fifth's gap, and stored as a finished run through the same statistics a run uses
(``gpequity.hna.results``). Each run says in its notes that it is demo monthly results.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from types import SimpleNamespace

MONTHS = 18
DEMO_NOTE = "Demo monthly results made for the board report's trend charts, not from an extract."
QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5")
INDICATOR = "ethnicity_recorded"


def store_run(practice, as_of: dt.date, counts: Iterable, *, by=None, notes=()):
    """A finished HNA run of ``practice`` holding the rows worked out from ``counts``
    (``gpequity.hna.results.GroupCount``), stored exactly as a run's results are."""
    from gpequity.benchmark import indicator_info
    from gpequity.hna.indicators import default_indicators
    from gpequity.hna.results import gradient_rows, indicator_rows
    from gpequity.web.hna import runs
    from gpequity.web.hna.models import Run, RunStatus

    definitions = default_indicators()
    info = indicator_info(definitions)
    counts = list(counts)
    rows = indicator_rows(counts, info)
    gradients, gradient_notes = gradient_rows(counts, info)
    run = Run.objects.create(
        organisation=practice,
        as_of=as_of,
        status=RunStatus.RUNNING,
        created_by=by,
        upload_names="",
    )
    result = SimpleNamespace(
        definitions=definitions,
        run_info=None,
        indicator_rows=rows,
        gradient_rows=gradients,
        validation=None,
        notes=[*notes, *gradient_notes],
        warnings=[],
        imd_attribution="",
    )
    runs._store(run, 1, result)
    run.refresh_from_db()
    return run


def recording_counts(
    *, patients: int, q1_gap: float, rng: random.Random, base: float = 0.9
) -> list:
    """Patients with ethnicity recorded by deprivation fifth: every fifth near ``base``, the
    most deprived ``q1_gap`` below it, with a little binomial noise."""
    from gpequity.hna.results import GroupCount

    per = patients // len(QUINTILES)
    out = []
    total_n = total_d = 0
    for q in QUINTILES:
        rate = base - (q1_gap if q == "Q1" else 0.0)
        n = sum(1 for _ in range(per) if rng.random() < rate)
        out.append(GroupCount(INDICATOR, "imd_quintile", q, n, per))
        total_n += n
        total_d += per
    out.append(GroupCount(INDICATOR, "overall", "all", total_n, total_d))
    return out


def months_back(today: dt.date, months: int) -> dt.date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1)


def monthly_runs(practice, *, today: dt.date, months: int = MONTHS, seed: int = 19, by=None):
    """``months`` monthly runs of ``practice`` ending last month, the Q1 gap narrowing from
    about 20 to about 8 points."""
    rng = random.Random(f"{seed}-{practice.ods_code}")
    out = []
    for i in range(months):
        gap = 0.20 - 0.12 * i / max(months - 1, 1)
        counts = recording_counts(patients=2000, q1_gap=gap, rng=rng)
        out.append(
            store_run(
                practice,
                months_back(today, months - i),
                counts,
                by=by,
                notes=(DEMO_NOTE,),
            )
        )
    return out


def demo_step(info) -> None:
    """Storing monthly results for the board report's trend charts ..."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gpequity.web.hna.models import Run
    from gpequity.web.orgs import access
    from gpequity.web.orgs.models import Organisation, OrgKind

    from . import services

    today = timezone.localdate()
    admin = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
    for network in Organisation.objects.filter(kind=OrgKind.PCN):
        lead = network.memberships.filter(role="network_lead").first()
        if lead is None:
            continue
        sharing = access.shared_practices(lead.user, network, access.HNA)
        without_runs = access.practices_below(network).exclude(
            pk__in=Run.objects.values("organisation")
        )
        if not sharing.exists() and without_runs.exists() and admin is not None:
            # Nobody shares HNA results with the network yet: a practice with no results of
            # its own does, so the board report has a gap to chart.
            services.sharing_update(
                actor=admin,
                organisation=without_runs.order_by("name").first(),
                settings={"hna_to_pcn": True, "hna_to_icb": True},
            )
        # Only practices without real results get demo months, so no practice's own
        # results are mixed with made-up ones.
        for practice in access.shared_practices(lead.user, network, access.HNA).exclude(
            pk__in=Run.objects.values("organisation")
        ):
            monthly_runs(practice, today=today, months=MONTHS)
