"""Shape HNA runs and results for templates, exports and the API; draw the charts (ADR 17).

Charts are Vega-Altair rendered to SVG on the server (``gpequity.web.charts``), each with a
label in words and a data table beside it on the page. A rendered chart is kept in
``RenderedChart``: results never change once stored, and a render takes a tenth of a second.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd

from gpequity.hna import results as core_results
from gpequity.hna.columns import GROUPINGS
from gpequity.hna.indicators import Indicator
from gpequity.web.charts import chart_to_svg

from . import selectors
from .models import RenderedChart, Run
from .words import format_value, group_label, grouping_label

BLUE, GREY, DARK = "#005eb8", "#4c6272", "#212b32"
NO_PATIENTS = "No patients in this group"
CANNOT = "Cannot be calculated"
SUPPRESSED = "Suppressed"
COMPARED = {
    "lower": "Lower than the rest",
    "higher": "Higher than the rest",
    "similar": "Similar to the rest",
    "not_compared": "Not compared",
}


def definitions(run: Run) -> list[Indicator]:
    return [Indicator.model_validate(d) for d in run.definitions or []]


def definition_map(run: Run) -> dict[str, Indicator]:
    return {d.id: d for d in definitions(run)}


def direction(d: Indicator) -> str:
    if d.higher_is_better is None:
        return "Neither higher nor lower is better: this describes the practice's population."
    return "Higher is better." if d.higher_is_better else "Lower is better."


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def shown_value(row: dict[str, Any] | None, kind: str) -> str:
    """A value as shown in a table: "suppressed", "no patients" and "cannot be calculated"
    are different things and read differently."""
    if row is None:
        return NO_PATIENTS
    if row.get("suppressed"):
        return SUPPRESSED
    if _missing(row.get("value")):
        return CANNOT
    return format_value(row["value"], kind)


def interval(row: dict[str, Any], kind: str) -> str:
    if row.get("suppressed"):
        return SUPPRESSED
    if _missing(row.get("lower")) or _missing(row.get("upper")):
        return CANNOT
    return f"{format_value(row['lower'], kind)} to {format_value(row['upper'], kind)}"


# --------------------------------------------------------------------------- charts


def _chart_key(organisation, key: str) -> str:
    return f"{organisation.pk}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def kept_svgs(organisation, keys: list[str]) -> dict[str, str]:
    """The kept charts among ``keys`` in one query (a page of charts asks once, not per chart)."""
    full = {_chart_key(organisation, k): k for k in keys}
    found = RenderedChart.objects.filter(key__in=list(full)).values_list("key", "svg")
    return {full[k]: svg for k, svg in found}


def cached_svg(run: Run | None, organisation, key: str, draw, kept=None) -> str:
    """The chart for ``key``, drawn by ``draw()`` the first time and kept. ``kept`` (from
    ``kept_svgs``) saves the lookup when the page has already fetched its charts."""
    full = _chart_key(organisation, key)
    if kept is not None:
        hit = kept.get(key)
    else:
        hit = RenderedChart.objects.filter(key=full).values_list("svg", flat=True).first()
    if hit is not None:
        return hit
    svg = draw()
    RenderedChart.objects.get_or_create(
        key=full, defaults={"svg": svg, "organisation": organisation, "run": run}
    )
    return svg


def _axis_title(d: Indicator) -> str:
    return f"{d.title} (%)" if d.kind == "proportion" else d.title


def _scale(d: Indicator, v: float | None) -> float | None:
    if _missing(v):
        return None
    return 100 * v if d.kind == "proportion" else v


def group_chart(d: Indicator, grouping: str, rows: list[dict[str, Any]], overall: dict | None):
    """Value by group with its 95% interval, and the practice's overall value as a line."""
    data = pd.DataFrame(
        [
            {
                "group": group_label(grouping, r["group"]),
                "value": _scale(d, r["value"]),
                "lower": _scale(d, r["lower"]),
                "upper": _scale(d, r["upper"]),
            }
            for r in rows
            if not _missing(r["value"]) and not r["suppressed"]
        ]
    )
    if data.empty:
        return ""
    order = list(data["group"])
    y = alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    x = alt.X("value:Q", title=_axis_title(d), scale=alt.Scale(zero=d.kind == "proportion"))
    base = alt.Chart(data)
    layers = [
        base.mark_rule(color=GREY, size=2).encode(
            x=alt.X("lower:Q", title=_axis_title(d)), x2="upper:Q", y=y
        ),
        base.mark_point(filled=True, size=80, color=BLUE, shape="diamond").encode(x=x, y=y),
    ]
    parts = [
        f"{row.group} {format_value(row.value / (100 if d.kind == 'proportion' else 1), d.kind)}"
        for row in data.itertuples()
    ]
    label = f"{d.title} by {grouping_label(grouping).lower()}, with 95% intervals: " + "; ".join(
        parts
    )
    if overall is not None and not _missing(overall["value"]):
        rule = pd.DataFrame({"value": [_scale(d, overall["value"])]})
        layers.append(alt.Chart(rule).mark_rule(color=DARK, strokeDash=[4, 3]).encode(x="value:Q"))
        label += (
            f". The dashed line is the whole practice: {format_value(overall['value'], d.kind)}."
        )
    chart = alt.layer(*layers).properties(width=420, height=max(60, 28 * len(data)))
    return chart_to_svg(chart, label=label)


