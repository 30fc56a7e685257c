"""Shape plan items, cycles and measurements for templates, the API and the run chart."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from typing import Any

from gpequity.catalogue import vocab
from gpequity.spc import svg as spc_svg

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
    median = statistics.median(float(m.value) for m in measurements)
    refs = [spc_svg.Reference(f"Median {number(Decimal(str(median)))}", median, "#4c6272", "2 2")]
    if item.baseline is not None:
        refs.append(
            spc_svg.Reference(
                f"Baseline {number(item.baseline)}", float(item.baseline), "#330072", "6 3"
            )
        )
    if item.target is not None:
        refs.append(
            spc_svg.Reference(f"Target {number(item.target)}", float(item.target), "#007f3b", "8 4")
        )
    label = (
        f"Run chart of {title or 'the measure'}: {len(measurements)} "
        f"measurements from {measurements[0].measured_on:%d %b %Y} to "
        f"{measurements[-1].measured_on:%d %b %Y}; "
        + ", ".join(r.label[0].lower() + r.label[1:] for r in refs)
        + "."
    )
    return spc_svg.run_chart(
        [(m.measured_on, float(m.value)) for m in measurements],
        label=label,
        y_title=f"{title or 'Value'}{unit}",
        references=refs,
    )


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
