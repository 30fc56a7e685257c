"""Writes of the engagement area. Every change is permission-checked, validated against the
core vocabularies, audited and made in one transaction.

Activities, partners, reach and evaluation plans need EDIT at the organisation. An insight's
response and its closed loop may also be recorded by its owner with CONTRIBUTE, as plan items
are.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from gpequity import engagement as eg
from gpequity.catalogue import load_pack, vocab
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Membership, Organisation, Role
from gpequity.web.plans.models import PlanItem

from .models import (
    Activity,
    EvaluationIndicator,
    EvaluationMeasurement,
    EvaluationPlan,
    Insight,
    Partner,
    ReachCount,
)

NEED_EDIT = "Only people who can edit this organisation's workspace can change its engagement log"
OWNER_ROLES = (Role.EQUITY_LEAD, Role.MEMBER, Role.NETWORK_LEAD)

ACTIVITY_FIELDS = (
    "title",
    "start_date",
    "end_date",
    "purpose",
    "level",
    "band",
    "band_override_reason",
    "stages",
    "methods",
    "method_other",
    "accessibility",
    "interpreter_languages",
    "accessibility_notes",
    "payment",
    "payment_notes",
    "community_led",
    "hours",
    "action_keys",
    "indicator_ids",
)
INSIGHT_FIELDS = (
    "theme",
    "detail",
    "times_raised",
    "raised_on",
    "due_date",
    "response",
    "response_reason",
    "responded_on",
    "action_taken",
    "difference_made",
    "loop_closed_on",
    "loop_methods",
    "loop_notes",
)
# The logic model's fields; its "activities" box is stored as ``activities_text``.
LOGIC_FIELDS = tuple("activities_text" if f == "activities" else f for f in eg.LOGIC_MODEL)
PLAN_FIELDS = ("title", *LOGIC_FIELDS, "community_involved", "community_role")
INDICATOR_FIELDS = (
    "name",
    "kind",
    "source",
    "hna_indicator",
    "source_notes",
    "baseline",
    "target",
    "unit",
)


class Conflict(Exception):
    """The record changed since the editor loaded it; nothing was saved."""

    def __init__(self, current):
        super().__init__(
            f"{type(current).__name__} {current.pk} is now at version {current.version}"
        )
        self.current = current


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return value


def _snapshot(obj, fields) -> dict[str, Any]:
    return {f: _json(getattr(obj, f)) for f in fields}


def _require(actor, organisation: Organisation, perm: str = access.EDIT) -> None:
    if not access.can(actor, organisation, perm):
        raise PermissionDenied(NEED_EDIT)


def _audit(actor, organisation, entity: str, obj, verb: str, before=None, after=None) -> None:
    audit_record(
        actor=actor,
        organisation=organisation,
        entity=entity,
        entity_id=obj.pk,
        verb=verb,
        before=before,
        after=after,
    )


def _core(call, *args):
    try:
        return call(*args)
    except eg.EngagementError as exc:
        field, _, message = str(exc).partition(": ")
        raise ValidationError({field: message or str(exc)}) from exc


def owner_choices(organisation: Organisation):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation, memberships__role__in=OWNER_ROLES)
        .order_by("first_name", "last_name", "username")
    )


def _check_owner(organisation: Organisation, owner) -> None:
    if (
        owner is not None
        and not Membership.objects.filter(
            organisation=organisation, user=owner, role__in=OWNER_ROLES
        ).exists()
    ):
        raise ValidationError({"owner": "The owner must be a member of this organisation's team"})


def _check_plan_items(organisation: Organisation, items) -> list[PlanItem]:
    items = list(items or [])
    for item in items:
        if item.organisation_id != organisation.pk:
            raise ValidationError({"plan_items": f"Plan item {item.pk} is not in this plan"})
    return items


# --------------------------------------------------------------------------- partners


@transaction.atomic
def partner_add(*, actor, organisation: Organisation, name: str, kind: str) -> Partner:
    _require(actor, organisation)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the partner's name"})
    if kind not in eg.PARTNER_KINDS:
        raise ValidationError({"kind": "Choose what kind of organisation this is"})
    if Partner.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError({"name": f"'{name}' is already in your partner list"})
    partner = Partner.objects.create(organisation=organisation, name=name[:200], kind=kind)
    _audit(
        actor,
        organisation,
        "engagement_partner",
        partner,
        "created",
        after={"name": partner.name, "kind": kind},
    )
    return partner


# --------------------------------------------------------------------------- activities


def clean_activity(organisation: Organisation, data: dict[str, Any]) -> dict[str, Any]:
    """Check an activity's fields; the band comes from the level unless overridden with a
    reason. Raises ValidationError naming the field."""
    out = {k: data.get(k) for k in ACTIVITY_FIELDS if k in data}
    title = (data.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": "Enter a title for the activity"})
    out["title"] = title[:200]
    start, end = data.get("start_date"), data.get("end_date")
    if start is None:
        raise ValidationError({"start_date": "Enter the date the activity started"})
    if end and end < start:
        raise ValidationError({"end_date": "The end date must be on or after the start date"})
    override = data.get("band_override") or ""
    reason = (data.get("band_override_reason") or "").strip()
    level = data.get("level") or ""
    if not level:
        raise ValidationError({"level": "Choose the level of participation"})
    band = _core(eg.band_for, level, override)
    if band != eg.LEVEL_BAND[level] and not reason:
        raise ValidationError(
            {"band_override_reason": "Say why this activity is in a different band"}
        )
    out["band"] = band
    out["band_override_reason"] = reason if band != eg.LEVEL_BAND[level] else ""
    for name, vocab_ in (
        ("stages", eg.STAGES),
        ("methods", eg.METHODS),
        ("accessibility", eg.ACCESSIBILITY),
    ):
        out[name] = _core(eg.check_choices, name, data.get(name) or [], vocab_)
    if data.get("payment", "none") not in eg.PAYMENTS:
        raise ValidationError({"payment": f"'{data.get('payment')}' is not a payment option"})
    out["payment"] = data.get("payment") or "none"
    hours = data.get("hours") or Decimal(0)
    if Decimal(hours) < 0:
        raise ValidationError({"hours": "Hours cannot be negative"})
    out["hours"] = Decimal(hours)
    pack = load_pack(organisation.framework)
    keys = {a.key for a in pack.actions}
    for key in data.get("action_keys") or []:
        if key not in keys:
            raise ValidationError({"action_keys": f"There is no toolkit action '{key}'"})
    out["action_keys"] = [a.key for a in pack.actions if a.key in (data.get("action_keys") or [])]
    out["indicator_ids"] = _core(
        eg.check_choices, "indicator_ids", data.get("indicator_ids") or [], vocab.INDICATORS
    )
    out["community_led"] = bool(data.get("community_led"))
    for text in (
        "purpose",
        "method_other",
        "interpreter_languages",
        "accessibility_notes",
        "payment_notes",
    ):
        out[text] = (data.get(text) or "").strip()
    return out


def _set_links(activity: Activity, data: dict[str, Any]) -> None:
    org = activity.organisation
    if "partners" in data:
        partners = list(data["partners"] or [])
        for p in partners:
            if p.organisation_id != org.pk:
                raise ValidationError({"partners": f"'{p.name}' is not in your partner list"})
        activity.partners.set(partners)
    if "plan_items" in data:
        activity.plan_items.set(_check_plan_items(org, data["plan_items"]))


def activity_snapshot(a: Activity) -> dict[str, Any]:
    snap = _snapshot(a, (*ACTIVITY_FIELDS, "version"))
    snap["partners"] = sorted(p.name for p in a.partners.all())
    snap["plan_items"] = sorted(a.plan_items.values_list("action_key", flat=True))
    return snap


@transaction.atomic
def activity_create(*, actor, organisation: Organisation, data: dict[str, Any]) -> Activity:
    _require(actor, organisation)
    fields = clean_activity(organisation, data)
    activity = Activity.objects.create(organisation=organisation, created_by=actor, **fields)
    _set_links(activity, data)
    _audit(
        actor,
        organisation,
        "engagement_activity",
        activity,
        "created",
        after=activity_snapshot(activity),
    )
    return activity


@transaction.atomic
def activity_update(
    *, actor, activity: Activity, expected_version: int, data: dict[str, Any]
) -> Activity:
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, locked.organisation)
    if locked.version != expected_version:
        raise Conflict(locked)
    before = activity_snapshot(locked)
    for field, value in clean_activity(locked.organisation, data).items():
        setattr(locked, field, value)
    _set_links(locked, data)
    after = activity_snapshot(locked)
    if after == before:
        return locked
    locked.version += 1
    locked.save()
    after["version"] = locked.version
    _audit(
        actor,
        locked.organisation,
        "engagement_activity",
        locked,
        "updated",
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    return locked


@transaction.atomic
def activity_review(
    *, actor, activity: Activity, went_well: str, do_differently: str, reviewed_on: dt.date
) -> Activity:
    """The activity's own short review: what went well, what to do differently."""
    _require(actor, activity.organisation)
    if not went_well.strip() and not do_differently.strip():
        raise ValidationError({"went_well": "Say what went well or what you would do differently"})
    before = _snapshot(activity, ("review_went_well", "review_do_differently", "reviewed_on"))
    activity.review_went_well = went_well.strip()
    activity.review_do_differently = do_differently.strip()
    activity.reviewed_on = reviewed_on
    activity.version += 1
    activity.save()
    after = _snapshot(activity, ("review_went_well", "review_do_differently", "reviewed_on"))
    _audit(
        actor,
        activity.organisation,
        "engagement_activity",
        activity,
        "reviewed",
        before=before,
        after=after,
    )
    return activity


