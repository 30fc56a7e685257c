"""Background builds of the practice equity report PDF (ADR 9).

``request_build`` records who asked and enqueues the task; ``run_build`` (the task's body)
moves the ``ReportBuild`` row through the three real stages of a render, so the progress page
can show where it is. The report holds workspace data only (no patient rows), but errors are
still logged by build id, never with the report's content.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation

from .models import BuildStatus, ReportBuild

logger = logging.getLogger(__name__)

STAGES = (
    "Gathering the assessment, Focus group and plan",
    "Laying out the pages",
    "Writing the PDF",
)
KEEP_FOR = dt.timedelta(days=7)
STALE_AFTER = dt.timedelta(minutes=5)
FAILED_MESSAGE = (
    "The report could not be built. Try again; if it fails again, tell your administrator."
)


def request_build(*, actor, organisation: Organisation) -> ReportBuild:
    """Record a request for the report PDF and hand it to the background worker."""
    from .tasks import build_report_pdf

    if not access.can(actor, organisation, access.VIEW):
        raise PermissionDenied("You cannot see this organisation's report.")
    ReportBuild.objects.filter(
        organisation=organisation, created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    build = ReportBuild.objects.create(
        organisation=organisation, requested_by=actor, steps=len(STAGES), stage=STAGES[0]
    )
    build_report_pdf.enqueue(str(build.pk))
    build.refresh_from_db()
    return build


def _advance(build_id, model=ReportBuild, **fields) -> None:
    # A plain UPDATE commits at once, so the progress page sees each stage as it starts.
    model.objects.filter(pk=build_id).update(**fields)


def run_build(build_id: str) -> int:
    """Render the PDF for one build, recording each stage; returns the PDF's size in bytes."""
    from .services import report_pdf

    return carry_out(
        ReportBuild.objects.select_related("organisation"),
        build_id,
        lambda build, on_stage: report_pdf(build.organisation, on_stage),
        STAGES,
    )


def carry_out(queryset, build_id, render, stages=STAGES) -> int:
    """Move one build (a row of any ``PdfBuildBase`` model, found in ``queryset``) through
    ``stages``: ``render(build, on_stage)`` returns the PDF and calls ``on_stage(step, pages)``
    as each stage after the first starts. Returns the PDF's size in bytes."""
    model = queryset.model
    build = queryset.get(pk=build_id)
    if build.finished:
        return build.size
    _advance(
        build.pk,
        model=model,
        status=BuildStatus.RUNNING,
        step=0,
        stage=stages[0],
        started_at=timezone.now(),
    )

    def on_stage(step: int, pages: int) -> None:
        stage = stages[step]
        if pages:
            stage += f" ({pages} page{'s' if pages != 1 else ''})"
        _advance(build.pk, model=model, step=step, stage=stage)

    try:
        pdf = render(build, on_stage)
    except Exception:
        logger.exception("%s %s failed", model._meta.verbose_name, build.pk)
        _advance(
            build.pk,
            model=model,
            status=BuildStatus.FAILED,
            error=FAILED_MESSAGE,
            finished_at=timezone.now(),
        )
        raise
    _advance(
        build.pk,
        model=model,
        status=BuildStatus.DONE,
        step=len(stages),
        stage="Ready",
        pdf=pdf,
        size=len(pdf),
        finished_at=timezone.now(),
    )
    return len(pdf)


def is_stale(build, now: dt.datetime | None = None) -> bool:
    """True when an unfinished build has waited so long that its worker is probably not running."""
    if build.finished:
        return False
    started = build.started_at or build.created_at
    return (now or timezone.now()) - started > STALE_AFTER
