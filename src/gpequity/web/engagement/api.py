"""REST endpoints of the engagement area (mounted on /api/orgs/ by gpequity.web.api).

Same access rules as the pages: no view permission means 404; writes need edit (an insight's
owner with contribute may record its response and close its loop), else 403. Bad values give
422 with the field named, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import django_auth

from gpequity import engagement as eg
from gpequity.web.orgs import access
from gpequity.web.plans.models import PlanItem

from . import presenters, selectors, services
from .models import Activity, Insight

router = Router(tags=["engagement"], auth=django_auth)


class MessageOut(Schema):
    detail: str


class ReachOut(Schema):
    id: int
    activity: int
    grouping: str
    group: str
    label: str
    count: int
    target: int | None


class ActivityOut(Schema):
    id: int
    title: str
    start_date: dt.date
    end_date: dt.date | None
    purpose: str
    level: str
    band: str
    band_overridden: bool
    band_override_reason: str
    stages: list[str]
    methods: list[str]
    method_other: str
    partners: list[str]
    accessibility: list[str]
    interpreter_languages: str
    accessibility_notes: str
    payment: str
    payment_notes: str
    community_led: bool
    hours: float
    action_keys: list[str]
    indicator_ids: list[str]
    plan_items: list[int]
    review_went_well: str
    review_do_differently: str
    reviewed_on: dt.date | None
    version: int
    reach: list[ReachOut]


class ActivityIn(Schema):
    title: str
    start_date: dt.date
    end_date: dt.date | None = None
    purpose: str = ""
    level: str
    band_override: str = ""
    band_override_reason: str = ""
    stages: list[str] = []
    methods: list[str] = []
    method_other: str = ""
    partners: list[str] = []
    accessibility: list[str] = []
    interpreter_languages: str = ""
    accessibility_notes: str = ""
    payment: str = "none"
    payment_notes: str = ""
    community_led: bool = False
    hours: Decimal = Decimal(0)
    action_keys: list[str] = []
    indicator_ids: list[str] = []
    plan_items: list[int] = []


class ReachIn(Schema):
    grouping: str
    group: str
    count: int
    target: int | None = None


class InsightOut(Schema):
    id: int
    theme: str
    detail: str
    times_raised: int
    raised_on: dt.date
    activity: int | None
    owner: str | None
    due_date: dt.date | None
    overdue: bool
    response: str
    response_reason: str
    responded_on: dt.date | None
    plan_item: int | None
    action_taken: str
    difference_made: str
    loop_closed_on: dt.date | None
    loop_methods: list[str]
    loop_notes: str
    version: int


class InsightIn(Schema):
    theme: str
    raised_on: dt.date
    detail: str = ""
    times_raised: int = 1
    activity: int | None = None
    owner: str | None = None
    due_date: dt.date | None = None


class ResponseIn(Schema):
    response: str
    responded_on: dt.date
    response_reason: str = ""
    plan_item: int | None = None
    action_taken: str = ""
    difference_made: str = ""


class LoopIn(Schema):
    loop_closed_on: dt.date
    loop_methods: list[str]
    loop_notes: str = ""


class MeasurementOut(Schema):
    measured_on: dt.date
    value: float
    note: str


class IndicatorOut(Schema):
    id: int
    name: str
    kind: str
    source: str
    hna_indicator: str
    plan_item: int | None
    source_notes: str
    baseline: float | None
    target: float | None
    unit: str
    measurements: list[MeasurementOut]


class EvaluationPlanOut(Schema):
    id: int
    title: str
    activities: list[int]
    plan_item: int | None
    logic_model: dict[str, str]
    community_involved: bool
    community_role: str
    version: int
    indicators: list[IndicatorOut]


class EvaluationPlanIn(Schema):
    title: str
    activities: list[int] = []
    plan_item: int | None = None
    logic_model: dict[str, str] = {}
    community_involved: bool = False
    community_role: str = ""


class IndicatorIn(Schema):
    name: str
    kind: str
    source: str
    hna_indicator: str = ""
    plan_item: int | None = None
    source_notes: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    unit: str = ""


class MeasurementIn(Schema):
    measured_on: dt.date
    value: Decimal
    note: str = ""


class DashboardOut(Schema):
    start: dt.date
    end: dt.date
    activities: int
    hours: float
    by_band: dict[str, int]
    with_share: float | None
    community_led_share: float | None
    evaluated_share: float | None
    loop_closure: dict[str, Any]
    by_quarter: list[dict[str, Any]]
    reach: list[dict[str, Any]]
    overdue_insights: list[int]


# --------------------------------------------------------------------------- shaping


def _f(value) -> float | None:
    return float(value) if value is not None else None


def _reach(r) -> dict:
    return {
        "id": r.pk,
        "activity": r.activity_id,
        "grouping": r.grouping,
        "group": r.group,
        "label": eg.group_label(r.grouping, r.group),
        "count": r.count,
        "target": r.target,
    }


def _activity(a: Activity) -> dict:
    return {
        **{f: getattr(a, f) for f in services.ACTIVITY_FIELDS},
        "id": a.pk,
        "hours": float(a.hours),
        "band_overridden": a.band_overridden,
        "partners": [p.name for p in a.partners.all()],
        "plan_items": [p.pk for p in a.plan_items.all()],
        "review_went_well": a.review_went_well,
        "review_do_differently": a.review_do_differently,
        "reviewed_on": a.reviewed_on,
        "version": a.version,
        "reach": [_reach(r) for r in a.reach.all()],
    }


def _insight(i: Insight, on: dt.date) -> dict:
    return {
        **{f: getattr(i, f) for f in services.INSIGHT_FIELDS},
        "id": i.pk,
        "activity": i.activity_id,
        "owner": i.owner.get_username() if i.owner_id else None,
        "plan_item": i.plan_item_id,
        "overdue": eg.is_overdue(eg.InsightFact(i.pk, i.raised_on, i.due_date, i.response), on),
        "version": i.version,
    }


def _plan(p) -> dict:
    return {
        "id": p.pk,
        "title": p.title,
        "activities": sorted(p.activities.values_list("pk", flat=True)),
        "plan_item": p.plan_item_id,
        "logic_model": {
            k: getattr(p, f) for k, f in zip(eg.LOGIC_MODEL, services.LOGIC_FIELDS, strict=True)
        },
        "community_involved": p.community_involved,
        "community_role": p.community_role,
        "version": p.version,
        "indicators": [
            {
                "id": i.pk,
                "name": i.name,
                "kind": i.kind,
                "source": i.source,
                "hna_indicator": i.hna_indicator,
                "plan_item": i.plan_item_id,
                "source_notes": i.source_notes,
                "baseline": _f(i.baseline),
                "target": _f(i.target),
                "unit": i.unit,
                "measurements": [
                    {"measured_on": m.measured_on, "value": float(m.value), "note": m.note}
                    for m in i.measurements.all()
                ],
            }
            for i in p.indicators.all()
        ],
    }


def _org(request, ods_code: str, perm: str = access.VIEW):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if perm != access.VIEW and not access.can(request.user, org, perm):
        raise HttpError(403, "You can view this organisation but not change it.")
    return org


def _unprocessable(exc: ValidationError):
    if hasattr(exc, "message_dict"):
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    else:
        text = " ".join(exc.messages)
    return Status(422, MessageOut(detail=text))


# --------------------------------------------------------------------------- activities


@router.get(
    "/{ods_code}/engagement/activities",
    response=list[ActivityOut],
    summary="Engagement activities with their reach",
)
def list_engagement_activities(request, ods_code: str):
    org = _org(request, ods_code)
    qs = selectors.activities(org).prefetch_related("partners", "plan_items", "reach")
    return [_activity(a) for a in qs]


@router.get(
    "/{ods_code}/engagement/activities/{activity_id}",
    response=ActivityOut,
    summary="One engagement activity",
)
def get_engagement_activity(request, ods_code: str, activity_id: int):
    org = _org(request, ods_code)
    a = selectors.activity(org, activity_id)
    if a is None:
        raise Http404("No such activity")
    return _activity(a)


@router.post(
    "/{ods_code}/engagement/activities",
    response={201: ActivityOut, 403: MessageOut, 422: MessageOut},
    summary="Log an activity (the band follows the level unless overridden with a reason)",
)
def create_engagement_activity(request, ods_code: str, payload: ActivityIn):
    org = _org(request, ods_code, access.EDIT)
    data = payload.dict()
    partners = {p.name: p for p in selectors.partners(org)}
    unknown = [n for n in data["partners"] if n not in partners]
    if unknown:
        return Status(422, MessageOut(detail=f"partners: '{unknown[0]}' is not in your list"))
    data["partners"] = [partners[n] for n in data["partners"]]
    items = {p.pk: p for p in PlanItem.objects.filter(organisation=org)}
    missing = [n for n in data["plan_items"] if n not in items]
    if missing:
        return Status(422, MessageOut(detail=f"plan_items: {missing[0]} is not in this plan"))
    data["plan_items"] = [items[n] for n in data["plan_items"]]
    try:
        a = services.activity_create(actor=request.user, organisation=org, data=data)
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(201, _activity(a))


@router.get(
    "/{ods_code}/engagement/reach",
    response=list[ReachOut],
    summary="People reached, by activity and group (counts only)",
)
def list_engagement_reach(request, ods_code: str):
    org = _org(request, ods_code)
    return [_reach(r) for r in selectors.reach(org).order_by("activity_id", "grouping", "group")]


@router.post(
    "/{ods_code}/engagement/activities/{activity_id}/reach",
    response={200: ReachOut, 403: MessageOut, 422: MessageOut},
    summary="Record how many people of a group an activity reached (replaces a count)",
)
def set_engagement_reach(request, ods_code: str, activity_id: int, payload: ReachIn):
    org = _org(request, ods_code, access.EDIT)
    a = selectors.activity(org, activity_id)
    if a is None:
        raise Http404("No such activity")
    try:
        row = services.reach_set(actor=request.user, activity=a, **payload.dict())
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(200, _reach(row))


# --------------------------------------------------------------------------- insights


@router.get(
    "/{ods_code}/engagement/insights",
    response=list[InsightOut],
    summary="You said, we did: what people raised and the responses",
)
def list_engagement_insights(request, ods_code: str):
    org = _org(request, ods_code)
    on = selectors.today()
    return [_insight(i, on) for i in selectors.insights(org)]


@router.get(
    "/{ods_code}/engagement/insights/{insight_id}", response=InsightOut, summary="One insight"
)
def get_engagement_insight(request, ods_code: str, insight_id: int):
    org = _org(request, ods_code)
    i = selectors.insight(org, insight_id)
    if i is None:
        raise Http404("No such insight")
    return _insight(i, selectors.today())


@router.post(
    "/{ods_code}/engagement/insights",
    response={201: InsightOut, 403: MessageOut, 422: MessageOut},
    summary="Record what people said",
)
def create_engagement_insight(request, ods_code: str, payload: InsightIn):
    org = _org(request, ods_code, access.EDIT)
    data = payload.dict()
    if data["activity"] is not None:
        data["activity"] = selectors.activity(org, data["activity"])
        if data["activity"] is None:
            return Status(422, MessageOut(detail="activity: no such activity here"))
    owner = data.pop("owner")
    data["owner"] = None
    if owner:
        data["owner"] = services.owner_choices(org).filter(username=owner).first()
        if data["owner"] is None:
            return Status(422, MessageOut(detail=f"owner: '{owner}' is not in the team"))
    try:
        i = services.insight_create(actor=request.user, organisation=org, **data)
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(201, _insight(i, selectors.today()))


def _insight_for_answer(request, ods_code: str, insight_id: int) -> Insight:
    org = _org(request, ods_code)
    i = selectors.insight(org, insight_id)
    if i is None:
        raise Http404("No such insight")
    if not services.may_respond(request.user, i):
        raise HttpError(403, "You can only answer insights you own.")
    return i


@router.post(
    "/{ods_code}/engagement/insights/{insight_id}/response",
    response={200: InsightOut, 403: MessageOut, 422: MessageOut},
    summary="We did: will act, partly or cannot act (and why), what was done and changed",
)
def respond_engagement_insight(request, ods_code: str, insight_id: int, payload: ResponseIn):
    i = _insight_for_answer(request, ods_code, insight_id)
    data = payload.dict()
    if data["plan_item"] is not None:
        data["plan_item"] = PlanItem.objects.filter(
            organisation=i.organisation, pk=data["plan_item"]
        ).first()
        if data["plan_item"] is None:
            return Status(422, MessageOut(detail="plan_item: not in this plan"))
    try:
        i = services.insight_respond(actor=request.user, insight=i, **data)
    except ValidationError as exc:
        return _unprocessable(exc)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return Status(200, _insight(i, selectors.today()))


@router.post(
    "/{ods_code}/engagement/insights/{insight_id}/loop",
    response={200: InsightOut, 403: MessageOut, 422: MessageOut},
    summary="Close the loop: how and when people were told",
)
def close_engagement_insight_loop(request, ods_code: str, insight_id: int, payload: LoopIn):
    i = _insight_for_answer(request, ods_code, insight_id)
    try:
        i = services.insight_close_loop(actor=request.user, insight=i, **payload.dict())
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(200, _insight(i, selectors.today()))


# --------------------------------------------------------------------------- evaluation


@router.get(
    "/{ods_code}/engagement/evaluation-plans",
    response=list[EvaluationPlanOut],
    summary="Evaluation plans with logic models, indicators and measurements",
)
def list_evaluation_plans(request, ods_code: str):
    org = _org(request, ods_code)
    qs = selectors.evaluation_plans(org).prefetch_related("indicators__measurements")
    return [_plan(p) for p in qs]


@router.get(
    "/{ods_code}/engagement/evaluation-plans/{plan_id}",
    response=EvaluationPlanOut,
    summary="One evaluation plan",
)
def get_evaluation_plan(request, ods_code: str, plan_id: int):
    org = _org(request, ods_code)
    p = selectors.evaluation_plan(org, plan_id)
    if p is None:
        raise Http404("No such evaluation plan")
    return _plan(p)


def _plan_item_or_422(org, pk):
    if pk is None:
        return None, None
    item = PlanItem.objects.filter(organisation=org, pk=pk).first()
    return item, None if item else Status(422, MessageOut(detail="plan_item: not in this plan"))


@router.post(
    "/{ods_code}/engagement/evaluation-plans",
    response={201: EvaluationPlanOut, 403: MessageOut, 422: MessageOut},
    summary="Plan an evaluation: the logic model, the activities it covers",
)
def create_evaluation_plan(request, ods_code: str, payload: EvaluationPlanIn):
    org = _org(request, ods_code, access.EDIT)
    data = payload.dict()
    unknown = set(data["logic_model"]) - set(eg.LOGIC_MODEL)
    if unknown:
        return Status(422, MessageOut(detail=f"logic_model: '{sorted(unknown)[0]}' is not a box"))
    for key, field in zip(eg.LOGIC_MODEL, services.LOGIC_FIELDS, strict=True):
        data[field] = data["logic_model"].get(key, "")
    acts = {a.pk: a for a in selectors.activities(org)}
    missing = [n for n in data["activities"] if n not in acts]
    if missing:
        return Status(422, MessageOut(detail=f"activities: {missing[0]} is not an activity here"))
    data["activities"] = [acts[n] for n in data["activities"]]
    data["plan_item"], problem = _plan_item_or_422(org, data["plan_item"])
    if problem:
        return problem
    try:
        p = services.evaluation_plan_create(actor=request.user, organisation=org, data=data)
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(201, _plan(p))


@router.post(
    "/{ods_code}/engagement/evaluation-plans/{plan_id}/indicators",
    response={201: EvaluationPlanOut, 403: MessageOut, 422: MessageOut},
    summary="Add an indicator (process, outcome or experience) with its source",
)
def add_evaluation_indicator(request, ods_code: str, plan_id: int, payload: IndicatorIn):
    org = _org(request, ods_code, access.EDIT)
    p = selectors.evaluation_plan(org, plan_id)
    if p is None:
        raise Http404("No such evaluation plan")
    data = payload.dict()
    data["plan_item"], problem = _plan_item_or_422(org, data["plan_item"])
    if problem:
        return problem
    try:
        services.indicator_add(actor=request.user, plan=p, data=data)
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(201, _plan(p))


@router.post(
    "/{ods_code}/engagement/evaluation-plans/{plan_id}/indicators/{indicator_id}/measurements",
    response={201: EvaluationPlanOut, 403: MessageOut, 422: MessageOut},
    summary="Record a measurement of an indicator",
)
def add_evaluation_measurement(
    request, ods_code: str, plan_id: int, indicator_id: int, payload: MeasurementIn
):
    org = _org(request, ods_code, access.EDIT)
    p = selectors.evaluation_plan(org, plan_id)
    ind = selectors.indicator(p, indicator_id) if p else None
    if ind is None:
        raise Http404("No such indicator")
    try:
        services.evaluation_measurement_add(actor=request.user, indicator=ind, **payload.dict())
    except ValidationError as exc:
        return _unprocessable(exc)
    return Status(201, _plan(p))


# --------------------------------------------------------------------------- dashboard


@router.get(
    "/{ods_code}/engagement/dashboard",
    response=DashboardOut,
    summary="The dashboard's figures for a period (default: the last four quarters)",
)
def get_engagement_dashboard(
    request, ods_code: str, start: dt.date | None = None, end: dt.date | None = None
):
    org = _org(request, ods_code)
    on = selectors.today()
    d_start, d_end = presenters.default_period(on)
    d = presenters.dashboard(org, start=start or d_start, end=end or d_end, on=on)
    t = d["totals"]
    return {
        "start": d["start"],
        "end": d["end"],
        "activities": t.activities,
        "hours": float(t.hours),
        "by_band": t.by_band,
        "with_share": t.with_share,
        "community_led_share": t.community_led_share,
        "evaluated_share": t.evaluated_share,
        "loop_closure": {
            "weeks": d["loop"].weeks,
            "eligible": d["loop"].eligible,
            "closed_in_time": d["loop"].closed_in_time,
            "rate": d["loop"].rate,
            "too_recent": d["loop"].too_recent,
        },
        "by_quarter": [
            {
                "quarter": c.quarter,
                "band": c.key,
                "activities": c.activities,
                "hours": float(c.hours),
            }
            for q in d["band_table"]
            for c in q["cells"]
        ],
        "reach": [
            {
                "grouping": r["row"].grouping,
                "group": r["row"].group,
                "reached": r["row"].reached,
                "target": r["row"].target,
                "reached_where_targeted": r["row"].reached_where_targeted,
            }
            for r in d["reach"]
        ],
        "overdue_insights": [r["insight"].pk for r in d["overdue"]],
    }