@dataclass
class Gradient:
    grouping: str
    sii: float | None
    sii_lower: float | None
    sii_upper: float | None
    rii: float | None
    rii_lower: float | None
    rii_upper: float | None
    words: list[str] = field(default_factory=list)


def _fitted(d: Indicator, g: dict[str, Any]):
    """The fitted gradient as a function of rank (0 = most deprived, 1 = least), from SII and
    RII: for proportions a straight line on the logit scale, for means a straight line."""
    sii, rii = g["sii"], g["rii"]
    if _missing(sii) or _missing(rii) or rii == 1:
        return None
    v0 = sii / (rii - 1)
    v1 = v0 * rii
    if d.kind == "proportion":
        if not (0 < v0 < 1 and 0 < v1 < 1):
            return None
        a = math.log(v0 / (1 - v0))
        b = math.log(v1 / (1 - v1)) - a
        return lambda r: 1 / (1 + math.exp(-(a + b * r)))
    return lambda r: v0 + sii * r


def gradient_words(d: Indicator, g: dict[str, Any]) -> list[str]:
    kind = d.kind
    if _missing(g["sii"]):
        return ["The gradient cannot be calculated (every decile needs patients)."]
    unit = " percentage points" if kind == "proportion" else ""
    size = abs(g["sii"]) * (100 if kind == "proportion" else 1)
    where = "least" if g["sii"] > 0 else "most"
    words = [
        f"Slope index of inequality (SII): {size:.1f}{unit} higher in the {where} deprived "
        f"than in the {'most' if where == 'least' else 'least'} deprived, from one end of the "
        "practice's population to the other"
        + (
            f" (95% interval {_signed(g['sii_lower'], kind)} to {_signed(g['sii_upper'], kind)})."
            if not _missing(g["sii_lower"])
            else "."
        )
    ]
    if not _missing(g["rii"]):
        words.append(
            f"Relative index of inequality (RII): {g['rii']:.2f}, the least deprived end's "
            f"value is {g['rii']:.2f} times the most deprived end's"
            + (
                f" (95% interval {g['rii_lower']:.2f} to {g['rii_upper']:.2f})."
                if not _missing(g["rii_lower"])
                else "."
            )
        )
    if not _missing(g["sii_lower"]) and g["sii_lower"] <= 0 <= g["sii_upper"]:
        words.append("The interval of the SII includes zero: the gradient may be chance.")
    elif d.higher_is_better is not None:
        worse = (g["sii"] > 0) == bool(d.higher_is_better)
        words.append(
            "The more deprived fare worse on this indicator."
            if worse
            else "The more deprived fare better on this indicator."
        )
    return words


def _signed(v: float, kind: str) -> str:
    return f"{v * (100 if kind == 'proportion' else 1):+.1f}"


def gradient_chart(d: Indicator, rows: list[dict[str, Any]], g: dict[str, Any] | None) -> str:
    """Each IMD decile's value at its population rank, with 95% intervals and the SII line."""
    cells = [r for r in rows if r["group"] != "unknown" and not _missing(r["value"])]
    if len(cells) < 2:
        return ""
    total = sum(r["denominator"] for r in cells)
    points, before = [], 0
    for r in sorted(cells, key=lambda r: int(r["group"])):
        share = r["denominator"] / total
        points.append(
            {
                "rank": before + share / 2,
                "decile": f"Decile {r['group']}",
                "value": _scale(d, r["value"]),
                "lower": _scale(d, r["lower"]),
                "upper": _scale(d, r["upper"]),
            }
        )
        before += share
    data = pd.DataFrame(points)
    x = alt.X(
        "rank:Q",
        title="Population rank, most deprived (0) to least deprived (1)",
        scale=alt.Scale(domain=[0, 1]),
    )
    layers = [
        alt.Chart(data)
        .mark_rule(color=GREY, size=2)
        .encode(x=x, y=alt.Y("lower:Q", title=_axis_title(d)), y2="upper:Q"),
        alt.Chart(data)
        .mark_point(filled=True, size=70, color=BLUE)
        .encode(x=x, y=alt.Y("value:Q", title=_axis_title(d))),
    ]
    label = f"{d.title} by IMD decile, most deprived first: " + "; ".join(
        f"{p['decile']} {format_value(p['value'] / (100 if d.kind == 'proportion' else 1), d.kind)}"
        for p in points
    )
    fit = _fitted(d, g) if g else None
    if fit is not None:
        line = pd.DataFrame([{"rank": r / 20, "value": _scale(d, fit(r / 20))} for r in range(21)])
        layers.append(
            alt.Chart(line).mark_line(color=DARK, strokeDash=[6, 3]).encode(x=x, y="value:Q")
        )
        label += ". The dashed line is the fitted slope index of inequality."
    chart = alt.layer(*layers).properties(width=460, height=240)
    return chart_to_svg(chart, label=label)


