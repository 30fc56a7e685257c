"""The board assurance report of a PCN or ICB: its content, gathered once for the HTML page
and the PDF (ADR 27).

Everything comes from what the practices below the network share with it (the sharing
settings, read through the network access layer): progress (tiers, themes, plan items),
engagement summaries and HNA results. A practice that shares nothing is named as not sharing
and nothing else of it appears; one that shares only some things appears only in those
sections. Every figure about patients above the practice goes through
``gpequity.disclosure``: the network's counts are worked out from the practices' exact
results (``gpequity.benchmark.combine``), then suppressed and rounded before they are shown.
The trend of each gap is an XmR chart (``gpequity.spc``) from 15 points, a run chart below.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string

from gpequity import disclosure
from gpequity.benchmark import combine
from gpequity.catalogue import vocab
from gpequity.findings import Finding, find, format_difference, format_value, group_label
from gpequity.web.orgs.models import Organisation, OrgKind

from . import board_charts
from .board_priorities import PRIORITIES, priority_rows

GAPS_SHOWN = 3
OVERDUE_SHOWN = 10
ENGAGEMENT_DAYS = 365
SUPPRESSED = "suppressed"


# --------------------------------------------------------------------------- who shares


@dataclass(frozen=True)
class Share:
    """What one practice below the network shares with it."""

    org: Organisation
    progress: bool
    engagement: bool
    hna: bool

    @property
    def anything(self) -> bool:
        return self.progress or self.engagement or self.hna


def shares_for(user, network: Organisation) -> list[Share]:
    """Every practice below the network with what it shares with ``user``'s audience there
    (the network access layer's ``shared_practices``), by practice name."""
    from . import board_sharing

    return board_sharing.shares(user, network)


def by_pcn(network: Organisation, rows: Sequence[dict], org_of=lambda r: r["org"]) -> list:
    """``rows`` (in PCN order) grouped under their PCN for an ICB's report; one group with
    no PCN for a PCN's, so its tables stay as they are."""
    if network.kind != OrgKind.ICB:
        return [{"pcn": None, "rows": list(rows)}]
    groups: dict[Any, dict[str, Any]] = {}
    for r in rows:
        pcn = org_of(r).parent
        groups.setdefault(pcn.pk, {"pcn": pcn, "rows": []})["rows"].append(r)
    return list(groups.values())


# --------------------------------------------------------------------------- progress


def _positions(practices: Sequence[Organisation]):
    from gpequity.web.assessment.selectors import Position, pack_for, statuses_for

    return {p.pk: Position(pack=pack_for(p), statuses=statuses_for(p)) for p in practices}


def progress_section(
    shared: Sequence[Organisation], network: Organisation | None = None
) -> dict[str, Any]:
    """Tier reached and actions in place per practice, and a practice-by-theme grid; for an
    ICB the practices grouped under their PCN with the PCN's actions added up, and the
    theme grid by PCN (the median practice of each)."""
    positions = _positions(shared)
    rows = []
    tier_names: list[str] = []
    themes: list[tuple[str, str]] = []
    reached_counts: dict[str, int] = defaultdict(int)
    for practice in shared:
        pos = positions[practice.pk]
        if not tier_names:
            tier_names = [t.name for t in pos.pack.tiers]
            themes = [(t.key, t.name) for t in pos.pack.themes]
        reached = pos.reached_tier
        reached_counts[reached.name if reached else "None yet"] += 1
        by_theme = {r.key: r for r in pos.by_theme}
        rows.append(
            {
                "org": practice,
                "reached": reached.name if reached else "None yet",
                "next": pos.next_tier.name if pos.next_tier else "",
                "left": len(pos.left_in(pos.next_tier.key)) if pos.next_tier else 0,
                "tiers": [{"name": r.name, "done": r.done, "total": r.total} for r in pos.by_tier],
                "overall": pos.overall,
                "themes": [
                    by_theme[key].percent if key in by_theme and by_theme[key].total else None
                    for key, _ in themes
                ],
            }
        )
    theme_rows = []
    for i, (key, name) in enumerate(themes):
        values = [r["themes"][i] for r in rows if r["themes"][i] is not None]
        theme_rows.append(
            {
                "key": key,
                "name": name,
                "cells": [{"org": r["org"], "percent": r["themes"][i]} for r in rows],
                "median": round(statistics.median(values)) if values else None,
            }
        )
    groups = by_pcn(network, rows) if network is not None else [{"pcn": None, "rows": rows}]
    for g in groups:
        if g["pcn"] is None:
            continue
        tiers = [
            {
                "done": sum(r["tiers"][i]["done"] for r in g["rows"]),
                "total": sum(r["tiers"][i]["total"] for r in g["rows"]),
            }
            for i in range(len(tier_names))
        ]
        done = sum(r["overall"].done for r in g["rows"])
        total = sum(r["overall"].total for r in g["rows"])
        g["subtotal"] = {
            "tiers": tiers,
            "percent": round(100 * done / total) if total else 0,
            "reached": sum(1 for r in g["rows"] if r["reached"] != "None yet"),
        }
    pcn_columns = []
    if any(g["pcn"] is not None for g in groups):
        for t in theme_rows:
            t["pcns"] = []
            for g in groups:
                mine = {r["org"].pk for r in g["rows"]}
                values = [
                    c["percent"]
                    for c in t["cells"]
                    if c["org"].pk in mine and c["percent"] is not None
                ]
                t["pcns"].append(round(statistics.median(values)) if values else None)
        pcn_columns = [g["pcn"] for g in groups]
    return {
        "rows": rows,
        "groups": groups,
        "pcn_columns": pcn_columns,
        "tiers": tier_names,
        "themes": theme_rows,
        "reached": [
            {"name": name, "practices": reached_counts.get(name, 0)}
            for name in ["None yet", *tier_names]
        ],
    }


# --------------------------------------------------------------------------- gaps


@dataclass
class TrendPoint:
    as_of: dt.date
    practices: int
    gap: float | None  # None: suppressed at this date


@dataclass
class Gap:
    finding: Finding
    group_value: str
    rest_value: str
    difference: str
    numerator: int | None
    denominator: int | None
    points: list[TrendPoint] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)
    widening: bool = False


