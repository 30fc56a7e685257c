"""Writes of the HNA area (ADR 17): start a run from an upload, drop bad rows, retry, delete,
and put a finding into the plan. Each is permission-checked and audited.

``run_body`` (the background task's body) is in ``runs``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gpequity import __version__
from gpequity.web.audit.services import audit_record
from gpequity.web.focus.selectors import focus_current
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans import services as plan_services
from gpequity.web.plans.models import Measurement, PlanItem

from . import uploads
from .models import ACTIVE, IndicatorResult, Run, RunKind, RunStatus


def _check_edit(actor, organisation: Organisation) -> None:
    if not access.can_direct(actor, organisation, access.EDIT):
        raise PermissionDenied("Only the practice's equity lead can run or remove assessments")


def _snapshot(run: Run) -> dict[str, Any]:
    return {
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "files": run.upload_names,
        "fingerprint": run.fingerprint,
        "focus_version": run.focus_version,
        "drop_bad_rows": run.drop_bad_rows,
    }


def focus_for(organisation: Organisation) -> tuple[dict | None, int | None, str]:
    """The practice's saved Focus group: criteria, version and plain English (or None)."""
    current = focus_current(organisation)
    if current is None:
        return None, None, ""
    return current.criteria, current.version, current.description_text


def run_start(
    *,
    actor,
    organisation: Organisation,
    folder: str,
    stored: dict,
    as_of: dt.date,
    focus: dict | None = None,
    use_saved_focus: bool = True,
    drop_bad_rows: bool = False,
    enqueue: bool = True,
) -> Run:
    """Create a run from an upload already in its private folder and queue it.

    ``focus`` (DATA.md criteria) is used when given; else the practice's saved Focus group
    when ``use_saved_focus``, else none. Refuses (``UploadRefused``) what
    cannot be an extract; then the folder is deleted and nothing is stored. ``enqueue``
    False leaves the caller to call ``runs.run_body`` itself (the demo does).
    """
    try:
        _check_edit(actor, organisation)
        checked = uploads.check_and_arrange(uploads.folder_path(folder), stored)
    except BaseException:
        uploads.remove_folder(folder)
        raise
    purge_old_uploads()
    if focus is None:
        criteria, version, description = (
            focus_for(organisation) if use_saved_focus else (None, None, "")
        )
    else:
        from gpequity.web.focus.services import normalise_criteria

        try:
            criteria, description = normalise_criteria(focus)
        except ValidationError:
            uploads.remove_folder(folder)
            raise
        version = None
    relative = checked.extract_path.relative_to(uploads.root())
    with transaction.atomic():
        run = Run.objects.create(
            organisation=organisation,
            as_of=as_of,
            drop_bad_rows=drop_bad_rows,
            upload_names=checked.names,
            upload_size=checked.size,
            upload_folder=str(relative),
            fingerprint=checked.fingerprint,
            focus_criteria=criteria,
            focus_version=version,
            focus_description=description,
            gpequity_version=__version__,
            created_by=actor,
            message="Waiting for the background worker",
            # A PCN's or ICB's upload is a system extract, stored per practice (ADR 28).
            kind=RunKind.PRACTICE if organisation.kind == "practice" else RunKind.SYSTEM,
        )
        audit_record(
            actor=actor,
            organisation=organisation,
            entity="hna_run",
            entity_id=run.pk,
            verb="created",
            after=_snapshot(run),
        )
    if enqueue:
        _enqueue(run)
    run.refresh_from_db()
    return run


def _enqueue(run: Run) -> None:
    from .tasks import run_hna

    run_hna.enqueue(str(run.pk), run.attempt)


