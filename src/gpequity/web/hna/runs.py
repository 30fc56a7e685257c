"""The background run of one HNA (ADR 17): the body of the ``run_hna`` task.

It calls ``gpequity.hna.run`` with the same arguments the CLI would (the extract path, the
as-of date, the Focus criteria, the drop choice), so the web and the CLI give the same
tables. Progress, status and heartbeat go to the ``Run`` row with plain UPDATEs filtered on
the attempt number, so a run declared dead and retried cannot be overwritten by a late
worker. Errors are logged by run id only, never with extract content.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import uploads
from .models import ACTIVE, GradientResult, IndicatorResult, Run, RunKind, RunStatus

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=10)
FAILED_MESSAGE = (
    "The assessment could not be finished. Try again; if it fails again, tell your "
    "administrator (the error is logged with this run's id)."
)
DIED_MESSAGE = (
    "The assessment stopped without finishing: the background worker was probably "
    "restarted. Try again."
)
_HIDDEN_COLUMNS = frozenset({"patient_id", "clinician_id"})
_UPDATE_EVERY = 0.5  # seconds between progress writes


def _update(run_id, attempt: int, **fields) -> int:
    return Run.objects.filter(pk=run_id, attempt=attempt).update(**fields)


def is_stale(run: Run, now: dt.datetime | None = None) -> bool:
    """A validating or running run whose worker has not reported for ``STALE_AFTER``."""
    if run.status not in (RunStatus.VALIDATING, RunStatus.RUNNING):
        return False
    last = run.heartbeat_at or run.started_at or run.created_at
    return (now or timezone.now()) - last > STALE_AFTER


def waiting_too_long(run: Run, now: dt.datetime | None = None) -> bool:
    return run.status == RunStatus.QUEUED and (now or timezone.now()) - run.created_at > STALE_AFTER


def mark_if_dead(run: Run) -> Run:
    """Mark a run whose worker died as failed (keeping the upload for a retry)."""
    if is_stale(run):
        _update(
            run.pk,
            run.attempt,
            status=RunStatus.FAILED,
            message=DIED_MESSAGE,
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
    return run


def scrub(report: Any) -> dict[str, Any]:
    """The validation report as JSON with no patient or clinician identifiers in it."""
    data = report.to_dict()
    for issue in data.get("issues", []):
        if issue.get("column") in _HIDDEN_COLUMNS:
            issue["value"] = None
    return data


def _droppable(path, report) -> dict[str, int] | None:
    """How many rows per file "drop the bad rows" would leave out, or None when the problems
    are with whole files (dropping rows cannot fix them)."""
    from gpequity.hna.extract import read_extract

    if any(i.line is None and i.severity == "error" for i in report.issues):
        return None
    dropped = read_extract(path, drop_bad_rows=True, limits=uploads.zip_limits())
    counts = {
        file: n
        for (file, _column, kind, _sev), n in dropped.counts_by_kind.items()
        if kind == "dropped"
    }
    if not dropped.ok or not counts:
        return None
    return counts


def run_body(run_id: str, attempt: int, *, warm: bool | None = None) -> str:
    """Run the assessment for one run; returns its final status. ``warm`` (default: the
    ``HNA_WARM_CHARTS`` setting) draws the finished run's charts before returning."""
    from gpequity import hna
    from gpequity.hna.api import READ_SHARE, FocusError
    from gpequity.hna.validate import ExtractError

    from .services import feed_plan, purge_old_uploads

    run = Run.objects.select_related("organisation", "created_by").get(pk=run_id)
    if run.attempt != attempt or run.status != RunStatus.QUEUED:
        return run.status  # a stale task, or already done
    now = timezone.now()
    if not _update(
        run.pk,
        attempt,
        status=RunStatus.VALIDATING,
        started_at=now,
        heartbeat_at=now,
        progress=0.0,
        message="Reading the extract",
    ):
        return run.status
    purge_old_uploads()
    path = uploads.root() / run.upload_folder
    last = [0.0, ""]

    def progress(message: str, fraction: float) -> None:
        clock = time.monotonic()
        if message == last[1] and clock - last[0] < _UPDATE_EVERY and fraction < 1:
            return
        last[0], last[1] = clock, message
        status = RunStatus.VALIDATING if fraction < READ_SHARE else RunStatus.RUNNING
        _update(
            run.pk,
            attempt,
            status=status,
            progress=max(0.0, min(fraction, 0.99)),
            message=message[:300],
            heartbeat_at=timezone.now(),
        )

    try:
        result = hna.run(
            path,
            as_of=run.as_of,
            focus=run.focus_criteria,
            drop_bad_rows=run.drop_bad_rows,
            progress=progress,
            limits=uploads.zip_limits(),
        )
    except ExtractError as exc:
        droppable = None if run.drop_bad_rows else _droppable(path, exc.report)
        _update(run.pk, attempt, fingerprint=_fingerprint(path))
        n = exc.report.error_count
        _update(
            run.pk,
            attempt,
            status=RunStatus.INVALID,
            progress=1.0,
            message=f"The extract has {n:,} problem{'s' if n != 1 else ''}: nothing was run",
            validation=scrub(exc.report),
            droppable_rows=droppable,
            finished_at=timezone.now(),
            **({} if droppable else {"upload_folder": ""}),
        )
        if not droppable:
            uploads.remove_folder(run.upload_folder.split("/", 1)[0])
        return RunStatus.INVALID
    except FocusError as exc:
        _update(
            run.pk,
            attempt,
            status=RunStatus.INVALID,
            progress=1.0,
            message=f"The Focus criteria do not fit this extract: {str(exc)[:200]}",
            finished_at=timezone.now(),
            upload_folder="",
        )
        uploads.remove_folder(run.upload_folder.split("/", 1)[0])
        return RunStatus.INVALID
    except Exception:
        logger.exception("HNA run %s failed", run.pk)
        _update(
            run.pk,
            attempt,
            status=RunStatus.FAILED,
            message=FAILED_MESSAGE,
            finished_at=timezone.now(),
        )
        return RunStatus.FAILED
    if run.kind == RunKind.SYSTEM:  # a PCN's or ICB's: stored per practice (ADR 28)
        from .system import finish_system_run

        status = finish_system_run(run, attempt, result)
        uploads.remove_folder(run.upload_folder.split("/", 1)[0])
        return status
    _store(run, attempt, result)
    uploads.remove_folder(run.upload_folder.split("/", 1)[0])
    run.refresh_from_db()
    if run.status == RunStatus.DONE:
        feed_plan(run)
        if getattr(settings, "HNA_WARM_CHARTS", True) if warm is None else warm:
            warm_charts(run)
    return run.status