def _runs_for(shares: Sequence[Share]):
    """Each HNA-sharing practice's finished runs, oldest first."""
    from gpequity.web.hna.models import Run, RunStatus

    orgs = [s.org for s in shares if s.hna]
    by_org: dict[int, list] = defaultdict(list)
    for run in (
        Run.objects.filter(organisation__in=orgs, status=RunStatus.DONE)
        .defer("validation", "run_info", "droppable_rows")
        .order_by("as_of", "created_at")
    ):
        by_org[run.organisation_id].append(run)
    return by_org


class _Rows:
    """Stored result rows, read once per run and indicator."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, str | None], list[dict[str, Any]]] = {}

    def get(self, run, indicator: str | None = None) -> list[dict[str, Any]]:
        from gpequity.web.hna import selectors

        key = (run.pk, indicator)
        if key not in self._cache:
            self._cache[key] = selectors.indicator_rows(run, indicator)
        return self._cache[key]


def _latest_as_of(runs: Sequence, day: dt.date):
    chosen = None
    for run in runs:
        if run.as_of <= day:
            chosen = run
    return chosen


def _definitions(by_org) -> list:
    from gpequity.web.hna.presenters import definitions

    newest = max((runs[-1] for runs in by_org.values() if runs), key=lambda r: r.as_of)
    return definitions(newest)


def _combined(runs: Sequence, rows: _Rows, defs, indicator: str | None = None):
    known = {d.id for d in defs}
    tables = [[r for r in rows.get(run, indicator) if r["indicator"] in known] for run in runs]
    return combine(tables, definitions=defs)


def _find_row(rows, indicator: str, grouping: str, group: str):
    return next(
        (
            r
            for r in rows
            if r["indicator"] == indicator and r["grouping"] == grouping and r["group"] == group
        ),
        None,
    )


def _gap(
    exact: Sequence[dict], shown: Sequence[dict], f: Finding
) -> tuple[float | None, dict | None]:
    """The worse side's gap to everyone else (positive = worse), None when disclosure control
    hides the worse side's or the total's counts; with the worse side's shown row."""
    total = _find_row(exact, f.indicator, "overall", "all")
    worse = _find_row(exact, f.indicator, f.grouping, f.worse_group)
    total_shown = _find_row(shown, f.indicator, "overall", "all")
    worse_shown = _find_row(shown, f.indicator, f.grouping, f.worse_group)
    if total is None or worse is None or worse_shown is None or total_shown is None:
        return None, None
    if worse_shown["suppressed"] or total_shown["suppressed"]:
        return None, worse_shown
    rest_n = float(total["numerator"]) - float(worse["numerator"])
    rest_d = int(total["denominator"]) - int(worse["denominator"])
    if rest_d <= 0 or not worse["denominator"]:
        return None, worse_shown
    if any(disclosure.suppress_count(round(n)) is None for n in (rest_n, rest_d)):
        # Everyone else is itself a handful of patients: their rate would show them.
        return None, worse_shown
    worse_value = float(worse["numerator"]) / int(worse["denominator"])
    rest_value = rest_n / rest_d
    gap = rest_value - worse_value if f.higher_is_better else worse_value - rest_value
    return gap, worse_shown


