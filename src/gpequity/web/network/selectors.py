"""Reads of the network area: a practice's sharing settings, and a network's view of its
practices. Every read of practices' data goes through access.shared_practices and fetches all
practices at once (a bounded number of queries, whatever their number)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery

from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, OrgKind

from .models import SharingSettings


def sharing_for(practice: Organisation) -> SharingSettings:
    """The practice's settings, or the defaults (unsaved) when its lead never chose."""
    row = SharingSettings.objects.filter(organisation=practice).first()
    return row if row is not None else SharingSettings(organisation=practice)


@dataclass
class Network:
    """A PCN or ICB as one user sees it: every practice below, and which share what."""

    org: Organisation
    audience: str
    practices: list[Organisation]
    shared: dict[str, set[int]] = field(default_factory=dict)

    def shares(self, practice: Organisation, what: str) -> bool:
        return practice.pk in self.shared[what]

    def sharing(self, what: str) -> list[Organisation]:
        return [p for p in self.practices if p.pk in self.shared[what]]

    @property
    def is_icb(self) -> bool:
        return self.org.kind == OrgKind.ICB


def network_for(user, org: Organisation) -> Network | None:
    """The network ``org`` as ``user`` sees it; None when it is not a network they may view."""
    audience = access.network_audience(user, org)
    if audience is None:
        return None
    practices = list(
        access.practices_below(org).select_related("parent").order_by("parent__name", "name")
    )
    shared = {
        what: set(access.shared_practices(user, org, what).values_list("pk", flat=True))
        for what in access.SHARED_THINGS
    }
    return Network(org=org, audience=audience, practices=practices, shared=shared)


def statuses(net: Network) -> dict[int, dict[str, str]]:
    """Each progress-sharing practice's action statuses (one query)."""
    from gpequity.web.assessment.models import AssessmentEntry

    out: dict[int, dict[str, str]] = {pk: {} for pk in net.shared[access.PROGRESS]}
    for org_id, key, status in AssessmentEntry.objects.filter(
        organisation_id__in=net.shared[access.PROGRESS]
    ).values_list("organisation_id", "action_key", "status"):
        out[org_id][key] = status
    return out


def plan_due(net: Network, *, on: dt.date, days: int) -> dict[int, dict[str, list]]:
    """Open plan items overdue and due within ``days`` of each progress-sharing practice:
    titles, status and dates only (one query)."""
    from gpequity.web.plans.models import PlanItem
    from gpequity.web.plans.selectors import OPEN_STATUSES

    out: dict[int, dict[str, list]] = {
        pk: {"overdue": [], "soon": []} for pk in net.shared[access.PROGRESS]
    }
    items = (
        PlanItem.objects.filter(
            organisation_id__in=net.shared[access.PROGRESS],
            status__in=OPEN_STATUSES,
            due_date__lte=on + dt.timedelta(days=days),
        )
        .order_by("due_date", "id")
        .values("organisation_id", "title", "status", "due_date")
    )
    for item in items:
        key = "overdue" if item["due_date"] < on else "soon"
        out[item["organisation_id"]][key].append(item)
    return out


def engagement_bands(net: Network, *, since: dt.date, until: dt.date) -> dict[int, Counter]:
    """Engagement activities started from ``since`` to ``until`` by band, per
    engagement-sharing practice (one query); the board report counts the same period."""
    from gpequity.web.engagement.models import Activity

    out: dict[int, Counter] = {pk: Counter() for pk in net.shared[access.ENGAGEMENT]}
    rows = (
        Activity.objects.filter(
            organisation_id__in=net.shared[access.ENGAGEMENT],
            start_date__gte=since,
            start_date__lte=until,
        )
        .values("organisation_id", "band")
        .annotate(n=Count("id"))
    )
    for row in rows:
        out[row["organisation_id"]][row["band"]] = row["n"]
    return out


def case_studies_published(net: Network) -> dict[int, int]:
    """Published case studies of each progress-sharing practice (one query)."""
    from gpequity.casestudies.workflow import PUBLIC_STATES
    from gpequity.web.casestudies.models import CaseStudy

    out = dict.fromkeys(net.shared[access.PROGRESS], 0)
    rows = (
        CaseStudy.objects.filter(
            organisation_id__in=net.shared[access.PROGRESS],
            state__in=[s.value for s in PUBLIC_STATES],
        )
        .values("organisation_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        out[row["organisation_id"]] = row["n"]
    return out


def latest_runs(net: Network) -> dict[int, object]:
    """The latest finished HNA run of each practice that shares HNA results (one query)."""
    from gpequity.web.hna.models import Run, RunStatus

    latest = (
        Run.objects.filter(organisation=OuterRef("organisation"), status=RunStatus.DONE)
        .order_by("-as_of", "-created_at")
        .values("pk")[:1]
    )
    runs = Run.objects.filter(
        organisation_id__in=net.shared[access.HNA],
        status=RunStatus.DONE,
        pk=Subquery(latest),
    ).only("id", "organisation_id", "as_of", "definitions", "focus_criteria", "finished_at")
    return {r.organisation_id: r for r in runs}


def run_rows(runs: dict[int, object], indicator: str | None = None) -> dict[int, list[dict]]:
    """The exact DATA.md ``indicators`` rows of these runs, per practice (one query). Exact:
    they must go through disclosure control before they are shown."""
    from gpequity.web.hna.models import IndicatorResult
    from gpequity.web.hna.selectors import _INDICATOR_FIELDS

    by_run = {r.pk: org_id for org_id, r in runs.items()}
    kinds = {
        r.pk: {d["id"]: d.get("kind", "proportion") for d in r.definitions or []}
        for r in runs.values()
    }
    qs = IndicatorResult.objects.filter(run_id__in=by_run)
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    out: dict[int, list[dict]] = defaultdict(list)
    for row in qs.order_by("run_id", "position").values("run_id", *_INDICATOR_FIELDS):
        run_id = row.pop("run_id")
        if row["numerator"] is not None and kinds[run_id].get(row["indicator"]) != "mean":
            row["numerator"] = int(row["numerator"])
        out[by_run[run_id]].append(row)
    return out