# --------------------------------------------------------------------------- pages


def expected_groups(grouping: str, seen: list[str]) -> list[str]:
    order = core_results.GROUP_ORDER.get(grouping, ("yes", "no"))
    return [*order, *(g for g in seen if g not in order)]


def grouping_tables(run: Run, d: Indicator, *, charts: bool = True) -> list[dict[str, Any]]:
    """One section per grouping: its rows (every expected group, with "no patients" where
    the group is empty), its chart and its CSV link."""
    rows = selectors.indicator_rows(run, d.id)
    by_grouping: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_grouping.setdefault(r["grouping"], []).append(r)
    overall = next(iter(by_grouping.get("overall", [])), None)
    kept = (
        kept_svgs(run.organisation, [f"group:{run.pk}:{d.id}:{g}" for g in by_grouping])
        if charts
        else {}
    )
    sections = []
    for grouping, items in by_grouping.items():
        if grouping in ("overall", "imd_decile"):
            continue
        present = {r["group"]: r for r in items}
        table = []
        for group in expected_groups(grouping, list(present)):
            if grouping == "focus_group" and group not in present and not present:
                continue
            r = present.get(group)
            table.append(
                {
                    "group": group,
                    "label": group_label(grouping, group),
                    "numerator": "" if r is None else _count(r["numerator"], d.kind),
                    "denominator": "" if r is None else f"{r['denominator']:,}",
                    "value": shown_value(r, d.kind),
                    "interval": "" if r is None else interval(r, d.kind),
                    "compared": "" if r is None else COMPARED.get(r["compared_with_rest"], ""),
                }
            )
        key = f"group:{run.pk}:{d.id}:{grouping}"
        svg = charts and cached_svg(
            run,
            run.organisation,
            key,
            lambda items=items, g=grouping: group_chart(d, g, items, overall),
            kept,
        )
        sections.append(
            {
                "grouping": grouping,
                "label": grouping_label(grouping),
                "phrase": _phrase(grouping_label(grouping)),
                "rows": table,
                "chart": svg,
                "id": f"grouping-{grouping}".replace("_", "-"),
            }
        )
    return sections


def _phrase(label: str) -> str:
    """A heading label inside a sentence: first letter small unless it starts an acronym."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def _count(v: Any, kind: str) -> str:
    if _missing(v):
        return ""
    return f"{v:,.2f}" if kind == "mean" else f"{int(v):,}"


def gradient_section(run: Run, d: Indicator) -> dict[str, Any] | None:
    rows = [r for r in selectors.indicator_rows(run, d.id) if r["grouping"] == "imd_decile"]
    if not rows:
        return None
    grads = {g["grouping"]: g for g in selectors.gradient_rows(run, d.id)}
    g = grads.get("imd_decile")
    svg = cached_svg(
        run, run.organisation, f"gradient:{run.pk}:{d.id}", lambda: gradient_chart(d, rows, g)
    )
    present = {r["group"]: r for r in rows}
    table = [
        {
            "label": group_label("imd_decile", group),
            "denominator": f"{present[group]['denominator']:,}" if group in present else "",
            "value": shown_value(present.get(group), d.kind),
            "interval": interval(present[group], d.kind) if group in present else "",
        }
        for group in expected_groups("imd_decile", list(present))
    ]
    return {
        "chart": svg,
        "rows": table,
        "words": gradient_words(d, g) if g else [_no_gradient(run, d.id, "imd_decile")],
        "quintile_words": gradient_words(d, grads["imd_quintile"])
        if "imd_quintile" in grads
        else [],
    }


def _no_gradient(run: Run, indicator: str, grouping: str) -> str:
    """Why a gradient is missing, from the engine's own note."""
    prefix = f"{indicator}: no {grouping} gradient ("
    for note in run.notes or []:
        if note.startswith(prefix):
            return f"The gradient cannot be calculated: {note[len(prefix) :].rstrip(')')}."
    return "The gradient cannot be calculated: it needs patients in every IMD decile."