def trend_points(by_org, rows: _Rows, defs, f: Finding) -> list[TrendPoint]:
    """The gap at every date a sharing practice ran an assessment, each practice counted
    with its latest run as of that date."""
    dates = sorted({run.as_of for runs in by_org.values() for run in runs})
    points = []
    for day in dates:
        runs = [r for r in (_latest_as_of(rs, day) for rs in by_org.values()) if r is not None]
        exact = _combined(runs, rows, defs, f.indicator).indicator_rows
        shown = disclosure.apply_to_indicators([dict(r) for r in exact])
        gap, _ = _gap(exact, shown, f)
        points.append(TrendPoint(day, len(runs), gap))
    return points


def gaps_section(
    shares: Sequence[Share], *, limit: int = GAPS_SHOWN, network: Organisation | None = None
) -> dict[str, Any]:
    """The network's largest gaps from the HNA-sharing practices' latest results combined,
    each with its trend."""
    by_org = _runs_for(shares)
    by_org = {k: v for k, v in by_org.items() if v}
    if not by_org:
        return {"gaps": [], "practices": 0, "as_of": []}
    rows = _Rows()
    defs = _definitions(by_org)
    latest = [runs[-1] for runs in by_org.values()]
    combined = _combined(latest, rows, defs)
    exact = combined.indicator_rows
    shown = disclosure.apply_to_indicators([dict(r) for r in exact])
    gaps = []
    for f in find(exact, definitions=defs):
        gap, worse_shown = _gap(exact, shown, f)
        if gap is None:
            continue  # a gap whose counts are suppressed is not shown
        rest_value = f.rest_value if f.group == f.worse_group else f.value
        worse_value = f.value if f.group == f.worse_group else f.rest_value
        item = Gap(
            finding=f,
            group_value=format_value(worse_value, f.kind),
            rest_value=format_value(rest_value, f.kind),
            difference=format_difference(abs(gap), f.kind),
            numerator=worse_shown["numerator"],
            denominator=worse_shown["denominator"],
        )
        item.points = trend_points(by_org, rows, defs, f)
        item.chart = board_charts.trend_chart(item, network)
        item.widening = item.chart["widening"]
        gaps.append(item)
        if len(gaps) >= limit:
            break
    return {
        "gaps": gaps,
        "practices": len(latest),
        "as_of": sorted({r.as_of for r in latest}),
        "patients": _patients(shown, defs),
    }


def _patients(shown: Sequence[dict], defs) -> int | None:
    """Patients the combined results cover (disclosure-controlled): the largest overall
    denominator of an indicator counted in patients (not one counted in appointments, such
    as the missed-appointment rate, whose denominator is appointments)."""
    in_patients = {d.id for d in defs if d.unit == "patients"}
    values = [
        r["denominator"]
        for r in shown
        if r["grouping"] == "overall"
        and r["indicator"] in in_patients
        and r["denominator"] is not None
        and not r["suppressed"]
    ]
    return max(values) if values else None


# --------------------------------------------------------------------------- engagement


