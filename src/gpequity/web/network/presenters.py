"""Shaping network data for templates."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from django.core.cache import cache

from .forms import CHOICES, HINTS


def sharing_audiences(org, settings, form) -> list[dict[str, Any]]:
    """The two audiences (PCN, ICB) with each thing that may be shared and whether it is."""
    pcn = org.parent
    icb = pcn.parent if pcn is not None else None
    names = {
        "pcn": pcn.name if pcn is not None else "Your Primary Care Network",
        "icb": icb.name if icb is not None else "Your Integrated Care Board",
    }
    out = []
    for audience, kind in (("pcn", "Primary Care Network"), ("icb", "Integrated Care Board")):
        chosen = form[audience].value() if form.is_bound else form.initial[audience]
        out.append(
            {
                "key": audience,
                "name": names[audience],
                "kind": kind,
                "errors": form[audience].errors,
                "items": [
                    {
                        "value": value,
                        "label": label,
                        "hint": HINTS[value],
                        "checked": value in (chosen or []),
                        "shared": getattr(settings, f"{value}_to_{audience}"),
                        "id": f"id_{audience}_{value}",
                    }
                    for value, label in CHOICES
                ],
            }
        )
    return out


# --- The network dashboard ---------------------------------------------------------------

DUE_SOON_DAYS = 14
ENGAGEMENT_MONTHS = 12
TITLES_SHOWN = 3


def dashboard(net, *, today) -> dict[str, Any]:
    """Per practice: tier and progress, the theme grid, plan items due, engagement by band
    and case studies published; each part only for practices that share it."""
    import datetime as dt

    from gpequity.catalogue import load_pack
    from gpequity.engagement import BANDS
    from gpequity.web.orgs import access

    from . import selectors

    statuses = selectors.statuses(net)
    due = selectors.plan_due(net, on=today, days=DUE_SOON_DAYS)
    since = today - dt.timedelta(days=365)
    engaged = engagement_table(net, selectors.engagement_bands(net, since=since, until=today))
    cases = selectors.case_studies_published(net)
    pack = load_pack(net.practices[0].framework) if net.practices else load_pack()
    themes = [{"key": t.key, "name": t.name} for t in pack.themes]
    rows = []
    for p in net.practices:
        row: dict[str, Any] = {"org": p, "pcn": p.parent.name if p.parent else ""}
        if net.shares(p, access.PROGRESS):
            progress = practice_progress(_PackIndex.of(p.framework), statuses[p.pk])
            progress["themes"] = [
                {"name": t["name"], "percent": progress["theme_percent"].get(t["key"])}
                for t in themes
            ]
            progress["theme_cells"] = _theme_cells(progress["themes"])
            row["progress"] = progress
            row["overdue"] = due[p.pk]["overdue"]
            row["soon"] = due[p.pk]["soon"]
            row["overdue_shown"] = due[p.pk]["overdue"][:TITLES_SHOWN]
            row["case_studies"] = cases[p.pk]
        if net.shares(p, access.ENGAGEMENT):
            row["bands"] = [(label, engaged.cells[p.pk, key]) for key, label in BANDS.items()]
        rows.append(row)
    pcns = _pcn_rows(rows, engaged) if net.is_icb else []
    return {
        "rows": rows,
        "pcns": pcns,
        "themes": themes,
        "bands": list(BANDS.values()),
        "counts": {what: len(net.shared[what]) for what in access.SHARED_THINGS},
        "total": len(net.practices),
        "due_soon_days": DUE_SOON_DAYS,
        "since": since,
        "overdue_total": sum(len(r.get("overdue", [])) for r in rows),
        "soon_total": sum(len(r.get("soon", [])) for r in rows),
    }


class _PackIndex:
    """A framework pack's actions by tier and by theme, worked out once per pack so the
    dashboard counts each practice's statuses in one pass (an ICB's 200 practices through
    ``assessment.selectors.Position`` took 48,000 status lookups per view)."""

    _made: dict[str, _PackIndex] = {}

    def __init__(self, pack) -> None:
        self.pack = pack
        self.actions = [a.key for a in pack.actions]
        self.tiers = [(t, [a.key for a in pack.actions_in(tier=t.key)]) for t in pack.tiers]
        self.themes = [(t.key, [a.key for a in pack.actions_in(theme=t.key)]) for t in pack.themes]

    @classmethod
    def of(cls, framework: str) -> _PackIndex:
        from gpequity.catalogue import load_pack

        pack = load_pack(framework)
        made = cls._made.get(framework)
        if made is None or made.pack is not pack:
            made = cls(pack)
            cls._made[framework] = made
        return made


def _percent(done: int, total: int) -> int:
    """As ``assessment.selectors.ProgressRow.percent``: whole per cent, rounded down."""
    return (100 * done) // total if total else 0


def practice_progress(index: _PackIndex, statuses: dict[str, str]) -> dict[str, Any]:
    """What the dashboard shows of one practice's progress, the same as
    ``assessment.selectors.Position`` gives (tier reached, next tier and what is left in it,
    actions done, each theme's per cent done), from its ``{action_key: status}``."""
    from gpequity.web.assessment.models import DONE

    done = {k for k, v in statuses.items() if v in DONE}
    reached = following = None
    left = 0
    for tier, keys in index.tiers:
        missing = sum(1 for k in keys if k not in done)
        if missing:
            following, left = tier, missing
            break
        reached = tier
    n_done = sum(1 for k in index.actions if k in done)
    return {
        "reached": reached,
        "next": following,
        "left": left,
        "done": n_done,
        "total": len(index.actions),
        "percent": _percent(n_done, len(index.actions)),
        "theme_percent": {
            key: _percent(sum(1 for k in keys if k in done), len(keys))
            for key, keys in index.themes
        },
    }


def _theme_cells(themes: list[dict[str, Any]]) -> str:
    """One practice's cells of the theme grid, written once here rather than by the template
    200 x 19 times (they hold only numbers and fixed words)."""
    from django.utils.safestring import mark_safe

    return mark_safe(
        "".join(
            '<td class="nhsuk-table__cell">'
            + ("Not in framework" if t["percent"] is None else f"{int(t['percent'])}%")
            + "</td>"
            for t in themes
        )
    )


def engagement_table(net, bands: dict[int, Any]):
    """The engagement-sharing practices' activities by band (``selectors.engagement_bands``)
    through disclosure control as a table (``disclosure.apply_to_table``: counts from 1 to 7
    suppressed, others rounded to 5, and a count that could be worked out from the others
    and the totals suppressed too), as the board report's; for an ICB with each PCN's
    subtotal. A cell is None where suppressed."""
    from gpequity import disclosure
    from gpequity.engagement import BANDS
    from gpequity.web.orgs import access

    engaging = [p for p in net.practices if net.shares(p, access.ENGAGEMENT)]
    pcns: dict[str, list[int]] = {}
    for p in engaging:
        pcns.setdefault(p.parent.name if p.parent else "", []).append(p.pk)
    return disclosure.apply_to_table(
        {(p.pk, b): bands[p.pk].get(b, 0) for p in engaging for b in BANDS},
        [p.pk for p in engaging],
        list(BANDS),
        groups=pcns if net.is_icb else None,
    )


def _pcn_rows(rows: list[dict[str, Any]], engaged) -> list[dict[str, Any]]:
    """For an ICB: per PCN, how many practices share progress, how many reached a tier,
    their plan items overdue, activities done with people (disclosed, from the engagement
    table's PCN subtotal) and case studies published."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = out.setdefault(
            r["pcn"],
            {
                "name": r["pcn"],
                "practices": 0,
                "sharing": 0,
                "reached": 0,
                "overdue": 0,
                "with": 0,
                "engaging": 0,
                "case_studies": 0,
            },
        )
        p["practices"] += 1
        if "progress" in r:
            p["sharing"] += 1
            p["reached"] += 1 if r["progress"]["reached"] else 0
            p["overdue"] += len(r["overdue"])
            p["case_studies"] += r["case_studies"]
        if "bands" in r:
            p["engaging"] += 1
    for p in out.values():
        p["with"] = engaged.groups[p["name"]]["cells"]["with"] if p["engaging"] else None
    return list(out.values())


# --- Benchmarking ---------------------------------------------------------------------

COMPARED = {
    "lower": "Lower than the practice's other patients",
    "higher": "Higher than the practice's other patients",
    "similar": "Similar to the practice's other patients",
    "not_compared": "Not compared",
}


def definitions(runs: dict) -> list:
    """The indicators of the latest runs, in the order the first run lists them."""
    from gpequity.hna.indicators import Indicator

    seen: dict[str, Any] = {}
    for run in sorted(runs.values(), key=lambda r: str(r.pk)):
        for d in run.definitions or []:
            if d["id"] not in seen:
                seen[d["id"]] = Indicator.model_validate(d)
    return list(seen.values())


def direction_words(d) -> str:
    if d.higher_is_better is None:
        return "Neither higher nor lower is better: this describes the practices' patients."
    return "Higher is better." if d.higher_is_better else "Lower is better."


def count_text(n) -> str:
    return "Suppressed" if n is None else str(n)


def entry_rows(bench) -> list[dict[str, Any]]:
    """The data table: every practice that shares, disclosed, in name order."""
    from gpequity.web.hna.words import format_value

    kind = bench.definition.kind
    out = []
    for e in bench.entries:
        shown = e.state == "shown"
        out.append(
            {
                "practice": e.practice,
                "pcn": e.practice.parent.name if e.practice.parent else "",
                "as_of": e.as_of,
                "state": e.state,
                "numerator": e.numerator if shown and kind != "mean" else None,
                "denominator": e.denominator,
                "value": format_value(e.value, kind) if shown else e.words,
                "interval": (
                    f"{format_value(e.lower, kind)} to {format_value(e.upper, kind)}"
                    if shown and e.lower is not None
                    else (e.words if not shown else "Cannot be calculated")
                ),
                "compared": COMPARED.get(e.compared_with_rest or "", ""),
                "position": e.position.words if e.position else "",
                "outlier": bool(e.position and e.position.level == 0.998),
            }
        )
    return out


def benchmark_context(
    net, indicator: str, view: str, *, charts_too: bool = True
) -> dict[str, Any] | None:
    """Everything the benchmarking page of one indicator needs; None for an unknown one."""
    from gpequity.web.orgs import access

    from . import benchmarking, charts, selectors
    from . import figures as stored_figures

    runs = selectors.latest_runs(net)
    defs = {d.id: d for d in definitions(runs)}
    d = defs.get(indicator)
    if d is None:
        return None
    sharing = net.sharing(access.HNA)
    # Only the runs of practices that share with this user: sharing is decided here, at
    # every view, so withdrawing it hides a practice at once.
    figures = stored_figures.for_indicator(d, {p.pk: runs[p.pk] for p in sharing if p.pk in runs})
    bench = benchmarking.benchmark(
        d, view, sharing, runs, figures, not_sharing=len(net.practices) - len(sharing)
    )
    label = benchmarking.VIEWS[view]["label"]
    title = f"{d.title}: {label.lower()}" if view != "overall" else d.title
    return {
        "definition": d,
        "view": view,
        "views": [
            {"key": k, "label": v["label"], "current": k == view}
            for k, v in benchmarking.VIEWS.items()
        ],
        "about": benchmarking.VIEWS[view]["about"],
        "bench": bench,
        "direction": direction_words(d),
        "rows": entry_rows(bench),
        "network_value": _network_value(bench),
        "funnel": (charts.funnel_svg(bench, f"Funnel plot: {title}") if charts_too else ""),
        "has_funnel": bench.target is not None and (d.kind != "mean" or bench.sd is not None),
        "ranked": (charts.ranked_svg(bench, f"Practices ranked: {title}") if charts_too else ""),
        "outliers": [
            {"name": e.practice.name, "words": e.position.words} for e in bench.outliers()
        ],
        "beyond_95": [
            {"name": e.practice.name, "words": e.position.words} for e in bench.beyond_95()
        ],
        "is_mean": d.kind == "mean",
    }


def _network_value(bench) -> dict[str, Any]:
    from gpequity.web.hna.words import format_value

    n = bench.network
    kind = bench.definition.kind
    if not n:
        return {"value": "Cannot be calculated", "numerator": None, "denominator": None}
    if n["suppressed"]:
        return {"value": "Suppressed", "numerator": None, "denominator": None}
    return {
        "value": format_value(n["value"], kind),
        "interval": (
            f"{format_value(n['lower'], kind)} to {format_value(n['upper'], kind)}"
            if n.get("lower") is not None
            else ""
        ),
        "numerator": n["numerator"],
        "denominator": n["denominator"],
    }


def benchmark_index(net) -> dict[str, Any]:
    """The indicators that can be compared, with how many practices share results."""
    from gpequity.web.orgs import access

    from . import selectors

    runs = selectors.latest_runs(net)
    sharing = net.sharing(access.HNA)
    return {
        "definitions": [
            {"id": d.id, "title": d.title, "direction": direction_words(d)}
            for d in definitions(runs)
        ],
        "sharing": len(sharing),
        "with_run": len(runs),
        "total": len(net.practices),
        "as_of": sorted({r.as_of for r in runs.values()}),
    }


# --- The network's combined needs assessment -----------------------------------------

NEEDS_GROUPINGS = ("overall", "imd_quintile", "focus_group")


def disclosed_practice_rows(
    net, indicator: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """DATA.md ``practice_indicators`` rows of every practice that shares HNA results with
    this user (its latest finished run), each practice's table through disclosure control;
    and who they are (code, name, PCN, as-of date). With ``indicator``, that indicator's rows
    only: disclosure control works within each indicator, so they are exactly those rows of
    the whole answer."""
    from gpequity import disclosure
    from gpequity.web.orgs import access

    from . import selectors

    runs = selectors.latest_runs(net)
    rows = selectors.run_rows(runs, indicator)
    means = set(disclosure.DEFAULT_MEAN_INDICATORS)
    for run in runs.values():
        means |= {d["id"] for d in run.definitions or [] if d.get("kind") == "mean"}
    out, practices = [], []
    for p in net.sharing(access.HNA):
        run = runs.get(p.pk)
        if run is None:
            continue
        practices.append(
            {
                "practice_code": p.ods_code,
                "name": p.name,
                "pcn": p.parent.ods_code if p.parent else "",
                "as_of": run.as_of,
            }
        )
        for r in disclosure.apply_to_indicators(rows.get(p.pk, []), mean_indicators=means):
            out.append({"practice_code": p.ods_code, **r})
    return out, practices


def needs_context(net) -> dict[str, Any]:
    """The sharing practices' latest results added up (gpequity.benchmark.combine), then the
    network's table through disclosure control."""
    from gpequity import disclosure
    from gpequity.benchmark import CombineError, combine
    from gpequity.web.hna.words import format_value
    from gpequity.web.orgs import access

    from . import selectors

    runs = selectors.latest_runs(net)
    defs = definitions(runs)
    sharing = net.sharing(access.HNA)
    covered = [{"practice": p, "as_of": runs[p.pk].as_of} for p in sharing if p.pk in runs]
    # Finished runs never change, so the same runs always combine to the same table: it is
    # kept in Django's cache (cleared with it, unlike a module-level dict) under their ids.
    ids = ",".join(str(runs[c["practice"].pk].pk) for c in covered)
    key = "network-needs:" + hashlib.sha256(ids.encode()).hexdigest()
    cached = cache.get(key)
    tables = [] if cached else _needs_tables(runs, defs, [c["practice"] for c in covered])
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    if cached:
        rows, notes = cached
    elif tables:
        try:
            combined = combine(tables, definitions=defs)
        except CombineError as exc:  # results from different indicator sets
            notes.append(str(exc))
        else:
            means = {d.id for d in defs if d.kind == "mean"}
            rows = disclosure.apply_to_indicators(
                combined.indicator_rows, mean_indicators=means | disclosure.DEFAULT_MEAN_INDICATORS
            )
            # Only the means' note concerns this page: gradients are not combined here.
            notes.extend(n for n in combined.notes if "combined from the practices' sums" in n)
        cache.set(key, (rows, notes), timeout=None)
    by_key = {(r["indicator"], r["grouping"], r["group"]): r for r in rows}
    indicators = []
    for d in defs:
        cells = []
        for grouping, group in (("overall", "all"), ("imd_quintile", "Q1"), ("focus_group", "in")):
            r = by_key.get((d.id, grouping, group))
            cells.append(_needs_cell(r, d.kind, format_value, grouping != "overall"))
        indicators.append({"definition": d, "direction": direction_words(d), "cells": cells})
    patients = None
    for key in (("ethnicity_recorded", "overall", "all"), ("ld_register", "overall", "all")):
        if key in by_key:
            patients = by_key[key]["denominator"]
            break
    dates = sorted({c["as_of"] for c in covered})
    return {
        "indicators": indicators,
        "covered": covered,
        "patients": patients,
        "patients_known": bool(rows),
        "dates": dates,
        "sharing": len(sharing),
        "total": len(net.practices),
        "notes": notes,
    }


def _needs_tables(runs, defs, practices) -> list[list[dict]]:
    """The exact rows the combined table needs (one query), one table per practice. Rows
    are told apart by the practice's id rather than the run's (a practice has one latest
    run here), which spares making 26,000 UUIDs for an ICB of 200 practices."""
    from gpequity.web.hna.models import IndicatorResult

    if not practices:
        return []
    per: dict[int, list[dict]] = {pk: [] for pk in runs}
    kinds = {d.id: d.kind for d in defs}
    for org_id, indicator, grouping, group, numerator, denominator in (
        IndicatorResult.objects.filter(
            run_id__in=[r.pk for r in runs.values()], grouping__in=NEEDS_GROUPINGS
        )
        .order_by("run_id", "position")
        .values_list(
            "run__organisation_id", "indicator", "grouping", "group", "numerator", "denominator"
        )
    ):
        if kinds.get(indicator, "proportion") != "mean":
            numerator = int(numerator)
        per[org_id].append(
            {
                "indicator": indicator,
                "grouping": grouping,
                "group": group,
                "numerator": numerator,
                "denominator": denominator,
            }
        )
    return [per[p.pk] for p in practices]


def _needs_cell(r, kind: str, format_value, compared: bool) -> dict[str, Any]:
    if r is None:
        return {"value": NO_PATIENTS_WORDS, "state": "no_patients"}
    if r["suppressed"]:
        return {"value": "Suppressed", "state": "suppressed"}
    if r["value"] is None or (isinstance(r["value"], float) and math.isnan(r["value"])):
        return {"value": "Cannot be calculated", "state": "cannot"}
    out = {
        "value": format_value(r["value"], kind),
        "state": "shown",
        "denominator": r["denominator"],
        "numerator": r["numerator"] if kind != "mean" else None,
    }
    if compared:
        out["compared"] = COMPARED_NETWORK.get(r.get("compared_with_rest") or "", "")
    return out


NO_PATIENTS_WORDS = "No patients in this group"
COMPARED_NETWORK = {
    "lower": "lower than the network's other patients",
    "higher": "higher than the network's other patients",
    "similar": "similar to the network's other patients",
    "not_compared": "",
}


def progress_api(net) -> list[dict[str, Any]]:
    """The network progress API: per practice, what it shares (bounded queries)."""
    import datetime as dt

    from gpequity.catalogue import load_pack
    from gpequity.web.assessment.selectors import Position
    from gpequity.web.orgs import access
    from gpequity.web.plans.models import PlanItem
    from gpequity.web.plans.selectors import today

    from . import selectors

    on = today()
    statuses = selectors.statuses(net)
    engaged = engagement_table(
        net, selectors.engagement_bands(net, since=on - dt.timedelta(days=365), until=on)
    )
    cases = selectors.case_studies_published(net)
    items: dict[int, list[dict]] = {pk: [] for pk in net.shared[access.PROGRESS]}
    for i in (
        PlanItem.objects.filter(organisation_id__in=net.shared[access.PROGRESS])
        .order_by("due_date", "id")
        .values(
            "organisation_id",
            "title",
            "status",
            "start_date",
            "due_date",
            "measure_text",
            "measure_indicator",
            "baseline",
            "target",
            "unit",
        )
    ):
        items[i.pop("organisation_id")].append(
            {
                "title": i["title"],
                "status": i["status"],
                "start_date": i["start_date"],
                "due_date": i["due_date"],
                "measure": i["measure_text"] or i["measure_indicator"],
                "baseline": float(i["baseline"]) if i["baseline"] is not None else None,
                "target": float(i["target"]) if i["target"] is not None else None,
                "unit": i["unit"],
            }
        )
    out = []
    for p in net.practices:
        row: dict[str, Any] = {
            "practice_code": p.ods_code,
            "name": p.name,
            "pcn": p.parent.ods_code if p.parent else "",
            "progress_shared": net.shares(p, access.PROGRESS),
            "engagement_shared": net.shares(p, access.ENGAGEMENT),
        }
        if row["progress_shared"]:
            pos = Position(pack=load_pack(p.framework), statuses=statuses[p.pk])
            row.update(
                tier_reached=pos.reached_tier.name if pos.reached_tier else None,
                working_towards=pos.next_tier.name if pos.next_tier else None,
                actions_done=pos.overall.done,
                actions_total=pos.overall.total,
                themes=[{"theme": t.name, "done": t.done, "total": t.total} for t in pos.by_theme],
                plan_items=items[p.pk],
                case_studies_published=cases[p.pk],
            )
        if row["engagement_shared"]:
            counts = {f"done_{b}": engaged.cells[p.pk, b] for b in ("to", "for", "with")}
            row["engagement_last_12_months"] = {
                **counts,
                "suppressed": [name for name, n in counts.items() if n is None],
            }
        out.append(row)
    return out
