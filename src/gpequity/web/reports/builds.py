"""Background builds of the report PDFs (ADR 9, ADR 29): the practice equity report's and
the board report's here, the HNA report's in ``gpequity.web.hna.report_pdf``, all through the
limits, lease and recovery of this module (every model derived from ``PdfBuildBase``).

``request_build`` records who asked and enqueues the task; ``run_build`` (the task's body)
moves the ``ReportBuild`` row through the three real stages of a render, so the progress page
can show where it is. The report holds workspace data only (no patient rows), but errors are
still logged by build id, never with the report's content.

Limits (issue 22, ``admit``): a person may have ``REPORT_BUILDS_PER_USER`` builds of any
report waiting or running at once, and an organisation ``REPORT_BUILDS_PER_ORGANISATION``
asked for by people who can only view it; those who can edit (the equity lead) are held by
their own limit only, and their builds go to the front of the queue, so a viewer's flood
cannot starve the lead's report. The builds of every report share the one worker queue, so
they are counted together.

Recovery (ADR 29): a running build holds a lease of ``REPORT_BUILD_LEASE_SECONDS`` renewed at
each stage. A build whose lease ran out had its worker killed: it is queued again (up to
``MAX_ATTEMPTS`` attempts), then failed with a clear message. Dead builds are found when the
next build starts on a worker, when anyone asks for a build, and when the progress page polls.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation

from .models import BuildStatus, PdfBuildBase, ReportBuild

logger = logging.getLogger(__name__)

STAGES = (
    "Gathering the assessment, Focus group and plan",
    "Laying out the pages",
    "Writing the PDF",
)
KEEP_FOR = dt.timedelta(days=7)
STALE_AFTER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 2
EDITOR_PRIORITY = 10  # ahead of viewers' builds (priority 0) in the worker's queue
ACTIVE = (BuildStatus.QUEUED, BuildStatus.RUNNING)


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
DIED_MESSAGE = (
    "The report stopped without finishing: the background worker stopped twice while "
    "building it. Try again; if it fails again, tell your administrator."
)


class BuildRefused(Exception):
    """Too many builds waiting: the message says why and what to do."""


def per_user() -> int:
    return int(getattr(settings, "REPORT_BUILDS_PER_USER", 2))


def per_organisation() -> int:
    return int(getattr(settings, "REPORT_BUILDS_PER_ORGANISATION", 4))


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "REPORT_BUILD_LEASE_SECONDS", 300)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def build_models() -> list[type[PdfBuildBase]]:
    """Every concrete model of a background PDF build (the practice and board reports', the
    HNA report's): all share one queue, so the limits and the recovery cover them all."""
    return [m for m in apps.get_models() if issubclass(m, PdfBuildBase) and not m._meta.abstract]


def _active(model, **lookups):
    return model.objects.filter(status__in=ACTIVE, **lookups)


def admit(*, actor, organisation: Organisation, editor: bool, create: Callable[[], PdfBuildBase]):
    """Check the limits (ADR 29) and, within them, ``create()`` the build row; the caller
    enqueues it after the transaction (``build.enqueue``).

    Counts the builds waiting or running of every build model: ``per_user()`` for ``actor``
    across every organisation and, unless ``editor``, ``per_organisation()`` for
    ``organisation``. Builds of the organisation older than ``KEEP_FOR`` are deleted on the
    way. Raises ``BuildRefused`` with a message saying why and what to do."""
    recover_dead_builds()
    with transaction.atomic():
        # One request at a time per organisation, so two at once cannot both pass the count.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        old = timezone.now() - KEEP_FOR
        for model in build_models():
            model.objects.filter(
                **{model.organisation_lookup: organisation}, created_at__lt=old
            ).delete()
        mine = sum(_active(m, requested_by=actor).count() for m in build_models())
        if mine >= per_user():
            raise BuildRefused(
                f"You already have {_plural(mine, 'report')} waiting or being built, the most "
                "you can have at once. Wait for one to finish, then ask again."
            )
        if not editor:
            theirs = sum(
                _active(m, **{m.organisation_lookup: organisation}).count() for m in build_models()
            )
            if theirs >= per_organisation():
                raise BuildRefused(
                    f"{organisation.name} already has {_plural(theirs, 'report')} waiting or "
                    "being built. Wait for one to finish, then ask again."
                )
        return create()


def request_build(*, actor, organisation: Organisation, kind: str = "equity") -> ReportBuild:
    """Record a request for the report PDF and hand it to the background worker.

    Raises ``BuildRefused`` when the person or the organisation has too many builds going.
    """

    if not access.can(actor, organisation, access.VIEW):
        raise PermissionDenied("You cannot see this organisation's report.")
    editor = access.can(actor, organisation, access.EDIT)
    stages = KINDS[kind].stages
    build = admit(
        actor=actor,
        organisation=organisation,
        editor=editor,
        create=lambda: ReportBuild.objects.create(
            organisation=organisation,
            requested_by=actor,
            steps=len(stages),
            stage=stages[0],
            kind=kind,
        ),
    )
    build.enqueue(editor=editor)
    build.refresh_from_db()
    return build


def _is_dead(build: PdfBuildBase, now: dt.datetime) -> bool:
    if build.status != BuildStatus.RUNNING:
        return False
    last = build.heartbeat_at or build.started_at or build.created_at
    return now - last > lease()


def recover(build: PdfBuildBase, now: dt.datetime | None = None):
    """Queue again (or fail, after ``MAX_ATTEMPTS``) a running build whose lease ran out."""
    now = now or timezone.now()
    if not _is_dead(build, now):
        return build
    rows = type(build).objects.filter(pk=build.pk, attempt=build.attempt, status=build.status)
    name = type(build)._meta.verbose_name
    if build.attempt >= MAX_ATTEMPTS:
        rows.update(status=BuildStatus.FAILED, error=DIED_MESSAGE, finished_at=now)
        logger.warning("%s %s failed: its worker stopped %s times", name, build.pk, MAX_ATTEMPTS)
    else:
        moved = rows.update(
            status=BuildStatus.QUEUED,
            attempt=build.attempt + 1,
            step=0,
            stage=build.build_stages()[0],
            started_at=None,
            heartbeat_at=None,
        )
        if moved:
            logger.warning("%s %s queued again: its worker stopped", name, build.pk)
            build.refresh_from_db()
            build.enqueue(editor=build.requester_can_edit())
    build.refresh_from_db()
    return build


def recover_dead_builds(now: dt.datetime | None = None) -> int:
    """Recover every running build, of every build model, whose lease ran out; returns how
    many. A build running from before leases existed has no heartbeat: its start counts."""
    now = now or timezone.now()
    expired = now - lease()
    found = 0
    for model in build_models():
        org = model.organisation_lookup
        dead = (
            model.objects.filter(status=BuildStatus.RUNNING)
            .filter(
                Q(heartbeat_at__lt=expired)
                | Q(heartbeat_at__isnull=True, started_at__lt=expired)
                | Q(heartbeat_at__isnull=True, started_at__isnull=True, created_at__lt=expired)
            )
            .select_related(org, "requested_by")
            .defer("pdf")
        )
        for build in dead:
            recover(build, now)
            found += 1
    return found


def _advance(model, build_id, attempt: int | None, **fields) -> int:
    # A plain UPDATE commits at once, so the progress page sees each stage as it starts. On a
    # build with a lease (``attempt`` given, ADR 29) each renews it, and only the current
    # attempt may write.
    rows = model.objects.filter(pk=build_id)
    if attempt is not None:
        rows = rows.filter(attempt=attempt)
        fields["heartbeat_at"] = timezone.now()
    return rows.update(**fields)


def run_build(build_id: str, attempt: int = 1) -> int:
    """Render the PDF for one build, recording each stage; returns the PDF's size in bytes."""
    from .uploads import purge_abandoned_imports

    recover_dead_builds()
    purge_abandoned_imports()
    kind = kind_of(ReportBuild.objects.only("kind").get(pk=build_id))
    return carry_out(
        ReportBuild.objects.select_related("organisation"),
        build_id,
        kind.renderer(),
        kind.stages,
        attempt=attempt,
    )


def carry_out(queryset, build_id, render, stages=STAGES, *, attempt: int | None = None) -> int:
    """Move one build (a row of any ``PdfBuildBase`` model, found in ``queryset``) through
    ``stages``: ``render(build, on_stage)`` returns the PDF and calls ``on_stage(step, pages)``
    as each stage after the first starts. Returns the PDF's size in bytes.

    With ``attempt`` (builds with a lease, ADR 29) only that attempt of a queued build runs; a
    stale task of an earlier attempt, or of a build already taken, does nothing."""
    model = queryset.model
    build = queryset.get(pk=build_id)
    if build.finished:
        return build.size
    if attempt is not None and (build.attempt != attempt or build.status != BuildStatus.QUEUED):
        return build.size
    if not _advance(
        model,
        build.pk,
        attempt,
        status=BuildStatus.RUNNING,
        step=0,
        stage=stages[0],
        started_at=timezone.now(),
    ):
        return 0

    def on_stage(step: int, pages: int) -> None:
        stage = stages[step]
        if pages:
            stage += f" ({pages} page{'s' if pages != 1 else ''})"
        _advance(model, build.pk, attempt, step=step, stage=stage)

    try:
        pdf = render(build, on_stage)
    except Exception:
        logger.exception("%s %s failed", model._meta.verbose_name, build.pk)
        _advance(
            model,
            build.pk,
            attempt,
            status=BuildStatus.FAILED,
            error=FAILED_MESSAGE,
            finished_at=timezone.now(),
        )
        raise
    _advance(
        model,
        build.pk,
        attempt,
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