def csv_bytes(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    """Rows as CSV, cells written the way the CLI writes them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([core_results._csv_cell(r[c]) for c in columns] for r in rows)
    return out.getvalue().encode("utf-8")


def known_groupings() -> tuple[str, ...]:
    return tuple(GROUPINGS) if not isinstance(GROUPINGS, dict) else tuple(GROUPINGS.keys())


# --------------------------------------------------------------------------- overview

RECORDING = ("ethnicity_recorded", "language_recorded", "smoking_status_recorded")


def _row(rows, indicator, grouping, group):
    return next(
        (
            r
            for r in rows
            if (r["indicator"], r["grouping"], r["group"]) == (indicator, grouping, group)
        ),
        None,
    )


FINDINGS_SHOWN = 10


def run_findings(run: Run, rows=None, defs=None) -> list:
    """The run's findings (``gpequity.findings``), worked out once per run and framework and
    kept in the cache: a finished run's results never change."""
    from django.core.cache import cache

    from gpequity.findings import find

    key = f"hna-findings:{run.pk}:{run.organisation.framework}"
    found = cache.get(key)
    if found is None:
        rows = selectors.indicator_rows(run) if rows is None else rows
        defs = definitions(run) if defs is None else defs
        found = find(rows, definitions=defs, pack=run.organisation.framework)
        cache.set(key, found, 24 * 3600)
    return found


def overview(run: Run, *, all_findings: bool = False) -> dict[str, Any]:
    """List size, Focus group size and share, completeness overall and in the Focus group."""
    rows = selectors.indicator_rows(run)
    defs = definitions(run)
    by_id = {d.id: d for d in defs}
    everyone = next(
        (
            _row(rows, d.id, "overall", "all")
            for d in defs
            if d.id in ("ethnicity_recorded", "ld_register", "carer_register")
        ),
        None,
    )
    list_size = everyone["denominator"] if everyone else None
    focus_in = _row(rows, "ethnicity_recorded", "focus_group", "in")
    focus_size = focus_in["denominator"] if focus_in else (0 if run.focus_criteria else None)
    completeness = []
    for ind in RECORDING:
        if ind not in by_id:
            continue
        d = by_id[ind]
        completeness.append(
            {
                "title": d.title,
                "overall": shown_value(_row(rows, ind, "overall", "all"), d.kind),
                "focus": shown_value(_row(rows, ind, "focus_group", "in"), d.kind)
                if run.focus_criteria
                else "",
            }
        )
    blank = ((run.validation or {}).get("completeness") or {}).get("blank_share") or {}
    findings = run_findings(run, rows, defs)
    shown = findings if all_findings else findings[:FINDINGS_SHOWN]
    return {
        "list_size": list_size,
        "focus_size": focus_size,
        "focus_share": (focus_size / list_size) if list_size and focus_size is not None else None,
        "completeness": completeness,
        "imd_blank": blank.get("imd_decile"),
        "findings": shown,
        "finding_count": len(findings),
        "more_findings": len(shown) < len(findings),
        "indicators": [
            {"d": d, "overall": shown_value(_row(rows, d.id, "overall", "all"), d.kind)}
            for d in defs
        ],
    }


# --------------------------------------------------------------------------- trends


TREND_PAIRS = [("overall", "all"), ("focus_group", "in"), ("imd_quintile", "Q1")]


def trend_lines(
    organisation, d: Indicator, run_ids: list[str] | None = None, data: dict | None = None
) -> list[dict]:
    """Overall, the Focus group, and the most deprived fifth against the rest, run by run
    (over ``run_ids`` when given, else every finished run). ``data`` is this indicator's
    part of ``selectors.series_all`` when the caller has fetched every indicator at once."""
    pairs = TREND_PAIRS
    if data is None:
        data = selectors.series(organisation, d.id, pairs, run_ids)
    overall = {r["run_id"]: r for r in data[("overall", "all")]}
    lines = []
    for (grouping, group), label in (
        (("overall", "all"), "Whole practice"),
        (("focus_group", "in"), "Focus group"),
        (("imd_quintile", "Q1"), group_label("imd_quintile", "Q1").capitalize()),
    ):
        points = [
            {"as_of": r["run__as_of"], "value": r["value"], "run_id": r["run_id"]}
            for r in data[(grouping, group)]
            if not _missing(r["value"])
        ]
        if points:
            lines.append({"label": label, "points": points})
    rest = []
    for r in data[("imd_quintile", "Q1")]:
        total = overall.get(r["run_id"])
        if total is None or total["denominator"] - r["denominator"] <= 0:
            continue
        rest.append(
            {
                "as_of": r["run__as_of"],
                "value": (total["numerator"] - r["numerator"])
                / (total["denominator"] - r["denominator"]),
                "run_id": r["run_id"],
            }
        )
    if rest:
        lines.append({"label": "Everyone else (Q2 to Q5 and unknown)", "points": rest})
    return lines


def trend_chart(d: Indicator, lines: list[dict[str, Any]]) -> str:
    records = [
        {"date": p["as_of"].isoformat(), "value": _scale(d, p["value"]), "line": line["label"]}
        for line in lines
        for p in line["points"]
    ]
    if not records:
        return ""
    data = pd.DataFrame(records)
    order = [line["label"] for line in lines]
    colours = [BLUE, "#330072", "#d5281b", GREY][: len(order)]
    dashes = [[1, 0], [6, 3], [2, 2], [8, 4]][: len(order)]
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=50, filled=True))
        .encode(
            x=alt.X("date:T", title="As of"),
            y=alt.Y("value:Q", title=_axis_title(d), scale=alt.Scale(zero=False)),
            color=alt.Color(
                "line:N",
                sort=order,
                scale=alt.Scale(domain=order, range=colours),
                legend=alt.Legend(title=None, orient="bottom", columns=1),
            ),
            strokeDash=alt.StrokeDash(
                "line:N", sort=order, scale=alt.Scale(domain=order, range=dashes), legend=None
            ),
        )
        .properties(width=460, height=220)
    )
    label = f"{d.title} over time: " + "; ".join(
        f"{line['label']} from {format_value(line['points'][0]['value'], d.kind)} to "
        f"{format_value(line['points'][-1]['value'], d.kind)}"
        for line in lines
    )
    return chart_to_svg(chart, label=label)


