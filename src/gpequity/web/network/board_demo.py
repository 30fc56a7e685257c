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


def store_run(
    practice, as_of: dt.date, counts: Iterable, *, by=None, notes=(), gradients: bool = True
):
    """A finished HNA run of ``practice`` holding the rows worked out from ``counts``
    (``gpequity.hna.results.GroupCount``), stored exactly as a run's results are (without
    the gradients, which take long to simulate, when ``gradients`` is false)."""
    from gpequity.benchmark import indicator_info
    from gpequity.hna.indicators import default_indicators
    from gpequity.hna.results import gradient_rows, indicator_rows
    from gpequity.web.hna import runs
    from gpequity.web.hna.models import Run, RunStatus

    definitions = default_indicators()
    info = indicator_info(definitions)
    counts = list(counts)
    rows = indicator_rows(counts, info)
    gradients, gradient_notes = gradient_rows(counts, info) if gradients else ([], [])
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


HISTORY_NOTE = (
    "Demo monthly results between and before the practice's two assessments, made for the "
    "board report's trend charts, not from an extract."
)
HISTORY_BEFORE = 9  # monthly results before the first assessment


def history_counts(before_rows, now_rows, kinds, t: float, rng: random.Random) -> list:
    """One month's counts for every indicator and group: ``t`` of the way from the earlier
    assessment's rates to the later one's (0 before it), over the later one's list size,
    with binomial-sized noise; each group kept inside its indicator's total (the group and
    everyone else both possible)."""
    from gpequity.hna.results import GroupCount

    earlier = {(r["indicator"], r["grouping"], r["group"]): r for r in before_rows}

    def drawn(r) -> float:
        d = int(r["denominator"] or 0)
        if d == 0:
            return 0
        rate_now = float(r["numerator"]) / d
        b = earlier.get((r["indicator"], r["grouping"], r["group"]))
        rate_before = (
            float(b["numerator"]) / b["denominator"] if b and b["denominator"] else rate_now
        )
        rate = rate_before + t * (rate_now - rate_before)
        if kinds.get(r["indicator"]) == "mean":
            return rate * d * (1 + rng.gauss(0, 0.01))
        rate = min(max(rate, 0.0), 1.0)
        return min(max(round(rng.gauss(d * rate, (d * rate * (1 - rate)) ** 0.5)), 0), d)

    totals = {
        r["indicator"]: (drawn(r), int(r["denominator"] or 0))
        for r in now_rows
        if r["grouping"] == "overall"
    }
    out = []
    for r in now_rows:
        d = int(r["denominator"] or 0)
        if r["grouping"] == "overall":
            n = totals[r["indicator"]][0]
        else:
            n = drawn(r)
            total_n, total_d = totals.get(r["indicator"], (n, d))
            if kinds.get(r["indicator"]) == "mean":
                n = min(n, total_n)
            else:
                n = min(max(n, d - (total_d - total_n), 0), total_n, d)
        out.append(GroupCount(r["indicator"], r["grouping"], r["group"], n, d))
    return out


def monthly_history(practice, *, seed: int = 19, by=None) -> list:
    """Monthly results for a practice with exactly two assessments: ``HISTORY_BEFORE``
    months before the first at its rates, and every month between the two moving from the
    first's rates to the second's; the two assessments stay its own. None otherwise."""
    from gpequity.web.hna import selectors
    from gpequity.web.hna.models import Run, RunStatus

    runs = list(Run.objects.filter(organisation=practice, status=RunStatus.DONE).order_by("as_of"))
    if len(runs) != 2:
        return []
    before, now = runs
    kinds = {d["id"]: d.get("kind", "proportion") for d in now.definitions or []}
    before_rows, now_rows = selectors.indicator_rows(before), selectors.indicator_rows(now)
    rng = random.Random(f"{seed}-history-{practice.ods_code}")
    span = (now.as_of - before.as_of).days
    dates = [(months_back(before.as_of, k), 0.0) for k in range(HISTORY_BEFORE, 0, -1)]
    k = 1
    while (day := months_back(now.as_of, k)) > before.as_of:
        dates.append((day, (day - before.as_of).days / span))
        k += 1
    out = []
    for day, t in sorted(dates):
        counts = history_counts(before_rows, now_rows, kinds, t, rng)
        out.append(store_run(practice, day, counts, by=by, notes=(HISTORY_NOTE,), gradients=False))
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
        # Practices sharing their two assessments with the PCN get the months around them,
        # so the board's gap trends have 15 or more points: an XmR chart on first sign-in.
        for practice in access.shared_practices(lead.user, network, access.HNA).order_by(
            "ods_code"
        ):
            monthly_history(practice)
