"""REST endpoints of the plans area (mounted on /api/orgs/ by gpequity.web.api)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Router, Schema

from gpequity.web.core.apiauth import ORG_AUTH
from gpequity.web.orgs import access

from . import presenters, selectors

router = Router(tags=["plans"], auth=ORG_AUTH)


class PlanItemOut(Schema):
    id: int
    action_key: str
    title: str
    owner: str | None
    owner_name: str | None
    start_date: dt.date | None
    due_date: dt.date | None
    objective: str
    measure_indicator: str | None
    measure_text: str
    baseline: float | None
    target: float | None
    unit: str
    status: str
    overdue: bool
    version: int
    updated_at: dt.datetime


class CycleOut(Schema):
    number: int
    plan: str
    do: str
    study: str
    act: str
    started_on: dt.date | None
    completed_on: dt.date | None


class MeasurementOut(Schema):
    measured_on: dt.date
    value: float
    note: str


class PlanItemDetailOut(PlanItemOut):
    cycles: list[CycleOut]
    measurements: list[MeasurementOut]


@router.get("/{ods_code}/plan", response=list[PlanItemOut], summary="The action plan")
def list_plan(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    today = selectors.today()
    return [presenters.item_api(i, today) for i in selectors.plan_items(org)]


@router.get(
    "/{ods_code}/plan/{item_id}",
    response=PlanItemDetailOut,
    summary="One plan item with its cycles and measurements",
)
def get_plan_item(request, ods_code: str, item_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    item = selectors.plan_item(org, item_id)
    if item is None:
        raise Http404("No such plan item")
    return presenters.item_api(item, selectors.today()) | {
        "cycles": [
            {
                "number": c.number,
                "plan": c.plan,
                "do": c.do,
                "study": c.study,
                "act": c.act,
                "started_on": c.started_on,
                "completed_on": c.completed_on,
            }
            for c in item.cycles.all()
        ],
        "measurements": [
            {"measured_on": m.measured_on, "value": float(m.value), "note": m.note}
            for m in item.measurements.all()
        ],
    }