# --------------------------------------------------------------------------- reach


@transaction.atomic
def reach_set(
    *, actor, activity: Activity, grouping: str, group: str, count: int, target: int | None = None
) -> ReachCount:
    """Record how many people of a group the activity reached (replaces an earlier count)."""
    _require(actor, activity.organisation)
    group = _core(eg.check_group, grouping, group or "")
    if count is None or count < 0:
        raise ValidationError({"count": "Enter how many people, 0 or more"})
    if target is not None and target < 0:
        raise ValidationError({"target": "The target cannot be negative"})
    row = ReachCount.objects.filter(activity=activity, grouping=grouping, group=group).first()
    before = _snapshot(row, ("grouping", "group", "count", "target")) if row else None
    if row is None:
        row = ReachCount(activity=activity, grouping=grouping, group=group)
    row.count, row.target = count, target
    row.save()
    _audit(
        actor,
        activity.organisation,
        "engagement_reach",
        row,
        "updated" if before else "created",
        before=before,
        after={"activity": activity.pk, **_snapshot(row, ("grouping", "group", "count", "target"))},
    )
    return row


@transaction.atomic
def reach_remove(*, actor, activity: Activity, reach_id: int) -> None:
    _require(actor, activity.organisation)
    row = ReachCount.objects.filter(activity=activity, pk=reach_id).first()
    if row is None:
        raise ValidationError({"reach": "That count is not recorded on this activity"})
    before = {"activity": activity.pk, **_snapshot(row, ("grouping", "group", "count", "target"))}
    pk = row.pk
    row.delete()
    audit_record(
        actor=actor,
        organisation=activity.organisation,
        entity="engagement_reach",
        entity_id=pk,
        verb="deleted",
        before=before,
    )