def _requeue(*, actor, run: Run, verb: str, drop_bad_rows: bool) -> Run:
    _check_edit(actor, run.organisation)
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if not locked.upload_folder:
            raise ValidationError(
                "The extract of this run has been deleted: upload it again to run it"
            )
        before = _snapshot(locked)
        locked.status = RunStatus.QUEUED
        locked.attempt += 1
        locked.progress = 0.0
        locked.message = "Waiting for the background worker"
        locked.drop_bad_rows = drop_bad_rows or locked.drop_bad_rows
        locked.started_at = locked.heartbeat_at = locked.finished_at = None
        locked.save()
        audit_record(
            actor=actor,
            organisation=locked.organisation,
            entity="hna_run",
            entity_id=locked.pk,
            verb=verb,
            before=before,
            after=_snapshot(locked),
        )
    _enqueue(locked)
    locked.refresh_from_db()
    return locked


def run_drop_bad_rows(*, actor, run: Run) -> Run:
    """Run an invalid extract again, leaving out the rows with problems (the lead's choice)."""
    if run.status != RunStatus.INVALID or not run.droppable_rows:
        raise ValidationError("This run has no bad rows that could be left out")
    return _requeue(actor=actor, run=run, verb="dropped_bad_rows", drop_bad_rows=True)


def run_retry(*, actor, run: Run) -> Run:
    """Start a failed run again from its kept upload."""
    if run.status != RunStatus.FAILED:
        raise ValidationError("Only a run that failed can be tried again")
    return _requeue(actor=actor, run=run, verb="retried", drop_bad_rows=False)


def run_delete(*, actor, run: Run) -> None:
    """Delete a run, its results and its upload (plan measurements stay, unlinked)."""
    _check_edit(actor, run.organisation)
    if run.status in ACTIVE and not _stale(run):
        raise ValidationError("This run is still going: wait for it to finish, then delete it")
    with transaction.atomic():
        before = _snapshot(run)
        folder = run.upload_folder
        Run.objects.filter(pk=run.pk).delete()
        audit_record(
            actor=actor,
            organisation=run.organisation,
            entity="hna_run",
            entity_id=run.pk,
            verb="deleted",
            before=before,
        )
    _remove_extract(folder)


def run_discard_upload(*, actor, run: Run) -> None:
    """ "Fix and upload again": delete the kept extract of an invalid run now."""
    _check_edit(actor, run.organisation)
    if run.upload_folder and run.status in (RunStatus.INVALID, RunStatus.FAILED):
        _remove_extract(run.upload_folder)
        Run.objects.filter(pk=run.pk).update(upload_folder="", droppable_rows=None)


def _stale(run: Run) -> bool:
    from .runs import is_stale

    return is_stale(run)


def _remove_extract(relative: str) -> None:
    """Delete an upload folder given as stored on the run (the file or folder inside it)."""
    if relative:
        uploads.remove_folder(relative.split("/", 1)[0])


