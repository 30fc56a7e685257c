"""Shape plan items, cycles and measurements for templates, the API and the run chart."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd

from gpequity.catalogue import vocab
from gpequity.web.charts import svg_for

from .models import OPEN_STATUSES, Measurement, PlanItem, Status

STATUS_TAG = {
    Status.NOT_STARTED: "grey",
    Status.IN_PROGRESS: "blue",
    Status.DONE: "green",
    Status.STOPPED: "orange",
}


def person(user) -> str:
    if user is None:
        return "No owner"
    return user.get_full_name() or user.get_username()


def is_overdue(item: PlanItem, on: dt.date) -> bool:
    return bool(item.due_date and item.due_date < on and item.status in OPEN_STATUSES)


def number(value: Decimal | None) -> str:
    """A decimal without trailing zeros ("12.5", "40"), or an empty string."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measure_label(item: PlanItem) -> str:
    if item.measure_indicator:
        return vocab.INDICATORS.get(item.measure_indicator, item.measure_indicator)
    return item.measure_text


def item_row(item: PlanItem, on: dt.date) -> dict[str, Any]:
    return {
        "item": item,
        "owner": person(item.owner),
        "status_label": Status(item.status).label,
        "status_colour": STATUS_TAG[Status(item.status)],
        "overdue": is_overdue(item, on),
        "measure": measure_label(item),
        "baseline": number(item.baseline),
        "target": number(item.target),
    }


def measurement_rows(measurements: list[Measurement]) -> list[dict[str, Any]]:
    return [
        {
            "id": m.pk,
            "measured_on": m.measured_on,
            "value": number(m.value),
            "note": m.note,
            "by": person(m.created_by),
        }
        for m in measurements
    ]


def run_chart_svg(item: PlanItem, measurements: list[Measurement]) -> str:
    """A run chart: the measurements over time with their median, baseline and target.

    Returned as inline SVG (``role="img"`` with a label that states the median, baseline and
    target in words, so nothing depends on colour); empty when there is nothing to plot.
    """
    if not measurements:
        return ""
    title = measure_label(item) or ""
    unit = f" ({item.unit})" if item.unit else ""
    points = tuple((m.measured_on.isoformat(), float(m.value)) for m in measurements)
    baseline = None if item.baseline is None else float(item.baseline)
    target = None if item.target is None else float(item.target)
    median = statistics.median(value for _, value in points)
    parts = [f"median {number(Decimal(str(median)))}"]
    if item.baseline is not None:
        parts.append(f"baseline {number(item.baseline)}")
    if item.target is not None:
        parts.append(f"target {number(item.target)}")
    label = (
        f"Run chart of {title or 'the measure'}: {len(measurements)} "
        f"measurements from {measurements[0].measured_on:%d %b %Y} to "
        f"{measurements[-1].measured_on:%d %b %Y}; " + ", ".join(parts) + "."
    )
    inputs = (title, unit, points, baseline, target)
    return svg_for(inputs, lambda: _run_chart(*inputs), label=label)


def _run_chart(title, unit, points, baseline, target) -> alt.LayerChart:
    data = pd.DataFrame(
        {"date": [day for day, _ in points], "value": [value for _, value in points]}
    )
    median = statistics.median(data["value"])
    y = alt.Y(
        "value:Q",
        title=f"{title or 'Value'}{unit}",
        scale=alt.Scale(zero=False, nice=True),
    )
    layers = [
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=60, filled=True), color="#005eb8")
        .encode(x=alt.X("date:T", title="Date measured"), y=y),
    ]
    refs = [("Median", median, "#4c6272", [2, 2])]
    if baseline is not None:
        refs.append(("Baseline", baseline, "#330072", [6, 3]))
    if target is not None:
        refs.append(("Target", target, "#007f3b", [8, 4]))
    for name, value, colour, dash in refs:
        rule = pd.DataFrame({"y": [value], "label": [f"{name} {number(Decimal(str(value)))}"]})
        base = alt.Chart(rule)
        layers.append(base.mark_rule(color=colour, strokeDash=dash, size=2).encode(y="y:Q"))
        layers.append(
            base.mark_text(align="right", dx=-4, dy=-6, color=colour, fontSize=12).encode(
                y="y:Q", x=alt.value(520), text="label:N"
            )
        )
    return alt.layer(*layers).properties(width=520, height=260)


def item_api(item: PlanItem, on: dt.date) -> dict[str, Any]:
    return {
        "id": item.pk,
        "action_key": item.action_key,
        "title": item.title,
        "owner": item.owner.get_username() if item.owner else None,
        "owner_name": person(item.owner) if item.owner else None,
        "start_date": item.start_date,
        "due_date": item.due_date,
        "objective": item.objective,
        "measure_indicator": item.measure_indicator or None,
        "measure_text": item.measure_text,
        "baseline": float(item.baseline) if item.baseline is not None else None,
        "target": float(item.target) if item.target is not None else None,
        "unit": item.unit,
        "status": item.status,
        "overdue": is_overdue(item, on),
        "version": item.version,
        "updated_at": item.updated_at,
    }


def breadcrumbs(org, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(org.name, f"/orgs/{org.ods_code}/"), *extra]


def due_summary(org, *, shown: int = 5) -> dict[str, Any]:
    """Open plan items overdue, then due soon: the first few of each and the counts."""
    from . import selectors

    today = selectors.today()
    items = selectors.plan_items(org)
    overdue = list(selectors.overdue(items, on=today).order_by("due_date", "id"))
    soon = list(selectors.due_soon(items, on=today).order_by("due_date", "id"))
    return {
        "overdue": [item_row(i, today) for i in overdue[:shown]],
        "overdue_count": len(overdue),
        "due_soon": [item_row(i, today) for i in soon[:shown]],
        "due_soon_count": len(soon),
        "days": selectors.DUE_SOON_DAYS,
        "today": today,
    }
