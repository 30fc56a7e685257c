"""Shape the engagement log for templates, the API and charts (drawn to SVG, ADR 31)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from gpequity import engagement as eg
from gpequity.catalogue import load_pack, vocab
from gpequity.engagement import svg as engagement_svg
from gpequity.web.plans import presenters as plan_presenters

from . import selectors
from .models import Activity, EvaluationIndicator, Insight

BAND_COLOURS = {"to": "#768692", "for": "#330072", "with": "#007f3b"}
LEVEL_COLOURS = ["#768692", "#41b6e6", "#005eb8", "#330072", "#007f3b"]
number = plan_presenters.number
person = plan_presenters.person


def pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.0f}%"


def breadcrumbs(org, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        (org.name, f"/orgs/{org.ods_code}/"),
        ("Engagement", f"/orgs/{org.ods_code}/engagement/"),
        *extra,
    ]


def default_period(on: dt.date) -> tuple[dt.date, dt.date]:
    """The current financial quarter and the three before it."""
    start = eg.quarter_start(on)
    for _ in range(3):
        start = eg.quarter_start(start - dt.timedelta(days=1))
    return start, on


# --------------------------------------------------------------------------- rows


def insight_status(i: Insight, on: dt.date) -> tuple[str, str]:
    """A tag (label, colour) for where an insight stands."""
    if i.loop_closed_on:
        return "Loop closed", "green"
    if i.response:
        return "Answered, loop not closed", "blue"
    if i.due_date and i.due_date < on:
        return "Overdue", "red"
    return "Waiting for a response", "grey"


def insight_row(i: Insight, on: dt.date) -> dict[str, Any]:
    label, colour = insight_status(i, on)
    return {
        "insight": i,
        "owner": person(i.owner) if i.owner_id else "No one yet",
        "status": label,
        "colour": colour,
        "response": eg.RESPONSES.get(i.response, ""),
        "loop_methods": ", ".join(eg.LOOP_METHODS[m] for m in i.loop_methods),
        "loop_methods_text": _and([eg.LOOP_METHODS[m].lower() for m in i.loop_methods]),
    }


def _and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def activity_row(a: Activity) -> dict[str, Any]:
    return {
        "activity": a,
        "level": eg.LEVELS[a.level],
        "band": eg.BANDS[a.band],
        "band_key": a.band,
        "overridden": a.band_overridden,
        "hours": number(a.hours),
    }


def labels(values: list[str], vocab_: dict[str, str]) -> str:
    return ", ".join(vocab_.get(v, v) for v in values)


def activity_detail(a: Activity) -> dict[str, Any]:
    pack = load_pack(a.organisation.framework)
    actions = []
    for key in a.action_keys:
        try:
            action = pack.action(key)
            actions.append((key, f"{action.code}: {action.title}" if action.code else action.title))
        except KeyError:
            actions.append((key, key))
    reach_rows = [
        {
            "row": r,
            "label": eg.GROUPINGS[r.grouping] + ": " + eg.group_label(r.grouping, r.group),
            "against": pct(eg.share(r.count, r.target)) if r.target else "",
        }
        for r in a.reach.all()
    ]
    return {
        **activity_row(a),
        "stages": labels(a.stages, eg.STAGES),
        "methods": labels(a.methods, eg.METHODS)
        + (f" ({a.method_other})" if a.method_other else ""),
        "partners": ", ".join(p.name for p in a.partners.all()),
        "accessibility": labels(a.accessibility, eg.ACCESSIBILITY),
        "payment": eg.PAYMENTS[a.payment],
        "actions": actions,
        "indicators": labels(a.indicator_ids, vocab.INDICATORS),
        "plan_items": list(a.plan_items.all()),
        "reach": reach_rows,
        "evaluation_plans": list(a.evaluation_plans.all()),
    }


def action_codes(a: Activity) -> str:
    pack = load_pack(a.organisation.framework)
    out = []
    for key in a.action_keys:
        try:
            out.append(pack.action(key).code or key)
        except KeyError:
            out.append(key)
    return ", ".join(out)


# --------------------------------------------------------------------------- charts


def _bar_chart(
    rows: list[eg.BandRow],
    *,
    field: str,
    title: str,
    keys: dict[str, str],
    colours: list[str],
    heading: str,
    label: str,
) -> str:
    quarters = list(dict.fromkeys(r.quarter for r in rows))
    value = {(r.quarter, r.key): float(getattr(r, field)) for r in rows}
    series = [
        engagement_svg.Series(name, colour, [value.get((q, key), 0.0) for q in quarters])
        for (key, name), colour in zip(keys.items(), colours, strict=True)
    ]
    return engagement_svg.stacked_bars(
        quarters,
        series,
        title=heading,
        x_title="Quarter (financial year)",
        y_title=title,
        label=label,
        whole=field == "activities",
    )


def band_chart_svg(rows: list[eg.BandRow], *, field: str) -> str:
    if not rows:
        return ""
    what = "Activities" if field == "activities" else "Hours"
    quarters = sorted({r.quarter for r in rows})
    parts = []
    for q in quarters:
        qrows = [r for r in rows if r.quarter == q]
        parts.append(
            f"{q}: "
            + ", ".join(
                f"{eg.BANDS[r.key].lower()} {number(Decimal(getattr(r, field)))}" for r in qrows
            )
        )
    label = f"{what} by band and quarter. " + "; ".join(parts) + "."
    return _bar_chart(
        rows,
        field=field,
        title=what,
        keys=eg.BANDS,
        colours=list(BAND_COLOURS.values()),
        heading=f"{what} done to, for and with people, by quarter",
        label=label,
    )


def level_chart_svg(rows: list[eg.BandRow]) -> str:
    if not rows:
        return ""
    totals = {k: sum(r.activities for r in rows if r.key == k) for k in eg.LEVELS}
    label = (
        "Activities by level of participation and quarter. In all: "
        + ", ".join(f"{eg.LEVELS[k].lower()} {n}" for k, n in totals.items())
        + "."
    )
    return _bar_chart(
        rows,
        field="activities",
        title="Activities",
        keys=eg.LEVELS,
        colours=LEVEL_COLOURS,
        heading="Activities by level of participation, by quarter",
        label=label,
    )


def reach_chart_svg(rows: list[eg.ReachRow]) -> str:
    if not rows:
        return ""
    label = (
        "People reached by group, with targets shown as red marks. "
        + "; ".join(
            f"{r.label}: {r.reached}" + (f" (target {r.target})" if r.target is not None else "")
            for r in rows
        )
        + "."
    )
    return engagement_svg.reach_bars(
        [engagement_svg.Reach(r.label, r.reached, r.target) for r in rows],
        title="People reached by group, with targets",
        x_title="People reached",
        label=label,
    )


# --------------------------------------------------------------------------- dashboard


def dashboard(org, *, start: dt.date, end: dt.date, on: dt.date, weeks: int = eg.LOOP_WEEKS):
    qs = selectors.in_period(selectors.activities(org), start, end)
    facts = selectors.activity_facts(qs)
    reach_facts = selectors.reach_facts(qs)
    insight_facts = [i for i in selectors.insight_facts(org) if start <= i.raised_on <= end]
    bands = eg.by_quarter(facts, by="band")
    levels = eg.by_quarter(facts, by="level")
    totals = eg.totals(facts)
    loop = eg.loop_closure(insight_facts, on=on, weeks=weeks)
    reach_rows = eg.reach(reach_facts)
    criteria = selectors.focus_criteria(org)
    focus = eg.focus_reach(reach_facts, criteria=criteria, activity_ids=[f.id for f in facts])
    quarters = list(dict.fromkeys(r.quarter for r in bands))
    band_table = [
        {
            "quarter": q,
            "cells": [r for r in bands if r.quarter == q],
            "activities": sum(r.activities for r in bands if r.quarter == q),
            "hours": number(sum((r.hours for r in bands if r.quarter == q), Decimal(0))),
        }
        for q in quarters
    ]
    level_table = [{"quarter": q, "cells": [r for r in levels if r.quarter == q]} for q in quarters]
    return {
        "start": start,
        "end": end,
        "totals": totals,
        "hours": number(totals.hours),
        "with_share": pct(totals.with_share),
        "to_share": pct(totals.to_share),
        "led_share": pct(totals.community_led_share),
        "evaluated_share": pct(totals.evaluated_share),
        "reviewed_share": pct(totals.reviewed_share),
        "loop": loop,
        "loop_rate": pct(loop.rate),
        "band_table": band_table,
        "level_table": level_table,
        "band_chart": band_chart_svg(bands, field="activities"),
        "hours_chart": band_chart_svg(bands, field="hours"),
        "level_chart": level_chart_svg(levels),
        "reach": [
            {"row": r, "against": pct(r.against_target) if r.target else ""} for r in reach_rows
        ],
        "reach_chart": reach_chart_svg(reach_rows),
        "focus": focus,
        "has_focus": criteria is not None,
        "overdue": [insight_row(i, on) for i in selectors.overdue_insights(org, on)],
        "bands": eg.BANDS,
        "levels": eg.LEVELS,
    }


# --------------------------------------------------------------------------- evaluation


def indicator_chart(ind: EvaluationIndicator) -> str:
    """The indicator's run chart, drawn by the action plan's run-chart code."""
    measurements = list(ind.measurements.all())
    like_plan_item = SimpleNamespace(
        measure_indicator="",
        measure_text=ind.name,
        unit=ind.unit,
        baseline=ind.baseline,
        target=ind.target,
    )
    return plan_presenters.run_chart_svg(like_plan_item, measurements)


def indicator_row(ind: EvaluationIndicator) -> dict[str, Any]:
    if ind.source == "hna":
        source = vocab.INDICATORS.get(ind.hna_indicator, ind.hna_indicator)
    elif ind.source == "plan" and ind.plan_item_id:
        source = f"Plan item: {ind.plan_item.title}"
    else:
        source = eg.INDICATOR_SOURCES[ind.source]
    return {
        "indicator": ind,
        "kind": eg.INDICATOR_KINDS[ind.kind],
        "source": source,
        "baseline": number(ind.baseline),
        "target": number(ind.target),
        "measurements": plan_presenters.measurement_rows(list(ind.measurements.all())),
        "chart": indicator_chart(ind),
    }


# --------------------------------------------------------------------------- evidence summary


def evidence(org, *, start: dt.date, end: dt.date, on: dt.date) -> dict[str, Any]:
    """Evidence of working with people and communities over a period: the dashboard's
    figures in words, what changed because people spoke up, work done with people, and how
    it is evaluated. Used by the summary page and by the practice equity report."""
    d = dashboard(org, start=start, end=end, on=on)
    acts = list(
        selectors.in_period(selectors.activities(org), start, end)
        .order_by("start_date", "id")
        .prefetch_related("partners")
    )
    closed = [
        insight_row(i, on)
        for i in selectors.insights(org)
        .filter(raised_on__gte=start, raised_on__lte=end, loop_closed_on__isnull=False)
        .exclude(response="")
        .order_by("raised_on", "id")
    ]
    with_people = [
        activity_row(a)
        | {
            "methods": labels(a.methods, eg.METHODS),
            "partners": ", ".join(p.name for p in a.partners.all()),
        }
        for a in acts
        if a.band == "with"
    ]
    adjusted = [a for a in acts if a.accessibility]
    languages = sorted(
        {x.strip() for a in acts for x in a.interpreter_languages.split(",") if x.strip()}
    )
    paid = [a for a in acts if a.payment != "none"]
    plans = []
    for p in selectors.evaluation_plans(org).prefetch_related("indicators__measurements"):
        inds = []
        for ind in p.indicators.all():
            ms = list(ind.measurements.all())
            inds.append(
                {
                    "name": ind.name,
                    "kind": eg.INDICATOR_KINDS[ind.kind],
                    "baseline": number(ind.baseline),
                    "target": number(ind.target),
                    "unit": ind.unit,
                    "latest": (number(ms[-1].value), ms[-1].measured_on) if ms else None,
                }
            )
        plans.append({"plan": p, "indicators": inds})
    return {
        "d": d,
        "start": start,
        "end": end,
        "closed": closed,
        "with_people": with_people,
        "adjusted": len(adjusted),
        "languages": ", ".join(languages),
        "paid": len(paid),
        "accessibility": ", ".join(
            f"{eg.ACCESSIBILITY[k]} ({n})"
            for k in eg.ACCESSIBILITY
            if (n := sum(1 for a in acts if k in a.accessibility))
        ),
        "partners": list(selectors.partners(org)),
        "plans": plans,
    }


def report_section(org) -> dict[str, Any] | None:
    """The engagement part of the practice equity report: the last 12 months, or None when
    nothing has been logged (the report then leaves the section out)."""
    if not selectors.activities(org).exists() and not selectors.insights(org).exists():
        return None
    on = selectors.today()
    return evidence(org, start=on - dt.timedelta(days=365), end=on, on=on)
