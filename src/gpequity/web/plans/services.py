"""Writes of the action plan. Every change is permission-checked, audited (before and after)
and made in one transaction; updates use optimistic concurrency on ``PlanItem.version``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from gpequity.catalogue import load_pack, vocab
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Membership, Organisation, Role

from .models import Cycle, Measurement, PlanItem, Status

EDITABLE_FIELDS = (
    "title",
    "owner_id",
    "start_date",
    "due_date",
    "objective",
    "measure_indicator",
    "measure_text",
    "baseline",
    "target",
    "unit",
    "status",
)
OWNER_ROLES = (Role.EQUITY_LEAD, Role.MEMBER)


class PlanConflict(Exception):
    """The item changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: PlanItem):
        super().__init__(f"plan item {current.pk} is now at version {current.version}")
        self.current = current


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return value


def item_snapshot(item: PlanItem) -> dict[str, Any]:
    """The audited fields of a plan item, JSON-ready."""
    return {f: _json(getattr(item, f)) for f in (*EDITABLE_FIELDS, "version")}


def owner_choices(organisation: Organisation):
    """Users who may own plan items: the organisation's equity leads and team members."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation, memberships__role__in=OWNER_ROLES)
        .order_by("first_name", "last_name", "username")
    )


def _check_owner(organisation: Organisation, owner) -> None:
    if owner is None:
        return
    if not Membership.objects.filter(
        organisation=organisation, user=owner, role__in=OWNER_ROLES
    ).exists():
        raise ValidationError(
            {"owner": "The owner must be an equity lead or team member of this practice"}
        )


def may_update(user, item: PlanItem) -> bool:
    """EDIT at the organisation, or CONTRIBUTE when the user owns the item."""
    if access.can(user, item.organisation, access.EDIT):
        return True
    return item.owner_id == user.pk and access.can(user, item.organisation, access.CONTRIBUTE)


@transaction.atomic
def plan_item_adopt(*, actor, organisation: Organisation, action_key: str) -> PlanItem:
    """Add a framework action to the plan (EDIT). Adopting it twice returns the existing item."""
    if not access.can(actor, organisation, access.EDIT):
        raise PermissionDenied("Only the equity lead can add actions to the plan")
    pack = load_pack(organisation.framework)
    try:
        action = pack.action(action_key)
    except KeyError:
        action = None
    if action is None:
        raise ValidationError(f"There is no action '{action_key}' in this practice's framework")
    existing = PlanItem.objects.filter(organisation=organisation, action_key=action_key).first()
    if existing is not None:
        return existing
    indicator = next((i for i in action.indicators if i in vocab.INDICATORS), "")
    owner = (
        actor
        if Membership.objects.filter(
            organisation=organisation, user=actor, role__in=OWNER_ROLES
        ).exists()
        else None
    )
    item = PlanItem.objects.create(
        organisation=organisation,
        action_key=action.key,
        title=action.title[:300],
        owner=owner,
        measure_indicator=indicator,
        unit="%" if indicator else "",
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="plan_item",
        entity_id=item.pk,
        verb="created",
        after=item_snapshot(item),
        action_key=item.action_key,
    )
    return item


@transaction.atomic
def plan_item_update(
    *, actor, item: PlanItem, expected_version: int, changes: dict[str, Any]
) -> PlanItem:
    """Change a plan item's fields, refusing if someone else saved it first.

    ``changes`` maps field names from ``EDITABLE_FIELDS`` (``owner`` as a user or None).
    Raises ``PlanConflict`` when ``expected_version`` is stale and ``PermissionDenied``
    when the actor may not change this item.
    """
    locked = PlanItem.objects.select_for_update().get(pk=item.pk, organisation=item.organisation)
    if not may_update(actor, locked):
        raise PermissionDenied("You can only change plan items you own")
    if locked.version != expected_version:
        raise PlanConflict(locked)
    if "owner" in changes:
        _check_owner(locked.organisation, changes["owner"])
        changes = dict(changes)
        changes["owner_id"] = getattr(changes.pop("owner"), "pk", None)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if changes.get("status") is not None and changes["status"] not in Status.values:
        raise ValidationError({"status": "Choose a status"})
    before = item_snapshot(locked)
    for field, value in changes.items():
        setattr(locked, field, value)
    _check_dates(locked.start_date, locked.due_date)
    after = item_snapshot(locked)
    if after == before:
        return locked
    locked.version += 1
    locked.save()
    audit_record(
        actor=actor,
        organisation=locked.organisation,
        entity="plan_item",
        entity_id=locked.pk,
        verb="updated",
        before={k: v for k, v in before.items() if after.get(k) != v or k == "version"},
        after={k: v for k, v in item_snapshot(locked).items() if before.get(k) != v},
        action_key=locked.action_key,
    )
    return locked


def _check_dates(start: dt.date | None, due: dt.date | None) -> None:
    if start and due and due < start:
        raise ValidationError({"due_date": "The due date must be on or after the start date"})


def _check_contribute(actor, item: PlanItem) -> None:
    if not may_update(actor, item):
        raise PermissionDenied("You can only record progress on plan items you own")


@transaction.atomic
def cycle_add(
    *,
    actor,
    item: PlanItem,
    plan: str,
    do: str = "",
    study: str = "",
    act: str = "",
    started_on: dt.date | None = None,
    completed_on: dt.date | None = None,
) -> Cycle:
    """Record a plan-do-study-act cycle on the item (owner with CONTRIBUTE, or EDIT)."""
    _check_contribute(actor, item)
    if not plan.strip():
        raise ValidationError({"plan": "Say what you planned to try"})
    if started_on and completed_on and completed_on < started_on:
        raise ValidationError({"completed_on": "The end date must be on or after the start"})
    PlanItem.objects.select_for_update().filter(pk=item.pk).first()
    number = (item.cycles.aggregate(m=Max("number"))["m"] or 0) + 1
    cycle = Cycle.objects.create(
        plan_item=item,
        number=number,
        plan=plan.strip(),
        do=do.strip(),
        study=study.strip(),
        act=act.strip(),
        started_on=started_on,
        completed_on=completed_on,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=item.organisation,
        entity="plan_cycle",
        entity_id=cycle.pk,
        verb="created",
        after={
            "plan_item": item.pk,
            "number": number,
            "plan": cycle.plan,
            "do": cycle.do,
            "study": cycle.study,
            "act": cycle.act,
            "started_on": _json(started_on),
            "completed_on": _json(completed_on),
        },
        action_key=item.action_key,
    )
    return cycle


@transaction.atomic
def measurement_add(
    *, actor, item: PlanItem, measured_on: dt.date, value: Decimal, note: str = ""
) -> Measurement:
    """Record one measurement of the item's measure (owner with CONTRIBUTE, or EDIT)."""
    _check_contribute(actor, item)
    measurement = Measurement.objects.create(
        plan_item=item, measured_on=measured_on, value=value, note=note.strip(), created_by=actor
    )
    audit_record(
        actor=actor,
        organisation=item.organisation,
        entity="plan_measurement",
        entity_id=measurement.pk,
        verb="created",
        after={
            "plan_item": item.pk,
            "measured_on": _json(measured_on),
            "value": _json(Decimal(value)),
            "note": measurement.note,
        },
        action_key=item.action_key,
    )
    return measurement


