"""Background builds of the practice equity report PDF (ADR 9).

``request_build`` records who asked and enqueues the task; ``run_build`` (the task's body)
moves the ``ReportBuild`` row through the three real stages of a render, so the progress page
can show where it is. The report holds workspace data only (no patient rows), but errors are
still logged by build id, never with the report's content.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.module_loading import import_string

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


@dataclass(frozen=True)
class Kind:
    """One report the background build can render (ADR 27): its name, the three stages its
    progress page shows, the function ``render(build, on_stage) -> bytes`` (a dotted path, so
    this module imports no area's code), the URL name of the POST that asks for another and
    of the page to go back to."""

    title: str
    filename: str
    stages: tuple[str, str, str]
    render: str
    new_url: str
    back_url: str
    back_label: str

    def renderer(self) -> Callable:
        return import_string(self.render)


KINDS = {
    "equity": Kind(
        "Practice equity report",
        "equity-report",
        STAGES,
        "gpequity.web.reports.builds.equity_pdf",
        "reports:pdf_build_new",
        "reports:index",
        "Back to reports and exports",
    ),
    "board": Kind(
        "Board assurance report",
        "board-report",
        ("Gathering what the practices share", STAGES[1], STAGES[2]),
        "gpequity.web.network.board.build_pdf",
        "network:board_pdf_build_new",
        "network:board",
        "Back to the board assurance report",
    ),
}


def equity_pdf(build: ReportBuild, on_stage: Callable[[int, int], None]) -> bytes:
    from .services import report_pdf

    return report_pdf(build.organisation, on_stage)


def kind_of(build: ReportBuild) -> Kind:
    return KINDS.get(build.kind, KINDS["equity"])


FAILED_MESSAGE = (
    "The report could not be built. Try again; if it fails again, tell your administrator."
)


def request_build(*, actor, organisation: Organisation, kind: str = "equity") -> ReportBuild:
    """Record a request for the report PDF and hand it to the background worker."""
    from .tasks import build_report_pdf

    if not access.can(actor, organisation, access.VIEW):
        raise PermissionDenied("You cannot see this organisation's report.")
    ReportBuild.objects.filter(
        organisation=organisation, created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    stages = KINDS[kind].stages
    build = ReportBuild.objects.create(
        organisation=organisation,
        requested_by=actor,
        steps=len(stages),
        stage=stages[0],
        kind=kind,
    )
    build_report_pdf.enqueue(str(build.pk))
    build.refresh_from_db()
    return build


def _advance(build_id, **fields) -> None:
    # A plain UPDATE commits at once, so the progress page sees each stage as it starts.
    ReportBuild.objects.filter(pk=build_id).update(**fields)


def run_build(build_id: str) -> int:
    """Render the PDF for one build, recording each stage; returns the PDF's size in bytes."""
    build = ReportBuild.objects.select_related("organisation").get(pk=build_id)
    if build.finished:
        return build.size
    kind = kind_of(build)
    report_pdf = kind.renderer()
    _advance(
        build.pk,
        status=BuildStatus.RUNNING,
        step=0,
        stage=kind.stages[0],
        started_at=timezone.now(),
    )

    def on_stage(step: int, pages: int) -> None:
        stage = kind.stages[step]
        if pages:
            stage += f" ({pages} page{'s' if pages != 1 else ''})"
        _advance(build.pk, step=step, stage=stage)

    try:
        pdf = report_pdf(build, on_stage)
    except Exception:
        logger.exception("report build %s failed", build.pk)
        _advance(
            build.pk, status=BuildStatus.FAILED, error=FAILED_MESSAGE, finished_at=timezone.now()
        )
        raise
    _advance(
        build.pk,
        status=BuildStatus.DONE,
        step=len(STAGES),
        stage="Ready",
        pdf=pdf,
        size=len(pdf),
        finished_at=timezone.now(),
    )
    return len(pdf)


def is_stale(build: ReportBuild, now: dt.datetime | None = None) -> bool:
    """True when an unfinished build has waited so long that its worker is probably not running."""
    if build.finished:
        return False
    started = build.started_at or build.created_at
    return (now or timezone.now()) - started > STALE_AFTER
