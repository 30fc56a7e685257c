"""Shaping network data for templates."""

from __future__ import annotations

from typing import Any

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
    from gpequity.web.assessment.selectors import Position
    from gpequity.web.orgs import access

    from . import selectors

    statuses = selectors.statuses(net)
    due = selectors.plan_due(net, on=today, days=DUE_SOON_DAYS)
    since = today - dt.timedelta(days=365)
    bands = selectors.engagement_bands(net, since=since)
    cases = selectors.case_studies_published(net)
    pack = load_pack(net.practices[0].framework) if net.practices else load_pack()
    themes = [{"key": t.key, "name": t.name} for t in pack.themes]
    rows = []
    for p in net.practices:
        row: dict[str, Any] = {"org": p, "pcn": p.parent.name if p.parent else ""}
        if net.shares(p, access.PROGRESS):
            pos = Position(pack=load_pack(p.framework), statuses=statuses[p.pk])
            by_theme = {r.key: r for r in pos.by_theme}
            row["progress"] = {
                "reached": pos.reached_tier,
                "next": pos.next_tier,
                "left": len(pos.left_in(pos.next_tier.key)) if pos.next_tier else 0,
                "done": pos.overall.done,
                "total": pos.overall.total,
                "percent": pos.overall.percent,
                "themes": [
                    {
                        "name": t["name"],
                        "percent": by_theme[t["key"]].percent if t["key"] in by_theme else None,
                    }
                    for t in themes
                ],
            }
            row["overdue"] = due[p.pk]["overdue"]
            row["soon"] = due[p.pk]["soon"]
            row["overdue_shown"] = due[p.pk]["overdue"][:TITLES_SHOWN]
            row["case_studies"] = cases[p.pk]
        if net.shares(p, access.ENGAGEMENT):
            row["bands"] = [(label, bands[p.pk].get(key, 0)) for key, label in BANDS.items()]
        rows.append(row)
    pcns = _pcn_rows(rows) if net.is_icb else []
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


def _pcn_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For an ICB: per PCN, how many practices share progress, how many reached a tier,
    their plan items overdue, activities done with people and case studies published."""
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
            p["with"] += r["bands"][-1][1]
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


def benchmark_context(net, indicator: str, view: str) -> dict[str, Any] | None:
    """Everything the benchmarking page of one indicator needs; None for an unknown one."""
    from gpequity.web.orgs import access

    from . import benchmarking, charts, selectors

    runs = selectors.latest_runs(net)
    defs = {d.id: d for d in definitions(runs)}
    d = defs.get(indicator)
    if d is None:
        return None
    rows = selectors.run_rows(runs, indicator)
    sharing = net.sharing(access.HNA)
    bench = benchmarking.benchmark(
        d, view, sharing, runs, rows, not_sharing=len(net.practices) - len(sharing)
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
        "funnel": charts.funnel_svg(bench, f"Funnel plot: {title}") if d.kind != "mean" else "",
        "ranked": charts.ranked_svg(bench, f"Practices ranked: {title}"),
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
    if not n:
        return {"value": "Cannot be calculated", "numerator": None, "denominator": None}
    if n["suppressed"]:
        return {"value": "Suppressed", "numerator": None, "denominator": None}
    return {
        "value": format_value(n["value"], "proportion"),
        "interval": f"{format_value(n['lower'], 'proportion')} to "
        f"{format_value(n['upper'], 'proportion')}",
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