def _cycle_state(cycle: Cycle) -> dict[str, Any]:
    return {
        "plan_item": cycle.plan_item_id,
        "number": cycle.number,
        "plan": cycle.plan,
        "do": cycle.do,
        "study": cycle.study,
        "act": cycle.act,
        "started_on": _json(cycle.started_on),
        "completed_on": _json(cycle.completed_on),
    }


def _measurement_state(m: Measurement) -> dict[str, Any]:
    return {
        "plan_item": m.plan_item_id,
        "measured_on": _json(m.measured_on),
        "value": _json(Decimal(m.value)),
        "note": m.note,
    }


@transaction.atomic
def cycle_update(
    *,
    actor,
    cycle: Cycle,
    plan: str,
    do: str = "",
    study: str = "",
    act: str = "",
    started_on: dt.date | None = None,
    completed_on: dt.date | None = None,
) -> Cycle:
    """Correct a cycle or add its Do, Study and Act later (owner with CONTRIBUTE, or EDIT)."""
    item = cycle.plan_item
    _check_contribute(actor, item)
    if not plan.strip():
        raise ValidationError({"plan": "Say what you planned to try"})
    if started_on and completed_on and completed_on < started_on:
        raise ValidationError({"completed_on": "The end date must be on or after the start"})
    before = _cycle_state(cycle)
    cycle.plan, cycle.do, cycle.study, cycle.act = (
        plan.strip(),
        do.strip(),
        study.strip(),
        act.strip(),
    )
    cycle.started_on, cycle.completed_on = started_on, completed_on
    cycle.save()
    after = _cycle_state(cycle)
    if after != before:
        audit_record(
            actor=actor,
            organisation=item.organisation,
            entity="plan_cycle",
            entity_id=cycle.pk,
            verb="updated",
            before=before,
            after=after,
            action_key=item.action_key,
        )
    return cycle


@transaction.atomic
def cycle_delete(*, actor, cycle: Cycle) -> None:
    """Delete a cycle recorded by mistake; the others keep their numbers."""
    item = cycle.plan_item
    _check_contribute(actor, item)
    audit_record(
        actor=actor,
        organisation=item.organisation,
        entity="plan_cycle",
        entity_id=cycle.pk,
        verb="deleted",
        before=_cycle_state(cycle),
        action_key=item.action_key,
    )
    cycle.delete()


@transaction.atomic
def measurement_update(
    *, actor, measurement: Measurement, measured_on: dt.date, value: Decimal, note: str = ""
) -> Measurement:
    item = measurement.plan_item
    _check_contribute(actor, item)
    before = _measurement_state(measurement)
    measurement.measured_on, measurement.value, measurement.note = (
        measured_on,
        value,
        note.strip(),
    )
    measurement.save()
    measurement.refresh_from_db()
    after = _measurement_state(measurement)
    if after != before:
        audit_record(
            actor=actor,
            organisation=item.organisation,
            entity="plan_measurement",
            entity_id=measurement.pk,
            verb="updated",
            before=before,
            after=after,
            action_key=item.action_key,
        )
    return measurement


@transaction.atomic
def measurement_delete(*, actor, measurement: Measurement) -> None:
    item = measurement.plan_item
    _check_contribute(actor, item)
    audit_record(
        actor=actor,
        organisation=item.organisation,
        entity="plan_measurement",
        entity_id=measurement.pk,
        verb="deleted",
        before=_measurement_state(measurement),
        action_key=item.action_key,
    )
    measurement.delete()