def engagement_section(
    shared: Sequence[Organisation], on: dt.date, network: Organisation | None = None
) -> dict[str, Any]:
    """Activities of the last 12 months by band (done to, for, with people), per practice
    and for all of them, through disclosure control as a table (counts from 1 to 7
    suppressed, others rounded to 5, and whatever would give a hidden count away hidden
    too); a share done with people only where both of its counts are shown."""
    from gpequity import engagement as eg
    from gpequity.web.engagement import selectors

    start = on - dt.timedelta(days=ENGAGEMENT_DAYS)
    exact: dict[int, Any] = {}
    all_facts = []
    for practice in shared:
        facts = selectors.activity_facts(
            selectors.in_period(selectors.activities(practice), start, on)
        )
        all_facts.extend(facts)
        exact[practice.pk] = eg.totals(facts)
    grouped = network is not None and network.kind == OrgKind.ICB
    pcns: dict[int, list[int]] = defaultdict(list)
    for practice in shared:
        pcns[practice.parent_id].append(practice.pk)
    table = disclosure.apply_to_table(
        {(pk, b): t.by_band[b] for pk, t in exact.items() for b in eg.BANDS},
        exact,
        eg.BANDS,
        groups=pcns if grouped else None,
    )

    def share(with_shown, activities_shown, t) -> float | None:
        if with_shown is None or activities_shown is None or not t.activities:
            return None
        return t.with_share

    rows = []
    for practice in shared:
        t = exact[practice.pk]
        activities = table.rows[practice.pk]
        by_band = [table.cells[(practice.pk, b)] for b in eg.BANDS]
        rows.append(
            {
                "org": practice,
                "activities": activities,
                "by_band": by_band,
                "with_share": share(by_band[-1], activities, t),
                "none": t.activities == 0,
            }
        )
    groups = by_pcn(network, rows) if network is not None else [{"pcn": None, "rows": rows}]
    for g in groups:
        if g["pcn"] is None:
            continue
        sub = table.groups[g["pcn"].pk]
        g_facts = [exact[r["org"].pk] for r in g["rows"]]
        with_exact = sum(f.by_band["with"] for f in g_facts)
        activities_exact = sum(f.activities for f in g_facts)
        by = [sub["cells"][b] for b in eg.BANDS]
        g["subtotal"] = {
            "by_band": by,
            "activities": sub["total"],
            "none": activities_exact == 0,
            "with_share": (
                with_exact / activities_exact
                if by[-1] is not None and sub["total"] is not None and activities_exact
                else None
            ),
        }
    t = eg.totals(all_facts)
    by_band = [table.columns[b] for b in eg.BANDS]
    return {
        "rows": rows,
        "groups": groups,
        "bands": list(eg.BANDS.values()),
        "total": {
            "activities": table.total,
            "by_band": by_band,
            "with_share": share(by_band[-1], table.total, t),
            "none": t.activities == 0,
        },
        "start": start,
        "end": on,
    }


# --------------------------------------------------------------------------- actions, risks


def actions_section(shared: Sequence[Organisation], on: dt.date) -> dict[str, Any]:
    """Plan items by status across the sharing practices, and the overdue ones."""
    from gpequity.web.plans.models import OPEN_STATUSES, PlanItem, Status

    items = PlanItem.objects.filter(organisation__in=shared).select_related("organisation__parent")
    by_status = {s.value: 0 for s in Status}
    for status in items.values_list("status", flat=True):
        by_status[status] += 1
    overdue = list(
        items.filter(status__in=OPEN_STATUSES, due_date__lt=on).order_by("due_date", "id")
    )
    return {
        "by_status": [{"label": s.label, "count": by_status[s.value]} for s in Status],
        "total": sum(by_status.values()),
        "overdue": [
            {
                "org": i.organisation,
                "pcn": i.organisation.parent,
                "title": i.title,
                "due": i.due_date,
                "days": (on - i.due_date).days,
                "status": Status(i.status).label,
            }
            for i in overdue[:OVERDUE_SHOWN]
        ],
        "overdue_count": len(overdue),
    }


def case_studies(shared: Sequence[Organisation]) -> list:
    from gpequity.web.casestudies.selectors import published

    return list(published().filter(organisation__in=shared).select_related("organisation"))


# --------------------------------------------------------------------------- the report


def practices_below(network: Organisation):
    if network.kind == OrgKind.PCN:
        return Organisation.objects.filter(kind=OrgKind.PRACTICE, parent=network)
    return Organisation.objects.filter(kind=OrgKind.PRACTICE, parent__parent=network)