# --------------------------------------------------------------------------- insights


def may_respond(user, insight: Insight) -> bool:
    """EDIT at the organisation, or CONTRIBUTE when the user owns the insight."""
    if access.can(user, insight.organisation, access.EDIT):
        return True
    return insight.owner_id == user.pk and access.can(user, insight.organisation, access.CONTRIBUTE)


def insight_snapshot(i: Insight) -> dict[str, Any]:
    snap = _snapshot(i, INSIGHT_FIELDS)
    snap["owner"] = i.owner.get_username() if i.owner_id else None
    snap["activity"] = i.activity_id
    snap["plan_item"] = i.plan_item_id
    return snap


@transaction.atomic
def insight_create(
    *,
    actor,
    organisation: Organisation,
    theme: str,
    raised_on: dt.date,
    detail: str = "",
    times_raised: int = 1,
    activity: Activity | None = None,
    owner=None,
    due_date: dt.date | None = None,
) -> Insight:
    """Record what people said: a theme, how often it came up, who answers it by when."""
    _require(actor, organisation)
    if not theme.strip():
        raise ValidationError({"theme": "Say what people raised"})
    if raised_on is None:
        raise ValidationError({"raised_on": "Enter when it was raised"})
    if times_raised is None or times_raised < 1:
        raise ValidationError({"times_raised": "Enter how many times it was raised, 1 or more"})
    if due_date and due_date < raised_on:
        raise ValidationError({"due_date": "The due date must be on or after the date raised"})
    if activity is not None and activity.organisation_id != organisation.pk:
        raise ValidationError({"activity": "That activity is not in this engagement log"})
    _check_owner(organisation, owner)
    insight = Insight.objects.create(
        organisation=organisation,
        activity=activity,
        theme=theme.strip()[:200],
        detail=detail.strip(),
        times_raised=times_raised,
        raised_on=raised_on,
        owner=owner,
        due_date=due_date,
        created_by=actor,
    )
    _audit(
        actor,
        organisation,
        "engagement_insight",
        insight,
        "created",
        after=insight_snapshot(insight),
    )
    return insight