def trends(
    organisation, run_ids: list[str], defs: list[Indicator], *, only: bool = False
) -> list[dict[str, Any]]:
    """Each indicator over the runs ``run_ids`` (all the practice's finished runs, in as-of
    order). ``only`` keeps the lines to exactly those runs (a report of an earlier run)."""
    out = []
    tag = hashlib.sha256(",".join(run_ids).encode()).hexdigest()[:16]
    every = selectors.series_all(organisation, TREND_PAIRS, run_ids if only else None)
    kept = kept_svgs(organisation, [f"trend:{tag}:{d.id}" for d in defs])
    for d in defs:
        empty = {p: [] for p in TREND_PAIRS}
        lines = trend_lines(organisation, d, data=every.get(d.id, empty))
        if not lines:
            continue
        svg = cached_svg(
            None,
            organisation,
            f"trend:{tag}:{d.id}",
            lambda d=d, lines=lines: trend_chart(d, lines),
            kept,
        )
        dates = sorted({p["as_of"] for line in lines for p in line["points"]})
        table = [
            {
                "as_of": day,
                "cells": [
                    {
                        "label": line["label"],
                        "value": next(
                            (
                                format_value(p["value"], d.kind)
                                for p in line["points"]
                                if p["as_of"] == day
                            ),
                            "Not measured",
                        ),
                    }
                    for line in lines
                ],
            }
            for day in dates
        ]
        out.append({"d": d, "lines": lines, "chart": svg, "table": table})
    return out


def overall_line(run: Run, d: Indicator) -> dict[str, Any] | None:
    rows = selectors.indicator_rows(run, d.id)
    r = _row(rows, d.id, "overall", "all")
    if r is None:
        return None
    return {
        "value": shown_value(r, d.kind),
        "interval": interval(r, d.kind),
        "numerator": _count(r["numerator"], d.kind),
        "denominator": f"{r['denominator']:,}",
    }


def plan_keys(organisation) -> dict[str, int]:
    """Action keys already in the plan, with their item ids."""
    from gpequity.web.plans.models import PlanItem

    return dict(PlanItem.objects.filter(organisation=organisation).values_list("action_key", "pk"))


def profile(report: dict[str, Any]) -> list[str]:
    """The data profile in plain English lines, from the stored validation report."""
    from gpequity.hna.validate import ValidationReport

    text = ValidationReport(completeness=report.get("completeness") or {}).profile()
    return [line.strip().removeprefix("- ") for line in text.splitlines()[1:]]