def report_context(user, network: Organisation, *, on: dt.date | None = None) -> dict[str, Any]:
    """Everything the board report shows ``user``, for the page and the PDF."""
    from django.utils import timezone

    on = on or timezone.localdate()
    shares = shares_for(user, network)
    progress_orgs = [s.org for s in shares if s.progress]
    engagement_orgs = [s.org for s in shares if s.engagement]
    not_sharing = [s.org for s in shares if not s.anything]
    gaps = gaps_section(shares, network=network)
    progress = progress_section(progress_orgs, network)
    actions = actions_section(progress_orgs, on)
    engagement = engagement_section(engagement_orgs, on, network)
    studies = case_studies([s.org for s in shares if s.progress])
    ctx = {
        "org": network,
        "on": on,
        "shares": shares,
        "share_groups": by_pcn(network, shares, lambda s: s.org),
        "is_icb": network.kind == OrgKind.ICB,
        "counts": {
            "practices": len(shares),
            "progress": len(progress_orgs),
            "engagement": len(engagement_orgs),
            "hna": sum(1 for s in shares if s.hna),
        },
        "not_sharing": not_sharing,
        "progress": progress,
        "gaps": gaps,
        "engagement": engagement,
        "actions": actions,
        "widening": [g for g in gaps["gaps"] if g.widening],
        "case_studies": studies,
    }
    ctx["priorities"] = priority_rows(ctx)
    ctx["priority_names"] = PRIORITIES
    ctx["summary"] = summary(ctx)
    ctx["suppressed"] = SUPPRESSED
    ctx["indicator_names"] = vocab.INDICATORS
    return ctx


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def summary(ctx: dict[str, Any]) -> list[str]:
    """The report's key messages in plain sentences."""
    c = ctx["counts"]
    out = [
        f"{_plural(c['practices'], 'practice')} in {ctx['org'].name}: "
        f"{c['progress']} share their progress, {c['engagement']} their work with people "
        f"and communities and {c['hna']} their health needs assessment results."
    ]
    reached = [r for r in ctx["progress"]["reached"] if r["practices"] and r["name"] != "None yet"]
    if reached:
        top = reached[-1]
        out.append(
            f"The highest tier reached is {top['name']}, by "
            f"{_plural(top['practices'], 'practice')}."
        )
    gaps = ctx["gaps"]["gaps"]
    if gaps:
        g = gaps[0]
        out.append(
            f"The largest gap: {g.finding.indicator_title.lower()} is {g.group_value} for "
            f"{group_label(g.finding.grouping, g.finding.worse_group)} against "
            f"{g.rest_value} for everyone else ({g.difference})."
        )
    elif c["hna"]:
        out.append("The shared health needs assessment results show no clear gaps.")
    a = ctx["actions"]
    if c["progress"] and a["overdue_count"]:
        out.append(
            f"{_plural(a['overdue_count'], 'plan item is', 'plan items are')} past "
            f"{'its' if a['overdue_count'] == 1 else 'their'} due date."
        )
    elif c["progress"]:
        out.append("No plan item is past its due date.")
    if ctx["widening"]:
        out.append(f"{_plural(len(ctx['widening']), 'gap is', 'gaps are')} widening.")
    total = ctx["engagement"]["total"]
    if total["none"]:
        pass
    elif total["activities"] is None:
        out.append(
            "The sharing practices recorded a handful of engagement activities in the last "
            f"12 months: too few to count here (the number is {SUPPRESSED})."
        )
    elif total["with_share"] is None:
        out.append(
            f"The sharing practices recorded about {total['activities']} engagement "
            "activities in the last 12 months (rounded to 5)."
        )
    else:
        out.append(
            f"Of about {total['activities']} engagement activities in the last 12 months "
            f"(rounded to 5), {total['with_share'] * 100:.0f}% were done with people, "
            "sharing the decisions."
        )
    return out


def report_html(user, network: Organisation) -> str:
    """The print version of the board report (what WeasyPrint turns into the PDF)."""
    return render_to_string("network/board_print.html", report_context(user, network))


def board_pdf(
    user, network: Organisation, on_stage: Callable[[int, int], None] | None = None
) -> bytes:
    """The board assurance report as a tagged PDF, in the three stages of a build."""
    from weasyprint import HTML

    html = report_html(user, network)
    if on_stage:
        on_stage(1, 0)
    document = HTML(string=html, base_url=None).render()
    if on_stage:
        on_stage(2, len(document.pages))
    return document.write_pdf(pdf_tags=True)


def build_pdf(build, on_stage: Callable[[int, int], None] | None = None) -> bytes:
    """The background build's renderer (``reports.builds.KINDS["board"]``): the report as
    the person who asked for it may see it."""
    return board_pdf(build.requested_by, build.organisation, on_stage)