def purge_old_uploads(now: dt.datetime | None = None) -> int:
    """Delete extracts kept past ``HNA_KEEP_UPLOAD_HOURS`` for finished runs, and upload
    folders no run points at (a request that died half way); returns how many went."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.HNA_KEEP_UPLOAD_HOURS)
    old = Run.objects.filter(
        status__in=(RunStatus.INVALID, RunStatus.FAILED, RunStatus.DONE),
        created_at__lt=cutoff,
    ).exclude(upload_folder="")
    removed = 0
    for run in old:
        _remove_extract(run.upload_folder)
        Run.objects.filter(pk=run.pk).update(upload_folder="", droppable_rows=None)
        removed += 1
    base = uploads.root()
    if base.is_dir():
        used = {
            f.split("/", 1)[0]
            for f in Run.objects.exclude(upload_folder="").values_list("upload_folder", flat=True)
        }
        for child in base.iterdir():
            if child.name in used:
                continue
            made = dt.datetime.fromtimestamp(child.stat().st_mtime, tz=dt.UTC)
            if made < cutoff:
                uploads.remove_folder(child.name)
                removed += 1
    return removed


# --------------------------------------------------------------------------- plan


def measure_value(indicator_kind: str, value: float) -> Decimal:
    """A run's value as a plan measurement: percentages to one decimal place for proportions
    (as the plan shows them), the value itself to three places for means."""
    if indicator_kind == "proportion":
        return Decimal(repr(value * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Decimal(repr(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _row(run: Run, indicator: str, grouping: str, group: str) -> IndicatorResult | None:
    return IndicatorResult.objects.filter(
        run=run, indicator=indicator, grouping=grouping, group=group
    ).first()


def _kind(run: Run, indicator: str) -> str:
    for d in run.definitions or []:
        if d.get("id") == indicator:
            return d.get("kind", "proportion")
    return "proportion"


def _rest_value(run: Run, row: IndicatorResult) -> float | None:
    total = _row(run, row.indicator, "overall", "all")
    if total is None or row.numerator is None or total.denominator is None:
        return None
    rest = total.denominator - row.denominator
    if rest <= 0:
        return None
    return (total.numerator - row.numerator) / rest


def finding_to_plan(
    *,
    actor,
    run: Run,
    action_key: str,
    indicator: str,
    grouping: str,
    group: str,
    measure_text: str = "",
) -> tuple[PlanItem, bool]:
    """Put a finding's recommended action into the plan, measured by the indicator in the
    group: the run's value is the baseline (and the first measurement), the rest of the
    practice's value the suggested target. An item already in the plan for this action is
    returned unchanged (``created`` False) unless it has no measure yet."""
    organisation = run.organisation
    if not access.can_direct(actor, organisation, access.EDIT):
        raise PermissionDenied("Only the equity lead can add actions to the plan")
    if run.status != RunStatus.DONE:
        raise ValidationError("This run has no results yet")
    row = _row(run, indicator, grouping, group)
    if row is None or row.value is None:
        raise ValidationError("This run has no figure for that indicator and group")
    with transaction.atomic():
        existing = PlanItem.objects.filter(organisation=organisation, action_key=action_key).first()
        item = plan_services.plan_item_adopt(
            actor=actor, organisation=organisation, action_key=action_key
        )
        if existing is not None and (existing.measure_indicator or existing.measure_grouping):
            return item, False
        kind = _kind(run, indicator)
        rest = _rest_value(run, row)
        baseline = measure_value(kind, row.value)
        changes: dict[str, Any] = {
            "measure_indicator": indicator,
            "measure_text": measure_text[:300],
            "baseline": baseline,
            "target": measure_value(kind, rest) if rest is not None else None,
            "unit": "%" if kind == "proportion" else "",
        }
        item = plan_services.plan_item_update(
            actor=actor, item=item, expected_version=item.version, changes=changes
        )
        PlanItem.objects.filter(pk=item.pk).update(measure_grouping=grouping, measure_group=group)
        item.refresh_from_db()
        _measure(item, run, row, kind, actor=actor)
    return item, existing is None


def _measure(item: PlanItem, run: Run, row: IndicatorResult, kind: str, *, actor) -> None:
    if Measurement.objects.filter(plan_item=item, source_run=run).exists():
        return
    m = Measurement.objects.create(
        plan_item=item,
        measured_on=run.as_of,
        value=measure_value(kind, row.value),
        note=f"From the health needs assessment as of {run.as_of:%d %b %Y}",
        source_run=run,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=item.organisation,
        entity="plan_measurement",
        entity_id=m.pk,
        verb="created",
        after={
            "plan_item": item.pk,
            "measured_on": run.as_of.isoformat(),
            "value": str(m.value),
            "source_run": str(run.pk),
        },
        action_key=item.action_key,
    )


def feed_plan(run: Run) -> int:
    """Add this finished run's value to every plan item measured by an indicator and group
    it has; returns how many measurements were added."""
    added = 0
    items = PlanItem.objects.filter(organisation=run.organisation).exclude(measure_grouping="")
    for item in items:
        row = _row(run, item.measure_indicator, item.measure_grouping, item.measure_group)
        if row is None or row.value is None:
            continue
        with transaction.atomic():
            before = Measurement.objects.filter(plan_item=item).count()
            _measure(item, run, row, _kind(run, item.measure_indicator), actor=run.created_by)
            added += Measurement.objects.filter(plan_item=item).count() - before
    return added