def _insight_change(actor, insight: Insight, verb: str, changes: dict[str, Any]) -> Insight:
    locked = Insight.objects.select_for_update().get(pk=insight.pk)
    if not may_respond(actor, locked):
        raise PermissionDenied("You can only answer insights you own")
    before = insight_snapshot(locked)
    for field, value in changes.items():
        setattr(locked, field, value)
    after = insight_snapshot(locked)
    if after == before:
        return locked
    locked.version += 1
    locked.save()
    _audit(
        actor,
        locked.organisation,
        "engagement_insight",
        locked,
        verb,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    return locked


@transaction.atomic
def insight_respond(
    *,
    actor,
    insight: Insight,
    response: str,
    responded_on: dt.date,
    response_reason: str = "",
    plan_item: PlanItem | None = None,
    action_taken: str = "",
    difference_made: str = "",
) -> Insight:
    """ "We did": will act, partly or cannot act (with why), what was done, what changed."""
    if response not in eg.RESPONSES:
        raise ValidationError({"response": "Choose whether you will act on this"})
    if response in ("partly", "cannot_act") and not response_reason.strip():
        raise ValidationError(
            {"response_reason": "Say why you cannot act on this, or on all of it"}
        )
    if responded_on is None:
        raise ValidationError({"responded_on": "Enter the date of the response"})
    if responded_on < insight.raised_on:
        raise ValidationError({"responded_on": "The response cannot be before it was raised"})
    if plan_item is not None:
        _check_plan_items(insight.organisation, [plan_item])
    return _insight_change(
        actor,
        insight,
        "responded",
        {
            "response": response,
            "response_reason": response_reason.strip(),
            "responded_on": responded_on,
            "plan_item": plan_item,
            "action_taken": action_taken.strip(),
            "difference_made": difference_made.strip(),
        },
    )


@transaction.atomic
def insight_close_loop(
    *,
    actor,
    insight: Insight,
    loop_closed_on: dt.date,
    loop_methods: list[str],
    loop_notes: str = "",
) -> Insight:
    """How and when people were told what was done (closing the loop)."""
    insight = Insight.objects.select_for_update().get(pk=insight.pk)
    if not insight.response:
        raise ValidationError({"loop_closed_on": "Record the response before closing the loop"})
    if loop_closed_on is None:
        raise ValidationError({"loop_closed_on": "Enter when you told people"})
    if loop_closed_on < insight.raised_on:
        raise ValidationError({"loop_closed_on": "The loop cannot close before it was raised"})
    methods = _core(eg.check_choices, "loop_methods", loop_methods or [], eg.LOOP_METHODS)
    if not methods:
        raise ValidationError({"loop_methods": "Choose how you told people"})
    return _insight_change(
        actor,
        insight,
        "loop_closed",
        {
            "loop_closed_on": loop_closed_on,
            "loop_methods": methods,
            "loop_notes": loop_notes.strip(),
        },
    )


@transaction.atomic
def insight_update(*, actor, insight: Insight, changes: dict[str, Any]) -> Insight:
    """Change what was said, its owner or due date (EDIT)."""
    _require(actor, insight.organisation)
    if "owner" in changes:
        _check_owner(insight.organisation, changes["owner"])
    if not (changes.get("theme", insight.theme) or "").strip():
        raise ValidationError({"theme": "Say what people raised"})
    raised, due = (
        changes.get("raised_on", insight.raised_on),
        changes.get("due_date", insight.due_date),
    )
    if due and raised and due < raised:
        raise ValidationError({"due_date": "The due date must be on or after the date raised"})
    return _insight_change(actor, insight, "updated", changes)


# --------------------------------------------------------------------------- evaluation


def plan_snapshot(p: EvaluationPlan) -> dict[str, Any]:
    snap = _snapshot(p, (*PLAN_FIELDS, "version"))
    snap["activities"] = sorted(p.activities.values_list("pk", flat=True))
    snap["plan_item"] = p.plan_item_id
    return snap


def _clean_plan(organisation, data: dict[str, Any]) -> dict[str, Any]:
    title = (data.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": "Say what piece of work this plan evaluates"})
    out = {"title": title[:200], "community_involved": bool(data.get("community_involved"))}
    for f in (*LOGIC_FIELDS, "community_role"):
        out[f] = (data.get(f) or "").strip()
    plan_item = data.get("plan_item")
    if plan_item is not None:
        _check_plan_items(organisation, [plan_item])
    out["plan_item"] = plan_item
    return out


def _set_plan_activities(plan: EvaluationPlan, activities) -> None:
    activities = list(activities or [])
    for a in activities:
        if a.organisation_id != plan.organisation_id:
            raise ValidationError({"activities": f"'{a.title}' is not in this engagement log"})
    plan.activities.set(activities)


@transaction.atomic
def evaluation_plan_create(
    *, actor, organisation: Organisation, data: dict[str, Any]
) -> EvaluationPlan:
    _require(actor, organisation)
    plan = EvaluationPlan.objects.create(
        organisation=organisation, created_by=actor, **_clean_plan(organisation, data)
    )
    _set_plan_activities(plan, data.get("activities"))
    _audit(actor, organisation, "evaluation_plan", plan, "created", after=plan_snapshot(plan))
    return plan


@transaction.atomic
def evaluation_plan_update(
    *, actor, plan: EvaluationPlan, expected_version: int, data: dict[str, Any]
) -> EvaluationPlan:
    locked = EvaluationPlan.objects.select_for_update().get(pk=plan.pk)
    _require(actor, locked.organisation)
    if locked.version != expected_version:
        raise Conflict(locked)
    before = plan_snapshot(locked)
    for f, v in _clean_plan(locked.organisation, data).items():
        setattr(locked, f, v)
    _set_plan_activities(locked, data.get("activities"))
    after = plan_snapshot(locked)
    if after == before:
        return locked
    locked.version += 1
    locked.save()
    after["version"] = locked.version
    _audit(
        actor,
        locked.organisation,
        "evaluation_plan",
        locked,
        "updated",
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    return locked


@transaction.atomic
def indicator_add(*, actor, plan: EvaluationPlan, data: dict[str, Any]) -> EvaluationIndicator:
    """An indicator of the plan: process, outcome or experience, with its source."""
    _require(actor, plan.organisation)
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": "Name the indicator"})
    if data.get("kind") not in eg.INDICATOR_KINDS:
        raise ValidationError({"kind": "Choose process, outcome or experience"})
    source = data.get("source")
    if source not in eg.INDICATOR_SOURCES:
        raise ValidationError({"source": "Choose where the figures come from"})
    hna = data.get("hna_indicator") or ""
    if source == "hna" and hna not in vocab.INDICATORS:
        raise ValidationError({"hna_indicator": "Choose the health needs assessment indicator"})
    plan_item = data.get("plan_item")
    if source == "plan":
        if plan_item is None:
            raise ValidationError({"plan_item": "Choose the plan item whose measure this is"})
        _check_plan_items(plan.organisation, [plan_item])
    ind = EvaluationIndicator.objects.create(
        plan=plan,
        name=name[:200],
        kind=data["kind"],
        source=source,
        hna_indicator=hna if source == "hna" else "",
        plan_item=plan_item if source == "plan" else None,
        source_notes=(data.get("source_notes") or "").strip(),
        baseline=data.get("baseline"),
        target=data.get("target"),
        unit=(data.get("unit") or "").strip(),
    )
    _audit(
        actor,
        plan.organisation,
        "evaluation_indicator",
        ind,
        "created",
        after={"plan": plan.pk, **_snapshot(ind, INDICATOR_FIELDS)},
    )
    return ind


@transaction.atomic
def evaluation_measurement_add(
    *, actor, indicator: EvaluationIndicator, measured_on: dt.date, value: Decimal, note: str = ""
) -> EvaluationMeasurement:
    org = indicator.plan.organisation
    _require(actor, org)
    if measured_on is None:
        raise ValidationError({"measured_on": "Enter the date of the measurement"})
    if value is None:
        raise ValidationError({"value": "Enter the value"})
    m = EvaluationMeasurement.objects.create(
        indicator=indicator,
        measured_on=measured_on,
        value=value,
        note=note.strip(),
        created_by=actor,
    )
    _audit(
        actor,
        org,
        "evaluation_measurement",
        m,
        "created",
        after={
            "indicator": indicator.pk,
            "measured_on": _json(measured_on),
            "value": _json(Decimal(value)),
            "note": m.note,
        },
    )
    return m