def warm_charts(run: Run, indicators: list[str] | None = None) -> int:
    """Draw the run's indicator charts now, after it is marked done, so the pages open at
    once (a chart takes a tenth of a second or more to draw). Returns how many were drawn;
    a failure here never fails the run: the page draws what is missing."""
    from . import presenters

    drawn = 0
    try:
        for d in presenters.definitions(run):
            if indicators is not None and d.id not in indicators:
                continue
            drawn += len(presenters.grouping_tables(run, d))
            drawn += presenters.gradient_section(run, d) is not None
    except Exception:
        logger.exception("drawing the charts of HNA run %s failed", run.pk)
    return drawn


def _fingerprint(path) -> str:
    """The extract's fingerprint as the CLI's run.json gives it (same for a zip and folder)."""
    from gpequity.hna.runinfo import extract_fingerprint

    try:
        return extract_fingerprint(path)
    except (ValueError, OSError):
        return ""


def _num(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


_GRADIENT_VALUES = ("sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper")


def indicator_objects(run: Run, rows: list[dict[str, Any]]) -> list[IndicatorResult]:
    """The stored rows of a run's ``indicator_rows`` (the web and the system store share it)."""
    return [
        IndicatorResult(
            run=run,
            position=i,
            indicator=r["indicator"],
            grouping=r["grouping"],
            group=r["group"],
            numerator=_num(r["numerator"]),
            denominator=_num(r["denominator"]),
            value=_num(r["value"]),
            lower=_num(r["lower"]),
            upper=_num(r["upper"]),
            compared_with_rest=r["compared_with_rest"],
            suppressed=bool(r["suppressed"]),
        )
        for i, r in enumerate(rows)
    ]


def gradient_objects(run: Run, rows: list[dict[str, Any]]) -> list[GradientResult]:
    return [
        GradientResult(
            run=run,
            position=i,
            indicator=r["indicator"],
            grouping=r["grouping"],
            **{k: _num(r[k]) for k in _GRADIENT_VALUES},
        )
        for i, r in enumerate(rows)
    ]


def _store(run: Run, attempt: int, result: Any) -> None:
    from gpequity.hna.runinfo import definitions_data

    definitions = definitions_data(result.definitions)
    info = result.run_info.to_dict() if result.run_info is not None else None
    with transaction.atomic():
        locked = Run.objects.select_for_update().filter(pk=run.pk, attempt=attempt).first()
        if locked is None or locked.status not in ACTIVE:
            return
        IndicatorResult.objects.filter(run=locked).delete()
        GradientResult.objects.filter(run=locked).delete()
        IndicatorResult.objects.bulk_create(
            indicator_objects(locked, result.indicator_rows), batch_size=500
        )
        GradientResult.objects.bulk_create(
            gradient_objects(locked, result.gradient_rows), batch_size=500
        )
        locked.status = RunStatus.DONE
        locked.progress = 1.0
        locked.message = "Finished"
        locked.definitions = definitions
        locked.run_info = info
        if info and info.get("extract_fingerprint"):
            locked.fingerprint = info["extract_fingerprint"]
        locked.validation = scrub(result.validation) if result.validation else None
        locked.notes = list(result.notes)
        locked.warnings = list(result.warnings)
        locked.imd_attribution = result.imd_attribution or ""
        locked.upload_folder = ""
        locked.droppable_rows = None
        locked.finished_at = locked.heartbeat_at = timezone.now()
        locked.save()
        from gpequity.web.network.figures import store_for_runs

        store_for_runs([locked])  # what benchmarking shows of it, disclosed once now
